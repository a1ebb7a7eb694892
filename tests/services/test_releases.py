"""Release transactions (issue 14 item 5) over the real adapters on moto: files presigned
into a release are validated and held, and the commit publishes all of them in one
catalog transaction, or none. Every refusal is proven by its reason code and by what it
leaves behind (nothing visible, nothing served)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local.resources import REGION, Resources, provision
from rillet.adapters import schema
from rillet.adapters.cdn import NoCdn
from rillet.core import releases as rel
from rillet.core.errors import Conflict, Forbidden, InvalidRequest, NotFound, RilletError
from rillet.core.layout import STAGING_EXPIRY_DAYS, package_object_key, staging_key
from rillet.core.models import StoredPackage
from rillet.core.policy import Principal, Role, Scope
from rillet.runtime import settings, wiring
from rillet.services.packages import PackageUpload
from tests import fakes
from tests.packages import build_package

NOW = 1_790_000_000
OPERATOR = Principal("admin", superuser=True)
CH = "rel"


@dataclass
class RecordingQueue:
    calls: list[tuple[str, str, int]] = field(default_factory=list)

    def request_reindex(
        self, channel: str, subdir: str, seq: int, *, full: bool = False, incarnation: Any = None
    ) -> None:
        self.calls.append((channel, subdir, seq))


@dataclass
class World:
    c: wiring.Container
    queue: RecordingQueue
    alice: Principal
    bob: Principal

    @property
    def catalog(self) -> Any:
        return self.c.catalog

    @property
    def clock(self) -> fakes.FixedClock:
        return self.c.clock  # type: ignore[return-value]

    def key(self, name: str) -> Principal:
        _, _, token = self.c.services.keys.create_user(OPERATOR, {"name": name})
        found = self.c.services.auth.authenticate(f"Bearer {token}")
        assert found is not None
        return found

    def open(self, who: Principal | None = None, channel: str = CH) -> str:
        return str(self.c.services.releases.open(who or self.alice, channel, {})["id"])

    def presign(self, release: str, path: Path, who: Principal | None = None, **extra: Any) -> str:
        data = path.read_bytes()
        channel = extra.pop("ch", CH)
        body = {
            "filename": path.name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "subdir": subdir_of(path),
            "release": release,
            **extra,
        }
        ticket = self.c.services.uploads.request(who or self.alice, channel, body)
        return ticket.upload.id

    def put(self, upload_id: str, data: bytes) -> str:
        key = staging_key(upload_id)
        self.c.staging.put(
            key, data, content_type="application/octet-stream", cache_control="no-store"
        )
        return key

    def add(self, release: str, path: Path, data: bytes | None = None) -> str:
        """Presign, PUT and validate one member; returns the upload id."""
        upload_id = self.presign(release, path)
        self.c.services.ingest.ingest_staged(self.put(upload_id, data or path.read_bytes()))
        return upload_id

    def commit(self, release: str, who: Principal | None = None) -> Any:
        return self.c.services.releases.commit(who or self.alice, CH, release)

    def status(self, release: str) -> dict[str, Any]:
        return self.c.services.releases.status(self.alice, CH, release)

    def listed(self, channel: str = CH) -> list[str]:
        found, _ = self.catalog.list_packages(channel, None, None, 1000, None)
        return sorted(f"{p.subdir}/{p.filename}" for p in found)

    def objects(self, channel: str = CH) -> list[str]:
        return sorted(
            k for k in self.c.channels.keys(f"{channel}/") if k.endswith((".conda", ".bz2"))
        )

    def indexed(self, subdir: str) -> list[str]:
        """Rebuild the subdir's index once (no settle window: the clock stands still)."""
        state = self.catalog.subdir_state(CH, subdir)
        fakes.indexing(self.catalog, self.c.channels, clock=self.clock).reindex(
            CH, subdir, state.change_seq
        )
        got = self.c.channels.read(package_object_key(CH, subdir, "repodata.json"))
        if got is None:
            return []
        doc = json.loads(got[0])
        return sorted({**doc.get("packages", {}), **doc.get("packages.conda", {})})

    def actions(self) -> list[str]:
        events, _ = self.c.audit.list(CH, 200, None)
        return sorted(e.action for e in events)


def subdir_of(path: Path) -> str:
    return path.parent.name


@pytest.fixture(scope="module")
def pkgs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("releases")
    out = {}
    for key, name, subdir, files in (
        ("lib", "rellib", "noarch", None),
        ("app", "relapp", "linux-64", None),
        ("tool", "reltool", "linux-64", None),
        ("lib2", "rellib", "noarch", {"share/other.txt": "other bytes\n"}),
    ):
        folder = root / key / subdir
        out[key] = build_package(folder, name, "1.0", subdir=subdir, files=files)
    assert out["lib"].name == out["lib2"].name
    return out


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        p = provision(session, Resources.unique("rel"))
        queue = RecordingQueue()
        c = fakes.container(
            p.environment("https://conda.example.com", "rlt_admin_services_test_token_0123"),
            session,
            fakes.FixedClock(NOW * 1000),
            cdn=NoCdn(),
            reindex_queue=queue,
        )
        w = World(c, queue, alice=None, bob=None)  # type: ignore[arg-type]
        w.alice = w.key("alice")
        w.bob = w.key("bob")
        c.services.channels.create(w.alice, {"name": CH, "visibility": "public"})
        c.services.channels.create(w.alice, {"name": "other", "visibility": "public"})
        c.services.members.set_role(w.alice, CH, "bob", Role.MAINTAINER)
        yield w


def code_of(excinfo: pytest.ExceptionInfo[Any]) -> str:
    return str(excinfo.value.code)


# -- the commit ---------------------------------------------------------------------------
def test_members_are_held_until_the_commit_publishes_all_in_one_rebuild_per_subdir(
    world: World, pkgs: dict[str, Path]
) -> None:
    release = world.open()
    ids = [world.add(release, pkgs[k]) for k in ("lib", "app", "tool")]
    doc = world.status(release)
    assert doc["status"] == "open"
    assert [f["status"] for f in doc["files"]] == ["validated"] * 3
    # Held: no record, no claim, no object under the channel, no index entry, no reindex.
    assert world.listed() == []
    assert world.objects() == []
    assert all(
        world.catalog.get_package(CH, subdir_of(pkgs[k]), pkgs[k].name) is None
        for k in ("lib", "app", "tool")
    )
    assert world.queue.calls == []
    assert world.indexed("linux-64") == [] and world.indexed("noarch") == []
    seq_before = world.catalog.subdir_state(CH, "linux-64").change_seq

    outcome = world.commit(release)
    assert outcome.http_status == 200, outcome.to_json()
    doc = outcome.to_json()
    assert doc["status"] == "committed"
    assert sorted(f["upload_id"] for f in doc["files"]) == sorted(ids)
    assert {f["status"] for f in doc["files"]} == {"published"}
    assert doc["indexed"] is False
    expected = sorted(f"{subdir_of(pkgs[k])}/{pkgs[k].name}" for k in ("lib", "app", "tool"))
    assert world.listed() == expected
    assert world.objects() == sorted(f"{CH}/{x}" for x in expected)
    # One change of linux-64 for its two files: the counter moved once, with both marks.
    assert world.catalog.subdir_state(CH, "linux-64").change_seq == seq_before + 1
    assert sorted(c.filename for c in world.catalog.pending_changes(CH, "linux-64")) == sorted(
        [pkgs["app"].name, pkgs["tool"].name]
    )
    assert sorted((c, s) for c, s, _ in world.queue.calls) == [(CH, "linux-64"), (CH, "noarch")]
    # A single rebuild of each subdir takes in all of the release's files of it.
    assert world.indexed("linux-64") == sorted([pkgs["app"].name, pkgs["tool"].name])
    assert world.indexed("noarch") == [pkgs["lib"].name]
    assert world.status(release)["indexed"] is True
    # The staging objects went; the uploads say published.
    assert [k for k in world.c.staging.keys("uploads/")] == []
    for upload_id in ids:
        assert world.c.services.uploads.status(world.alice, CH, upload_id)["status"] == "published"
    actions = world.actions()
    assert actions.count("release.open") == 1
    assert actions.count("release.commit") == 1
    assert actions.count("package.upload") == 3


def test_a_retried_commit_answers_the_same_and_publishes_nothing_twice(
    world: World, pkgs: dict[str, Path]
) -> None:
    release = world.open()
    world.add(release, pkgs["lib"])
    first = world.commit(release).to_json()
    again = world.commit(release)
    assert again.http_status == 200
    doc = again.to_json()
    assert {k: v for k, v in doc.items() if k != "indexed"} == {
        k: v for k, v in first.items() if k != "indexed"
    }
    assert world.actions().count("release.commit") == 1
    assert world.actions().count("package.upload") == 1
    assert world.listed() == [f"noarch/{pkgs['lib'].name}"]


def test_commit_while_a_member_validates_waits_and_changes_nothing(
    world: World, pkgs: dict[str, Path]
) -> None:
    release = world.open()
    world.add(release, pkgs["lib"])
    pending = world.presign(release, pkgs["app"])  # URL handed out, file not arrived
    outcome = world.commit(release)
    assert outcome.http_status == 409
    body = outcome.to_json()
    assert body["error"] == rel.NOT_READY
    assert sorted(f["status"] for f in body["release"]["files"]) == ["pending", "validated"]
    assert world.status(release)["status"] == "open"
    assert world.listed() == [] and world.objects() == []
    # Once it arrives and validates, the same release commits.
    world.c.services.ingest.ingest_staged(world.put(pending, pkgs["app"].read_bytes()))
    assert world.commit(release).http_status == 200
    assert len(world.listed()) == 2


def test_a_release_whose_third_file_is_bad_publishes_nothing(
    world: World, pkgs: dict[str, Path]
) -> None:
    release = world.open()
    world.add(release, pkgs["lib"])
    world.add(release, pkgs["app"])
    bad = world.presign(release, pkgs["tool"])
    # Other bytes than announced: the validator refuses the file.
    world.c.services.ingest.ingest_staged(world.put(bad, pkgs["app"].read_bytes()))
    assert world.status(release)["files"][0]["status"] in ("validated", "rejected")
    outcome = world.commit(release)
    assert outcome.http_status == 409
    body = outcome.to_json()
    assert body["error"] == rel.MEMBER_REJECTED
    assert pkgs["tool"].name in body["message"]
    assert body["release"]["status"] == "failed"
    assert {f["status"] for f in body["release"]["files"]} == {"rejected"}
    assert world.listed() == [] and world.objects() == []
    assert world.indexed("linux-64") == [] and world.indexed("noarch") == []
    assert [k for k in world.c.staging.keys("uploads/")] == []  # the held members went
    assert world.queue.calls == []
    assert "release.fail" in world.actions()
    # Failed for good: a retry says so, and nothing can join it.
    again = world.commit(release)
    assert again.http_status == 409
    assert again.to_json()["error"] == rel.MEMBER_REJECTED
    with pytest.raises(Conflict) as refused:
        world.presign(release, pkgs["lib2"])
    assert code_of(refused) == rel.NOT_OPEN


def test_a_filename_published_meanwhile_fails_the_commit_and_nothing_is_visible(
    world: World, pkgs: dict[str, Path]
) -> None:
    release = world.open()
    world.add(release, pkgs["app"])
    world.add(release, pkgs["lib"])
    # Someone else publishes lib (other bytes, same filename) before the commit.
    data = pkgs["lib2"].read_bytes()
    world.c.services.packages.upload(
        OPERATOR, CH, PackageUpload(pkgs["lib2"].name, data, hashlib.sha256(data).hexdigest())
    )
    outcome = world.commit(release)
    assert outcome.http_status == 409
    body = outcome.to_json()
    assert body["error"] == rel.CONFLICT
    assert f"noarch/{pkgs['lib'].name}" in body["message"]
    assert body["release"]["status"] == "failed"
    assert world.listed() == [f"noarch/{pkgs['lib'].name}"]  # only the other upload's
    assert world.objects() == [f"{CH}/noarch/{pkgs['lib'].name}"]
    with world.c.channels.open(f"{CH}/noarch/{pkgs['lib'].name}") as f:
        assert f.read() == data  # their bytes, untouched
    assert world.catalog.get_package(CH, "linux-64", pkgs["app"].name) is None


@dataclass
class Overtaken:
    """A catalog where another upload takes a claimed filename just before the commit's
    transaction (an owner's forced overwrite): the transaction must fail as a whole."""

    inner: Any
    victim: str

    def publish_release(self, release: Any, packages: list[StoredPackage], now_ms: int) -> None:
        for p in packages:
            if p.filename == self.victim:
                self.inner.replace_package(replace(p, upload_id="intruder"), p.upload_id)
        self.inner.publish_release(release, packages, now_ms)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_conflict_in_the_transaction_leaves_nothing_visible_and_removes_the_copies(
    world: World, pkgs: dict[str, Path]
) -> None:
    release = world.open()
    world.add(release, pkgs["app"])
    world.add(release, pkgs["tool"])
    world.add(release, pkgs["lib"])
    service = replace(
        world.c.services.releases, catalog=Overtaken(world.catalog, pkgs["tool"].name)
    )
    outcome = service.commit(world.alice, CH, release)
    assert outcome.http_status == 409
    body = outcome.to_json()
    assert body["error"] == rel.CONFLICT
    assert f"linux-64/{pkgs['tool'].name}" in body["message"]
    assert world.listed() == []  # nothing of the release became visible
    for p in (
        world.catalog.get_package(CH, "linux-64", pkgs["app"].name),
        world.catalog.get_package(CH, "noarch", pkgs["lib"].name),
    ):
        assert p is None  # claims taken back
    # The copies of the files nobody else holds are gone.
    assert f"{CH}/linux-64/{pkgs['app'].name}" not in world.objects()
    assert f"{CH}/noarch/{pkgs['lib'].name}" not in world.objects()
    assert world.catalog.pending_changes(CH, "linux-64") == []
    assert world.indexed("linux-64") == [] and world.indexed("noarch") == []
    assert world.status(release)["status"] == "failed"


def test_a_second_commit_while_one_is_in_progress_is_refused(
    world: World, pkgs: dict[str, Path]
) -> None:
    release = world.open()
    world.add(release, pkgs["lib"])
    assert world.catalog.begin_commit(release, 1, NOW, rel.COMMIT_LEASE_SECONDS)
    assert not world.catalog.begin_commit(release, 1, NOW, rel.COMMIT_LEASE_SECONDS)
    outcome = world.commit(release)
    assert outcome.http_status == 409
    assert outcome.to_json()["error"] == rel.COMMITTING
    assert world.listed() == []
    # A commit killed mid-way is taken over once its lease passed.
    world.clock.ms += (rel.COMMIT_LEASE_SECONDS + 1) * 1000
    assert world.commit(release).http_status == 200
    assert world.listed() == [f"noarch/{pkgs['lib'].name}"]


# -- who may add and commit ----------------------------------------------------------------
def test_only_the_releases_credential_may_add_to_or_commit_it(
    world: World, pkgs: dict[str, Path]
) -> None:
    release = world.open()
    world.add(release, pkgs["lib"])
    # Another member of the channel cannot slip a file in, nor commit or abort it.
    with pytest.raises(Forbidden) as refused:
        world.presign(release, pkgs["app"], who=world.bob)
    assert code_of(refused) == rel.NOT_CREATOR
    with pytest.raises(Forbidden) as refused:
        world.commit(release, who=world.bob)
    assert code_of(refused) == rel.NOT_CREATOR
    with pytest.raises(Forbidden):
        world.c.services.releases.abort(world.bob, CH, release)
    # Nor can another key of the same user (e.g. one handed to a CI system).
    _, token = world.c.services.keys.create_key(world.alice, {"description": "ci"})
    other_key = world.c.services.auth.authenticate(f"Bearer {token}")
    assert other_key is not None and other_key.user == "alice"
    with pytest.raises(Forbidden) as refused:
        world.presign(release, pkgs["app"], who=other_key)
    assert code_of(refused) == rel.NOT_CREATOR
    assert [f["filename"] for f in world.status(release)["files"]] == [pkgs["lib"].name]


def minted(publisher_id: str, key_id: str) -> Principal:
    return Principal(
        user="github:acme/app",
        scope=Scope.UPLOAD,
        channels=frozenset({CH}),
        key_id=key_id,
        minted=True,
        publish_limits={
            CH: [{"publisher": {"id": publisher_id}, "name_patterns": [], "subdirs": []}]
        },
    )


def test_a_release_belongs_to_a_trusted_publisher_not_to_one_token() -> None:
    same = rel.creator_of(minted("pub_a", "k1"), CH)
    assert rel.creator_of(minted("pub_a", "k2"), CH) == same  # another job of the workflow
    assert rel.creator_of(minted("pub_b", "k1"), CH) != same  # another repository
    assert rel.creator_of(Principal("alice", key_id="k1"), CH) != same
    assert rel.creator_of(Principal("alice", key_id="k1"), CH) != rel.creator_of(
        Principal("alice", key_id="k2"), CH
    )


def test_a_token_minted_for_another_publisher_cannot_commit(
    world: World, pkgs: dict[str, Path]
) -> None:
    release = world.open(who=minted("pub_a", "k1"))
    with pytest.raises(Forbidden) as refused:
        world.commit(release, who=minted("pub_b", "k9"))
    assert code_of(refused) == rel.NOT_CREATOR
    with pytest.raises(NotFound):  # and cannot even read it
        world.c.services.releases.status(minted("pub_b", "k9"), CH, release)
    doc = world.c.services.releases.status(minted("pub_a", "k2"), CH, release)
    assert doc["status"] == "open"


# -- what may join ------------------------------------------------------------------------
def refusal(call: Any) -> tuple[type[RilletError], str]:
    """(error type, reason code) of a call that must be refused."""
    try:
        call()
    except RilletError as exc:
        return type(exc), exc.code
    raise AssertionError("not refused")


def test_presign_refusals_name_the_reason(world: World, pkgs: dict[str, Path]) -> None:
    release = world.open()
    world.presign(release, pkgs["lib"])
    foreign = world.open(channel="other")
    data = pkgs["app"].read_bytes()
    body = {
        "filename": pkgs["app"].name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "subdir": "linux-64",
        "release": release,
    }
    small = replace(world.c.services.uploads, max_release_files=1)
    assert refusal(lambda: world.presign("0" * 32, pkgs["app"])) == (NotFound, rel.NOT_FOUND)
    # Another channel's release reads as unknown.
    assert refusal(lambda: world.presign(foreign, pkgs["app"])) == (NotFound, rel.NOT_FOUND)
    assert refusal(lambda: world.presign(release, pkgs["lib"])) == (Conflict, rel.DUPLICATE)
    assert refusal(lambda: world.presign(release, pkgs["app"], subdir=None)) == (
        InvalidRequest,
        rel.NEEDS_SUBDIR,
    )
    assert refusal(lambda: world.presign(release, pkgs["app"], force=True)) == (
        InvalidRequest,
        rel.NO_FORCE,
    )
    assert refusal(lambda: small.request(world.alice, CH, body)) == (Conflict, rel.FULL)
    world.clock.ms = (NOW + rel.DEFAULT_RELEASE_TTL_SECONDS) * 1000
    assert refusal(lambda: world.presign(release, pkgs["app"])) == (Conflict, rel.EXPIRED)
    assert [f["filename"] for f in world.status(release)["files"]] == [pkgs["lib"].name]


def test_the_catalog_refuses_a_member_past_the_limit_even_when_the_checks_raced(
    world: World, pkgs: dict[str, Path]
) -> None:
    release = world.open()
    world.presign(release, pkgs["lib"])
    stale = world.catalog.get_release(release)  # as read before another presign won
    racing = replace(world.c.services.uploads, max_release_files=2)
    world.presign(release, pkgs["app"])

    class Stale:
        def get_release(self, _: str) -> Any:
            return stale

        def __getattr__(self, name: str) -> Any:
            return getattr(world.catalog, name)

    data = pkgs["tool"].read_bytes()
    with pytest.raises(Conflict) as refused:
        replace(racing, catalog=Stale()).request(
            world.alice,
            CH,
            {
                "filename": pkgs["tool"].name,
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "subdir": "linux-64",
                "release": release,
            },
        )
    assert code_of(refused) in (rel.FULL, "release-changed")
    assert len(world.catalog.get_release(release).files) == 2


# -- expiry and abort ---------------------------------------------------------------------
def test_an_uncommitted_release_expires_and_leaves_nothing_behind(
    world: World, pkgs: dict[str, Path]
) -> None:
    release = world.open()
    ids = [world.add(release, pkgs[k]) for k in ("lib", "app")]
    world.clock.ms = (NOW + rel.DEFAULT_RELEASE_TTL_SECONDS) * 1000
    assert world.status(release)["status"] == "expired"
    outcome = world.commit(release)
    assert outcome.http_status == 409
    assert outcome.to_json()["error"] == rel.EXPIRED
    assert world.listed() == [] and world.objects() == []
    assert world.queue.calls == []
    # What it left is its own items and staging objects, and each of those expires by
    # itself: the items by TTL, the objects by the staging bucket's lifecycle rule.
    client = world.c.session.client("dynamodb")
    items = client.scan(TableName=world.c.settings.table_name)["Items"]
    keys = [schema.release_key(release), *(schema.upload_key(u) for u in ids)]
    mine = [i for i in items if {"pk": i["pk"]["S"], "sk": i["sk"]["S"]} in keys]
    assert len(mine) == 3
    assert all(schema.TTL_ATTRIBUTE in i for i in mine)
    kinds = {schema.kind_of(i["pk"]["S"], i["sk"]["S"]) for i in items}
    assert not kinds & {schema.PACKAGE, schema.CHANGE, schema.REMOVED}
    assert sorted(world.c.staging.keys("uploads/")) == sorted(staging_key(u) for u in ids)
    # The lifecycle rule (infra/aws) keeps an object at least this long: a release can
    # never outlive its members' bytes, and they go soon after it expires.
    assert rel.MAX_RELEASE_TTL_SECONDS <= STAGING_EXPIRY_DAYS * 24 * 3600


def test_a_file_arriving_for_an_aborted_release_is_dropped(
    world: World, pkgs: dict[str, Path]
) -> None:
    release = world.open()
    world.add(release, pkgs["lib"])
    late = world.presign(release, pkgs["app"])
    doc = world.c.services.releases.abort(world.alice, CH, release)
    assert doc["status"] == "failed" and doc["reason"] == rel.ABORTED
    world.c.services.ingest.ingest_staged(world.put(late, pkgs["app"].read_bytes()))
    status = world.c.services.uploads.status(world.alice, CH, late)
    assert status["status"] == "rejected"
    assert status["reason"] in (rel.ABORTED, rel.CLOSED)
    assert list(world.c.staging.keys("uploads/")) == []
    assert world.listed() == [] and world.objects() == []
    assert world.commit(release).http_status == 409
    with pytest.raises(Conflict):
        world.c.services.releases.abort(world.alice, CH, release)


def test_a_member_whose_staged_bytes_are_gone_fails_the_commit_cleanly(
    world: World, pkgs: dict[str, Path]
) -> None:
    release = world.open()
    world.add(release, pkgs["lib"])
    gone = world.add(release, pkgs["app"])
    world.c.staging.delete(staging_key(gone))  # e.g. the lifecycle rule took it
    outcome = world.commit(release)
    assert outcome.http_status == 409
    body = outcome.to_json()
    assert body["error"] == "release-member-missing"
    assert f"linux-64/{pkgs['app'].name}" in body["message"]
    assert world.listed() == [] and world.objects() == []
    assert world.catalog.get_package(CH, "noarch", pkgs["lib"].name) is None  # claim released


def test_an_empty_release_cannot_commit_but_stays_open(world: World) -> None:
    release = world.open()
    outcome = world.commit(release)
    assert outcome.http_status == 409
    assert outcome.to_json()["error"] == rel.EMPTY
    assert world.status(release)["status"] == "open"


def test_the_release_ttl_setting_cannot_outlive_the_staged_bytes() -> None:
    env = {
        settings.TABLE_NAME: "t",
        settings.CHANNELS_BUCKET: "c",
        settings.STAGING_BUCKET: "s",
        settings.REINDEX_QUEUE_URL: "q",
        settings.PUBLIC_URL: "https://conda.example.com",
        settings.ADMIN_TOKEN: "x",
    }
    assert settings.Settings.from_env(env).release_ttl == rel.DEFAULT_RELEASE_TTL_SECONDS
    assert settings.Settings.from_env({**env, settings.RELEASE_TTL: "60"}).release_ttl == 60
    with pytest.raises(settings.SettingsError):
        settings.Settings.from_env({**env, settings.RELEASE_TTL: str(2 * 24 * 3600)})


def test_a_file_added_while_the_commit_judged_the_others_is_not_left_out(
    world: World, pkgs: dict[str, Path]
) -> None:
    release = world.open()
    world.add(release, pkgs["lib"])
    stale = world.catalog.get_release(release)  # what the commit read...
    world.add(release, pkgs["app"])  # ...before this member joined

    @dataclass
    class Stale:
        inner: Any
        reads: int = 0

        def get_release(self, release_id: str) -> Any:
            self.reads += 1
            return stale if self.reads == 1 else self.inner.get_release(release_id)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

    service = replace(world.c.services.releases, catalog=Stale(world.catalog))
    outcome = service.commit(world.alice, CH, release)
    assert outcome.http_status == 409
    assert outcome.to_json()["error"] == rel.NOT_READY
    assert len(outcome.to_json()["release"]["files"]) == 2
    assert world.listed() == []
    assert world.commit(release).http_status == 200
    assert len(world.listed()) == 2


def test_a_release_of_a_deleted_channel_is_unknown_to_its_successor(
    world: World, pkgs: dict[str, Path]
) -> None:
    release = world.open(channel="other")
    world.c.services.channels.delete(world.alice, "other")
    world.c.services.channels.create(world.alice, {"name": "other", "visibility": "public"})
    assert refusal(lambda: world.presign(release, pkgs["lib"], ch="other")) == (
        NotFound,
        rel.NOT_FOUND,
    )
    assert refusal(lambda: world.c.services.releases.commit(world.alice, "other", release)) == (
        NotFound,
        rel.NOT_FOUND,
    )


def test_a_release_never_publishes_part_of_its_files(world: World, pkgs: dict[str, Path]) -> None:
    mine = world.open()
    world.add(mine, pkgs["lib"])
    other = world.open()
    foreign = world.add(other, pkgs["app"])
    stored = world.catalog.get_release(mine)
    # A member the release names but that is not its upload (or is gone): no commit.
    tampered = replace(stored, files={**stored.files, "linux-64/x-1-0.conda": foreign})

    @dataclass
    class Tampered:
        inner: Any

        def get_release(self, release_id: str) -> Any:
            return tampered if release_id == mine else self.inner.get_release(release_id)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

    service = replace(world.c.services.releases, catalog=Tampered(world.catalog))
    outcome = service.commit(world.alice, CH, mine)
    assert outcome.http_status == 409
    assert outcome.to_json()["error"] == "release-member-missing"
    assert world.listed() == [] and world.objects() == []
