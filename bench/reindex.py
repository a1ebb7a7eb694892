"""Scenario 1: reindex after one new package into a subdir of N records.

For each N: N synthetic (valid, minimal) .conda packages are generated once under
bench/.cache/pool and written straight into the local stack's table (the items ingest
leaves behind, without change marks); a first rebuild with ``full=True`` publishes the
index. Then one real package (rattler-build) goes through the presigned flow (presign,
PUT, validate), which leaves its change mark as in production, and the rebuild that
follows is the real ``indexing.reindex`` with the reindex handler's settle window. Its
steps are the spans the product reports (``rillet.core.instrument``; nothing patched):

    state   reindex.state    catalog.subdir_state
    settle  reindex.settle   the settle window (reported apart, not in the total)
    read    reindex.read     change marks, published repodata.json + shard index, changed records
    build   reindex.build    update_subdir_index (parse, build, serialise, compress)
    write   reindex.write    write_index (changed shards put-if-absent, pointers)
    mark    reindex.mark     mark_indexed + clear_changes

Time inside moto (in-process, far slower than DynamoDB/S3) is measured apart with
botocore hooks. Anchors, same records, same run: rattler's own indexer
(``rattler.index.index_fs``, zst + shards) fresh and incremental, and the floor
(json.dumps + zstd of the same repodata in-process).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import shutil
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import common
from bench.common import SUBDIR, fmt_bytes, fmt_n, fmt_s, md_table

NAME = "reindex"
TITLE = "1. Reindex after one new package"
# The real package added each time: a new version of a name the subdir already holds.
NEW_NAME = "bench-00000"

# Steps of one rebuild, in order; "settle" is timed too but kept out of the total.
PHASES = ("state", "read", "build", "write", "mark")


class CountingStore:
    """Wraps the channels ObjectStore the rebuild is given: counts requests and bytes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.put_requests = 0
        self.put_bytes_sent = 0
        self.head_requests = 0
        self.get_requests = 0
        self.get_bytes = 0
        self.shard_put_requests = 0
        self.shards_written = 0

    def put(self, key: str, body: bytes, **kwargs: Any) -> bool:
        written = bool(self.inner.put(key, body, **kwargs))
        self.put_requests += 1
        self.put_bytes_sent += len(body)
        if "/shards/" in key:
            self.shard_put_requests += 1
            self.shards_written += int(written)
        return written

    def head(self, key: str) -> Any:
        self.head_requests += 1
        return self.inner.head(key)

    def read(self, key: str) -> tuple[bytes, str] | None:
        got: tuple[bytes, str] | None = self.inner.read(key)
        self.get_requests += 1
        self.get_bytes += len(got[0]) if got is not None else 0
        return got

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


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
    """The real ``indexing.reindex``, its steps timed by the spans it reports."""
    from functions.reindex.handler import settle_for
    from rillet.core import repodata
    from rillet.core.layout import index_object_key
    from rillet.runtime.wiring import container
    from rillet.services.indexing import Indexing

    seq = catalog.subdir_state(channel, subdir).change_seq
    c = container()
    window = settle_for(c.settings, c.clock.now_ms, time.sleep) if settle else None
    counting = CountingStore(store)
    gc.collect()  # a collection owed by the setup must not land in a step
    with common.SpanRecorder(clock) as spans:
        started = time.perf_counter()
        indexer = Indexing(catalog=catalog, store=counting, clock=c.clock, settle=window)
        result = indexer.reindex(channel, subdir, seq, full=full)
        wall = time.perf_counter() - started
    if not result.rebuilt:
        raise RuntimeError(f"reindex of {channel}/{subdir} up to {seq} did not rebuild")
    seconds = {p: spans.total(f"reindex.{p}") for p in PHASES}
    moto = {p: spans.moto(f"reindex.{p}") for p in PHASES}
    settle_s = spans.total("reindex.settle")
    total = wall - settle_s
    moto_total = sum(moto.values())
    published = store.read(index_object_key(channel, subdir, repodata.REPODATA_JSON))
    index_json = published[0] if published is not None else b"{}"
    doc = json.loads(index_json)
    records = {**doc.get("packages", {}), **doc.get("packages.conda", {})}
    zst = store.head(index_object_key(channel, subdir, repodata.REPODATA_JSON_ZST))
    return {
        "full": result.full,
        "changes": result.changes,
        "waited_ms": result.waited_ms,
        "settle_s": settle_s,
        "records": len(records),
        "seconds": seconds,
        "moto_s": moto,
        "total_s": total,
        "moto_total_s": moto_total,
        "without_moto_s": total - moto_total,
        "compute_s": seconds["build"],
        "repodata_zstd_level": repodata.repodata_zstd_level(len(index_json)),
        "objects_written": result.stats.objects_written,
        "bytes_written": result.stats.bytes_written,
        "shards_written": counting.shards_written,
        "put_requests": counting.put_requests,
        "shard_put_requests": counting.shard_put_requests,
        "head_requests": counting.head_requests,
        "get_requests": counting.get_requests,
        "bytes_read": counting.get_bytes,
        "bytes_sent": counting.put_bytes_sent,
        "repodata_json_bytes": len(index_json),
        "repodata_zst_bytes": zst.size if zst is not None else 0,
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
        from rillet.runtime.wiring import container

        settings = container().settings  # the reindex handler's settle window
        settle_settings = {
            "quiet_ms": settings.reindex_quiet_ms,
            "max_wait_ms": settings.reindex_max_wait_ms,
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


# -- report: tables of numbers -----------------------------------------------------------


def _with_moto(seconds: float, moto: float) -> str:
    return f"{fmt_s(seconds)} ({fmt_s(moto)})"


def render(result: dict[str, Any]) -> str:
    rows = sorted(result["rows"], key=lambda r: r["n"])
    steps = []
    for r in rows:
        inc = r["incremental"]
        s, m = inc["seconds"], inc["moto_s"]
        steps.append(
            [
                fmt_n(r["n"]),
                *(_with_moto(s[p], m[p]) for p in PHASES),
                f"**{fmt_s(inc['total_s'])}**",
                fmt_s(inc["without_moto_s"]),
                fmt_s(inc["settle_s"]),
            ]
        )
    io = [
        [
            fmt_n(r["n"]),
            r["incremental"]["objects_written"],
            r["incremental"]["shards_written"],
            fmt_bytes(r["incremental"]["bytes_written"]),
            r["incremental"]["put_requests"],
            r["incremental"]["head_requests"],
            r["incremental"]["get_requests"],
            fmt_bytes(r["incremental"]["bytes_read"]),
            r["rattler"]["incremental"]["files_written"],
            fmt_bytes(r["rattler"]["incremental"]["bytes_written"]),
        ]
        for r in rows
    ]
    anchors = []
    for r in rows:
        inc, fl, q = r["incremental"], r["floor"], r["ratios"]
        no_zst = r["rattler"]["incremental_no_zst_s"]
        anchors.append(
            [
                fmt_n(r["n"]),
                fmt_s(inc["total_s"]),
                fmt_s(inc["without_moto_s"]),
                fmt_s(r["rattler"]["incremental"]["seconds"]),
                fmt_s(no_zst) if no_zst is not None else "-",
                f"{fmt_s(fl['total_s'])} (L{fl['level']})",
                fmt_s(fl["parse_s"]),
                f"{q['total_vs_rattler_incremental']:.2f}",
                f"{q['without_moto_vs_rattler_incremental']:.2f}",
                f"{q['total_vs_floor']:.1f}",
                f"{q['without_moto_vs_floor']:.1f}",
            ]
        )
    fresh = [
        [
            fmt_n(r["n"]),
            fmt_s(r["fresh"]["total_s"]),
            fmt_s(r["fresh"]["moto_total_s"]),
            fmt_s(r["fresh"]["without_moto_s"]),
            fmt_s(r["rattler"]["fresh_s"]),
            f"{r['ratios']['fresh_total_vs_rattler_fresh']:.2f}",
            f"{r['ratios']['fresh_without_moto_vs_rattler_fresh']:.2f}",
            fmt_bytes(r["fresh"]["repodata_json_bytes"]),
            fmt_bytes(r["fresh"]["repodata_zst_bytes"]),
            fmt_bytes(r["rattler"]["repodata_zst_bytes"]),
            fmt_s(r["seed_s"]),
        ]
        for r in rows
    ]
    checks = [
        [
            fmt_n(r["n"]),
            _yes(r["fresh"]["full"]),
            _yes(not r["incremental"]["full"] and r["incremental"]["changes"] == 1),
            _yes(r["same_records_as_rattler"]),
            _yes(r["new_package_visible_to_py_rattler"]),
            ", ".join(fmt_s(t) for t in r["incremental_totals"]),
            ", ".join(fmt_s(t) for t in r["rattler"]["incremental_runs"]),
        ]
        for r in rows
    ]
    return "\n\n".join(
        [
            "Steps of the rebuild after one package (time (of which moto); median run):",
            md_table(
                ["N", *PHASES, "total", "total excl. moto", "settle wait (not in total)"], steps
            ),
            "Requests and bytes of that rebuild, next to rattler-index's incremental run:",
            md_table(
                [
                    "N",
                    "objects written",
                    "shards written",
                    "bytes written",
                    "PUTs",
                    "HEADs",
                    "GETs",
                    "bytes read",
                    "rattler files written",
                    "rattler bytes written",
                ],
                io,
            ),
            "Next to the anchors (same records, same run):",
            md_table(
                [
                    "N",
                    "ours",
                    "ours excl. moto",
                    "rattler incremental",
                    "rattler incr. no .zst",
                    "floor: json.dumps + zstd",
                    "json.loads of it",
                    "ours / rattler",
                    "excl. moto / rattler",
                    "ours / floor",
                    "excl. moto / floor",
                ],
                anchors,
            ),
            "Full index of N (the first rebuild after seeding, `full=True`):",
            md_table(
                [
                    "N",
                    "ours",
                    "of which moto",
                    "ours excl. moto",
                    "rattler fresh",
                    "ours / rattler",
                    "excl. moto / rattler",
                    "repodata.json",
                    ".zst ours",
                    ".zst rattler",
                    "seed N items",
                ],
                fresh,
            ),
            md_table(
                [
                    "N",
                    "first index full",
                    "incremental over 1 change",
                    "same files as rattler",
                    "py-rattler sees it",
                    "our runs",
                    "rattler runs",
                ],
                checks,
            ),
        ]
    )


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


if __name__ == "__main__":
    main()
