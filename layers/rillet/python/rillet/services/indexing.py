"""Rebuild and publish a subdir's index: repodata.json(.zst), shards, shard index."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rillet.core import repodata
from rillet.core.errors import InvalidRequest
from rillet.core.layout import index_object_key
from rillet.core.models import SubdirState
from rillet.core.ports import Catalog, ObjectStore

JSON = "application/json"
OCTET = "application/octet-stream"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WriteStats:
    objects_written: int = 0
    bytes_written: int = 0


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
    # (filename, reason) of records left out because clients could not read them
    skipped: tuple[tuple[str, str], ...] = ()


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


def write_index(
    store: ObjectStore,
    channel: str,
    index: repodata.SubdirIndex,
    etags: Mapping[str, str | None] | None = None,
) -> WriteStats:
    """Publish ``index`` so that readers never see a reference to a missing object.

    Order matters: content-addressed shards first (put-if-absent, immutable),
    then repodata.json(.zst), then the shard index that points at the shards.
    The mutable files are written conditionally on the ETag the index was built
    from (``etags``, by file name; looked up when not given), so a stale
    concurrent writer fails instead of rolling the index back. Unchanged files
    are not rewritten. Raises Conflict on a lost race.
    """
    objects = 0
    written = 0
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
            written += len(data)

    pointers = (
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
        written += len(data)
    return WriteStats(objects_written=objects, bytes_written=written)


def publish_empty_subdir(store: ObjectStore, channel: str, subdir: str) -> WriteStats:
    """A new channel's ``noarch`` must be a valid, empty index at once (clients require it)."""
    return write_index(store, channel, repodata.empty_subdir_index(subdir))


def reindex(
    catalog: Catalog,
    store: ObjectStore,
    channel: str,
    subdir: str,
    seq: int,
    *,
    full: bool = False,
    settle: Settle | None = None,
    now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
) -> ReindexResult:
    """Bring ``channel/subdir``'s index up to change ``seq`` unless it already covers it.

    Incremental: every change leaves a mark on its filename, so a rebuild reads
    the published repodata.json and shard index, the records of just the marked
    filenames, and renders only their shards. It reads the whole subdir instead
    when asked (``full``), when there is no usable published index, or when
    too many changes are pending. Coalescing: a rebuild covers every change
    committed before it read the counter, so the messages queued for those
    changes become no-ops.
    """
    state = catalog.subdir_state(channel, subdir)
    if seq <= state.indexed_seq and not full:
        return ReindexResult(channel, subdir, rebuilt=False, indexed_seq=state.indexed_seq)
    waited = 0
    if settle is not None and not full:
        state, waited = _settle(catalog, state, settle)
    # Counter first, then the marks, then the records: every change up to the counter
    # committed its mark before we read them, and its record before we read that.
    target = state.change_seq
    pending = catalog.pending_changes(channel, subdir)
    if not pending and not full:
        # Every change up to the counter is published already: a rebuild that read the
        # counter before a change and its mark after took that change in and cleared it.
        catalog.mark_indexed(channel, subdir, target, now_ms())
        return ReindexResult(channel, subdir, rebuilt=False, indexed_seq=target)
    built = None
    if not full and len(pending) <= FULL_REBUILD_CHANGES:
        built = _incremental(catalog, store, channel, subdir, [c.filename for c in pending])
    if built is None:
        contents = catalog.subdir_contents(channel, subdir)
        index = repodata.build_subdir_index(subdir, contents.records, contents.removed)
        stats = write_index(store, channel, index)
    else:
        index, etags = built
        stats = write_index(store, channel, index, etags)
    catalog.mark_indexed(channel, subdir, target, now_ms())
    catalog.clear_changes(channel, subdir, pending)
    skipped = tuple(sorted(index.skipped.items()))
    for filename, reason in skipped:
        # Left out, not fatal: the rest of the subdir publishes; the owner deletes or
        # replaces the package (a full reindex reports it again until then).
        logger.warning(
            "record left out of the index",
            extra={"channel": channel, "subdir": subdir, "package": filename, "reason": reason},
        )
    return ReindexResult(
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
    published = {
        name: store.read(index_object_key(channel, subdir, name))
        for name in (repodata.REPODATA_JSON, repodata.SHARD_INDEX)
    }
    base, shard_index = published[repodata.REPODATA_JSON], published[repodata.SHARD_INDEX]
    if base is None or shard_index is None:
        return None  # a subdir's first index
    changed = catalog.changed_contents(channel, subdir, filenames)
    try:
        index = repodata.update_subdir_index(
            subdir,
            base[0],
            shard_index[0],
            {f: changed.records.get(f) for f in filenames},
            changed.removed,
        )
    except InvalidRequest as exc:
        if exc.code not in ("invalid-repodata", "invalid-shard-index"):
            raise  # a bad record: a full rebuild would refuse it as well
        logger.warning("published index unusable, rebuilding in full", extra={"reason": str(exc)})
        return None
    return index, {repodata.REPODATA_JSON: base[1], repodata.SHARD_INDEX: shard_index[1]}
