"""Who may publish, decided again when the work happens (issue 10, items 1 and 3).

Presigned uploads are driven through the services over the real adapters on moto:
the intent is requested with a credential, something changes (a member removed, a
key revoked, a trusted publisher removed), then the staged file is validated.
Trusted-publisher limits hold on this path as on the prefix endpoint.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from rillet.adapters.accounts import DynamoAccounts
from rillet.adapters.directory import DynamoAuditLog, DynamoDirectory
from rillet.adapters.dynamodb import DynamoCatalog
from rillet.adapters.publishers import DynamoPublishers
from rillet.adapters.s3 import S3ObjectStore, S3Presigner
from rillet.adapters.sqs import SqsReindexQueue
from rillet.core.errors import Forbidden, NotFound, Unauthenticated
from rillet.core.layout import package_object_key, staging_key
from rillet.core.models import Upload, UploadStatus
from rillet.core.oidc import GITHUB_ISSUER, OidcConfig
from rillet.core.policy import Principal, Role
from rillet.runtime import wiring
from rillet.services.ingest import IngestOutcome
from tests import fakes
from tests.packages import build_package

NOW = 1_790_000_000
ISO = "2026-09-21T12:00:00.000000Z"
OPERATOR = Principal("admin", superuser=True)
AUDIENCE = "conda.example.com"
WIDGETS = {"provider": "github", "owner": "octo-org", "repository": "widgets"}


@dataclass
class Svc:
    catalog: DynamoCatalog
    directory: DynamoDirectory
    publishers: DynamoPublishers
    audit: DynamoAuditLog
    channels: S3ObjectStore
    staging: S3ObjectStore
    queue: SqsReindexQueue
    presigner: S3Presigner
    signing_key: Any
    c: wiring.Container

    def at(self, now: int) -> wiring.Services:
        """The services with the clock at ``now`` (epoch seconds)."""
        self.c.clock.ms = now * 1000  # type: ignore[attr-defined]
        return self.c.services

    def user(self, name: str, **key: Any) -> str:
        """A user; with ``key`` fields, a further key of theirs. Returns the token."""
        _, _, token = self.at(NOW).keys.create_user(OPERATOR, {"name": name})
        if key:
            _, token = self.at(NOW).keys.create_key(self.principal(token), key)
        return token

    def principal(self, token: str, now: int = NOW) -> Principal:
        found = self.at(now).auth.authenticate(f"Bearer {token}")
        assert found is not None
        return found

    def channel(self, name: str, owner: str, visibility: str = "public") -> None:
        self.at(NOW).channels.create(
            self.principal(owner), {"name": name, "visibility": visibility}
        )

    def set_member(self, owner: str, channel: str, user: str, role: Role) -> None:
        self.at(NOW).members.set_role(self.principal(owner), channel, user, role)

    def add_publisher(self, owner: str, channel: str, **extra: Any) -> str:
        publisher = self.at(NOW).publishing.add_publisher(
            self.principal(owner), channel, {**WIDGETS, "workflow": "release.yml", **extra}
        )
        return publisher.id

    def mint(self, repository: str = "widgets") -> str:
        """A CI job of octo-org/<repository> exchanges its OIDC token for an upload token."""
        claims = {
            "iss": GITHUB_ISSUER,
            "aud": AUDIENCE,
            "iat": NOW,
            "exp": NOW + 300,
            "jti": secrets.token_hex(8),
            "sub": f"repo:octo-org/{repository}:ref:refs/heads/main",
            "repository": f"octo-org/{repository}",
            "repository_owner": "octo-org",
            "repository_owner_id": "4242",
            "workflow_ref": f"octo-org/{repository}/.github/workflows/release.yml@refs/heads/main",
            "event_name": "push",
        }
        token = jwt.encode(claims, self.signing_key, algorithm="RS256", headers={"kid": "k1"})
        public = self.signing_key.public_key()

        class Keys:
            def key(self, issuer: str, kid: str) -> Any:
                return public

        publishing = replace(
            self.at(NOW).publishing,
            keys=Keys(),
            config=OidcConfig(issuers={GITHUB_ISSUER: "github"}, audiences=frozenset({AUDIENCE})),
        )
        secret, _ = publishing.mint_token(json.dumps({"token": token}).encode())
        return secret

    def presign(self, token: str, channel: str, path: Path, **extra: Any) -> Upload:
        data = path.read_bytes()
        body = {
            "filename": path.name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            **extra,
        }
        return self.at(NOW).uploads.request(self.principal(token), channel, body).upload

    def put_and_validate(self, upload: Upload, path: Path, now: int = NOW + 10) -> IngestOutcome:
        """The client's PUT lands in staging; the validate function takes it from there."""
        key = staging_key(upload.id)
        self.staging.put(
            key, path.read_bytes(), content_type="application/octet-stream", cache_control="x"
        )
        return self.at(now).ingest.ingest_staged(key)

    def published(self, channel: str, subdir: str, path: Path) -> bool:
        record = self.catalog.get_package(channel, subdir, path.name)
        served = self.channels.head(package_object_key(channel, subdir, path.name))
        assert (record is None) == (served is None), (record, served)
        return record is not None

    def assert_rejected(
        self, outcome: IngestOutcome, reason: str, channel: str, path: Path
    ) -> None:
        assert (outcome.status, outcome.reason) == ("rejected", reason), outcome
        upload = self.catalog.get_upload(str(outcome.upload_id))
        assert upload.status is UploadStatus.REJECTED and upload.reason == reason
        assert upload.message
        assert not self.published(channel, outcome.subdir or "noarch", path)
        assert self.staging.head(staging_key(upload.id)) is None


@pytest.fixture(scope="module")
def signing_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def svc(signing_key: Any) -> Iterator[Svc]:
    with fakes.provisioned("authz", fakes.FixedClock(NOW * 1000)) as (p, built):
        c = built.with_ports(presigner=S3Presigner(built.s3, p.names.staging_bucket))
        yield Svc(
            catalog=c.catalog,
            directory=c.directory,
            publishers=c.publishers,
            audit=c.audit,
            channels=c.channels,
            staging=c.staging,
            queue=c.reindex_queue,
            presigner=c.presigner,
            c=c,
            signing_key=signing_key,
        )


@dataclass(frozen=True)
class Pkgs:
    widget: Path  # widget-core 1.0, noarch
    widget_bin: Path  # widget-bin 1.0, linux-64
    other: Path  # other 1.0, noarch


@pytest.fixture(scope="module")
def pkgs(tmp_path_factory: pytest.TempPathFactory) -> Pkgs:
    root = tmp_path_factory.mktemp("authz")
    return Pkgs(
        widget=build_package(root, "widget-core", "1.0"),
        widget_bin=build_package(root, "widget-bin", "1.0", subdir="linux-64"),
        other=build_package(root, "other", "1.0"),
    )


@pytest.fixture
def gated(svc: Svc) -> tuple[str, str]:
    """Channel ``chan`` of alice with a publisher limited to widget-* in noarch."""
    alice = svc.user("alice")
    svc.channel("chan", alice)
    publisher = svc.add_publisher(alice, "chan", name_patterns=["widget-*"], subdirs=["noarch"])
    return alice, publisher


# -- item 1: publisher limits on the presigned path ----------------------------------------
def test_minted_token_cannot_presign_a_name_outside_its_patterns(
    svc: Svc, pkgs: Pkgs, gated: tuple[str, str]
) -> None:
    token = svc.mint()
    with pytest.raises(Forbidden) as refused:
        svc.presign(token, "chan", pkgs.other)
    assert refused.value.code == "outside-publisher-limits"
    with pytest.raises(Forbidden) as refused:
        svc.presign(token, "chan", pkgs.widget_bin, subdir="linux-64")
    assert refused.value.code == "outside-publisher-limits"


def test_the_real_subdir_is_judged_at_validation(
    svc: Svc, pkgs: Pkgs, gated: tuple[str, str]
) -> None:
    token = svc.mint()
    # No subdir announced: only the name can be judged now, and it is allowed.
    upload = svc.presign(token, "chan", pkgs.widget_bin)
    outcome = svc.put_and_validate(upload, pkgs.widget_bin)
    svc.assert_rejected(outcome, "outside-publisher-limits", "chan", pkgs.widget_bin)
    assert outcome.subdir == "linux-64"


def test_minted_publish_is_audited_with_its_publisher(
    svc: Svc, pkgs: Pkgs, gated: tuple[str, str]
) -> None:
    _, publisher = gated
    upload = svc.presign(svc.mint(), "chan", pkgs.widget)
    assert svc.put_and_validate(upload, pkgs.widget).status == "published"
    assert svc.published("chan", "noarch", pkgs.widget)
    events, _ = svc.audit.list("chan", 10, None)
    [event] = [e for e in events if e.action == "package.upload"]
    assert event.actor == "github:octo-org/widgets"
    assert event.details["via"] == "presigned"
    assert event.details["publisher"] == {
        "id": publisher,
        "provider": "github",
        "repository": "octo-org/widgets",
        "workflow": "release.yml",
    }


def test_removing_the_publisher_ends_its_tokens_and_their_pending_uploads(
    svc: Svc, pkgs: Pkgs, gated: tuple[str, str]
) -> None:
    alice, publisher = gated
    token = svc.mint()
    upload = svc.presign(token, "chan", pkgs.widget)
    svc.at(NOW).publishing.remove_publisher(svc.principal(alice), "chan", publisher)
    with pytest.raises(Unauthenticated):
        svc.principal(token)
    outcome = svc.put_and_validate(upload, pkgs.widget)
    svc.assert_rejected(outcome, "uploader-no-longer-authorized", "chan", pkgs.widget)


def test_a_token_keeps_only_the_channels_whose_publisher_remains(
    svc: Svc, pkgs: Pkgs, gated: tuple[str, str]
) -> None:
    alice, publisher = gated
    svc.channel("chan-b", alice)
    svc.add_publisher(alice, "chan-b")
    token = svc.mint()
    assert svc.principal(token).channels == frozenset({"chan", "chan-b"})
    upload = svc.presign(token, "chan", pkgs.widget)
    svc.publishers.delete("chan", publisher)
    assert svc.principal(token).channels == frozenset({"chan-b"})
    outcome = svc.put_and_validate(upload, pkgs.widget)
    svc.assert_rejected(outcome, "uploader-no-longer-authorized", "chan", pkgs.widget)
    elsewhere = svc.presign(token, "chan-b", pkgs.other)
    assert svc.put_and_validate(elsewhere, pkgs.other).status == "published"


def test_a_deleted_channel_takes_the_tokens_of_its_publishers(
    svc: Svc, pkgs: Pkgs, gated: tuple[str, str]
) -> None:
    alice, _ = gated
    token = svc.mint()
    svc.at(NOW).channels.delete(svc.principal(alice), "chan")
    mallory = svc.user("mallory")
    svc.channel("chan", mallory)  # the name again, someone else's
    with pytest.raises(Unauthenticated):
        svc.principal(token)


# -- item 3: authority re-checked at validation --------------------------------------------
@pytest.fixture
def team(svc: Svc) -> dict[str, str]:
    alice, bob = svc.user("alice"), svc.user("bob")
    svc.channel("chan", alice)
    svc.set_member(alice, "chan", "bob", Role.MAINTAINER)
    return {"alice": alice, "bob": bob}


def test_a_member_removed_before_the_put_publishes_nothing(
    svc: Svc, pkgs: Pkgs, team: dict[str, str]
) -> None:
    upload = svc.presign(team["bob"], "chan", pkgs.widget)
    assert upload.key_id and upload.key_hash  # the intent names its credential
    owner = svc.principal(team["alice"])
    svc.at(NOW).members.remove(owner, "chan", "bob")
    outcome = svc.put_and_validate(upload, pkgs.widget)
    svc.assert_rejected(outcome, "uploader-no-longer-authorized", "chan", pkgs.widget)


def test_a_member_demoted_below_upload_rights_publishes_nothing(
    svc: Svc, pkgs: Pkgs, team: dict[str, str]
) -> None:
    upload = svc.presign(team["bob"], "chan", pkgs.widget)
    svc.set_member(team["alice"], "chan", "bob", Role.MEMBER)
    outcome = svc.put_and_validate(upload, pkgs.widget)
    svc.assert_rejected(outcome, "uploader-no-longer-authorized", "chan", pkgs.widget)


def test_a_key_revoked_before_the_put_publishes_nothing(
    svc: Svc, pkgs: Pkgs, team: dict[str, str]
) -> None:
    upload = svc.presign(team["bob"], "chan", pkgs.widget)
    svc.at(NOW).keys.revoke_key(svc.principal(team["bob"]), upload.key_id)
    outcome = svc.put_and_validate(upload, pkgs.widget)
    svc.assert_rejected(outcome, "uploader-no-longer-authorized", "chan", pkgs.widget)


def test_a_key_expired_before_the_file_arrived_publishes_nothing(
    svc: Svc, pkgs: Pkgs, team: dict[str, str]
) -> None:
    carol = svc.user("carol", scope="upload", expires_at=NOW + 60)
    svc.set_member(team["alice"], "chan", "carol", Role.MAINTAINER)
    upload = svc.presign(carol, "chan", pkgs.widget)
    assert upload.expires_at > NOW + 120  # the URL itself is still good
    outcome = svc.put_and_validate(upload, pkgs.widget, now=NOW + 120)
    svc.assert_rejected(outcome, "uploader-no-longer-authorized", "chan", pkgs.widget)


def test_a_force_intent_needs_overwrite_rights_when_the_file_arrives(
    svc: Svc, pkgs: Pkgs, team: dict[str, str]
) -> None:
    svc.set_member(team["alice"], "chan", "bob", Role.OWNER)
    upload = svc.presign(team["bob"], "chan", pkgs.widget, force=True)
    svc.set_member(team["alice"], "chan", "bob", Role.MAINTAINER)
    outcome = svc.put_and_validate(upload, pkgs.widget)
    svc.assert_rejected(outcome, "uploader-no-longer-authorized", "chan", pkgs.widget)


def test_an_uploader_still_entitled_publishes(svc: Svc, pkgs: Pkgs, team: dict[str, str]) -> None:
    upload = svc.presign(team["bob"], "chan", pkgs.widget)
    svc.set_member(team["alice"], "chan", "bob", Role.OWNER)  # more rights is fine
    assert svc.put_and_validate(upload, pkgs.widget).status == "published"
    assert svc.published("chan", "noarch", pkgs.widget)


def test_an_intent_naming_no_credential_is_judged_by_its_users_role(
    svc: Svc, pkgs: Pkgs, team: dict[str, str]
) -> None:
    """Intents recorded before credentials were kept (and sessions without a key)."""
    incarnation = svc.catalog.get_channel("chan").incarnation
    for upload_id, user, path in (("u-bob", "bob", pkgs.widget), ("u-eve", "eve", pkgs.other)):
        svc.catalog.put_upload(
            Upload(
                id=upload_id,
                channel="chan",
                filename=path.name,
                sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                size=path.stat().st_size,
                created_by=user,
                created_at=ISO,
                expires_at=NOW + 900,
                incarnation=incarnation,
            )
        )
    assert svc.put_and_validate(svc.catalog.get_upload("u-bob"), pkgs.widget).status == "published"
    outcome = svc.put_and_validate(svc.catalog.get_upload("u-eve"), pkgs.other)
    svc.assert_rejected(outcome, "uploader-no-longer-authorized", "chan", pkgs.other)


def test_minted_token_sees_only_its_own_upload_status(
    svc: Svc, pkgs: Pkgs, gated: tuple[str, str]
) -> None:
    alice, _ = gated
    token = svc.mint()
    mine = svc.presign(token, "chan", pkgs.widget)
    theirs = svc.presign(alice, "chan", pkgs.other)
    found = svc.at(NOW).uploads.status(svc.principal(token), "chan", mine.id)
    assert found["id"] == mine.id
    with pytest.raises(NotFound):
        svc.at(NOW).uploads.status(svc.principal(token), "chan", theirs.id)
    with pytest.raises(NotFound):
        svc.at(NOW).uploads.status(svc.principal(svc.mint()), "chan", mine.id)


def test_a_session_upload_of_a_user_suspended_before_the_put_publishes_nothing(
    svc: Svc, pkgs: Pkgs, team: dict[str, str]
) -> None:
    """A sign-in session records no key: the user's own standing is checked again."""
    data = pkgs.widget.read_bytes()
    ticket = svc.at(NOW).uploads.request(
        Principal("bob", session=True),
        "chan",
        {
            "filename": pkgs.widget.name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
        },
    )
    assert not ticket.upload.key_hash  # judged by the user, not by a key
    DynamoAccounts(svc.catalog.client, svc.catalog.table).set_suspended("bob", True)
    outcome = svc.put_and_validate(ticket.upload, pkgs.widget)
    svc.assert_rejected(outcome, "uploader-no-longer-authorized", "chan", pkgs.widget)
