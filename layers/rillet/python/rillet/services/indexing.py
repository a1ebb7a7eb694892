"""Rebuild and publish a subdir's index: repodata.json(.zst), shards, shard index."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from rillet.core import repodata
from rillet.core.layout import index_object_key
from rillet.core.ports import Catalog, ObjectStore

JSON = "application/json"
OCTET = "application/octet-stream"


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


def write_index(store: ObjectStore, channel: str, index: repodata.SubdirIndex) -> WriteStats:
    """Publish ``index`` so that readers never see a reference to a missing object.

    Order matters: content-addressed shards first (put-if-absent, immutable),
    then repodata.json(.zst), then the shard index that points at the shards.
    The mutable files are written conditionally on the ETag seen before the
    write, so a stale concurrent writer fails instead of rolling the index back.
    Unchanged files are not rewritten. Raises Conflict on a lost race.
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
        current = store.head(key)
        if current is not None and current.etag == hashlib.md5(data).hexdigest():  # noqa: S324 - S3 ETag
            continue
        store.put(
            key,
            data,
            content_type=content_type,
            cache_control=repodata.INDEX_CACHE_CONTROL,
            if_match=current.etag if current is not None else "",
        )
        objects += 1
        written += len(data)
    return WriteStats(objects_written=objects, bytes_written=written)


def publish_empty_subdir(store: ObjectStore, channel: str, subdir: str) -> WriteStats:
    """A new channel's ``noarch`` must be a valid, empty index at once (clients require it)."""
    return write_index(store, channel, repodata.empty_subdir_index(subdir))


def reindex(
    catalog: Catalog, store: ObjectStore, channel: str, subdir: str, seq: int
) -> ReindexResult:
    """Rebuild ``channel/subdir`` unless its index already covers change ``seq``.

    Coalescing: the rebuild covers every change committed before it read the
    records, so the queued messages for those changes become no-ops.
    """
    state = catalog.subdir_state(channel, subdir)
    if seq <= state.indexed_seq:
        return ReindexResult(channel, subdir, rebuilt=False, indexed_seq=state.indexed_seq)
    # Read the counter before the records: everything up to it is in what we read.
    target = state.change_seq
    contents = catalog.subdir_contents(channel, subdir)
    index = repodata.build_subdir_index(subdir, contents.records, contents.removed)
    stats = write_index(store, channel, index)
    catalog.mark_indexed(channel, subdir, target)
    return ReindexResult(channel, subdir, rebuilt=True, indexed_seq=target, stats=stats)
