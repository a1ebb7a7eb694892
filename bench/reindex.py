"""Scenario 1: reindex after one new package into a subdir of N records.

For each N: N synthetic (valid, minimal) .conda packages are generated once under
bench/.cache/pool. Their records are written straight into the local stack's table
(the items ingest leaves behind), a first full reindex publishes the index, then one
real package (rattler-build) goes through the presigned flow (presign, PUT, validate)
and the rebuild that follows is timed phase by phase, by calling the pieces of
``rillet.services.indexing.reindex`` here:

    state   catalog.subdir_state                (1 GetItem)
    read    catalog.subdir_contents             (Query of every item of the subdir)
    build   repodata.build_subdir_index         minus the two below: clean, group, hash
    ser     json.dumps + msgpack.packb          (inside build_subdir_index)
    zstd    zstandard compress                  (inside build_subdir_index)
    write   indexing.write_index                (shards put-if-absent, 3 pointers)
    mark    catalog.mark_indexed                (1 UpdateItem)

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
import json
import shutil
import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import common
from bench.common import SUBDIR, fmt_bytes, fmt_n, fmt_s, md_table

NAME = "reindex"
TITLE = "1. Reindex after one new package"
# The real package added each time: a new version of a name the subdir already holds.
NEW_NAME = "bench-00000"


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
    """Time json/msgpack/zstd inside ``rillet.core.repodata`` without changing it."""
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


class CountingStore:
    """Wraps the channels ObjectStore and counts requests and bytes sent."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.put_requests = 0
        self.put_bytes_sent = 0
        self.head_requests = 0
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

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def instrumented_reindex(
    catalog: Any, store: Any, clock: common.ServerClock, channel: str, subdir: str
) -> dict[str, Any]:
    """``indexing.reindex`` step by step, with each phase timed."""
    from rillet.core import repodata
    from rillet.services import indexing

    t: dict[str, float] = {}
    moto: dict[str, float] = {}
    calls: dict[str, int] = {}

    def phase(name: str, fn: Any) -> Any:
        before, n_before = clock.mine()
        started = time.perf_counter()
        value = fn()
        t[name] = time.perf_counter() - started
        after, n_after = clock.mine()
        moto[name] = after - before
        calls[name] = n_after - n_before
        return value

    state = phase("state", lambda: catalog.subdir_state(channel, subdir))
    contents = phase("read", lambda: catalog.subdir_contents(channel, subdir))
    with timed_codecs() as codecs:
        index = phase(
            "build_total",
            lambda: repodata.build_subdir_index(subdir, contents.records, contents.removed),
        )
    counting = CountingStore(store)
    stats = phase("write", lambda: indexing.write_index(counting, channel, index))
    phase("mark", lambda: catalog.mark_indexed(channel, subdir, state.change_seq))

    build = t.pop("build_total") - codecs.serialise_s - codecs.compress_s
    t["build"] = build
    t["serialise"] = codecs.serialise_s
    t["compress"] = codecs.compress_s
    repodata_level = repodata.repodata_zstd_level(len(index.repodata_json))
    total = sum(t.values())
    moto_total = sum(moto.values())
    return {
        "records": len(contents.records),
        "seconds": t,
        "total_s": total,
        "moto_s": moto,
        "moto_total_s": moto_total,
        "calls": calls,
        "compute_s": t["build"] + t["serialise"] + t["compress"],
        "without_moto_s": total - moto_total,
        "json_s": codecs.json_s,
        "msgpack_s": codecs.msgpack_s,
        "zstd": {str(k): v for k, v in sorted(codecs.zstd.items())},
        "repodata_zstd_level": repodata_level,
        "objects_written": stats.objects_written,
        "bytes_written": stats.bytes_written,
        "shards_written": counting.shards_written,
        "shard_bytes_written": counting.shard_bytes_written,
        "put_requests": counting.put_requests,
        "shard_put_requests": counting.shard_put_requests,
        "head_requests": counting.head_requests,
        "bytes_sent": counting.put_bytes_sent,
        "repodata_json_bytes": len(index.repodata_json),
        "repodata_zst_bytes": len(index.repodata_json_zst),
        "shard_index_bytes": len(index.shard_index),
        "shards": len(index.shards),
        "_records": contents.records,  # dropped before saving; used for the floor
    }


# -- anchors -----------------------------------------------------------------------------


def floor(records: dict[str, Any], subdir: str, level: int, repeat: int) -> dict[str, Any]:
    """Serialise + compress the same repodata in-process: nothing else to do."""
    import zstandard

    doc = {
        "info": {"subdir": subdir},
        "packages": {},
        "packages.conda": records,
        "repodata_version": 1,
    }
    ser, comp = [], []
    size = zsize = 0
    for _ in range(repeat):
        started = time.perf_counter()
        data = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
        mid = time.perf_counter()
        out = zstandard.ZstdCompressor(level=level, write_content_size=True).compress(data)
        ser.append(mid - started)
        comp.append(time.perf_counter() - mid)
        size, zsize = len(data), len(out)
    return {
        "serialise_s": statistics.median(ser),
        "compress_s": statistics.median(comp),
        "total_s": statistics.median(s + c for s, c in zip(ser, comp, strict=True)),
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
        clock = common.ServerClock()
        ddb = stack.session.client("dynamodb")
        s3 = stack.session.client("s3")
        clock.attach(ddb.meta.events)
        clock.attach(s3.meta.events)
        catalog = DynamoCatalog(ddb, stack.provisioned.names.table)
        store = S3ObjectStore(s3, stack.provisioned.names.channels_bucket)

        common.log(f"reindex N={n}: first (full) index")
        fresh = instrumented_reindex(catalog, store, clock, channel, SUBDIR)
        fresh.pop("_records")
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
            run["ingest_s"] = ingest_s
            runs.append(run)
        runs.sort(key=lambda r: r["total_s"])
        incremental = runs[len(runs) // 2]
        records = incremental.pop("_records")
        for r in runs:
            r.pop("_records", None)

        floor_result = floor(
            records, SUBDIR, incremental["repodata_zstd_level"], 3 if n <= 20000 else 1
        )
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
    result = common.new_result(
        NAME,
        {"sizes": args.sizes, "repeat": args.repeat, "versions_per_name": common.VERSIONS_PER_NAME},
    )
    rows = []
    for n in args.sizes:
        repeat = args.repeat if n <= 20000 else max(1, min(args.repeat, args.repeat_large))
        rows.append(run_size(n, repeat, not args.no_client_check, args.moto_as_is))
    result["rows"] = rows
    return result


# -- report ------------------------------------------------------------------------------


def render(result: dict[str, Any]) -> str:
    rows = result["rows"]
    out = [
        "Incremental rebuild after one real package, phase by phase (the median of the runs; "
        "`moto` = time spent inside the emulated AWS, already included in the phase):",
        "",
    ]
    head = [
        "N",
        "state",
        "read (moto)",
        "build",
        "serialise",
        "compress",
        "write (moto)",
        "mark",
        "total",
        "total excl. moto",
    ]
    body = []
    for r in rows:
        inc = r["incremental"]
        s, m = inc["seconds"], inc["moto_s"]
        body.append(
            [
                fmt_n(r["n"]),
                fmt_s(s["state"]),
                f"{fmt_s(s['read'])} ({fmt_s(m['read'])})",
                fmt_s(s["build"]),
                fmt_s(s["serialise"]),
                f"{fmt_s(s['compress'])} (L{inc['repodata_zstd_level']})",
                f"{fmt_s(s['write'])} ({fmt_s(m['write'])})",
                fmt_s(s["mark"]),
                f"**{fmt_s(inc['total_s'])}**",
                fmt_s(inc["without_moto_s"]),
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
    out += ["", "Full index of N (the first rebuild after seeding) and setup costs:", ""]
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
            f"N={fmt_n(r['n'])}: same file names as rattler indexed: "
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
            "met": len(set(shards)) == 1,
            "met_without_moto": len(set(shards)) == 1,
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
    parser.add_argument(
        "--moto-as-is",
        action="store_true",
        help="keep moto's whole-table copy on every transaction",
    )
    common.add_output_args(parser)
    args = parser.parse_args(argv)
    common.finish(NAME, run(args), args)


if __name__ == "__main__":
    main()


def analysis(result: dict[str, Any]) -> str:
    rows = result["rows"]
    big = max(rows, key=lambda r: r["n"])
    n = fmt_n(big["n"])
    inc, ra, fl, q = big["incremental"], big["rattler"], big["floor"], big["ratios"]
    s, m, calls = inc["seconds"], inc["moto_s"], inc["calls"]
    read_client = s["read"] - m["read"]
    write_client = s["write"] - m["write"]
    per_item_ms = m["read"] / max(1, inc["records"]) * 1000
    excl = inc["without_moto_s"]
    no_zst = ra["incremental_no_zst_s"]
    excl_parts = {
        "the client side of the read": read_client,
        "build": s["build"],
        "serialise": s["serialise"],
        "compress": s["compress"],
        "the client side of the write": write_client,
    }
    top = sorted(excl_parts.items(), key=lambda kv: -kv[1])
    zst_ratio = (ra["repodata_zst_bytes"] or 0) / max(1, inc["repodata_zst_bytes"])
    puts = ", ".join(f"{fmt_n(r['n'])}: {r['incremental']['put_requests']}" for r in rows)
    sent = ", ".join(f"{fmt_n(r['n'])}: {fmt_bytes(r['incremental']['bytes_sent'])}" for r in rows)
    out = [
        "### Reading the reindex numbers",
        "",
        f"**Where the time goes.** At {n} records the rebuild after one package takes "
        f"{fmt_s(inc['total_s'])} on the local stack; {fmt_s(inc['moto_total_s'])} of it is "
        f"spent inside moto: {fmt_s(m['read'])} answering the {calls['read']} Query pages of "
        f"the read (moto serialises every item of a response in Python, "
        f"~{per_item_ms:.1f} ms per item) and {fmt_s(m['write'])} for the "
        f"{inc['put_requests']} PUTs of the write. Without moto the rebuild takes "
        f"{fmt_s(excl)}: " + ", ".join(f"{k} {fmt_s(v)}" for k, v in top) + ". The client "
        f"side of the read is botocore parsing {calls['read']} pages of DynamoDB JSON plus "
        f"`json.loads` of {big['n']:,} record strings; build is `_clean_record` / "
        f"`_shard_record` on every record (key sort, hex checks, filename parse, grouping); "
        f"serialise is `json.dumps` ({fmt_s(inc['json_s'])}) and msgpack "
        f"({fmt_s(inc['msgpack_s'])}); compress is zstd level {inc['repodata_zstd_level']} "
        f"for repodata.json.zst plus level 3 for {inc['shards']} shards.",
        "",
        f"**Next to rattler.** rattler-index's incremental run at {n} takes "
        f"{fmt_s(ra['incremental']['seconds'])}: it reads its previous repodata.json from "
        f"disk, opens only the new package, and rewrites repodata.json, the shard index and "
        f"the changed shard only. Most of its time is recompressing repodata.json.zst at a "
        f"high zstd level (its .zst is {zst_ratio:.2f}x the size of ours); without .zst the "
        f"same incremental run takes {fmt_s(no_zst)}. So ours is "
        f"{q['total_vs_rattler_incremental']:.2f}x rattler's incremental on the local stack "
        f"and {q['without_moto_vs_rattler_incremental']:.2f}x without moto, but "
        f"{excl / no_zst:.1f}x rattler without .zst: rattler parses one file (its previous "
        "repodata.json) where we page through N database items, and it writes only the "
        "changed shard where we send every shard.",
        "",
        f"**Against the floor.** Serialising and compressing the same repodata in-process "
        f"(zstd level {fl['level']}) takes {fmt_s(fl['total_s'])}. Ours is "
        f"{q['total_vs_floor']:.0f}x that on the local stack, {q['without_moto_vs_floor']:.1f}x "
        f"without moto, and {q['compute_vs_floor']:.1f}x for the compute alone "
        f"(build + serialise + compress = {fmt_s(inc['compute_s'])}).",
        "",
        f"**Shards.** Objects written per rebuild stay flat ({inc['objects_written']}: one "
        "shard, repodata.json, repodata.json.zst, the shard index) at every N, so does what "
        "S3 stores. Requests do not: `write_index` sends one put-if-absent per shard, and S3 "
        f"refuses all but the changed one — PUT requests {puts}; bytes sent {sent}. On S3 "
        "each is a round trip, sequential in one Lambda.",
        "",
        "**What would close the misses** (code paths, in order of weight):",
        "",
        f"1. `DynamoCatalog.subdir_contents`, called by `indexing.reindex`, reads every item of "
        f"the subdir on every rebuild ({calls['read']} pages at {n}; "
        f"{fmt_s(read_client)} of client work plus the service time; on DynamoDB also "
        f"at least ~{inc['repodata_json_bytes'] / 4096:,.0f} read units per rebuild, one per "
        f"4 KB read consistently). Start from the previous build instead "
        "— repodata.json already holds every record, `indexed_timestamp` and `removed` — and "
        "read only what changed since `indexed_seq` (e.g. a `CHG#<seq>` item written in the "
        "same transaction as `change_seq` in `publish_package` / `remove_package`): one GET "
        "and a short Query instead of N/1,700 pages.",
        f"2. `indexing.write_index` PUTs every shard ({inc['shard_put_requests']} requests at "
        f"{n}; {fmt_s(write_client)} client-side here). Read the current shard index (one "
        "GET, it lists every digest) and PUT only digests not in it: requests become "
        "O(changed names).",
        f"3. `repodata.build_subdir_index` re-checks and re-packs all {big['n']:,} records "
        f"({fmt_s(s['build'] + inc['msgpack_s'])} build + msgpack at {n}). With (1), keep the "
        "cleaned records of the previous build and re-render only the shards of changed "
        "names. What is left is `json.dumps` + zstd of repodata.json: the floor.",
    ]
    high = [r for r in rows if r["incremental"]["repodata_zstd_level"] >= 16]
    if high:
        where = "; ".join(
            f"at {fmt_n(r['n'])} records level {r['incremental']['repodata_zstd_level']} "
            f"costs {fmt_s(r['incremental']['seconds']['compress'])} of "
            f"{fmt_s(r['incremental']['without_moto_s'])} without moto"
            for r in high
        )
        out.append(
            "4. Below 8 MB of JSON `repodata_zstd_level` picks a slow level (19 up to 1 MB, "
            f"16 up to 8 MB): {where}. It runs before the shard index is written, so "
            "sharded clients wait for a file they never read; compressing repodata.json.zst "
            "after publishing the shards (or at level 3 first, recompressed later) takes it "
            "off the upload → installable path."
        )
    return "\n".join(out)
