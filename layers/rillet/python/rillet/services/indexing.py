"""Rebuild and publish a subdir's index: repodata.json(.zst), shards, shard index."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from rillet.core import repodata
from rillet.core.attestation import EMPTY_SIGS, SIGS_CONTENT_TYPE
from rillet.core.clock import Clock
from rillet.core.errors import InvalidRequest, RilletError
from rillet.core.instrument import span
from rillet.core.layout import index_object_key
from rillet.core.models import SubdirState
from rillet.core.ports import Catalog, ObjectStore
from rillet.services.attestations import sigs_key

JSON = "application/json"
OCTET = "application/octet-stream"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WriteStats:
    objects_written: int = 0
    bytes_written: int = 0
    written: tuple[str, ...] = ()  # the keys this write created or replaced
    halted: bool = False  # the guard stopped it before the pointer writes


@dataclass(frozen=True)
class ReindexResult:
    channel: str
    subdir: str
    rebuilt: bool
    indexed_seq: int
    stats: WriteStats = WriteStats()
    full: bool = False  # read the whole subdir rather than the pending changes
    changes: int = 0  # changed filenames the rebuild took in
    waited_ms: int = 0  # settling before the rebuild
    stale: bool = False  # for a channel (incarnation) that is gone: nothing of it was kept
    # (filename, reason) of records left out because clients could not read them
    skipped: tuple[tuple[str, str], ...] = ()
    sigs_backfilled: int = 0  # `[]` `.sigs` written for files recorded before they existed


@dataclass(frozen=True)
class Settle:
    """Let a burst of changes pause before rebuilding.

    The rebuild waits until ``quiet_ms`` passed since the later of the last change
    and the end of the last rebuild, never longer than ``max_wait_ms``. A lone
    upload waits ``quiet_ms``; a stream of changes (also one held back by the last
    rebuild and let go when it ended) gets one rebuild per ``max_wait_ms`` plus the
    rebuild, taking in everything that arrived meanwhile.
    """

    quiet_ms: int
    max_wait_ms: int
    now_ms: Callable[[], int]
    sleep: Callable[[float], None]


# Above this many pending changes one paginated read of the subdir beats batch-getting them.
FULL_REBUILD_CHANGES = 1000
# Conditional `.sigs` PUTs of the one-time backfill in flight at once (~25 ms each on S3:
# 100k files in about 80 s).
SIGS_BACKFILL_WORKERS = 32


def write_index(
    store: ObjectStore,
    channel: str,
    index: repodata.SubdirIndex,
    etags: Mapping[str, str | None] | None = None,
    guard: Callable[[], bool] | None = None,
    written: list[str] | None = None,
) -> WriteStats:
    """Publish ``index`` so that readers never see a reference to a missing object.

    Order matters: content-addressed shards first (put-if-absent, immutable),
    then run_exports.json(.zst) (so a record a reader sees has its entry), then
    repodata.json(.zst), then the shard index that points at the shards.
    The mutable files are written conditionally on the ETag the index was built
    from (``etags``, by file name; looked up when not given), so a stale
    concurrent writer fails instead of rolling the index back. Unchanged files
    are not rewritten. Raises Conflict on a lost race. ``guard`` is asked right
    before the pointer writes; when it says no, they are not written (``halted``).
    ``written`` collects the keys created or replaced, also when a write fails.
    """
    objects = 0
    written_bytes = 0
    keys: list[str] = written if written is not None else []
    for digest, data in sorted(index.shards.items()):
        key = index_object_key(channel, index.subdir, index.shard_key(digest))
        if store.put(
            key,
            data,
            content_type=OCTET,
            cache_control=repodata.IMMUTABLE_CACHE_CONTROL,
            if_absent=True,
        ):
            objects += 1
            written_bytes += len(data)
            keys.append(key)
    if guard is not None and not guard():
        return WriteStats(objects, written_bytes, tuple(keys), halted=True)

    pointers = (
        (repodata.RUN_EXPORTS_JSON, index.run_exports_json, JSON),
        (repodata.RUN_EXPORTS_JSON_ZST, index.run_exports_json_zst, OCTET),
        (repodata.REPODATA_JSON, index.repodata_json, JSON),
        (repodata.REPODATA_JSON_ZST, index.repodata_json_zst, OCTET),
        (repodata.SHARD_INDEX, index.shard_index, OCTET),
    )
    for name, data, content_type in pointers:
        key = index_object_key(channel, index.subdir, name)
        if etags is not None and name in etags:
            etag = etags[name]
        else:
            current = store.head(key)
            etag = current.etag if current is not None else None
        if etag == hashlib.md5(data).hexdigest():  # noqa: S324 - S3 ETag
            continue
        store.put(
            key,
            data,
            content_type=content_type,
            cache_control=repodata.INDEX_CACHE_CONTROL,
            if_match=etag if etag is not None else "",
        )
        objects += 1
        written_bytes += len(data)
        keys.append(key)
    return WriteStats(objects_written=objects, bytes_written=written_bytes, written=tuple(keys))


def publish_empty_subdir(store: ObjectStore, channel: str, subdir: str) -> WriteStats:
    """A new channel's ``noarch`` must be a valid, empty index at once (clients require it)."""
    return write_index(store, channel, repodata.empty_subdir_index(subdir))


@dataclass(frozen=True, kw_only=True)
class Indexing:
    """Rebuild and publish subdir indexes from the catalog's records."""

    catalog: Catalog
    store: ObjectStore  # the channels bucket
    clock: Clock
    settle: Settle | None = None  # the wait for a burst of changes to pause (None: no wait)

    def reindex(
        self,
        channel: str,
        subdir: str,
        seq: int,
        *,
        full: bool = False,
        incarnation: str | None = None,
    ) -> ReindexResult:
        """Bring ``channel/subdir``'s index up to change ``seq`` unless it already covers it.

        Incremental: every change leaves a mark on its filename, so a rebuild reads
        the published repodata.json and shard index, the records of just the marked
        filenames, and renders only their shards. It reads the whole subdir instead
        when asked (``full``), when there is no usable published index, or when
        too many changes are pending. Coalescing: a rebuild covers every change
        committed before it read the counter, so the messages queued for those
        changes become no-ops.

        Only for the live ``incarnation`` of the channel (None: whichever is live now):
        for a deleted or re-created channel it writes nothing, checked again right
        before the pointer writes and after them (then it takes back what it wrote).
        """
        catalog, store, now_ms = self.catalog, self.store, self.clock.now_ms
        live = catalog.live_incarnation(channel)
        if live is None or (incarnation is not None and live != incarnation):
            return self._stale(channel, subdir)
        incarnation = live
        with span("reindex.state"):
            state = catalog.subdir_state(channel, subdir)
        if seq <= state.indexed_seq and not full:
            return self._backfill_sigs(
                state,
                incarnation,
                ReindexResult(channel, subdir, rebuilt=False, indexed_seq=state.indexed_seq),
            )
        waited = 0
        if self.settle is not None and not full:
            # The states before and after tell an observer what the window waited for.
            with span("reindex.settle", window=self.settle, before=state) as facts:
                state, waited = _settle(catalog, state, self.settle)
                facts.update(after=state, waited_ms=waited)
        # Counter first, then the marks, then the records: every change up to the counter
        # committed its mark before we read them, and its record before we read that.
        target = state.change_seq
        with span("reindex.read"):
            pending = catalog.pending_changes(channel, subdir)
        if not pending and not full:
            # Every change up to the counter is published already: a rebuild that read the
            # counter before a change and its mark after took that change in and cleared it.
            catalog.mark_indexed(channel, subdir, target, now_ms())
            return self._backfill_sigs(
                state,
                incarnation,
                ReindexResult(channel, subdir, rebuilt=False, indexed_seq=target),
            )

        def current() -> bool:
            return catalog.live_incarnation(channel) == incarnation

        built = None
        if not full and len(pending) <= FULL_REBUILD_CHANGES:
            built = _incremental(catalog, store, channel, subdir, [c.filename for c in pending])
        etags: dict[str, str | None] | None = None
        records: Mapping[str, Mapping[str, Any]] | None = None  # every record, if read
        if built is None:
            with span("reindex.read"):
                contents = catalog.subdir_contents(channel, subdir)
            records = contents.records
            with span("reindex.build", full=True):
                index = repodata.build_subdir_index(subdir, contents.records, contents.removed)
        else:
            index, etags = built
        written: list[str] = []
        try:
            with span("reindex.write"):
                stats = write_index(store, channel, index, etags, guard=current, written=written)
        except RilletError:
            if current():
                raise
            # A write failed because the channel went meanwhile (its objects were swept).
            stats = WriteStats(written=tuple(written), halted=True)
        if stats.halted or not current():
            return self._take_back(channel, subdir, incarnation, stats)
        with span("reindex.mark"):
            catalog.mark_indexed(channel, subdir, target, now_ms(), incarnation)
            catalog.clear_changes(channel, subdir, pending)
        skipped = tuple(sorted(index.skipped.items()))
        for filename, reason in skipped:
            # Left out, not fatal: the rest of the subdir publishes; the owner deletes or
            # replaces the package (a full reindex reports it again until then).
            logger.warning(
                "record left out of the index",
                extra={"channel": channel, "subdir": subdir, "package": filename, "reason": reason},
            )
        result = ReindexResult(
            channel,
            subdir,
            rebuilt=True,
            indexed_seq=target,
            stats=stats,
            full=built is None,
            changes=len(pending),
            waited_ms=waited,
            skipped=skipped,
        )
        return self._backfill_sigs(state, incarnation, result, records)

    def _backfill_sigs(
        self,
        state: SubdirState,
        incarnation: str,
        result: ReindexResult,
        records: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> ReindexResult:
        """Once per subdir: give every file recorded before `.sigs` existed its `[]`.

        CEP-27 answers `[]` for a file without attestations; ingest writes it for every new
        file, older files had none (404). Only records without ``attestations_sha256``, and
        only where no `.sigs` exists (put-if-absent: a concurrent forced overwrite's bundle
        wins either way). Yanked files are records, so they get one; removed files are not.
        The subdir state remembers it, so later rebuilds read one flag they read anyway.
        After the index is published and best-effort: a failure leaves the flag unset and
        the next rebuild tries again, rather than hold back the subdir's index.
        """
        if state.sigs_backfilled:
            return result
        channel, subdir, store = state.channel, state.subdir, self.store
        created: list[str] = []
        try:
            with span("reindex.sigs_backfill"):
                if records is None:
                    records = self.catalog.subdir_contents(channel, subdir).records
                keys = [
                    sigs_key(channel, subdir, filename)
                    for filename, record in sorted(records.items())
                    if not record.get("attestations_sha256")
                ]

                def put(key: str) -> bool:
                    return store.put(
                        key,
                        EMPTY_SIGS,
                        content_type=SIGS_CONTENT_TYPE,
                        cache_control=repodata.INDEX_CACHE_CONTROL,
                        if_absent=True,
                    )

                with ThreadPoolExecutor(max_workers=SIGS_BACKFILL_WORKERS) as pool:
                    created = [k for k, made in zip(keys, pool.map(put, keys), strict=True) if made]
                if self.catalog.live_incarnation(channel) != incarnation:
                    for key in created:  # the channel went meanwhile: its objects were swept
                        store.delete(key)
                    return result
                self.catalog.mark_sigs_backfilled(channel, subdir, incarnation)
        except Exception:  # best-effort: the index is published already
            logger.warning(
                "sigs backfill failed; the next rebuild tries again",
                exc_info=True,
                extra={"channel": channel, "subdir": subdir, "written": len(created)},
            )
        return replace(result, sigs_backfilled=len(created))

    def _stale(self, channel: str, subdir: str) -> ReindexResult:
        """A rebuild for a channel incarnation that is gone writes nothing. With no channel of
        that name live, an earlier attempt that died between its writes and its check may have
        left index objects behind: remove them (nobody else's, unless the name is re-created
        meanwhile, which the check after repairs)."""
        if self.catalog.live_incarnation(channel) is None:
            for name in (repodata.SHARD_INDEX, repodata.REPODATA_JSON_ZST, repodata.REPODATA_JSON):
                self.store.delete(index_object_key(channel, subdir, name))
            # Shards too (never package files: a channel re-created meanwhile may own them;
            # its shards, if any, the repair below writes again).
            self.store.delete_prefix(index_object_key(channel, subdir, repodata.SHARDS_DIR) + "/")
            self._repair(channel, subdir, None)
        return ReindexResult(channel, subdir, rebuilt=False, indexed_seq=0, stale=True)

    def _take_back(
        self, channel: str, subdir: str, incarnation: str, stats: WriteStats
    ) -> ReindexResult:
        """The channel was deleted (maybe re-created) while we wrote: undo our writes, and if
        another incarnation is live, rebuild its index in full so it is its own again."""
        logger.warning("channel deleted during a rebuild; taking back its writes")
        for key in reversed(stats.written):  # pointers before the shards they name
            self.store.delete(key)
        self._repair(channel, subdir, incarnation)
        return ReindexResult(channel, subdir, rebuilt=False, indexed_seq=0, stale=True)

    def _repair(self, channel: str, subdir: str, gone: str | None) -> None:
        live = self.catalog.live_incarnation(channel)
        if live is not None and live != gone and subdir in self.catalog.subdirs(channel):
            self.reindex(channel, subdir, 0, full=True, incarnation=live)


def _settle(catalog: Catalog, state: SubdirState, settle: Settle) -> tuple[SubdirState, int]:
    start = settle.now_ms()
    while True:
        now = settle.now_ms()
        quiet_left = max(state.changed_at_ms, state.indexed_at_ms) + settle.quiet_ms - now
        budget_left = start + settle.max_wait_ms - now
        if quiet_left <= 0 or budget_left <= 0:
            return state, now - start
        settle.sleep(min(quiet_left, budget_left) / 1000)
        state = catalog.subdir_state(state.channel, state.subdir)


def _incremental(
    catalog: Catalog, store: ObjectStore, channel: str, subdir: str, filenames: list[str]
) -> tuple[repodata.SubdirIndex, dict[str, str | None]] | None:
    """The index after ``filenames`` changed, from the published one; None to read in full."""
    with span("reindex.read"):
        published = {
            name: store.read(index_object_key(channel, subdir, name))
            for name in (repodata.REPODATA_JSON, repodata.SHARD_INDEX, repodata.RUN_EXPORTS_JSON)
        }
    base, shard_index = published[repodata.REPODATA_JSON], published[repodata.SHARD_INDEX]
    run_exports = published[repodata.RUN_EXPORTS_JSON]
    if base is None or shard_index is None or run_exports is None:
        return None  # a subdir's first index (or one indexed before run_exports.json)
    with span("reindex.read"):
        changed = catalog.changed_contents(channel, subdir, filenames)
    try:
        with span("reindex.build", full=False):
            index = repodata.update_subdir_index(
                subdir,
                base[0],
                shard_index[0],
                run_exports[0],
                {f: changed.records.get(f) for f in filenames},
                changed.removed,
            )
    except InvalidRequest as exc:
        if exc.code not in ("invalid-repodata", "invalid-shard-index", "invalid-run-exports-json"):
            raise  # a bad record: a full rebuild would refuse it as well
        logger.warning("published index unusable, rebuilding in full", extra={"reason": str(exc)})
        return None
    return index, {
        repodata.REPODATA_JSON: base[1],
        repodata.SHARD_INDEX: shard_index[1],
        repodata.RUN_EXPORTS_JSON: run_exports[1],
    }
