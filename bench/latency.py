"""Scenario 3: upload -> installable latency, one upload at a time, at N records.

The subdir is seeded with N synthetic records and indexed once; then each upload of a
real package runs the whole path a user waits for: presign (API), PUT (presigned URL),
the S3 notification and validation (validate pump), the reindex request and rebuild
(reindex pump), until py-rattler's Gateway (sharded repodata, fresh cache) returns the
new record. Server-side steps are timed by wrapping the service functions the handlers
call (no application change); the reindex handler's settle wait before the rebuild is
its ``ReindexResult.waited_ms`` (what the handler logs), and which window it applied is
what it waited for is recorded from the states ``indexing._settle`` read
(``common.settle_info``): RILLET_REINDEX_QUIET_MS since the later of the upload's change
(taken at its commit) and the end of the last rebuild, at most
RILLET_REINDEX_MAX_WAIT_MS. The first upload is a warm-up and is not counted.

To keep the client from competing for the two cores while the rebuild runs, py-rattler
starts polling once the rebuild that covers the upload has finished; "client" below is
therefore one query plus any re-query, and the total is still measured from the first
request to the first successful query.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

from bench import common
from bench.common import SUBDIR, fmt_n, fmt_s, md_table, percentile

NAME = "latency"
TITLE = "3. Upload → installable latency"
PACKAGE = "bench-latency"
STEPS = (
    "presign",
    "put",
    "to_validate",
    "validate",
    "to_reindex",
    "settle",
    "reindex",
    "client",
)
STEP_LABELS = {
    "presign": "presign (API)",
    "put": "PUT",
    "to_validate": "S3 event → validate",
    "validate": "validate + record",
    "to_reindex": "queue → reindex",
    "settle": "settle wait (reindex handler)",
    "reindex": "rebuild",
    "client": "py-rattler sees it",
    "validate_moto": "validate (of which moto)",
    "reindex_moto": "settle + rebuild (of which moto)",
    "reindex_moto_query": "of that moto time: the change-mark Query",
    "reindex_moto_s3": "of that moto time: S3 GETs, PUTs, HEADs",
}
MOTO_STEPS = ("validate_moto", "reindex_moto", "reindex_moto_query", "reindex_moto_s3")


def one_upload(
    client: common.Client,
    probe: common.SpanRecorder,
    catalog: Any,
    url: str,
    channel: str,
    pkg: Any,
    timeout: float,
) -> dict[str, Any]:
    data = pkg.read_bytes()
    t0 = time.monotonic()
    ticket = client.request_upload(channel, pkg.name, data)
    t1 = time.monotonic()
    client.put(ticket, data)
    t2 = time.monotonic()
    upload_id = ticket["id"]
    v = probe.wait_for(
        lambda e: e.kind == "validate" and e.info["upload_id"] == upload_id and e.ended >= t2,
        timeout,
    )
    if v.info["status"] != "published":
        raise RuntimeError(f"upload {pkg.name} was not published: {v.info}")
    seq = catalog.subdir_state(channel, SUBDIR).change_seq
    covered = probe.wait_for(
        lambda e: (
            e.kind == "reindex" and e.info["channel"] == channel and e.info["indexed_seq"] >= seq
        ),
        timeout,
    )
    # The rebuild that took the change in: this call, or (when this call found the mark
    # taken in already and only moved the counter) the last rebuild before it.
    r = (
        covered
        if covered.info["rebuilt"]
        else max(
            (
                e
                for e in probe.of("reindex")
                if e.info["channel"] == channel and e.info["rebuilt"] and e.ended <= covered.ended
            ),
            key=lambda e: e.ended,
        )
    )
    settled = r.info["settle"] or {}
    queries = 0
    deadline = time.monotonic() + timeout
    while True:
        queries += 1
        if pkg.name in common.rattler_sees(url, PACKAGE, SUBDIR, sharded=True):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"py-rattler never saw {pkg.name}")
        time.sleep(0.01)
    t_seen = time.monotonic()
    settle = r.info["waited_ms"] / 1000  # ReindexResult.waited_ms, as the handler logs it
    return {
        "presign": t1 - t0,
        "put": t2 - t1,
        "to_validate": v.started - t2,
        "validate": v.ended - v.started,
        # The reindex request is sent before ingest returns: the rebuild may start first.
        "to_reindex": max(0.0, r.started - v.ended),
        "settle": settle,
        "reindex": r.ended - r.started - settle,
        "client": t_seen - r.ended,
        "total": t_seen - t0,
        "validate_moto": v.moto_s,
        "reindex_moto": r.moto_s,
        # The rebuild's only Query is the one of the change marks.
        "reindex_moto_query": r.moto_ops.get("dynamodb.Query", 0.0),
        "reindex_moto_s3": sum(t for op, t in r.moto_ops.items() if op.startswith("s3.")),
        "queries": queries,
        "full": r.info["full"],
        "changes": r.info["changes"],
        # What the settle's quiet interval counted from: "change" (this upload's commit)
        # or "rebuild" (the end of the rebuild before, when that was later).
        "quiet_from": settled.get("quiet_from"),
        "ended_by": settled.get("ended_by"),
        "quiet_at_start_ms": settled.get("quiet_at_start_ms"),
    }


def run_records(
    n: int, count: int, warmup: int, timeout: float, moto_as_is: bool
) -> dict[str, Any]:
    from rillet.runtime.wiring import container

    entries, _ = common.ensure_pool(n)
    real_dir = common.CACHE / "real" / "latency"
    packages = [
        common.real_package(real_dir, PACKAGE, f"1.{i}", subdir=SUBDIR)
        for i in range(warmup + count)
    ]
    channel = f"bench-l{n}"
    with common.local_stack(moto_as_is=moto_as_is) as stack:
        clock = common.ServerClock()
        c = container()
        clock.attach(c.session.events)  # before the container makes its clients
        probe = common.SpanRecorder(clock).install()
        try:
            client = common.Client(stack.url, stack.admin_token)
            client.create_channel(channel)
            common.log(f"latency N={n}: seeding and the first full index")
            common.seed_catalog(stack, channel, SUBDIR, entries)
            state = c.catalog.subdir_state(channel, SUBDIR)
            # Seeded records carry no change marks: the first index reads everything.
            first, first_index_s = common.timed(
                lambda: c.services.indexing.reindex(channel, SUBDIR, state.change_seq, full=True)
            )
            if not first.full:
                raise RuntimeError("the first index after seeding was not a full one")
            url = f"{stack.url}/{channel}"
            samples = []
            for i, pkg in enumerate(packages):
                sample = one_upload(client, probe, c.catalog, url, channel, pkg, timeout)
                if i >= warmup:
                    samples.append(sample)
                common.log(
                    f"latency N={n}: upload {i + 1}/{len(packages)}"
                    f"{' (warm-up)' if i < warmup else ''}: {fmt_s(sample['total'])}"
                )
            rebuilds = sum(1 for e in probe.of("reindex") if e.info["rebuilt"])
        finally:
            probe.uninstall()
    totals = [s["total"] for s in samples]
    summary = {
        key: {
            "p50": percentile([s[key] for s in samples], 50),
            "p95": percentile([s[key] for s in samples], 95),
            "max": max(s[key] for s in samples),
        }
        for key in (*STEPS, "total", *MOTO_STEPS)
    }
    without = [s["total"] - s["validate_moto"] - s["reindex_moto"] for s in samples]
    from_change = [s for s in samples if s["quiet_from"] == "change"]
    from_rebuild = [s for s in samples if s["quiet_from"] == "rebuild"]
    return {
        "n": n,
        "count": len(samples),
        "warmup": warmup,
        "quiet_ms": c.settings.reindex_quiet_ms,
        "max_wait_ms": c.settings.reindex_max_wait_ms,
        "from_change": len(from_change),
        "from_rebuild": len(from_rebuild),
        "ended_cap": sum(1 for s in samples if s["ended_by"] == "cap"),
        "settle_change_p50": (
            percentile([s["settle"] for s in from_change], 50) if from_change else None
        ),
        "settle_rebuild_p50": (
            percentile([s["settle"] for s in from_rebuild], 50) if from_rebuild else None
        ),
        # The quiet interval runs from the commit, inside ingest: the hop from the end of
        # validation to the reindex call, and how much of the interval had passed when
        # the settle began.
        "to_reindex_p50": percentile([s["to_reindex"] for s in samples], 50),
        "quiet_at_start_p50_ms": percentile(
            [s["quiet_at_start_ms"] for s in samples if s["quiet_at_start_ms"] is not None]
            or [0.0],
            50,
        ),
        "first_index_s": first_index_s,
        "rebuilds": rebuilds,
        "incremental": sum(1 for s in samples if not s["full"]),
        "p50": percentile(totals, 50),
        "p95": percentile(totals, 95),
        "without_moto_p50": percentile(without, 50),
        "without_moto_p95": percentile(without, 95),
        "steps": summary,
        "samples": samples,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    result = common.new_result(
        NAME,
        {
            "records": args.records,
            "count": args.count,
            "warmup": args.warmup,
            "moto_as_is": args.moto_as_is,
        },
    )
    result["rows"] = [
        run_records(n, args.count, args.warmup, args.timeout, args.moto_as_is) for n in args.records
    ]
    return result


def render(result: dict[str, Any]) -> str:
    rows = result["rows"]
    out = [
        f"{result['params']['count']} uploads one after another (plus {result['params']['warmup']} "
        "warm-up), each a real package; p50 / p95 in seconds. `moto` = time spent inside the "
        "emulated AWS by the validate and reindex handlers.",
        "",
    ]
    head = [
        "N",
        "p50",
        "p95",
        "max",
        "p50 excl. moto",
        "p95 excl. moto",
        "incremental rebuilds",
        "settle quiet from: change / rebuild end",
        "first full index",
    ]
    body = [
        [
            fmt_n(r["n"]),
            f"**{fmt_s(r['p50'])}**",
            fmt_s(r["p95"]),
            fmt_s(r["steps"]["total"]["max"]),
            fmt_s(r["without_moto_p50"]),
            fmt_s(r["without_moto_p95"]),
            f"{r['incremental']} of {r['count']}",
            f"{r['from_change']} / {r['from_rebuild']}",
            fmt_s(r["first_index_s"]),
        ]
        for r in rows
    ]
    out.append(md_table(head, body))
    out += ["", "Where the time goes (p50 / p95 per step):", ""]
    head = ["step", *(f"N={fmt_n(r['n'])}" for r in rows)]
    body = []
    for step in (*STEPS, *MOTO_STEPS):
        label = STEP_LABELS[step]
        body.append(
            [label]
            + [f"{fmt_s(r['steps'][step]['p50'])} / {fmt_s(r['steps'][step]['p95'])}" for r in rows]
        )
    out.append(md_table(head, body))
    out += ["", "Settle, p50:", ""]
    out.append(
        md_table(
            ["N", "wait", "quiet already passed when it began", "end of validation → reindex"],
            [
                [
                    fmt_n(r["n"]),
                    fmt_s(r["steps"]["settle"]["p50"]),
                    _ms(r["quiet_at_start_p50_ms"]),
                    fmt_s(r["to_reindex_p50"]),
                ]
                for r in rows
            ],
        )
    )
    return "\n".join(out)


def _ms(value: float | None) -> str:
    return "-" if value is None else fmt_s(value / 1000)


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = {r["n"]: r for r in result["rows"]}
    row = rows.get(10000) or max(result["rows"], key=lambda r: r["n"])
    return [
        {
            "goal": f"upload → installable p50 at {fmt_n(row['n'])} records (local stack)",
            "target": "≤ 1 s",
            "measured": (
                f"p50 {fmt_s(row['p50'])}, p95 {fmt_s(row['p95'])} "
                f"(without moto's own time: p50 {fmt_s(row['without_moto_p50'])})"
            ),
            "met": row["p50"] <= 1.0,
            "met_without_moto": row["without_moto_p50"] <= 1.0,
        }
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.latency", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--records",
        type=common.int_list,
        default=[10000],
        help="records already in the subdir, e.g. 1k,10k",
    )
    parser.add_argument("--count", type=int, default=50, help="measured uploads per size")
    parser.add_argument("--warmup", type=int, default=1, help="uploads before measuring")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per upload, at most")
    common.add_moto_arg(parser)
    common.add_output_args(parser)
    args = parser.parse_args(argv)
    common.finish(NAME, run(args), args)


if __name__ == "__main__":
    main()
