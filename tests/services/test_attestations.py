"""Attestations through the services on moto, with the real Sigstore verifier and bundle.

Presigned path: the intent carries the bundle, ingest verifies it with the minted key
the intent names (the minting token's identity is kept on the key), stores ``.sigs``
and ``.sigs.<sha256>`` before the record is visible, and puts ``attestations_sha256``
in repodata.json and the shards (as bin, like sha256). Each refusal rejects the upload
with its code and leaves nothing behind.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local.resources import REGION, Resources, provision
from rillet.adapters.cdn import NoCdn
from rillet.adapters.sigstore import SigstoreVerifier, shipped_trusted_root
from rillet.core import attestation as a
from rillet.core.accounts import ApiKey
from rillet.core.errors import PackageRejected
from rillet.core.layout import staging_key
from rillet.core.models import Upload
from rillet.core.oidc import Publisher, publish_limits
from rillet.core.policy import Principal, Scope
from rillet.core.repodata import decode_shard, decode_shard_index
from rillet.runtime import wiring
from rillet.services.attestations import AttestTarget, attest
from tests import fakes
from tests.packages import build_package

NOW_MS = 1_790_000_000_000
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sigstore"
PACKAGE = FIXTURES / "signed-package-2.1.0-hb0f4dca_0.conda"
BUNDLE = FIXTURES / "conda-attestation.sigstore.json"
CHANNEL = "sigstore-example"
SUBDIR = "linux-64"
COMMIT = "193b5bd7d3985809503963ae400594ea16df31cf"
IDENTITY: dict[str, Any] = {
    "provider": "github",
    "issuer": "https://token.actions.githubusercontent.com",
    "claims": {
        "repository": "prefix-dev/sigstore-example",
        "repository_owner_id": "111356225",
        "workflow_ref": "prefix-dev/sigstore-example/.github/workflows/action.yaml@refs/heads/main",
        "ref": "refs/heads/main",
        "sha": COMMIT,
    },
}


class World:
    def __init__(self, c: wiring.Container) -> None:
        self.c = c
        self.publisher = Publisher(
            id="pub1",
            channel=CHANNEL,
            provider="github",
            issuer="https://token.actions.githubusercontent.com",
            owner="prefix-dev",
            owner_id="111356225",
            repository="sigstore-example",
            workflow="action.yaml",
        )
        c.publishers.put(self.publisher)
        self.keys = 0

    def minted(self, identity: dict[str, Any] | None) -> ApiKey:
        """A key as Publishing.mint_token stores it (``identity`` None: minted before
        identities were kept)."""
        self.keys += 1
        key = ApiKey(
            key_id=f"k{self.keys}",
            user="github:prefix-dev/sigstore-example",
            token_hash=f"hash{self.keys}",
            scope=Scope.UPLOAD,
            created_at="2026-11-23T00:00:00Z",
            channels=frozenset({CHANNEL}),
            expires_at=NOW_MS // 1000 + 900,
            kind="minted",
            publish_limits=publish_limits([self.publisher]),
            incarnations={CHANNEL: self.c.catalog.get_channel(CHANNEL).incarnation},
            publisher_identity=identity,
        )
        self.c.directory.put_key(key)
        return key

    def stage(self, path: Path, key: ApiKey, attestation: str | None, upload_id: str) -> str:
        data = path.read_bytes()
        self.c.catalog.put_upload(
            Upload(
                id=upload_id,
                channel=CHANNEL,
                filename=path.name,
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                created_by=key.user,
                created_at="2026-11-23T00:00:00Z",
                expires_at=NOW_MS // 1000 + 900,
                key_id=key.key_id,
                key_hash=key.token_hash,
                incarnation=self.c.catalog.get_channel(CHANNEL).incarnation,
                attestation=attestation,
            )
        )
        self.c.staging.put(
            staging_key(upload_id),
            data,
            content_type="application/octet-stream",
            cache_control="no-store",
        )
        return staging_key(upload_id)

    def ingest(self, key: str) -> Any:
        return self.c.services.ingest.ingest_staged(key)

    def objects(self, prefix: str) -> list[str]:
        return sorted(self.c.channels.keys(prefix))

    def reindex(self) -> None:
        state = self.c.catalog.subdir_state(CHANNEL, SUBDIR)
        fakes.indexing(self.c.catalog, self.c.channels, clock=self.c.clock).reindex(
            CHANNEL, SUBDIR, state.change_seq, full=True
        )


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        p = provision(session, Resources.unique("att"))
        c = fakes.container(
            p.environment("https://conda.example.com", "rlt_admin_services_test_token_0123"),
            session,
            fakes.FixedClock(NOW_MS),
            cdn=NoCdn(),
        )
        c.services.channels.create(Principal("admin", superuser=True), {"name": CHANNEL})
        yield World(c)


def test_a_presigned_upload_with_the_real_bundle_is_published_with_its_sigs(world: World) -> None:
    key = world.minted(IDENTITY)
    outcome = world.ingest(world.stage(PACKAGE, key, BUNDLE.read_text(), "u1"))
    assert (outcome.status, outcome.reason) == ("published", None)

    prefix = f"{CHANNEL}/{SUBDIR}/{PACKAGE.name}"
    document = world.c.channels.read(f"{prefix}.sigs")
    assert document is not None
    digest = hashlib.sha256(document[0]).hexdigest()
    assert json.loads(document[0]) == [json.loads(BUNDLE.read_text())]
    assert world.objects(prefix) == [prefix, f"{prefix}.sigs", f"{prefix}.sigs.{digest}"]
    info = world.c.channels.head(f"{prefix}.sigs.{digest}")
    assert info is not None and info.content_type == "application/json"
    assert info.cache_control is not None and "immutable" in info.cache_control

    stored = world.c.catalog.get_package(CHANNEL, SUBDIR, PACKAGE.name)
    assert stored is not None
    assert stored.record["attestations_sha256"] == digest
    assert stored.record["attestation"]["commit"] == COMMIT

    world.reindex()
    with world.c.channels.open(f"{CHANNEL}/{SUBDIR}/repodata.json") as f:
        record = json.load(f)["packages.conda"][PACKAGE.name]
    assert record["attestations_sha256"] == digest
    assert "attestation" not in record
    with world.c.channels.open(f"{CHANNEL}/{SUBDIR}/repodata_shards.msgpack.zst") as f:
        index = decode_shard_index(f.read())
    shard_digest = index["shards"]["signed-package"].hex()
    with world.c.channels.open(f"{CHANNEL}/{SUBDIR}/shards/{shard_digest}.msgpack.zst") as f:
        shard = decode_shard(f.read())
    # Raw bytes in the shard, as rattler reads sha256 (hex in repodata.json).
    assert shard["packages.conda"][PACKAGE.name]["attestations_sha256"] == bytes.fromhex(digest)

    events, _ = world.c.audit.list(CHANNEL, 10, None)
    upload = next(e for e in events if e.action == "package.upload")
    assert upload.details["attested"] is True
    assert upload.details["attestations_sha256"] == digest


def flipped_signature() -> str:
    bundle = json.loads(BUNDLE.read_text())
    sig = bytearray(base64.b64decode(bundle["dsseEnvelope"]["signatures"][0]["sig"]))
    sig[10] ^= 0xFF
    bundle["dsseEnvelope"]["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    return json.dumps(bundle)


def other_identity(**claims: str) -> dict[str, Any]:
    return {**IDENTITY, "claims": {**IDENTITY["claims"], **claims}}


@pytest.mark.parametrize(
    ("identity", "bundle", "code"),
    [
        (other_identity(ref="refs/tags/v1"), BUNDLE.read_text(), a.IDENTITY_MISMATCH),
        (other_identity(repository="prefix-dev/other"), BUNDLE.read_text(), a.IDENTITY_MISMATCH),
        (None, BUNDLE.read_text(), a.NEEDS_TRUSTED_PUBLISHER),  # an old minted key
        (IDENTITY, flipped_signature(), a.NOT_VERIFIED),
        (IDENTITY, "{not json", a.MALFORMED),
        (
            IDENTITY,
            (FIXTURES / "a.dsse.staging-rekor-v2.txt.sigstore.json").read_text(),
            a.NOT_VERIFIED,
        ),
    ],
)
def test_a_refused_attestation_rejects_the_upload_and_stores_nothing(
    world: World, identity: dict[str, Any] | None, bundle: str, code: str
) -> None:
    key = world.minted(identity)
    outcome = world.ingest(world.stage(PACKAGE, key, bundle, "u1"))
    assert (outcome.status, outcome.reason) == ("rejected", code)
    assert world.c.catalog.get_upload("u1").reason == code
    assert world.c.catalog.get_package(CHANNEL, SUBDIR, PACKAGE.name) is None
    assert world.objects(f"{CHANNEL}/{SUBDIR}/") == []


def test_a_file_without_attestation_gets_an_empty_sigs(world: World, tmp_path: Path) -> None:
    key = world.minted(IDENTITY)  # trusted publishing, but nothing to attest
    plain = build_package(tmp_path, "plain", "1.0", subdir=SUBDIR)
    assert world.ingest(world.stage(plain, key, None, "u1")).status == "published"
    prefix = f"{CHANNEL}/{SUBDIR}/{plain.name}"
    assert world.objects(prefix) == [prefix, f"{prefix}.sigs"]
    document = world.c.channels.read(f"{prefix}.sigs")
    assert document is not None and json.loads(document[0]) == []
    stored = world.c.catalog.get_package(CHANNEL, SUBDIR, plain.name)
    assert stored is not None and "attestations_sha256" not in stored.record


def test_a_package_cannot_claim_an_attestation_in_its_index_json(
    world: World, tmp_path: Path
) -> None:
    """index.json keys are copied into the record, but not these: only a verified upload
    sets them."""
    from rillet.core.package import Limits, read_package
    from rillet.core.records import package_record

    facts = read_package(PACKAGE.open("rb"), PACKAGE.name, Limits(max_package_bytes=1 << 20))
    forged = type(facts)(
        **{
            **facts.__dict__,
            "index": {**facts.index, "attestations_sha256": "00" * 32, "attestation": {}},
        }
    )
    record = package_record(forged)
    assert "attestations_sha256" not in record and "attestation" not in record


def test_presign_keeps_the_bundle_for_a_minted_token_and_refuses_an_api_key(
    world: World,
) -> None:
    data = PACKAGE.read_bytes()
    body = {
        "filename": PACKAGE.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "attestation": json.loads(BUNDLE.read_text()),
    }
    # The operator's key (any credential but a minted token): no publisher to bind to.
    with pytest.raises(PackageRejected) as exc:
        world.c.services.uploads.request(Principal("admin", superuser=True), CHANNEL, body)
    assert exc.value.code == a.NEEDS_TRUSTED_PUBLISHER
    key = world.minted(IDENTITY)
    principal = world.c.services.auth.principal_for_key(key)
    assert principal.publisher_identity == IDENTITY  # kept on the key, through DynamoDB
    ticket = world.c.services.uploads.request(principal, CHANNEL, body)
    kept = world.c.catalog.get_upload(ticket.upload.id).attestation
    assert kept is not None and json.loads(kept) == json.loads(BUNDLE.read_text())
    with pytest.raises(PackageRejected) as exc:
        world.c.services.uploads.request(
            principal, CHANNEL, {**body, "attestation": {"mediaType": "x"}}
        )
    assert exc.value.code == a.MALFORMED


def test_the_verifier_uses_an_operator_trusted_root(tmp_path: Path) -> None:
    """RILLET_SIGSTORE_TRUSTED_ROOT: a root without the signing CA refuses the bundle."""
    root = json.loads(Path(shipped_trusted_root()).read_text())
    root["certificateAuthorities"] = root["certificateAuthorities"][:1]  # the 2021 CA only
    path = tmp_path / "trusted_root.json"
    path.write_text(json.dumps(root))
    principal = Principal("github:x", scope=Scope.UPLOAD, minted=True, publisher_identity=IDENTITY)
    target = AttestTarget(
        CHANNEL, SUBDIR, PACKAGE.name, hashlib.sha256(PACKAGE.read_bytes()).hexdigest()
    )
    assert (
        attest(SigstoreVerifier(), principal, target, BUNDLE.read_text()).summary["commit"]
        == COMMIT
    )
    with pytest.raises(PackageRejected) as exc:
        attest(SigstoreVerifier(str(path)), principal, target, BUNDLE.read_text())
    assert exc.value.code == a.NOT_VERIFIED


@pytest.mark.parametrize("handler", ["api", "validate", "reindex"])
def test_no_handler_imports_sigstore_until_an_attestation_arrives(handler: str) -> None:
    code = f"import sys, functions.{handler}.handler; print('sigstore' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"


def test_copy_carries_the_sigs_and_delete_removes_them(world: World) -> None:
    admin = Principal("admin", superuser=True)
    world.c.services.channels.create(admin, {"name": "dst"})
    key = world.minted(IDENTITY)
    assert world.ingest(world.stage(PACKAGE, key, BUNDLE.read_text(), "u1")).status == "published"
    source = world.c.catalog.get_package(CHANNEL, SUBDIR, PACKAGE.name)
    assert source is not None
    digest = source.record["attestations_sha256"]
    world.c.services.promotion.copy(
        admin,
        "dst",
        {
            "from": CHANNEL,
            "files": [{"subdir": SUBDIR, "filename": PACKAGE.name, "sha256": source.sha256}],
        },
    )
    copied = world.c.catalog.get_package("dst", SUBDIR, PACKAGE.name)
    assert copied is not None and copied.record == source.record
    prefix = f"dst/{SUBDIR}/{PACKAGE.name}"
    original = world.c.channels.read(f"{CHANNEL}/{SUBDIR}/{PACKAGE.name}.sigs")
    assert original is not None
    for path in (f"{prefix}.sigs", f"{prefix}.sigs.{digest}"):
        found = world.c.channels.read(path)
        assert found is not None and found[0] == original[0]

    world.c.services.packages.delete(admin, "dst", SUBDIR, PACKAGE.name)
    assert world.objects(prefix) == []
    assert world.objects(f"{CHANNEL}/{SUBDIR}/{PACKAGE.name}") != []  # the source keeps its own


def test_a_forced_overwrite_without_attestation_serves_an_empty_sigs(world: World) -> None:
    key = world.minted(IDENTITY)
    assert world.ingest(world.stage(PACKAGE, key, BUNDLE.read_text(), "u1")).status == "published"
    prefix = f"{CHANNEL}/{SUBDIR}/{PACKAGE.name}"
    data = PACKAGE.read_bytes()
    world.c.catalog.put_upload(
        Upload(
            id="u2",
            channel=CHANNEL,
            filename=PACKAGE.name,
            sha256=hashlib.sha256(data).hexdigest(),
            size=len(data),
            created_by="admin",
            created_at="2026-11-23T00:00:00Z",
            expires_at=NOW_MS // 1000 + 900,
            force=True,
            incarnation=world.c.catalog.get_channel(CHANNEL).incarnation,
        )
    )
    world.c.staging.put(
        staging_key("u2"), data, content_type="application/octet-stream", cache_control="no-store"
    )
    assert world.ingest(staging_key("u2")).status == "published"
    stored = world.c.catalog.get_package(CHANNEL, SUBDIR, PACKAGE.name)
    assert stored is not None and "attestations_sha256" not in stored.record
    assert world.objects(prefix) == [prefix, f"{prefix}.sigs"]
    document = world.c.channels.read(f"{prefix}.sigs")
    assert document is not None and json.loads(document[0]) == []


def test_a_release_member_keeps_its_attestation_until_the_commit_publishes_it(
    world: World, tmp_path: Path
) -> None:
    """Verified at validation, held with the release, its .sigs written at the commit:
    nothing under the channel before, the same objects and record as a lone upload after."""
    key = world.minted(IDENTITY)
    principal = world.c.services.auth.principal_for_key(key)
    release = world.c.services.releases.open(principal, CHANNEL, {})
    plain = build_package(tmp_path, "plain", "1.0", subdir=SUBDIR)
    tickets = []
    for path, bundle in ((PACKAGE, json.loads(BUNDLE.read_text())), (plain, None)):
        data = path.read_bytes()
        body: dict[str, Any] = {
            "filename": path.name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "subdir": SUBDIR,
            "release": release["id"],
        }
        if bundle is not None:
            body["attestation"] = bundle
        ticket = world.c.services.uploads.request(principal, CHANNEL, body)
        world.c.staging.put(
            staging_key(ticket.upload.id),
            data,
            content_type="application/octet-stream",
            cache_control="no-store",
        )
        tickets.append(ticket)
    for ticket in tickets:
        assert world.ingest(staging_key(ticket.upload.id)).status == "validated"
    assert world.objects(f"{CHANNEL}/{SUBDIR}/") == []  # held: nothing served yet

    outcome = world.c.services.releases.commit(principal, CHANNEL, release["id"])
    assert outcome.code is None, outcome.to_json()
    attested = f"{CHANNEL}/{SUBDIR}/{PACKAGE.name}"
    stored = world.c.catalog.get_package(CHANNEL, SUBDIR, PACKAGE.name)
    assert stored is not None and stored.record["attestation"]["commit"] == COMMIT
    digest = stored.record["attestations_sha256"]
    assert world.objects(attested) == [attested, f"{attested}.sigs", f"{attested}.sigs.{digest}"]
    document = world.c.channels.read(f"{attested}.sigs.{digest}")
    assert document is not None and json.loads(document[0]) == [json.loads(BUNDLE.read_text())]
    empty = world.c.channels.read(f"{CHANNEL}/{SUBDIR}/{plain.name}.sigs")
    assert empty is not None and json.loads(empty[0]) == []

    world.reindex()
    with world.c.channels.open(f"{CHANNEL}/{SUBDIR}/repodata.json") as f:
        records = json.load(f)["packages.conda"]
    assert records[PACKAGE.name]["attestations_sha256"] == digest
    assert "attestations_sha256" not in records[plain.name]
    events, _ = world.c.audit.list(CHANNEL, 20, None)
    entry = next(
        e for e in events if e.action == "package.upload" and e.details["filename"] == PACKAGE.name
    )
    assert entry.details["via"] == "release" and entry.details["attestations_sha256"] == digest


def record_the_old_way(world: World, path: Path) -> str:
    """Publish ``path`` as code from before attestations did: record and file, no ``.sigs``."""
    from rillet.core.layout import package_object_key
    from rillet.core.models import StoredPackage
    from rillet.core.package import Limits, read_package
    from rillet.core.records import package_record

    with path.open("rb") as stream:
        facts = read_package(stream, path.name, Limits(max_package_bytes=1 << 24))
    incarnation = world.c.catalog.get_channel(CHANNEL).incarnation
    package = StoredPackage(
        channel=CHANNEL,
        subdir=SUBDIR,
        filename=path.name,
        record=package_record(facts),
        upload_id=f"old-{path.name}",
        incarnation=incarnation,
    )
    data = path.read_bytes()
    world.c.catalog.put_upload(
        Upload(
            id=package.upload_id,
            channel=CHANNEL,
            filename=path.name,
            sha256=facts.sha256,
            size=len(data),
            created_by="admin",
            created_at="2026-11-23T00:00:00Z",
            expires_at=NOW_MS // 1000 + 900,
            incarnation=incarnation,
        )
    )
    world.c.catalog.claim_package(package)
    key = package_object_key(CHANNEL, SUBDIR, path.name)
    world.c.channels.put(
        key,
        data,
        content_type="application/octet-stream",
        cache_control="public, max-age=31536000, immutable",
    )
    world.c.catalog.publish_package(package, NOW_MS)
    return key


def index_the_old_way(world: World) -> None:
    """The subdir's index as the older indexer left it (no backfill, no flag)."""
    from rillet.core.repodata import build_subdir_index
    from rillet.services.indexing import write_index

    catalog = world.c.catalog
    contents = catalog.subdir_contents(CHANNEL, SUBDIR)
    write_index(
        world.c.channels, CHANNEL, build_subdir_index(SUBDIR, contents.records, contents.removed)
    )
    catalog.mark_indexed(CHANNEL, SUBDIR, catalog.subdir_state(CHANNEL, SUBDIR).change_seq, NOW_MS)
    catalog.clear_changes(CHANNEL, SUBDIR, catalog.pending_changes(CHANNEL, SUBDIR))


@pytest.mark.parametrize("full", [False, True])
def test_files_recorded_before_sigs_existed_answer_empty_after_the_next_reindex(
    world: World, tmp_path: Path, full: bool
) -> None:
    admin = Principal("admin", superuser=True)
    kept, yanked, deleted = (
        record_the_old_way(world, build_package(tmp_path, name, "1.0", subdir=SUBDIR))
        for name in ("kept", "yanked", "deleted")
    )
    index_the_old_way(world)
    for key in (kept, yanked, deleted):
        assert world.c.channels.read(f"{key}.sigs") is None  # 404 until now
    world.c.services.packages.yank(
        admin, CHANNEL, (SUBDIR, yanked.rsplit("/", 1)[1]), {"reason": "broken build"}
    )
    world.c.services.packages.delete(admin, CHANNEL, SUBDIR, deleted.rsplit("/", 1)[1])
    # An attested file published by today's code; an attested record never gets `[]`,
    # even were its `.sigs` missing.
    assert (
        world.ingest(world.stage(PACKAGE, world.minted(IDENTITY), BUNDLE.read_text(), "u1")).status
        == "published"
    )
    attested = f"{CHANNEL}/{SUBDIR}/{PACKAGE.name}.sigs"
    before = world.c.channels.head(attested)
    assert before is not None

    state = world.c.catalog.subdir_state(CHANNEL, SUBDIR)
    assert not state.sigs_backfilled
    result = fakes.indexing(world.c.catalog, world.c.channels, clock=world.c.clock).reindex(
        CHANNEL, SUBDIR, state.change_seq, full=full
    )
    assert (result.rebuilt, result.full, result.sigs_backfilled) == (True, full, 2)

    for key in (kept, yanked):  # a yanked file is still served: it answers `[]` too
        document = world.c.channels.read(f"{key}.sigs")
        assert document is not None and json.loads(document[0]) == []
        info = world.c.channels.head(f"{key}.sigs")
        assert info is not None and info.content_type == "application/json"
    assert world.objects(deleted) == []  # nothing for a deleted file
    after = world.c.channels.head(attested)
    assert after is not None and after.etag == before.etag
    document = world.c.channels.read(attested)
    assert document is not None and json.loads(document[0]) == [json.loads(BUNDLE.read_text())]
    assert world.c.catalog.subdir_state(CHANNEL, SUBDIR).sigs_backfilled


def test_the_backfill_runs_once_per_subdir(world: World, tmp_path: Path) -> None:
    record_the_old_way(world, build_package(tmp_path, "old", "1.0", subdir=SUBDIR))
    world.reindex()
    # A probe: a record without `.sigs` that appears after the backfill (today's code never
    # makes one) stays without it, so the next rebuilds did not read or write for it.
    probe = record_the_old_way(world, build_package(tmp_path, "probe", "1.0", subdir=SUBDIR))
    plain = build_package(tmp_path, "plain", "1.0", subdir=SUBDIR)
    assert world.ingest(world.stage(plain, world.minted(IDENTITY), None, "u1")).status == (
        "published"
    )
    indexing = fakes.indexing(world.c.catalog, world.c.channels, clock=world.c.clock)
    state = world.c.catalog.subdir_state(CHANNEL, SUBDIR)
    result = indexing.reindex(CHANNEL, SUBDIR, state.change_seq)
    assert (result.rebuilt, result.full, result.sigs_backfilled) == (True, False, 0)
    assert indexing.reindex(CHANNEL, SUBDIR, state.change_seq).sigs_backfilled == 0
    assert world.c.channels.read(f"{probe}.sigs") is None


def test_a_new_channel_needs_no_backfill(world: World) -> None:
    assert world.c.catalog.subdir_state(CHANNEL, "noarch").sigs_backfilled
