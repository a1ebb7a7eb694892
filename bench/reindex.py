"""Scenario 1: reindex after one new package into a subdir of N records.

For each N: N synthetic (valid, minimal) .conda packages are generated once under
bench/.cache/pool. Their records are written straight into the local stack's table
(the items ingest leaves behind, without change marks), and a first rebuild with
``full=True`` publishes the index. Then one real package (rattler-build) goes through
the presigned flow (presign, PUT, validate), which leaves its change mark as in
production, and the rebuild that follows is the real ``indexing.reindex`` (with the
reindex handler's settle window), timed phase by phase through hooks around the ports
and module functions it calls (nothing of it is re-implemented here):

    state   catalog.subdir_state                (1 GetItem)
    settle  Settle: sleep + subdir_state again  (reported apart, not in the total)
    read    catalog.pending_changes             (Query of the change marks' partition)
            store.read                          (GET repodata.json + shard index)
            catalog.changed_contents            (BatchGetItem of the changed filenames)
            -- on the full path: catalog.subdir_contents (Query of every item)
    parse   repodata._parse_repodata / _parse_shard_index (inside update_subdir_index)
    build   repodata.update_subdir_index        minus parse, serialise and compress
            -- on the full path: repodata.build_subdir_index
    ser     json.dumps + msgpack.packb          (inside the two above)
    zstd    zstandard compress                  (inside the two above)
    write   indexing.write_index                (changed shards put-if-absent, 3 pointers)
    mark    catalog.mark_indexed + catalog.clear_changes

moto answers in-process and is far slower than DynamoDB/S3; the time spent inside
moto is measured separately (botocore hooks) so that the client-side and pure
compute parts can be compared with rattler fairly.

Anchors, same machine, same records, same run:
- rattler's own indexer (py-rattler ``rattler.index.index_fs``, zst + shards) on a
  directory holding the same N package files: a fresh index, then the incremental run
  after the same one real package is added (and once more without repodata.json.zst);
- the floor: json.dumps + zstd of the same repodata in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import shutil
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench import common
from bench.common import SUBDIR, fmt_bytes, fmt_n, fmt_s, md_table

NAME = "reindex"
TITLE = "1. Reindex after one new package"
# The real package added each time: a new version of a name the subdir already holds.
NEW_NAME = "bench-00000"

# Phases of one rebuild, in order; "settle" is timed too but kept out of the total.
PHASES = ("state", "read", "parse", "build", "serialise", "compress", "write", "mark")


# -- instrumentation ---------------------------------------------------------------------


class _Proxy:
    """A module stand-in: overridden attributes first, the real module for the rest."""

    def __init__(self, real: Any, **overrides: Any) -> None:
        self._real = real
        self.__dict__.update(overrides)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class CodecTimes:
    def __init__(self) -> None:
        self.json_s = 0.0
        self.msgpack_s = 0.0
        # zstd level -> [calls, seconds, bytes in, bytes out]
        self.zstd: dict[int, list[float]] = {}

    @property
    def serialise_s(self) -> float:
        return self.json_s + self.msgpack_s

    @property
    def compress_s(self) -> float:
        return sum(v[1] for v in self.zstd.values())


class _TimedCompressor:
    def __init__(self, real: Any, level: int, times: CodecTimes) -> None:
        self._real = real
        self._level = level
        self._times = times

    def compress(self, data: bytes) -> bytes:
        started = time.perf_counter()
        out: bytes = self._real.compress(data)
        slot = self._times.zstd.setdefault(self._level, [0, 0.0, 0, 0])
        slot[0] += 1
        slot[1] += time.perf_counter() - started
        slot[2] += len(data)
        slot[3] += len(out)
        return out


@contextmanager
def timed_codecs() -> Iterator[CodecTimes]:
    """Time json.dumps/msgpack.packb/zstd compression inside ``rillet.core.repodata``
    without changing it (decoding the published files is timed as "parse")."""
    from rillet.core import repodata

    times = CodecTimes()
    real_json, real_msgpack, real_zstd = repodata.json, repodata.msgpack, repodata.zstandard

    def dumps(*a: Any, **kw: Any) -> str:
        started = time.perf_counter()
        try:
            return str(real_json.dumps(*a, **kw))
        finally:
            times.json_s += time.perf_counter() - started

    def packb(*a: Any, **kw: Any) -> Any:
        started = time.perf_counter()
        try:
            return real_msgpack.packb(*a, **kw)
        finally:
            times.msgpack_s += time.perf_counter() - started

    def compressor(*a: Any, level: int = 3, **kw: Any) -> _TimedCompressor:
        return _TimedCompressor(real_zstd.ZstdCompressor(*a, level=level, **kw), level, times)

    repodata.json = _Proxy(real_json, dumps=dumps)  # type: ignore[assignment]
    repodata.msgpack = _Proxy(real_msgpack, packb=packb)  # type: ignore[assignment]
    repodata.zstandard = _Proxy(real_zstd, ZstdCompressor=compressor)  # type: ignore[assignment]
    try:
        yield times
    finally:
        repodata.json, repodata.msgpack, repodata.zstandard = real_json, real_msgpack, real_zstd


class GcClock:
    """Seconds spent in Python's cyclic garbage collector (``gc.callbacks``). A full
    collection walks the whole heap of the process, moto's tables and objects included."""

    def __init__(self) -> None:
        self.total = 0.0
        self._started: float | None = None

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started is not None:
            self.total += time.perf_counter() - self._started
            self._started = None

    @contextmanager
    def installed(self) -> Iterator[GcClock]:
        gc.callbacks.append(self)
        try:
            yield self
        finally:
            gc.callbacks.remove(self)


class PhaseTimer:
    """Wall time, time inside moto, moto calls and garbage-collector time, summed per
    phase of one rebuild.

    A phase name may carry a detail after a dot (``read.get``); ``total(phase)`` sums
    them. Timed calls may nest (parse runs inside build): the caller subtracts.
    """

    def __init__(self, clock: common.ServerClock, gc_clock: GcClock | None = None) -> None:
        self.clock = clock
        self.gc_clock = gc_clock or GcClock()
        self.seconds: dict[str, float] = {}
        self.moto: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.gc: dict[str, float] = {}

    def call(self, phase: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        moto0, calls0 = self.clock.mine()
        gc0 = self.gc_clock.total
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - started
            moto1, calls1 = self.clock.mine()
            self.seconds[phase] = self.seconds.get(phase, 0.0) + elapsed
            self.moto[phase] = self.moto.get(phase, 0.0) + moto1 - moto0
            self.calls[phase] = self.calls.get(phase, 0) + calls1 - calls0
            self.gc[phase] = self.gc.get(phase, 0.0) + self.gc_clock.total - gc0

    def wrap(self, phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            return self.call(phase, fn, *args, **kwargs)

        return timed

    def total(self, table: dict[str, Any], phase: str) -> Any:
        return sum(v for k, v in table.items() if k == phase or k.startswith(phase + "."))

    def detail(self, table: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in sorted(table.items()) if "." in k}


class TimedCatalog:
    """The catalog as ``indexing.reindex`` sees it, every call it makes timed by phase.

    The first ``subdir_state`` is the rebuild's own; later ones are the settle loop's.
    """

    PHASES = {
        "pending_changes": "read.pending",
        "changed_contents": "read.changed",
        "subdir_contents": "read.contents",
        "mark_indexed": "mark.mark",
        "clear_changes": "mark.clear",
    }

    def __init__(self, inner: Any, timer: PhaseTimer) -> None:
        self.inner = inner
        self.timer = timer
        self.state_reads = 0

    def subdir_state(self, channel: str, subdir: str) -> Any:
        self.state_reads += 1
        phase = "state" if self.state_reads == 1 else "settle.state"
        return self.timer.call(phase, self.inner.subdir_state, channel, subdir)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        phase = self.PHASES.get(name)
        return attr if phase is None else self.timer.wrap(phase, attr)


class CountingStore:
    """Wraps the channels ObjectStore: counts requests and bytes; times GETs as "read"
    (PUTs and HEADs happen inside ``write_index``, which is timed as a whole)."""

    def __init__(self, inner: Any, timer: PhaseTimer | None = None) -> None:
        self.inner = inner
        self.timer = timer
        self.put_requests = 0
        self.put_bytes_sent = 0
        self.head_requests = 0
        self.get_requests = 0
        self.get_bytes = 0
        self.shard_put_requests = 0
        self.shards_written = 0
        self.shard_bytes_written = 0

    def put(self, key: str, body: bytes, **kwargs: Any) -> bool:
        written = bool(self.inner.put(key, body, **kwargs))
        self.put_requests += 1
        self.put_bytes_sent += len(body)
        if "/shards/" in key:
            self.shard_put_requests += 1
            if written:
                self.shards_written += 1
                self.shard_bytes_written += len(body)
        return written

    def head(self, key: str) -> Any:
        self.head_requests += 1
        return self.inner.head(key)

    def read(self, key: str) -> tuple[bytes, str] | None:
        if self.timer is None:
            got: tuple[bytes, str] | None = self.inner.read(key)
        else:
            got = self.timer.call("read.get", self.inner.read, key)
        self.get_requests += 1
        self.get_bytes += len(got[0]) if got is not None else 0
        return got

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@contextmanager
def _patched(module: Any, name: str, replacement: Any) -> Iterator[None]:
    original = getattr(module, name)
    setattr(module, name, replacement)
    try:
        yield
    finally:
        setattr(module, name, original)


def settle_from_settings(timer: PhaseTimer | None = None) -> Any:
    """The reindex handler's ``Settle`` (functions/reindex/handler.py), with the local
    stack's settings; its sleeps are timed as "settle" when ``timer`` is given."""
    from functions.reindex.handler import settle_for
    from rillet.runtime.wiring import container

    c = container()
    sleep: Callable[[float], None] = time.sleep
    if timer is not None:
        sleep = timer.wrap("settle.sleep", time.sleep)
    return settle_for(c.settings, c.clock.now_ms, sleep)


def instrumented_reindex(
    catalog: Any,
    store: Any,
    clock: common.ServerClock,
    channel: str,
    subdir: str,
    *,
    full: bool = False,
    settle: bool = True,
) -> dict[str, Any]:
    """The real ``indexing.reindex``, each phase timed through hooks around what it calls.

    ``seq`` is the subdir's change counter, as in the message the publish queued. With
    ``settle`` the reindex handler's settle window runs first (timed apart).
    """
    from rillet.core import repodata
    from rillet.core.layout import index_object_key
    from rillet.services import indexing

    state0 = catalog.subdir_state(channel, subdir)
    seq = state0.change_seq
    # Start every timed rebuild from a collected heap, so that a full collection owed
    # by the setup (seeding, the upload) does not land in one of its phases.
    gc.collect()
    gc_clock = GcClock()
    timer = PhaseTimer(clock, gc_clock)
    timed_catalog = TimedCatalog(catalog, timer)
    counting = CountingStore(store, timer)
    with ExitStack() as stack:
        stack.enter_context(gc_clock.installed())
        codecs = stack.enter_context(timed_codecs())
        for module, name, phase in (
            (repodata, "build_subdir_index", "build_total"),
            (repodata, "update_subdir_index", "build_total"),
            (repodata, "_parse_repodata", "parse.repodata"),
            (repodata, "_parse_shard_index", "parse.shard_index"),
            (indexing, "write_index", "write"),
        ):
            stack.enter_context(_patched(module, name, timer.wrap(phase, getattr(module, name))))
        window = settle_from_settings(timer) if settle else None
        # How long ago the last change, and the later of it and the end of the last
        # rebuild (where the settle's quiet interval starts), were when the rebuild is called.
        now_ms = window.now_ms() if window is not None else None
        since_change_ms = now_ms - state0.changed_at_ms if now_ms is not None else None
        since_quiet_ms = (
            now_ms - max(state0.changed_at_ms, state0.indexed_at_ms) if now_ms is not None else None
        )
        started = time.perf_counter()
        result = indexing.reindex(
            timed_catalog, counting, channel, subdir, seq, full=full, settle=window
        )
        wall = time.perf_counter() - started
        gc_rebuild = gc_clock.total - timer.total(timer.gc, "settle")
    if not result.rebuilt:
        raise RuntimeError(f"reindex of {channel}/{subdir} up to {seq} did not rebuild")

    sec, mot = timer.seconds, timer.moto
    t = {p: timer.total(sec, p) for p in ("state", "read", "parse", "write", "mark")}
    t["build"] = sec["build_total"] - t["parse"] - codecs.serialise_s - codecs.compress_s
    t["serialise"] = codecs.serialise_s
    t["compress"] = codecs.compress_s
    moto = {p: timer.total(mot, p) for p in ("state", "read", "write", "mark")}
    calls = {p: timer.total(timer.calls, p) for p in ("state", "read", "write", "mark")}
    settle_s = timer.total(sec, "settle")
    total = wall - settle_s
    moto_total = sum(moto.values())
    # Read back what was published: the records for the floor and the sizes.
    published = store.read(index_object_key(channel, subdir, repodata.REPODATA_JSON))
    index_json = published[0] if published is not None else b"{}"
    doc = json.loads(index_json)
    records = {**doc.get("packages", {}), **doc.get("packages.conda", {})}
    zst = store.head(index_object_key(channel, subdir, repodata.REPODATA_JSON_ZST))
    shard_index = store.read(index_object_key(channel, subdir, repodata.SHARD_INDEX))
    shards = len(repodata.decode_shard_index(shard_index[0])["shards"]) if shard_index else 0
    return {
        "full": result.full,
        "changes": result.changes,
        "waited_ms": result.waited_ms,
        "settle_s": settle_s,
        "since_change_ms": since_change_ms,
        "since_quiet_ms": since_quiet_ms,
        "records": len(records),
        "seconds": t,
        "seconds_detail": timer.detail(sec),
        "total_s": total,
        "unattributed_s": total - sum(t.values()),
        "moto_s": moto,
        "moto_detail": timer.detail(mot),
        "moto_total_s": moto_total,
        "calls": calls,
        "calls_detail": timer.detail(timer.calls),
        "compute_s": t["parse"] + t["build"] + t["serialise"] + t["compress"],
        "gc_s": gc_rebuild,
        "gc_detail": {k: v for k, v in sorted(timer.gc.items()) if v > 0},
        "without_moto_s": total - moto_total,
        "json_s": codecs.json_s,
        "msgpack_s": codecs.msgpack_s,
        "zstd": {str(k): v for k, v in sorted(codecs.zstd.items())},
        "repodata_zstd_level": repodata.repodata_zstd_level(len(index_json)),
        "objects_written": result.stats.objects_written,
        "bytes_written": result.stats.bytes_written,
        "shards_written": counting.shards_written,
        "shard_bytes_written": counting.shard_bytes_written,
        "put_requests": counting.put_requests,
        "shard_put_requests": counting.shard_put_requests,
        "head_requests": counting.head_requests,
        "get_requests": counting.get_requests,
        "bytes_read": counting.get_bytes,
        "bytes_sent": counting.put_bytes_sent,
        "repodata_json_bytes": len(index_json),
        "repodata_zst_bytes": zst.size if zst is not None else 0,
        "shard_index_bytes": len(shard_index[0]) if shard_index else 0,
        "shards": shards,
        "_records": records,  # dropped before saving; used for the floor
    }


# -- anchors -----------------------------------------------------------------------------


def floor(records: dict[str, Any], subdir: str, level: int, repeat: int) -> dict[str, Any]:
    """Serialise + compress the same repodata in-process: nothing else to do.

    The garbage collector is off while it runs: in this process a full collection walks
    moto's tables too (seconds at 100k records), which is no part of a floor.
    """
    import zstandard

    doc = {
        "info": {"subdir": subdir},
        "packages": {},
        "packages.conda": records,
        "repodata_version": 1,
    }
    ser, comp, parse = [], [], []
    size = zsize = 0
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            data = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
            mid = time.perf_counter()
            out = zstandard.ZstdCompressor(level=level, write_content_size=True).compress(data)
            ser.append(mid - started)
            comp.append(time.perf_counter() - mid)
            size, zsize = len(data), len(out)
            # Not part of the floor: what reading a previous repodata.json back costs.
            started = time.perf_counter()
            json.loads(data)
            parse.append(time.perf_counter() - started)
            del data, out
    finally:
        gc.enable()
    return {
        "serialise_s": statistics.median(ser),
        "compress_s": statistics.median(comp),
        "total_s": statistics.median(s + c for s, c in zip(ser, comp, strict=True)),
        "parse_s": statistics.median(parse),
        "level": level,
        "json_bytes": size,
        "zst_bytes": zsize,
    }


def _snapshot(directory: Path) -> dict[Path, tuple[int, int]]:
    out = {}
    for path in directory.rglob("*"):
        if path.is_file() and not path.name.endswith((".conda", ".tar.bz2")):
            st = path.stat()
            out[path] = (st.st_mtime_ns, st.st_size)
    return out


def _rattler_index(channel_dir: Path, *, zst: bool) -> float:
    from rattler.index import index_fs
    from rattler.platform import Platform

    started = time.perf_counter()
    asyncio.run(
        index_fs(channel_dir, target_platform=Platform(SUBDIR), write_zst=zst, write_shards=True)
    )
    return time.perf_counter() - started


def rattler_anchor(
    entries: Sequence[common.PoolEntry], new_packages: Sequence[Path], repeat: int
) -> dict[str, Any]:
    """rattler-index on the same N files: fresh, then incremental after each new package."""
    channel_dir = common.CACHE / "rattler-channel"
    common.link_channel(channel_dir, entries)
    subdir_dir = channel_dir / SUBDIR
    try:
        fresh_s = _rattler_index(channel_dir, zst=True)
        fresh_files = len(_snapshot(subdir_dir))
        runs = []
        for pkg in new_packages[:repeat]:
            before = _snapshot(subdir_dir)
            shutil.copyfile(pkg, subdir_dir / pkg.name)
            seconds = _rattler_index(channel_dir, zst=True)
            after = _snapshot(subdir_dir)
            changed = [p for p in after if before.get(p) != after[p]]
            runs.append(
                {
                    "seconds": seconds,
                    "files_written": len(changed),
                    "shards_written": sum(1 for p in changed if p.parent.name == "shards"),
                    "bytes_written": sum(after[p][1] for p in changed),
                }
            )
        no_zst = None
        if len(new_packages) > repeat:
            shutil.copyfile(new_packages[repeat], subdir_dir / new_packages[repeat].name)
            no_zst = _rattler_index(channel_dir, zst=False)
        repodata = json.loads((subdir_dir / "repodata.json").read_bytes())
        filenames = sorted({*repodata.get("packages", {}), *repodata.get("packages.conda", {})})
        zst = subdir_dir / "repodata.json.zst"
        best = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
        return {
            "fresh_s": fresh_s,
            "fresh_files": fresh_files,
            "incremental": best,
            "incremental_runs": [r["seconds"] for r in runs],
            "incremental_no_zst_s": no_zst,
            "repodata_zst_bytes": zst.stat().st_size if zst.exists() else None,
            "filenames": filenames,
        }
    finally:
        shutil.rmtree(channel_dir, ignore_errors=True)


# -- the scenario ------------------------------------------------------------------------


def run_size(n: int, repeat: int, check_client: bool, moto_as_is: bool) -> dict[str, Any]:
    from rillet.adapters.dynamodb import DynamoCatalog
    from rillet.adapters.s3 import S3ObjectStore

    common.log(f"reindex N={n}: package pool")
    entries, generated_s = common.ensure_pool(n)
    real_dir = common.CACHE / "real" / "reindex"
    new_packages = [
        common.real_package(real_dir, NEW_NAME, f"99.{k}", subdir=SUBDIR) for k in range(repeat + 1)
    ]

    common.log(f"reindex N={n}: rattler-index (fresh, then +1 package x{repeat})")
    rattler = rattler_anchor(entries, new_packages, repeat)

    common.log(f"reindex N={n}: local stack, seeding {n} records")
    channel = f"bench-r{n}"
    with common.local_stack(reindex_pump=False, moto_as_is=moto_as_is) as stack:
        client = common.Client(stack.url, stack.admin_token)
        client.create_channel(channel)
        seed_s = common.seed_catalog(stack, channel, SUBDIR, entries)
        window = settle_from_settings()  # the reindex handler's, the local stack's settings
        settle_settings = {
            "quiet_ms": window.quiet_ms,
            "max_wait_ms": window.max_wait_ms,
        }
        clock = common.ServerClock()
        ddb = stack.session.client("dynamodb")
        s3 = stack.session.client("s3")
        clock.attach(ddb.meta.events)
        clock.attach(s3.meta.events)
        catalog = DynamoCatalog(ddb, stack.provisioned.names.table)
        store = S3ObjectStore(s3, stack.provisioned.names.channels_bucket)

        # Seeded records carry no change marks: the first index reads the whole subdir.
        common.log(f"reindex N={n}: first (full) index")
        fresh = instrumented_reindex(
            catalog, store, clock, channel, SUBDIR, full=True, settle=False
        )
        fresh.pop("_records")
        if not fresh["full"] or fresh["records"] != n:
            raise RuntimeError(f"the first index is not a full one of {n} records: {fresh}")
        runs = []
        for k in range(repeat):
            pkg = new_packages[k]
            data = pkg.read_bytes()
            started = time.perf_counter()
            ticket = client.request_upload(channel, pkg.name, data)
            client.put(ticket, data)
            status = client.wait_final(channel, ticket["id"])
            if status["status"] != "published":
                raise RuntimeError(f"the new package was refused: {status}")
            ingest_s = time.perf_counter() - started
            common.log(f"reindex N={n}: incremental rebuild {k + 1}/{repeat}")
            run = instrumented_reindex(catalog, store, clock, channel, SUBDIR)
            if run["full"] or run["changes"] != 1:
                raise RuntimeError(
                    f"the rebuild after one package was not incremental over one change: "
                    f"full={run['full']}, changes={run['changes']}"
                )
            run["ingest_s"] = ingest_s
            runs.append(run)
        runs.sort(key=lambda r: r["total_s"])
        incremental = runs[len(runs) // 2]
        records = runs[-1]["_records"] if runs else {}
        for r in runs:
            r.pop("_records", None)

        floor_result = floor(records, SUBDIR, incremental["repodata_zstd_level"], 3)
        # The same file names as rattler indexed (+ the same new packages), or the
        # comparison is void.
        ours = sorted(records)
        same_records = ours == rattler["filenames"][: len(ours)] or set(ours) <= set(
            rattler["filenames"]
        )
        visible = None
        if check_client:
            seen = common.rattler_sees(f"{stack.url}/{channel}", NEW_NAME, SUBDIR)
            visible = {p.name for p in new_packages[:repeat]} <= seen
    rattler.pop("filenames")
    r_incr = rattler["incremental"]["seconds"]
    return {
        "n": n,
        "pool_generated_s": generated_s,
        "seed_s": seed_s,
        "fresh": fresh,
        "incremental": incremental,
        "incremental_totals": sorted(r["total_s"] for r in runs),
        "settle_s": sorted(r["settle_s"] for r in runs),
        "settle": settle_settings,
        "floor": floor_result,
        "rattler": rattler,
        "same_records_as_rattler": same_records,
        "new_package_visible_to_py_rattler": visible,
        "ratios": {
            "total_vs_rattler_incremental": incremental["total_s"] / r_incr,
            "without_moto_vs_rattler_incremental": incremental["without_moto_s"] / r_incr,
            "compute_vs_rattler_incremental": incremental["compute_s"] / r_incr,
            "total_vs_floor": incremental["total_s"] / floor_result["total_s"],
            "without_moto_vs_floor": incremental["without_moto_s"] / floor_result["total_s"],
            "compute_vs_floor": incremental["compute_s"] / floor_result["total_s"],
            "fresh_total_vs_rattler_fresh": fresh["total_s"] / rattler["fresh_s"],
            "fresh_without_moto_vs_rattler_fresh": fresh["without_moto_s"] / rattler["fresh_s"],
        },
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    from rillet.core import repodata

    result = common.new_result(
        NAME,
        {"sizes": args.sizes, "repeat": args.repeat, "versions_per_name": common.VERSIONS_PER_NAME},
    )
    # What the run's code uses: repodata.json.zst's zstd level by size (up to each limit
    # in bytes of JSON, then the large level).
    result["zstd_levels"] = [list(x) for x in repodata.REPODATA_ZSTD_LEVELS]
    result["zstd_level_large"] = repodata.REPODATA_ZSTD_LEVEL_LARGE
    rows = []
    for n in args.sizes:
        repeat = args.repeat if n <= 20000 else max(1, min(args.repeat, args.repeat_large))
        rows.append(run_size(n, repeat, not args.no_client_check, args.moto_as_is))
    result["rows"] = rows
    return result


# -- report ------------------------------------------------------------------------------


def _with_moto(seconds: float, moto: float) -> str:
    return f"{fmt_s(seconds)} ({fmt_s(moto)})"


def render(result: dict[str, Any]) -> str:
    rows = result["rows"]
    out = [
        "The rebuild after one real package (its change mark left by ingest, as in "
        "production), phase by phase: the real `indexing.reindex` with the reindex "
        "handler's settle window, on its incremental path (the median of the runs; "
        "`moto` = time spent inside the emulated AWS, already included in the phase; "
        "parse, build, serialise and compress are the parts of `update_subdir_index`):",
        "",
    ]
    head = [
        "N",
        "state",
        "read (moto)",
        "parse",
        "build",
        "serialise",
        "compress",
        "write (moto)",
        "mark (moto)",
        "total",
        "total excl. moto",
        "settle wait (not in total)",
    ]
    body = []
    for r in rows:
        inc = r["incremental"]
        s, m = inc["seconds"], inc["moto_s"]
        body.append(
            [
                fmt_n(r["n"]),
                fmt_s(s["state"]),
                _with_moto(s["read"], m["read"]),
                fmt_s(s["parse"]),
                fmt_s(s["build"]),
                fmt_s(s["serialise"]),
                f"{fmt_s(s['compress'])} (L{inc['repodata_zstd_level']})",
                _with_moto(s["write"], m["write"]),
                _with_moto(s["mark"], m["mark"]),
                f"**{fmt_s(inc['total_s'])}**",
                fmt_s(inc["without_moto_s"]),
                fmt_s(inc["settle_s"]),
            ]
        )
    out.append(md_table(head, body))
    out += ["", "The read, step by step (same runs; time (of which moto)):", ""]
    head = [
        "N",
        "pending marks (Query)",
        "GET repodata.json + shard index",
        "changed records (BatchGetItem)",
        "bytes read",
        "parse repodata.json",
        "parse shard index",
    ]
    body = []
    for r in rows:
        inc = r["incremental"]
        sd, md = inc["seconds_detail"], inc["moto_detail"]
        body.append(
            [
                fmt_n(r["n"]),
                _with_moto(sd.get("read.pending", 0.0), md.get("read.pending", 0.0)),
                _with_moto(sd.get("read.get", 0.0), md.get("read.get", 0.0)),
                _with_moto(sd.get("read.changed", 0.0), md.get("read.changed", 0.0)),
                fmt_bytes(inc["bytes_read"]),
                fmt_s(sd.get("parse.repodata", 0.0)),
                fmt_s(sd.get("parse.shard_index", 0.0)),
            ]
        )
    out.append(md_table(head, body))
    out += [
        "",
        "Objects and bytes written by that rebuild, next to rattler-index's incremental run:",
        "",
    ]
    head = [
        "N",
        "shards",
        "objects written",
        "of which shards",
        "bytes written",
        "PUT requests",
        "bytes sent",
        "HEADs",
        "rattler files written",
        "rattler bytes written",
    ]
    body = []
    for r in rows:
        inc, ri = r["incremental"], r["rattler"]["incremental"]
        body.append(
            [
                fmt_n(r["n"]),
                inc["shards"],
                inc["objects_written"],
                inc["shards_written"],
                fmt_bytes(inc["bytes_written"]),
                inc["put_requests"],
                fmt_bytes(inc["bytes_sent"]),
                inc["head_requests"],
                ri["files_written"],
                fmt_bytes(ri["bytes_written"]),
            ]
        )
    out.append(md_table(head, body))
    out += ["", "Next to the anchors (same records, same run):", ""]
    head = [
        "N",
        "ours: incremental",
        "ours excl. moto",
        "ours: compute",
        "rattler: incremental",
        "rattler: incr. no .zst",
        "floor (L)",
        "ours / rattler",
        "excl. moto / rattler",
        "ours / floor",
        "excl. moto / floor",
        "compute / floor",
    ]
    body = []
    for r in rows:
        inc, ra, fl, q = r["incremental"], r["rattler"], r["floor"], r["ratios"]
        body.append(
            [
                fmt_n(r["n"]),
                fmt_s(inc["total_s"]),
                fmt_s(inc["without_moto_s"]),
                fmt_s(inc["compute_s"]),
                fmt_s(ra["incremental"]["seconds"]),
                fmt_s(ra["incremental_no_zst_s"]),
                f"{fmt_s(fl['total_s'])} (L{fl['level']})",
                f"{q['total_vs_rattler_incremental']:.2f}",
                f"{q['without_moto_vs_rattler_incremental']:.2f}",
                f"{q['total_vs_floor']:.1f}",
                f"{q['without_moto_vs_floor']:.1f}",
                f"{q['compute_vs_floor']:.1f}",
            ]
        )
    out.append(md_table(head, body))
    out += [
        "",
        "Full index of N (the first rebuild after seeding: `full=True`, every item read) "
        "and setup costs:",
        "",
    ]
    head = [
        "N",
        "ours: full index",
        "of which moto",
        "ours excl. moto",
        "rattler: fresh",
        "ours / rattler",
        "excl. moto / rattler",
        "repodata.json",
        ".zst ours",
        ".zst rattler",
        "seed N items",
        "upload→published",
    ]
    body = []
    for r in rows:
        fr, ra, inc = r["fresh"], r["rattler"], r["incremental"]
        body.append(
            [
                fmt_n(r["n"]),
                fmt_s(fr["total_s"]),
                fmt_s(fr["moto_total_s"]),
                fmt_s(fr["without_moto_s"]),
                fmt_s(ra["fresh_s"]),
                f"{r['ratios']['fresh_total_vs_rattler_fresh']:.2f}",
                f"{r['ratios']['fresh_without_moto_vs_rattler_fresh']:.2f}",
                fmt_bytes(inc["repodata_json_bytes"]),
                fmt_bytes(inc["repodata_zst_bytes"]),
                fmt_bytes(ra["repodata_zst_bytes"]),
                fmt_s(r["seed_s"]),
                fmt_s(inc.get("ingest_s")),
            ]
        )
    out.append(md_table(head, body))
    checks = []
    for r in rows:
        checks.append(
            f"N={fmt_n(r['n'])}: first index full: {'yes' if r['fresh']['full'] else 'NO'}; "
            f"rebuilds after one package incremental over 1 change: yes; "
            f"same file names as rattler indexed: "
            f"{'yes' if r['same_records_as_rattler'] else 'NO'}; new package seen by py-rattler "
            f"(sharded): {_yes(r['new_package_visible_to_py_rattler'])}; "
            f"incremental runs: {', '.join(fmt_s(x) for x in r['incremental_totals'])}; "
            f"rattler incremental runs: "
            f"{', '.join(fmt_s(x) for x in r['rattler']['incremental_runs'])}"
        )
    out += ["", "Checks: " + " — ".join(checks)]
    return "\n".join(out)


def _yes(value: bool | None) -> str:
    return "not checked" if value is None else ("yes" if value else "NO")


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = result["rows"]
    largest = max(rows, key=lambda r: r["n"])
    n = fmt_n(largest["n"])
    q = largest["ratios"]
    inc = largest["incremental"]
    out = [
        {
            "goal": f"reindex after one package at {n} records: ours / rattler incremental",
            "target": "≤ 1.0",
            "measured": (
                f"{q['total_vs_rattler_incremental']:.2f} on the local stack "
                f"({fmt_s(inc['total_s'])} vs "
                f"{fmt_s(largest['rattler']['incremental']['seconds'])}); "
                f"{q['without_moto_vs_rattler_incremental']:.2f} without moto's own time"
            ),
            "met": q["total_vs_rattler_incremental"] <= 1.0,
            "met_without_moto": q["without_moto_vs_rattler_incremental"] <= 1.0,
        },
        {
            "goal": f"reindex after one package at {n} records: ours / serialise+compress floor",
            "target": "≤ 2x",
            "measured": (
                f"{q['total_vs_floor']:.1f}x on the local stack, "
                f"{q['without_moto_vs_floor']:.1f}x without moto, "
                f"{q['compute_vs_floor']:.1f}x for the compute alone "
                f"(floor {fmt_s(largest['floor']['total_s'])})"
            ),
            "met": q["total_vs_floor"] <= 2.0,
            "met_without_moto": q["without_moto_vs_floor"] <= 2.0,
        },
    ]
    shards = [r["incremental"]["shards_written"] for r in rows]
    puts = [r["incremental"]["shard_put_requests"] for r in rows]
    out.append(
        {
            "goal": "shard objects written by one new package do not grow with N",
            "target": "flat",
            "measured": (
                "shards written: "
                + ", ".join(f"{fmt_n(r['n'])}: {s}" for r, s in zip(rows, shards, strict=True))
                + "; shard PUT requests: "
                + ", ".join(f"{fmt_n(r['n'])}: {p}" for r, p in zip(rows, puts, strict=True))
            ),
            "met": len(set(shards)) == 1 and len(set(puts)) == 1,
            "met_without_moto": len(set(shards)) == 1 and len(set(puts)) == 1,
        }
    )
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reindex", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--sizes",
        type=common.int_list,
        default=[1000, 10000, 100000],
        help="records in the subdir, e.g. 1k,10k,100k",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="incremental rebuilds per size up to 20k (the median is reported)",
    )
    parser.add_argument(
        "--repeat-large", type=int, default=1, help="incremental rebuilds per size above 20k"
    )
    parser.add_argument(
        "--no-client-check",
        action="store_true",
        help="skip checking with py-rattler that the new package is visible",
    )
    common.add_moto_arg(parser)
    common.add_output_args(parser)
    args = parser.parse_args(argv)
    common.finish(NAME, run(args), args)


def analysis(result: dict[str, Any]) -> str:
    rows = result["rows"]
    big = max(rows, key=lambda r: r["n"])
    n = fmt_n(big["n"])
    inc, ra, fl, q = big["incremental"], big["rattler"], big["floor"], big["ratios"]
    fr = big["fresh"]
    s, m = inc["seconds"], inc["moto_s"]
    md = inc["moto_detail"]
    excl = inc["without_moto_s"]
    no_zst = ra["incremental_no_zst_s"]
    gc_s = inc.get("gc_s", 0.0)
    read_client = s["read"] - m["read"]
    write_client = s["write"] - m["write"]
    marks_moto = md.get("read.pending", 0.0)
    transfer_moto = m["write"] + md.get("read.get", 0.0)
    excl_parts = {
        "parse": s["parse"],
        "serialise": s["serialise"],
        "compress": s["compress"],
        "build": s["build"],
        "the client side of the write": write_client,
        "the client side of the read": read_client,
        "state and mark": s["state"] + s["mark"] - m["state"] - m["mark"],
    }
    top = sorted(excl_parts.items(), key=lambda kv: -kv[1])
    zst_ratio = (ra["repodata_zst_bytes"] or 0) / max(1, inc["repodata_zst_bytes"])
    pages = fr["calls_detail"].get("read.contents", 0)
    heads = (
        f"{inc['head_requests']} HEAD for the ETag of repodata.json.zst, the other two "
        "come with the GETs"
        if inc["head_requests"] == 1
        else f"{inc['head_requests']} HEADs"
    )
    scaling = "; ".join(
        f"{fmt_n(r['n'])}: {fmt_s(r['incremental']['total_s'])} against "
        f"{fmt_s(r['fresh']['total_s'])} ({fmt_s(r['incremental']['without_moto_s'])} "
        f"against {fmt_s(r['fresh']['without_moto_s'])})"
        for r in rows
    )
    moved = ", ".join(
        f"{fmt_n(r['n'])}: {fmt_bytes(r['incremental']['bytes_read'])} read, "
        f"{fmt_bytes(r['incremental']['bytes_sent'])} sent"
        for r in rows
    )
    puts = ", ".join(f"{fmt_n(r['n'])}: {r['incremental']['put_requests']}" for r in rows)
    shard_puts = ", ".join(
        f"{fmt_n(r['n'])}: {r['incremental']['shard_put_requests']}" for r in rows
    )
    levels = ""
    if result.get("zstd_levels"):
        rule = ", ".join(
            f"level {level} up to {limit // 1024:,} KiB of JSON"
            for limit, level in result["zstd_levels"]
        )
        levels = (
            f" repodata.json.zst is compressed at {rule} and level "
            f"{result['zstd_level_large']} above: "
            + "; ".join(
                f"{fmt_n(r['n'])} ({fmt_bytes(r['incremental']['repodata_json_bytes'])}) level "
                f"{r['incremental']['repodata_zstd_level']}, "
                f"{fmt_s(r['incremental']['seconds']['compress'])} of the "
                f"{fmt_s(r['incremental']['without_moto_s'])} without moto"
                for r in rows
            )
            + "."
        )
    settings = big.get("settle")
    if settings and inc.get("since_change_ms") is not None:
        since = inc.get("since_quiet_ms")
        from_text = (
            f", {fmt_s(since / 1000)} after the later of the change and the end of the last rebuild"
            if since is not None
            else ""
        )
        settle_text = (
            f"The handler's settle window ran first and waited {fmt_s(inc['settle_s'])} "
            "here, not counted in the totals: the rebuild waits until "
            f"{fmt_s(settings['quiet_ms'] / 1000)} passed since the later of the last change "
            "(taken at its commit) and the end of the last rebuild, at most "
            f"{fmt_s(settings['max_wait_ms'] / 1000)}; the benchmark called the rebuild "
            f"{fmt_s(inc['since_change_ms'] / 1000)} after the change{from_text} (scenario 3 "
            "has the wait an upload sees)."
        )
    else:
        settle_text = (
            f"The handler's settle window ran first and waited {fmt_s(inc['settle_s'])} "
            "here, not counted in the totals (scenario 3 has the wait an upload sees)."
        )
    out = [
        "### Reading the reindex numbers",
        "",
        "**What a rebuild does now.** Ingest leaves a change mark (an item in the "
        "subdir's change partition) with every publish, so the rebuild after one "
        "package Queries the marks, GETs the "
        f"published repodata.json and shard index ({fmt_bytes(inc['bytes_read'])} at {n}), "
        "batch-gets the one changed record, parses the two files, re-renders the changed "
        "name's shard and re-serialises and recompresses repodata.json, then PUTs that "
        f"shard and the three pointers ({inc['put_requests']} PUTs, {heads}) and clears "
        f"the mark. {settle_text}",
        "",
        f"**Where the time goes.** At {n} records the rebuild takes "
        f"{fmt_s(inc['total_s'])} on the local stack, {fmt_s(inc['moto_total_s'])} of it "
        f"inside moto: {fmt_s(marks_moto)} answering the Query of the change marks (moto "
        "scans and sorts every item of the table for any Query; DynamoDB reads the key "
        f"range), {fmt_s(m['write'])} storing the {inc['put_requests']} PUTs "
        f"({fmt_bytes(inc['bytes_sent'])}), {fmt_s(md.get('read.get', 0.0))} for the GETs. "
        f"Without moto it takes {fmt_s(excl)}: "
        + ", ".join(f"{k} {fmt_s(v)}" for k, v in top)
        + f" (Python's garbage collector ran for {fmt_s(gc_s)} of it). Parse is "
        f"`json.loads` of the {fmt_bytes(inc['repodata_json_bytes'])} repodata.json plus "
        f"the shard index; serialise is `json.dumps` of all of it "
        f"({fmt_s(inc['json_s'])}) and msgpack ({fmt_s(inc['msgpack_s'])}); compress is "
        f"zstd level {inc['repodata_zstd_level']} for repodata.json.zst and level 3 for "
        "one shard and the shard index; build is the rest of `update_subdir_index` "
        "(the changed record checked, the touched name's records regrouped).",
        "",
        "**Against the full index.** The rebuild after one package next to the full "
        "index of the same subdir (`full=True`, the first rebuild after seeding), on the "
        f"local stack (without moto): {scaling}. At {n} the full index's read alone is "
        f"{pages} Query pages, {fmt_s(fr['moto_s']['read'])} inside moto. What still grows "
        "with N is "
        f"repodata.json, read, parsed, re-serialised, recompressed and written whole: "
        f"{moved}.{levels}",
        "",
        f"**Next to rattler.** rattler-index's incremental run at {n} takes "
        f"{fmt_s(ra['incremental']['seconds'])}: it reads its previous repodata.json from "
        "disk, opens only the new package, and rewrites repodata.json, the shard index and "
        "the changed shard. Most of its time is recompressing repodata.json.zst at a high "
        f"zstd level (its .zst is {zst_ratio:.2f}x the size of ours); without .zst the same "
        f"run takes {fmt_s(no_zst)}. Ours is {q['total_vs_rattler_incremental']:.2f}x "
        f"rattler's incremental on the local stack and "
        f"{q['without_moto_vs_rattler_incremental']:.2f}x without moto; without moto it is "
        f"{excl / no_zst:.2f}x rattler's run without .zst.",
        "",
        f"**Against the floor.** Serialising and compressing the same repodata in-process "
        f"(zstd level {fl['level']}, garbage collector off) takes {fmt_s(fl['total_s'])}: "
        f"`json.dumps` {fmt_s(fl['serialise_s'])}, zstd {fmt_s(fl['compress_s'])}. Ours is "
        f"{q['total_vs_floor']:.1f}x that on the local stack, "
        f"{q['without_moto_vs_floor']:.1f}x without moto, and {q['compute_vs_floor']:.1f}x "
        f"for the compute alone (parse + build + serialise + compress = "
        f"{fmt_s(inc['compute_s'])}). Starting from the published index means parsing it "
        f"first, which the floor does not: `json.loads` of the same bytes takes "
        f"{fmt_s(fl['parse_s'])} on its own.",
        "",
        "**Shards.** One new package writes one shard at every N, and `write_index` sends "
        f"only the changed shards: shard PUT requests {shard_puts}; PUT requests in all "
        f"{puts}.",
    ]
    misses: list[tuple[float, str]] = []
    if q["total_vs_floor"] > 2.0 or q["total_vs_rattler_incremental"] > 1.0:
        misses.append(
            (
                marks_moto,
                f"The change-mark Query inside moto ({fmt_s(marks_moto)} at {n}) is an "
                "emulator cost: for any Query moto collects and sorts every item of the "
                "table, although the marks have a partition of their own. DynamoDB reads "
                "just the marks' partition, one item here. It is "
                f"{fmt_s(marks_moto)} of the {fmt_s(inc['moto_total_s'])} spent inside moto.",
            )
        )
        misses.append(
            (
                transfer_moto,
                f"Moving repodata.json in and out of S3: {fmt_s(transfer_moto)} "
                f"inside moto at {n} (PUT {fmt_bytes(inc['bytes_sent'])}, GET "
                f"{fmt_bytes(inc['bytes_read'])}), plus {fmt_s(read_client + write_client)} "
                "on the client side. On S3 these are transfers of the same bytes, so they "
                "stay O(N): a warm reindex Lambda could keep the last index it wrote, keyed "
                "by the ETag S3 returned (one writer per FIFO group; a different ETag falls "
                "back to the GET), and skip the GET; the PUT of repodata.json and its .zst "
                "is what every single-file index pays (rattler writes them too).",
            )
        )
    if q["without_moto_vs_floor"] > 2.0:
        misses.append(
            (
                s["parse"],
                f"Parsing the previous index: {fmt_s(s['parse'])} at {n} (`json.loads` of "
                f"{fmt_bytes(inc['repodata_json_bytes'])} in `repodata._parse_repodata`, "
                "called by `update_subdir_index`), the largest part above the floor. The "
                "same warm-instance cache, holding the parsed records rather than the "
                "bytes, removes it for every rebuild but a cold start's. Without any parse: "
                "repodata.json is compact, key-sorted JSON, so the changed records could be "
                "spliced into the previous bytes by filename; that also removes most of "
                f"serialise ({fmt_s(s['serialise'])}), leaving zstd, under the floor.",
            )
        )
    if misses:
        out += ["", "**What would close the misses** (in order of weight):", ""]
        ordered = [text for _, text in sorted(misses, key=lambda wt: -wt[0])]
        out += [f"{i}. {text}" for i, text in enumerate(ordered, 1)]
    return "\n".join(out)


if __name__ == "__main__":
    main()
