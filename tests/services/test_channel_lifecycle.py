"""Channel lifetimes on moto: deletes racing uploads and rebuilds, re-created names.

Every interleaving is driven by hand (a hook runs the delete at the exact step),
so each test is one deterministic schedule of a race.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rillet.adapters import schema
from rillet.adapters.cdn import NoCdn
from rillet.adapters.directory import DynamoAuditLog, DynamoDirectory
from rillet.adapters.dynamodb import DynamoCatalog
from rillet.adapters.edge import DynamoEdgeView
from rillet.adapters.publishers import DynamoPublishers
from rillet.adapters.s3 import S3ObjectStore
from rillet.adapters.sqs import SqsReindexQueue
from rillet.core.access import decide_read
from rillet.core.accounts import ApiKey, AuditEvent, Grant
from rillet.core.errors import Conflict, Forbidden, InvalidRequest, NotFound, Unauthenticated
from rillet.core.layout import staging_key
from rillet.core.oidc import Publisher, publish_limits
from rillet.core.policy import Action, Principal, Scope
from rillet.core.tokens import token_hash
from rillet.runtime import wiring
from rillet.services.channels import DELETE_LEASE_SECONDS
from rillet.services.indexing import ReindexResult
from rillet.services.packages import PackageUpload
from tests import fakes
from tests.packages import build_package
from tests.table_items import keys_naming

NOW = 1_790_000_000
NOW_MS = NOW * 1000
ALICE = Principal("alice", scope=Scope.ADMIN)
SECRET = "rlttpMintedSecret0123456789"
BOB = Principal("bob", scope=Scope.ADMIN)


class Presigner:
    """Hands out a URL; the tests put the staged bytes themselves."""

    def presign_put(
        self, key: str, *, size: int, sha256_hex: str, content_type: str, expires_in: int
    ) -> tuple[str, dict[str, str]]:
        return f"https://staging.invalid/{key}", {}


@dataclass
class World:
    catalog: DynamoCatalog
    directory: DynamoDirectory
    audit: DynamoAuditLog
    channels: S3ObjectStore
    staging: S3ObjectStore
    queue: SqsReindexQueue
    sqs: Any
    ddb: Any
    queue_url: str
    table: str
    publishers: DynamoPublishers
    c: wiring.Container

    def services(self, **ports: Any) -> wiring.Services:
        """The services over the world's ports, these replaced (e.g. a hooked catalog)."""
        return self.c.with_ports(**ports).services if ports else self.c.services

    def create(self, name: str, who: Principal, visibility: str = "private") -> str:
        channel = self.c.services.channels.create(who, {"name": name, "visibility": visibility})
        return channel.incarnation

    def delete(self, name: str, who: Principal) -> None:
        self.c.services.channels.delete(who, name)

    def request(self, channel: str, who: Principal, path: Path, upload_id: str) -> str:
        """An upload intent as the API hands it out, and its bytes in the staging bucket."""
        data = path.read_bytes()
        self.c.ids.uploads.append(upload_id)  # type: ignore[attr-defined]
        self.c.services.uploads.request(
            who,
            channel,
            {"filename": path.name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)},
        )
        key = staging_key(upload_id)
        self.staging.put(key, data, content_type="application/octet-stream", cache_control="x")
        return key

    def ingest(self, key: str) -> Any:
        return self.c.services.ingest.ingest_staged(key)

    def messages(self) -> list[dict[str, Any]]:
        """Take every queued reindex message off the queue, in order (not yet run)."""
        out: list[dict[str, Any]] = []
        while True:
            msgs = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not msgs:
                return out
            for m in msgs:
                out.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])

    def run(self, body: dict[str, Any], catalog: Any = None, store: Any = None) -> ReindexResult:
        """One message, as functions/reindex delivers it."""
        ports = {"catalog": catalog, "channels": store}
        indexing = self.services(**{k: v for k, v in ports.items() if v is not None}).indexing
        # No settle window: this world's clock stands still, and the message is run at once.
        indexing = dataclasses.replace(indexing, settle=None)
        return indexing.reindex(
            body["channel"],
            body["subdir"],
            body["seq"],
            full=body.get("full") is True,
            incarnation=body.get("incarnation"),
        )

    def drain(self) -> list[ReindexResult]:
        return [self.run(b) for b in self.messages()]

    def keys(self, prefix: str) -> list[str]:
        return sorted(self.channels.keys(prefix))

    def repodata(self, channel: str, subdir: str = "noarch") -> dict[str, Any]:
        found = self.channels.read(f"{channel}/{subdir}/repodata.json")
        assert found is not None
        return dict(json.loads(found[0]))

    def items(self, channel: str) -> list[dict[str, str]]:
        """The keys of every item that names ``channel`` (upload intents aside)."""
        return keys_naming(self.ddb.scan(TableName=self.table)["Items"], channel)

    def anonymous_read(self, path: str) -> int:
        view = DynamoEdgeView(self.ddb, self.table)
        return decide_read(path, {}, view, NOW).status

    def audit_actions(self, channel: str, who: Principal) -> list[str]:
        events, _ = self.c.services.packages.read_audit(who, channel, limit=100, cursor=None)
        return [e.action for e in events]


@pytest.fixture
def world() -> Iterator[World]:
    with fakes.provisioned("life", fakes.FixedClock(NOW_MS), presigner=Presigner()) as (p, c):
        w = World(
            catalog=c.catalog,
            directory=c.directory,
            audit=c.audit,
            channels=c.channels,
            staging=c.staging,
            queue=c.reindex_queue,
            sqs=c.session.client("sqs"),
            ddb=c.dynamodb,
            queue_url=p.reindex_queue_url,
            table=p.names.table,
            publishers=c.publishers,
            c=c,
        )
        yield w


@pytest.fixture(scope="module")
def pkgs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("life")


def published(w: World, channel: str, path: Path, upload_id: str, who: Principal) -> None:
    outcome = w.ingest(w.request(channel, who, path, upload_id))
    assert outcome.status == "published", outcome


# -- item 3: what was issued for one incarnation never acts on another -----------------


def test_an_old_upload_intent_cannot_publish_into_a_recreated_channel(
    world: World, pkgs: Path
) -> None:
    world.create("chan", ALICE)
    path = build_package(pkgs / "old", "oldpkg", "1.0")
    key = world.request("chan", ALICE, path, "u-old")  # alice's URL, not yet used
    world.delete("chan", ALICE)
    world.create("chan", BOB, visibility="public")

    outcome = world.ingest(key)  # the PUT arrives late
    assert (outcome.status, outcome.reason) == ("rejected", "channel-replaced")
    assert world.catalog.get_upload("u-old").reason == "channel-replaced"
    assert world.catalog.get_package("chan", "noarch", path.name) is None
    assert not any("oldpkg" in k for k in world.keys("chan/"))
    assert path.name not in json.dumps(world.repodata("chan"))
    assert world.audit_actions("chan", BOB) == []
    assert world.messages() == []


def test_an_upload_racing_the_delete_is_refused_and_leaves_no_file(
    world: World, pkgs: Path
) -> None:
    """The delete lands between the intent check and the record's commit."""
    world.create("chan", ALICE)
    path = build_package(pkgs / "race", "racer", "1.0")
    key = world.request("chan", ALICE, path, "u-race")
    catalog = world.catalog
    real = catalog.claim_package

    def claim_then_delete(package: Any) -> None:
        real(package)
        world.delete("chan", ALICE)  # right after the claim, before the copy and publish

    catalog.claim_package = claim_then_delete  # type: ignore[method-assign]
    try:
        outcome = world.ingest(key)
    finally:
        del catalog.claim_package
    assert (outcome.status, outcome.reason) == ("rejected", "channel-not-found")
    assert world.keys("chan/") == []  # the copied file was taken back
    assert world.items("chan") == [schema.channel_key("chan")]  # the tombstone only
    world.create("chan", BOB)  # the name is free
    assert world.catalog.get_package("chan", "noarch", path.name) is None


def test_audit_of_a_recreated_channel_shows_only_its_own_entries(world: World, pkgs: Path) -> None:
    old = world.create("chan", ALICE)
    published(world, "chan", build_package(pkgs / "a1", "auditone", "1.0"), "a1", ALICE)
    assert world.audit_actions("chan", ALICE) == ["package.upload"]
    world.delete("chan", ALICE)
    world.create("chan", BOB)
    assert world.audit_actions("chan", BOB) == []
    # A late write of the old incarnation (a slow upload's audit entry) does not land here.
    world.audit.append(
        AuditEvent("chan", "2026-12-01T00:00:09Z", "alice", "package.upload", {}, old)
    )
    assert world.audit_actions("chan", BOB) == []
    # Its own entries page correctly, and a cursor of another log is refused.
    for i in range(3):
        published(world, "chan", build_package(pkgs / f"b{i}", f"bobpkg{i}", "1.0"), f"b{i}", BOB)
    first, cursor = world.audit.list("chan", 2, None)
    assert len(first) == 2 and cursor is not None
    rest, end = world.audit.list("chan", 2, cursor)
    assert len(rest) == 1 and end is None
    assert {e.details["filename"] for e in first + rest} == {
        f"bobpkg{i}-1.0-h0_0.conda" for i in range(3)
    }
    world.audit.append(AuditEvent("other", "t", "x", "y", {}))  # no such channel: dropped
    forged = json.loads(base64.urlsafe_b64decode(cursor))
    forged["pk"] = {"S": schema.audit_pk("chan")}  # the log of the channel's first incarnation
    with pytest.raises(InvalidRequest):
        world.audit.list("chan", 2, base64.urlsafe_b64encode(json.dumps(forged).encode()).decode())


def test_a_minted_token_acts_only_on_its_incarnation(world: World, pkgs: Path) -> None:
    old = world.create("chan", ALICE)
    publisher = Publisher(
        id="pub1",
        channel="chan",
        provider="github",
        issuer="https://token.actions.githubusercontent.com",
        owner="octo",
        repository="widgets",
        workflow="release.yml",
    )
    world.publishers.put(publisher, old)
    minted = ApiKey(
        key_id="tp1",
        user="github:octo/widgets",
        token_hash=token_hash(SECRET),
        scope=Scope.UPLOAD,
        created_at="t",
        channels=frozenset({"chan"}),
        expires_at=NOW + 900,
        kind="minted",
        publish_limits=publish_limits([publisher]),
        incarnations={"chan": old},
    )
    world.directory.put_key(minted, ttl=NOW + 9000)

    def token() -> Principal:
        found = world.c.services.auth.authenticate(f"Bearer {SECRET}")
        assert found is not None
        return found

    assert token().incarnations == {"chan": old}
    world.c.services.guard.authorize(token(), "chan", Action.UPLOAD)  # its own: yes
    world.delete("chan", ALICE)
    world.create("chan", BOB, visibility="public")
    # The delete took the publisher with it, so the token is dead outright ...
    with pytest.raises(Unauthenticated):
        token()
    # ... and even a publisher of the same id in the new channel (ids are random; this
    # stands for any way the old rule could survive) grants nothing there.
    new = world.catalog.get_channel("chan").incarnation
    world.publishers.put(publisher, new)
    with pytest.raises(Forbidden) as refused:
        world.c.services.guard.authorize(token(), "chan", Action.UPLOAD)
    assert refused.value.code == "channel-replaced"
    with pytest.raises(Forbidden):
        world.request("chan", token(), build_package(pkgs / "tp", "tpold"), "tp-u")


def test_a_channel_scoped_key_gains_nothing_in_a_recreated_channel(world: World) -> None:
    world.create("chan", ALICE)
    scoped = Principal("alice", scope=Scope.ADMIN, channels=frozenset({"chan"}))
    alice_key = hashlib.sha256(b"alice-key").hexdigest()
    world.delete("chan", ALICE)
    # A key alice created while the delete ran wrote a grant for the dying channel.
    world.directory.put_grants([Grant("chan", alice_key, None, "alice", "k1")])
    world.create("chan", BOB)
    with pytest.raises(NotFound):  # her membership went with the old channel
        world.c.services.guard.authorize(scoped, "chan", Action.READ)
    with pytest.raises(Forbidden):
        world.c.services.guard.authorize(scoped, "chan", Action.UPLOAD)
    assert [g.user for g in world.directory.channel_grants("chan")] == []  # bob has no keys
    view = DynamoEdgeView(world.ddb, world.table)
    assert view.get(f"r:chan:{alice_key}") is None


# -- item 5: a delete is atomic for readers --------------------------------------------


def test_a_reindex_after_the_delete_writes_nothing_and_blocks_no_name(
    world: World, pkgs: Path
) -> None:
    world.create("chan", ALICE)
    published(world, "chan", build_package(pkgs / "p", "secretpkg", "1.0"), "p1", ALICE)
    pending = world.messages()
    assert pending
    world.delete("chan", ALICE)
    # The owner's full rebuild requests and the upload's message arrive late.
    late = [*pending, {**pending[0], "full": True}, {**pending[0], "subdir": "linux-64"}]
    assert all(world.run(b).stale for b in late)
    assert world.keys("chan/") == []
    assert world.items("chan") == [schema.channel_key("chan")]  # no counters came back
    assert world.anonymous_read("/chan/noarch/repodata.json") == 401  # not forwarded
    # The name is free, and its index is its own.
    world.create("chan", BOB, visibility="public")
    assert world.repodata("chan")["packages.conda"] == {}
    assert all(world.run(b).stale for b in late)  # the old messages, once more
    assert world.repodata("chan")["packages.conda"] == {}
    assert world.catalog.subdirs("chan") == ["noarch"]


def test_delete_between_reading_records_and_writing_the_index(world: World, pkgs: Path) -> None:
    world.create("chan", ALICE)
    path = build_package(pkgs / "mid", "midsecret", "1.0")
    published(world, "chan", path, "m1", ALICE)
    (body,) = world.messages()
    catalog = world.catalog
    real = catalog.changed_contents

    def read_then_replace(*args: Any, **kwargs: Any) -> Any:
        seen = real(*args, **kwargs)  # the rebuild has read alice's record ...
        world.delete("chan", ALICE)  # ... then the channel goes, and bob takes the name
        world.create("chan", BOB, visibility="public")
        return seen

    catalog.changed_contents = read_then_replace  # type: ignore[method-assign]
    try:
        result = world.run(body)
    finally:
        del catalog.changed_contents
    assert result.stale and not result.rebuilt
    assert world.repodata("chan")["packages.conda"] == {}
    assert not any("midsecret" in k for k in world.keys("chan/"))
    shards = [k for k in world.keys("chan/noarch/") if k.endswith(".msgpack.zst")]
    for key in shards:  # only bob's own (empty) index objects
        found = world.channels.read(key)
        assert found is not None and b"midsecret" not in found[0]
    assert world.catalog.subdir_state("chan", "noarch").indexed_seq == 0


def test_delete_between_the_check_and_the_pointer_write_is_taken_back(
    world: World, pkgs: Path
) -> None:
    """The worst timing: the rebuild passed every check, the delete and a re-creation
    ran, and only then does the rebuild's repodata.json reach the bucket."""
    world.create("chan", ALICE)
    published(world, "chan", build_package(pkgs / "late", "latesecret", "1.0"), "l1", ALICE)
    (body,) = world.messages()
    store = world.channels
    real_put = store.put
    fired: list[bool] = []

    def put(key: str, data: bytes, **kwargs: Any) -> bool:
        if key.endswith("/repodata.json") and not fired:
            fired.append(True)
            world.delete("chan", ALICE)
            world.create("chan", BOB, visibility="public")
        return bool(real_put(key, data, **kwargs))

    store.put = put  # type: ignore[assignment]
    try:
        result = world.run(body)
    finally:
        del store.put
    assert fired and result.stale
    assert world.repodata("chan")["packages.conda"] == {}  # bob's, rebuilt from his records
    assert not any(b"latesecret" in (store.read(k) or (b"",))[0] for k in world.keys("chan/"))
    # Same timing with no re-creation: nothing of the deleted channel stays in the bucket.
    world.delete("chan", BOB)
    world.create("chan", ALICE)
    published(world, "chan", build_package(pkgs / "late2", "latesecret2", "1.0"), "l2", ALICE)
    (body,) = world.messages()
    fired.clear()

    def put_then_delete(key: str, data: bytes, **kwargs: Any) -> bool:
        if key.endswith("/repodata.json") and not fired:
            fired.append(True)
            world.delete("chan", ALICE)
        return bool(real_put(key, data, **kwargs))

    store.put = put_then_delete  # type: ignore[assignment]
    try:
        assert world.run(body).stale
    finally:
        del store.put
    assert world.keys("chan/") == []


def test_an_interrupted_delete_never_sticks_the_name(world: World, pkgs: Path) -> None:
    inc = world.create("chan", ALICE)
    published(world, "chan", build_package(pkgs / "crash", "crashpkg", "1.0"), "c1", ALICE)
    world.catalog.begin_delete("chan", inc, NOW)  # ... and the API function died here
    with pytest.raises(NotFound):
        world.c.services.channels.get(ALICE, "chan")
    assert "chan" not in [c.name for c in world.catalog.list_channels()]
    with pytest.raises(Conflict):  # not while the delete may still be running
        world.create("chan", BOB)
    # The owner may finish it ...
    world.delete("chan", ALICE)
    assert world.keys("chan/") == []
    world.create("chan", BOB)
    # ... or, past the lease, the next creator of the name does.
    inc = world.catalog.get_channel("chan").incarnation
    world.catalog.begin_delete("chan", inc, NOW)
    with pytest.raises(Conflict):
        world.create("chan", ALICE)
    world.c.clock.ms = (NOW + DELETE_LEASE_SECONDS + 1) * 1000  # type: ignore[attr-defined]
    world.create("chan", ALICE)
    assert world.catalog.get_channel("chan").owner == "alice"
    assert world.directory.get_role("chan", "bob") is None


def test_a_package_delete_racing_a_recreation_leaves_the_new_channel_alone(
    world: World, pkgs: Path
) -> None:
    world.create("chan", ALICE)
    path = build_package(pkgs / "pd", "shared", "1.0")
    published(world, "chan", path, "pd1", ALICE)
    world.messages()
    catalog = world.catalog
    real = catalog.remove_package

    def replaced_first(*args: Any) -> int:
        world.delete("chan", ALICE)
        world.create("chan", BOB, visibility="public")
        published(world, "chan", path, "pd2", BOB)  # bob publishes the same filename
        return real(*args)

    catalog.remove_package = replaced_first  # type: ignore[assignment]
    try:
        with pytest.raises(Conflict) as refused:
            world.c.services.packages.delete(ALICE, "chan", "noarch", path.name)
    finally:
        del catalog.remove_package
    assert refused.value.code == "channel-replaced"
    kept = catalog.get_package("chan", "noarch", path.name)
    assert kept is not None and kept.upload_id == "pd2"
    assert world.channels.head(f"chan/noarch/{path.name}") is not None
    assert world.audit_actions("chan", BOB) == ["package.upload"]


def test_a_publisher_added_while_the_channel_is_replaced_is_not_inherited(world: World) -> None:
    world.create("chan", ALICE)
    publishers = DynamoPublishers(world.ddb, world.table)
    real = publishers.put

    def replaced_first(*args: Any) -> None:
        world.delete("chan", ALICE)
        world.create("chan", BOB)
        real(*args)

    publishers.put = replaced_first  # type: ignore[assignment]
    with pytest.raises(NotFound):
        world.services(publishers=publishers).publishing.add_publisher(
            ALICE,
            "chan",
            {"provider": "github", "owner": "o", "repository": "r", "workflow": "w.yml"},
        )
    assert publishers.for_channel("chan") == []
    publisher_kinds = (schema.PUBLISHER, schema.PUBLISHER_LOOKUP)
    assert [
        k for k in world.items("chan") if schema.kind_of(k["pk"], k["sk"]) in publisher_kinds
    ] == []


def test_a_prefix_upload_racing_a_recreation_publishes_nothing(world: World, pkgs: Path) -> None:
    """The in-process path: authorized against alice's channel, committed after bob's."""
    world.create("chan", ALICE)
    path = build_package(pkgs / "pfx", "pfxpkg", "1.0")
    catalog = world.catalog
    real = catalog.claim_package

    def replaced_first(package: Any) -> None:
        world.delete("chan", ALICE)
        world.create("chan", BOB, visibility="public")
        real(package)

    catalog.claim_package = replaced_first  # type: ignore[method-assign]
    try:
        with pytest.raises(Conflict) as refused:
            world.c.services.packages.upload(
                ALICE, "chan", PackageUpload(path.name, path.read_bytes())
            )
    finally:
        del catalog.claim_package
    assert refused.value.code == "channel-replaced"
    assert catalog.get_package("chan", "noarch", path.name) is None
    assert not any("pfxpkg" in k for k in world.keys("chan/"))
    assert world.audit_actions("chan", BOB) == []
    assert world.messages() == []


# -- a channel's logos go with it ---------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_a_delete_removes_the_channels_logos_and_purges_them_at_the_edge(world: World) -> None:
    world.create("chan", ALICE, visibility="public")
    world.create("chan2", BOB, visibility="public")  # its prefix extends "chan": untouched
    old = world.c.services.logos.upload(ALICE, "chan", PNG).logo_url
    world.c.services.logos.upload(ALICE, "chan", PNG + b"\x01")  # a replaced logo stays too
    kept = world.c.services.logos.upload(BOB, "chan2", PNG).logo_url
    assert len(world.keys("_logos/chan/")) == 2
    files = len(world.keys("chan/"))  # the empty noarch index

    removed = world.c.services.channels.delete(ALICE, "chan")
    assert world.keys("_logos/chan/") == []
    assert removed == files + 2  # the logos are counted with the channel's files
    assert world.keys("_logos/chan2/") == [kept.split("/", 3)[3]]
    cdn = world.c.cdn
    assert isinstance(cdn, NoCdn) and "/_logos/chan/*" in cdn.invalidated
    # Bob's new channel of the name shows no logo, and the old one's URL serves nothing.
    world.create("chan", BOB, visibility="public")
    assert world.c.services.channels.get(BOB, "chan")[0].logo_url == ""
    assert world.channels.head(old.split("/", 3)[3]) is None


def test_a_logo_upload_racing_the_delete_leaves_no_image_for_the_next_owner(
    world: World,
) -> None:
    """The delete (and bob's re-creation) lands between alice's check and her image write."""
    world.create("chan", ALICE, visibility="public")
    store = world.channels
    real = store.put

    def replaced_first(key: str, body: bytes, **kw: Any) -> bool:
        if key.startswith("_logos/"):  # not the writes of the delete and re-creation
            world.delete("chan", ALICE)
            world.create("chan", BOB, visibility="public")
        return real(key, body, **kw)

    store.put = replaced_first  # type: ignore[method-assign]
    try:
        with pytest.raises(NotFound):
            world.c.services.logos.upload(ALICE, "chan", PNG)
    finally:
        del store.put
    assert world.keys("_logos/chan/") == []
    assert world.c.services.channels.get(BOB, "chan")[0].logo_url == ""
