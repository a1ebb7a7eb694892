"""The upload -> record -> reindex path over the real adapters on moto.

These drive the services directly (no HTTP) so that ordering, races and
at-least-once delivery can be exercised deterministically.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rillet.adapters.directory import DynamoAuditLog, DynamoDirectory
from rillet.adapters.dynamodb import DynamoCatalog
from rillet.adapters.publishers import DynamoPublishers
from rillet.adapters.s3 import S3ObjectStore
from rillet.adapters.sqs import SqsReindexQueue
from rillet.core.errors import Conflict, NotFound
from rillet.core.layout import staging_key
from rillet.core.models import Upload, Yank
from rillet.core.policy import Principal
from rillet.core.repodata import build_subdir_index, decode_shard, decode_shard_index
from rillet.runtime import wiring
from rillet.services.indexing import ReindexResult, Settle
from tests import fakes
from tests.packages import build_package

NOW_MS = 1_790_000_000_000


@dataclass
class World:
    catalog: DynamoCatalog
    channels: S3ObjectStore
    staging: S3ObjectStore
    queue: SqsReindexQueue
    sqs: Any
    queue_url: str
    audit: DynamoAuditLog
    directory: DynamoDirectory
    publishers: DynamoPublishers
    c: wiring.Container

    def reindex(
        self,
        catalog: Any,
        store: Any,
        channel: str,
        subdir: str,
        seq: int,
        *,
        full: bool = False,
        settle: Settle | None = None,
        now_ms: Any = None,
    ) -> ReindexResult:
        """The Indexing service over these ports, timed by ``now_ms`` (default: the world's)."""
        clock = self.c.clock if now_ms is None else fakes.CallableClock(now_ms)
        return fakes.indexing(catalog, store, settle=settle, clock=clock).reindex(
            channel, subdir, seq, full=full
        )

    def stage(self, channel: str, path: Path, upload_id: str, **overrides: Any) -> str:
        data = path.read_bytes()
        upload = Upload(
            id=upload_id,
            channel=channel,
            filename=overrides.get("filename", path.name),
            sha256=overrides.get("sha256", hashlib.sha256(data).hexdigest()),
            size=overrides.get("size", len(data)),
            # The operator, who created the channel: still entitled when the file arrives.
            created_by="admin",
            created_at="2026-11-23T00:00:00Z",
            expires_at=overrides.get("expires_at", NOW_MS // 1000 + 900),
            # As request_upload binds it: to the channel's current incarnation.
            incarnation=overrides.get("incarnation", self.catalog.get_channel(channel).incarnation),
        )
        self.catalog.put_upload(upload)
        key = staging_key(upload_id)
        self.staging.put(
            key, data, content_type="application/octet-stream", cache_control="no-store"
        )
        return key

    def ingest(self, key: str, now_ms: int = NOW_MS) -> Any:
        self.c.clock.ms = now_ms  # type: ignore[attr-defined]
        return self.c.services.ingest.ingest_staged(key)

    def drain_reindex(self) -> list[Any]:
        """Deliver every queued reindex message in order, as the FIFO trigger would."""
        results: list[Any] = []
        while True:
            msgs = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not msgs:
                return results
            for m in msgs:
                body = json.loads(m["Body"])
                results.append(
                    self.reindex(
                        self.catalog, self.channels, body["channel"], body["subdir"], body["seq"]
                    )
                )
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])

    def json(self, key: str) -> Any:
        with self.channels.open(key) as f:
            return json.loads(f.read())


@pytest.fixture
def world() -> Iterator[World]:
    with fakes.provisioned("svc", fakes.FixedClock(NOW_MS)) as (p, c):
        w = World(
            catalog=c.catalog,
            channels=c.channels,
            staging=c.staging,
            queue=c.reindex_queue,
            sqs=c.session.client("sqs"),
            queue_url=p.reindex_queue_url,
            audit=c.audit,
            directory=c.directory,
            publishers=c.publishers,
            c=c,
        )
        c.services.channels.create(Principal("admin", superuser=True), {"name": "chan"})
        yield w


@pytest.fixture(scope="module")
def pkgs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("svc")


def test_burst_coalesces_into_few_rebuilds(world: World, pkgs: Path) -> None:
    n = 12
    for i in range(n):
        path = build_package(pkgs / "burst", "burst", f"1.{i}", subdir="linux-64")
        assert world.ingest(world.stage("chan", path, f"b{i:02d}")).status == "published"
    results = world.drain_reindex()
    rebuilds = [r for r in results if r.rebuilt]
    assert len(results) == n  # one message per change ...
    assert len(rebuilds) == 1  # ... but the first rebuild covers them all
    repodata = world.json("chan/linux-64/repodata.json")
    assert len(repodata["packages.conda"]) == n
    state = world.catalog.subdir_state("chan", "linux-64")
    assert state.indexed_seq == state.change_seq == n


def test_replayed_event_is_harmless(world: World, pkgs: Path) -> None:
    path = build_package(pkgs / "replay", "replay", "1.0")
    key = world.stage("chan", path, "r1")
    assert world.ingest(key).status == "published"
    # S3 and SQS deliver at least once: the same notification again.
    world.staging.put(
        key, path.read_bytes(), content_type="application/octet-stream", cache_control="no-store"
    )
    assert world.ingest(key).status == "replayed"
    world.drain_reindex()
    assert world.catalog.subdir_state("chan", "noarch").change_seq == 1
    assert list(world.json("chan/noarch/repodata.json")["packages.conda"]) == [path.name]


def test_same_filename_race_one_wins_and_index_is_consistent(world: World, pkgs: Path) -> None:
    first = build_package(pkgs / "race-a", "racer", "1.0", files={"a.txt": "A"})
    second = build_package(pkgs / "race-b", "racer", "1.0", files={"b.txt": "B"})
    assert first.read_bytes() != second.read_bytes()
    key_a = world.stage("chan", first, "ra")
    key_b = world.stage("chan", second, "rb")
    assert world.ingest(key_a).status == "published"
    outcome = world.ingest(key_b)
    assert (outcome.status, outcome.reason) == ("rejected", "already-exists")
    assert world.catalog.get_upload("rb").status.value == "rejected"
    world.drain_reindex()
    served = world.channels.open(f"chan/noarch/{first.name}").read()
    assert served == first.read_bytes()
    record = world.json("chan/noarch/repodata.json")["packages.conda"][first.name]
    assert record["sha256"] == hashlib.sha256(served).hexdigest()


def test_claim_by_another_upload_is_a_conflict(world: World, pkgs: Path) -> None:
    from rillet.core.models import StoredPackage

    pkg = StoredPackage("chan", "noarch", "x-1-0.conda", {"sha256": "a" * 64}, upload_id="u1")
    world.catalog.claim_package(pkg)
    world.catalog.claim_package(pkg)  # idempotent for the same upload
    with pytest.raises(Conflict):
        world.catalog.claim_package(
            StoredPackage("chan", "noarch", "x-1-0.conda", {}, upload_id="u2")
        )


def test_rejected_upload_writes_nothing(world: World, pkgs: Path) -> None:
    path = build_package(pkgs / "bad", "bad", "1.0")
    before = sorted(world.channels.keys("chan/"))
    key = world.stage("chan", path, "x1", sha256="0" * 64)
    outcome = world.ingest(key)
    assert (outcome.status, outcome.reason) == ("rejected", "sha256-mismatch")
    assert world.drain_reindex() == []
    assert sorted(world.channels.keys("chan/")) == before
    assert world.staging.head(key) is None  # staging is cleaned up


def test_expired_upload_is_refused(world: World, pkgs: Path) -> None:
    path = build_package(pkgs / "late", "late", "1.0")
    outcome = world.ingest(world.stage("chan", path, "e1", expires_at=NOW_MS // 1000 - 1))
    assert (outcome.status, outcome.reason) == ("rejected", "upload-expired")


def test_unknown_staging_object_is_ignored_and_removed(world: World) -> None:
    world.staging.put(
        "uploads/nobody", b"x", content_type="application/octet-stream", cache_control="no-store"
    )
    assert world.ingest("uploads/nobody").status == "ignored"
    assert world.staging.head("uploads/nobody") is None


def test_indexed_timestamp_is_set_once_and_preserved(world: World, pkgs: Path) -> None:
    one = build_package(pkgs / "ts", "stamp", "1.0")
    world.ingest(world.stage("chan", one, "t1"))
    world.drain_reindex()
    first = world.json("chan/noarch/repodata.json")["packages.conda"][one.name]["indexed_timestamp"]
    assert first == NOW_MS
    two = build_package(pkgs / "ts", "stamp", "2.0")
    world.ingest(world.stage("chan", two, "t2"), now_ms=NOW_MS + 5000)
    world.drain_reindex()
    packages = world.json("chan/noarch/repodata.json")["packages.conda"]
    assert packages[one.name]["indexed_timestamp"] == first
    assert packages[two.name]["indexed_timestamp"] == NOW_MS + 5000


def test_index_write_order_and_cache_headers(world: World, pkgs: Path) -> None:
    path = build_package(pkgs / "order", "ordered", "1.0", subdir="linux-64")
    world.ingest(world.stage("chan", path, "o1"))
    world.drain_reindex()
    index = decode_shard_index(
        world.channels.open("chan/linux-64/repodata_shards.msgpack.zst").read()
    )
    digest = index["shards"]["ordered"].hex()
    shard_key = f"chan/linux-64/shards/{digest}.msgpack.zst"
    shard_bytes = world.channels.open(shard_key).read()
    assert hashlib.sha256(shard_bytes).hexdigest() == digest
    assert path.name in decode_shard(shard_bytes)["packages.conda"]
    shard_head = world.channels.head(shard_key)
    index_head = world.channels.head("chan/linux-64/repodata_shards.msgpack.zst")
    assert shard_head is not None and index_head is not None
    assert "immutable" in (shard_head.cache_control or "")
    assert "immutable" not in (index_head.cache_control or "")
    # Rebuilding the same records writes no new objects.
    state = world.catalog.subdir_state("chan", "linux-64")
    world.catalog.mark_indexed("chan", "linux-64", 0, NOW_MS)  # never lowers: still covered
    assert (
        world.reindex(world.catalog, world.channels, "chan", "linux-64", state.change_seq).rebuilt
        is False
    )


def _published_vs_full(world: World, subdir: str) -> None:
    """The published files are what a full rebuild from the catalog would write."""
    contents = world.catalog.subdir_contents("chan", subdir)
    full = build_subdir_index(subdir, contents.records, contents.removed)
    with world.channels.open(f"chan/{subdir}/repodata.json") as f:
        assert f.read() == full.repodata_json
    with world.channels.open(f"chan/{subdir}/run_exports.json") as f:
        assert f.read() == full.run_exports_json
    with world.channels.open(f"chan/{subdir}/run_exports.json.zst") as f:
        assert f.read() == full.run_exports_json_zst
    with world.channels.open(f"chan/{subdir}/repodata_shards.msgpack.zst") as f:
        published = decode_shard_index(f.read())
    assert published["shards"] == decode_shard_index(full.shard_index)["shards"]
    for digest in published["shards"].values():
        with world.channels.open(f"chan/{subdir}/shards/{digest.hex()}.msgpack.zst") as f:
            assert f.read() == full.shards[digest.hex()]


def test_rebuilds_after_the_first_read_only_the_changes(world: World, pkgs: Path) -> None:
    paths = [
        build_package(pkgs / "inc", name, version, subdir="linux-64")
        for name, version in [("inca", "1.0"), ("incb", "1.0"), ("inca", "1.1"), ("incc", "2.0")]
    ]
    assert world.ingest(world.stage("chan", paths[0], "i0")).status == "published"
    (first,) = world.drain_reindex()
    assert first.full  # a new subdir has no published index to start from
    _published_vs_full(world, "linux-64")

    for i, path in enumerate(paths[1:], start=1):
        assert world.ingest(world.stage("chan", path, f"i{i}")).status == "published"
    rebuilt = [r for r in world.drain_reindex() if r.rebuilt]
    assert [(r.full, r.changes, r.stats.objects_written) for r in rebuilt] == [
        # three new files under three names (inca, incb, incc): 3 shards + 5 index files
        # (run_exports.json(.zst), repodata.json(.zst), the shard index)
        (False, 3, 3 + 5)
    ]
    _published_vs_full(world, "linux-64")
    assert world.catalog.pending_changes("chan", "linux-64") == []

    seq = world.catalog.remove_package("chan", "linux-64", paths[1].name)
    world.queue.request_reindex("chan", "linux-64", seq)
    (removal,) = world.drain_reindex()
    assert (removal.full, removal.changes) == (False, 1)
    repodata = world.json("chan/linux-64/repodata.json")
    assert paths[1].name not in repodata["packages.conda"]
    assert repodata["removed"] == [paths[1].name]
    _published_vs_full(world, "linux-64")

    # An operator's full rebuild of an up-to-date subdir changes nothing.
    again = world.reindex(world.catalog, world.channels, "chan", "linux-64", seq, full=True)
    assert again.full and again.stats.objects_written == 0


def test_a_change_during_a_rebuild_stays_pending(world: World, pkgs: Path) -> None:
    """A file changed again while a rebuild runs keeps its mark: the next one takes it."""
    path = build_package(pkgs / "mid", "midway", "1.0")
    assert world.ingest(world.stage("chan", path, "m1")).status == "published"
    seq = world.catalog.subdir_state("chan", "noarch").change_seq
    catalog = world.catalog
    real = catalog.changed_contents
    later: list[int] = []

    def then_delete(*args: Any, **kwargs: Any) -> Any:
        seen = real(*args, **kwargs)  # the rebuild has read the record ...
        later.append(catalog.remove_package("chan", "noarch", path.name))  # ... now it goes
        return seen

    catalog.changed_contents = then_delete  # type: ignore[method-assign]
    try:
        first = world.reindex(catalog, world.channels, "chan", "noarch", seq)
    finally:
        del catalog.changed_contents
    assert not first.full and path.name in world.json("chan/noarch/repodata.json")["packages.conda"]
    assert [c.filename for c in catalog.pending_changes("chan", "noarch")] == [path.name]
    second = world.reindex(catalog, world.channels, "chan", "noarch", later[0])
    assert second.rebuilt and not second.full
    repodata = world.json("chan/noarch/repodata.json")
    assert repodata["packages.conda"] == {} and repodata["removed"] == [path.name]
    assert catalog.pending_changes("chan", "noarch") == []


def test_an_unusable_published_index_falls_back_to_a_full_rebuild(world: World, pkgs: Path) -> None:
    path = build_package(pkgs / "fallback", "fallback", "1.0")
    assert world.ingest(world.stage("chan", path, "f1")).status == "published"
    world.channels.put(
        "chan/noarch/repodata.json",
        b"not what we wrote",
        content_type="application/json",
        cache_control="no-store",
    )
    (result,) = world.drain_reindex()
    assert result.full
    assert list(world.json("chan/noarch/repodata.json")["packages.conda"]) == [path.name]


class FakeTime:
    """now_ms/sleep for Settle: sleeping moves the clock and may let an upload land."""

    def __init__(self, start_ms: int, on_sleep: Any = None) -> None:
        self.ms = start_ms
        self.slept: list[float] = []
        self.on_sleep = on_sleep

    def now_ms(self) -> int:
        return self.ms

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.ms += round(seconds * 1000)
        if self.on_sleep:
            self.on_sleep(self)


def test_a_lone_change_waits_only_the_quiet_time(world: World, pkgs: Path) -> None:
    path = build_package(pkgs / "lone", "lone", "1.0")
    assert world.ingest(world.stage("chan", path, "l1")).status == "published"
    seq = world.catalog.subdir_state("chan", "noarch").change_seq
    clock = FakeTime(NOW_MS + 40)  # the message arrives 40 ms after the change
    settle = Settle(250, 3000, now_ms=clock.now_ms, sleep=clock.sleep)
    result = world.reindex(world.catalog, world.channels, "chan", "noarch", seq, settle=settle)
    assert result.rebuilt and result.waited_ms == 210 and clock.slept == [0.21]
    # An already covered message neither waits nor rebuilds.
    again = world.reindex(world.catalog, world.channels, "chan", "noarch", seq, settle=settle)
    assert not again.rebuilt and clock.slept == [0.21]


def test_a_burst_is_taken_in_by_one_rebuild_within_the_max_wait(world: World, pkgs: Path) -> None:
    """A steady stream (one change per 200 ms) never goes quiet: one rebuild after
    max_wait takes in everything that landed meanwhile."""
    paths = [build_package(pkgs / "settle", "settle", f"1.{i}") for i in range(20)]
    assert world.ingest(world.stage("chan", paths[0], "s0")).status == "published"
    seq = world.catalog.subdir_state("chan", "noarch").change_seq
    arriving = iter(enumerate(paths[1:], start=1))
    landed = [NOW_MS]

    def stream(clock: FakeTime) -> None:
        while landed[-1] + 200 <= clock.ms:
            nxt = next(arriving, None)
            if nxt is None:
                return
            i, path = nxt
            landed.append(landed[-1] + 200)
            world.ingest(world.stage("chan", path, f"s{i}"), now_ms=landed[-1])

    clock = FakeTime(NOW_MS + 10, stream)
    settle = Settle(250, 3000, now_ms=clock.now_ms, sleep=clock.sleep)
    result = world.reindex(world.catalog, world.channels, "chan", "noarch", seq, settle=settle)
    assert result.waited_ms == 3000  # bounded by max_wait, though changes kept coming
    assert result.changes == len(landed) == 16  # every change that landed is in
    published = world.json("chan/noarch/repodata.json")["packages.conda"]
    assert len(published) == result.changes


def test_a_rebuild_that_just_ended_counts_as_activity(world: World, pkgs: Path) -> None:
    """Changes held back while the last rebuild ran come in a rush when it ends: the
    quiet interval runs from the end of that rebuild, not from the last change."""
    first = build_package(pkgs / "rush", "rush", "1.0")
    second = build_package(pkgs / "rush", "rush", "2.0")
    assert world.ingest(world.stage("chan", first, "r1"), now_ms=NOW_MS).status == "published"
    rebuilt = world.reindex(
        world.catalog, world.channels, "chan", "noarch", 1, now_ms=lambda: NOW_MS + 900
    )
    assert (
        rebuilt.rebuilt
        and world.catalog.subdir_state("chan", "noarch").indexed_at_ms == NOW_MS + 900
    )
    # The second change was committed before that rebuild ended.
    assert (
        world.ingest(world.stage("chan", second, "r2"), now_ms=NOW_MS + 500).status == "published"
    )
    clock = FakeTime(NOW_MS + 910)
    settle = Settle(250, 3000, now_ms=clock.now_ms, sleep=clock.sleep)
    result = world.reindex(
        world.catalog, world.channels, "chan", "noarch", 2, settle=settle, now_ms=clock.now_ms
    )
    assert (result.waited_ms, result.changes) == (240, 1)


def test_a_change_taken_in_early_leaves_nothing_to_rebuild(world: World, pkgs: Path) -> None:
    """A change committed between a rebuild's counter read and its mark read is taken in
    by that rebuild; the message for it then only moves the counter."""
    first = build_package(pkgs / "early", "early", "1.0")
    second = build_package(pkgs / "early", "early", "2.0")
    assert world.ingest(world.stage("chan", first, "e1")).status == "published"
    catalog = world.catalog
    real = catalog.pending_changes

    def with_a_late_change(*args: Any) -> Any:
        assert world.ingest(world.stage("chan", second, "e2")).status == "published"
        return real(*args)

    catalog.pending_changes = with_a_late_change  # type: ignore[assignment]
    try:
        rebuilt = world.reindex(catalog, world.channels, "chan", "noarch", 1)
    finally:
        del catalog.pending_changes
    assert (rebuilt.rebuilt, rebuilt.indexed_seq, rebuilt.changes) == (True, 1, 2)
    listed = world.json("chan/noarch/repodata.json")["packages.conda"]
    assert sorted(listed) == sorted([first.name, second.name])
    follow_up = world.reindex(catalog, world.channels, "chan", "noarch", 2)
    assert (follow_up.rebuilt, follow_up.indexed_seq) == (False, 2)
    assert catalog.subdir_state("chan", "noarch").up_to_date


def test_yank_and_unyank_go_through_the_incremental_rebuild(world: World, pkgs: Path) -> None:
    old, new = (
        build_package(pkgs / "yank", "yanky", version, subdir="linux-64")
        for version in ("1.0", "2.0")
    )
    for i, path in enumerate((old, new)):
        assert world.ingest(world.stage("chan", path, f"y{i}")).status == "published"
    world.drain_reindex()
    yank = Yank("broken", "alice", "2026-11-23T00:00:00Z")

    seq = world.catalog.yank_package("chan", "linux-64", new.name, yank, NOW_MS + 1)
    assert seq is not None
    assert world.catalog.yank_package("chan", "linux-64", new.name, yank, NOW_MS + 2) is None
    world.queue.request_reindex("chan", "linux-64", seq)
    (result,) = world.drain_reindex()
    assert (result.rebuilt, result.full, result.changes) == (True, False, 1)
    repodata = world.json("chan/linux-64/repodata.json")
    assert list(repodata["packages.conda"]) == [old.name]
    assert repodata["removed"] == [new.name]
    shard_index = decode_shard_index(
        world.channels.open("chan/linux-64/repodata_shards.msgpack.zst").read()
    )
    digest = shard_index["shards"]["yanky"].hex()
    shard = decode_shard(world.channels.open(f"chan/linux-64/shards/{digest}.msgpack.zst").read())
    assert (list(shard["packages.conda"]), shard["removed"]) == ([old.name], [new.name])
    # Still served, and build tools still find its run_exports entry.
    assert world.channels.head(f"chan/linux-64/{new.name}") is not None
    assert new.name in world.json("chan/linux-64/run_exports.json")["packages.conda"]
    _published_vs_full(world, "linux-64")

    seq = world.catalog.unyank_package("chan", "linux-64", new.name, NOW_MS + 3)
    assert seq is not None
    assert world.catalog.unyank_package("chan", "linux-64", new.name, NOW_MS + 4) is None
    world.queue.request_reindex("chan", "linux-64", seq)
    (result,) = world.drain_reindex()
    assert (result.full, result.changes) == (False, 1)
    repodata = world.json("chan/linux-64/repodata.json")
    assert sorted(repodata["packages.conda"]) == sorted([old.name, new.name])
    assert "removed" not in repodata
    _published_vs_full(world, "linux-64")
    with pytest.raises(NotFound):
        world.catalog.yank_package("chan", "linux-64", "nope-1-h_0.conda", yank, NOW_MS)
    with pytest.raises(NotFound):
        world.catalog.unyank_package("chan", "noarch", new.name, NOW_MS)


def test_a_subdir_indexed_before_run_exports_json_is_rebuilt_in_full(
    world: World, pkgs: Path
) -> None:
    first, second = (build_package(pkgs / "legacy", "legacy", v) for v in ("1.0", "2.0"))
    assert world.ingest(world.stage("chan", first, "l1")).status == "published"
    world.drain_reindex()
    world.channels.delete("chan/noarch/run_exports.json")  # as an older release left it
    assert world.ingest(world.stage("chan", second, "l2")).status == "published"
    (result,) = world.drain_reindex()
    assert result.full
    entries = world.json("chan/noarch/run_exports.json")["packages.conda"]
    assert entries == {first.name: {"run_exports": {}}, second.name: {"run_exports": {}}}
    _published_vs_full(world, "noarch")


class RecordingStore:
    """The channels bucket, with the order of the writes kept."""

    def __init__(self, inner: S3ObjectStore) -> None:
        self.inner = inner
        self.puts: list[str] = []

    def put(self, key: str, body: bytes, **kwargs: Any) -> bool:
        self.puts.append(key)
        return self.inner.put(key, body, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_run_exports_json_is_written_after_the_shards_and_before_repodata(
    world: World, pkgs: Path
) -> None:
    path = build_package(pkgs / "rexorder", "rexorder", "1.0", subdir="linux-64")
    assert world.ingest(world.stage("chan", path, "ro1")).status == "published"
    store = RecordingStore(world.channels)
    seq = world.catalog.subdir_state("chan", "linux-64").change_seq
    assert world.reindex(world.catalog, store, "chan", "linux-64", seq).rebuilt
    # The index files only: a new subdir's first rebuild also checks its files' `.sigs`
    # (put-if-absent, after the index: services/indexing.py backfill).
    names = [key.removeprefix("chan/linux-64/") for key in store.puts if not key.endswith(".sigs")]
    assert names[0].startswith("shards/")
    assert names[1:] == [
        "run_exports.json",
        "run_exports.json.zst",
        "repodata.json",
        "repodata.json.zst",
        "repodata_shards.msgpack.zst",
    ]
    assert (head := world.channels.head("chan/linux-64/run_exports.json")) is not None
    assert head.cache_control == ("public, max-age=60, s-maxage=5")
    assert world.json("chan/linux-64/run_exports.json") == {
        "info": {"subdir": "linux-64", "version": 1},
        "packages": {},
        "packages.conda": {path.name: {"run_exports": {}}},
    }


def test_a_rebuild_reports_its_steps_to_the_instrumentation_hook(world: World, pkgs: Path) -> None:
    """What the benchmarks time (rillet.core.instrument), without patching anything."""
    from rillet.core import instrument

    first = build_package(pkgs / "spans", "spans", "1.0", subdir="linux-64")
    assert world.ingest(world.stage("chan", first, "sp1")).status == "published"
    world.drain_reindex()  # the subdir's first index: read in full
    second = build_package(pkgs / "spans", "spans", "2.0", subdir="linux-64")
    assert world.ingest(world.stage("chan", second, "sp2")).status == "published"
    seen: list[tuple[str, dict[str, Any]]] = []
    previous = instrument.observe(lambda name, _s, facts: seen.append((name, facts)))
    try:
        [result] = world.drain_reindex()
    finally:
        instrument.observe(previous)
    assert result.rebuilt and not result.full
    names = [name for name, _ in seen]
    assert names[0] == "reindex.state" and names[-1] == "reindex.mark"
    assert {"reindex.read", "reindex.write"} <= set(names)
    assert ("reindex.build", {"full": False}) in seen
