"""Scenario 2: a burst of uploads into one subdir, as fast as the API accepts them.

``--count`` real packages (rattler-build, noarch, ``--names`` distinct names) are
uploaded through the presigned flow by ``--workers`` concurrent uploaders (presign,
then PUT). Measured: how fast the API accepts them, how many rebuilds the reindex
queue runs (coalescing), when the last one is installable, and that nothing is lost:
every upload ends published and py-rattler finds every record, through the shards
and through repodata.json.

The local stack runs one validate pump and one reindex pump (one Lambda instance
each); on AWS, validation scales out while the FIFO group keeps one writer.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import common
from bench.common import fmt_s, md_table

NAME = "burst"
TITLE = "2. Burst of uploads into one subdir"
SUBDIR = "noarch"


def _upload(client: common.Client, channel: str, path: Path, data: bytes) -> dict[str, Any]:
    started = time.monotonic()
    ticket = client.request_upload(channel, path.name, data)
    presigned = time.monotonic()
    client.put(ticket, data)
    return {
        "id": ticket["id"],
        "filename": path.name,
        "started": started,
        "presigned": presigned,
        "accepted": time.monotonic(),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    result = common.new_result(
        NAME,
        {
            "count": args.count,
            "workers": args.workers,
            "names": args.names,
            "moto_as_is": args.moto_as_is,
        },
    )
    real_dir = common.CACHE / "real" / "burst"
    common.log(f"burst: {args.count} packages")
    packages = [
        common.real_package(real_dir, f"burst-{i % args.names:03d}", f"1.{i}", subdir=SUBDIR)
        for i in range(args.count)
    ]
    blobs = [p.read_bytes() for p in packages]
    names = sorted({f"burst-{i % args.names:03d}" for i in range(args.count)})
    channel = "bench-burst"
    with common.local_stack(moto_as_is=args.moto_as_is) as stack:
        probe = common.HandlerProbe().install()
        try:
            client = common.Client(stack.url, stack.admin_token)
            client.create_channel(channel)
            state0 = _seq(stack, channel)
            common.log(f"burst: uploading with {args.workers} workers")
            t0 = time.monotonic()
            with ThreadPoolExecutor(max_workers=args.workers) as pool:
                futures = [
                    pool.submit(_upload, client, channel, p, b)
                    for p, b in zip(packages, blobs, strict=True)
                ]
                uploads = [f.result() for f in futures]
            t_accepted = time.monotonic()
            common.log("burst: all accepted; waiting for the index")
            target = state0 + args.count
            final = probe.wait_for(
                lambda e: (
                    e.kind == "reindex"
                    and e.info["channel"] == channel
                    and e.info["rebuilt"]
                    and e.info["indexed_seq"] >= target
                ),
                args.timeout,
            )
            t_indexed = final.ended
            url = f"{stack.url}/{channel}"
            sharded, t_sharded = common.timed(lambda: _all_seen(url, names, sharded=True))
            plain, _ = common.timed(lambda: _all_seen(url, names, sharded=False))
            stack.wait_idle(timeout=args.timeout)
            statuses = [client.status(channel, u["id"])["status"] for u in uploads]
            reindexes = [e for e in probe.of("reindex") if e.info["channel"] == channel]
            validations = probe.of("validate")
        finally:
            probe.uninstall()
    expected = {p.name for p in packages}
    rebuilds = [e for e in reindexes if e.info["rebuilt"]]
    result["row"] = {
        "count": args.count,
        "accept_s": t_accepted - t0,
        "accept_rate": args.count / (t_accepted - t0),
        "presign_p50": statistics.median(u["presigned"] - u["started"] for u in uploads),
        "put_p50": statistics.median(u["accepted"] - u["presigned"] for u in uploads),
        "installable_s": t_indexed - t0,
        "after_last_accept_s": t_indexed - t_accepted,
        "py_rattler_query_s": t_sharded,
        "rebuilds": len(rebuilds),
        "reindex_invocations": len(reindexes),
        "coalesced": len(reindexes) - len(rebuilds),
        "rebuild_p50": statistics.median(e.ended - e.started for e in rebuilds),
        "rebuild_max": max(e.ended - e.started for e in rebuilds),
        "rebuild_covered": [e.info["indexed_seq"] - state0 for e in rebuilds],
        "rebuild_seconds": [round(e.ended - e.started, 3) for e in rebuilds],
        "rebuild_started": [round(e.started - t0, 3) for e in rebuilds],
        "validations": len(validations),
        "validate_p50": statistics.median(e.ended - e.started for e in validations),
        "validate_busy_s": sum(e.ended - e.started for e in validations),
        "published": statuses.count("published"),
        "rejected": statuses.count("rejected"),
        "other": len(statuses) - statuses.count("published") - statuses.count("rejected"),
        "seen_sharded": len(expected & sharded),
        "seen_repodata_json": len(expected & plain),
        "lost": sorted(expected - (sharded & plain)),
    }
    return result


def _seq(stack: Any, channel: str) -> int:
    from rillet.runtime.wiring import container

    return container().catalog.subdir_state(channel, SUBDIR).change_seq


def _all_seen(url: str, names: Sequence[str], *, sharded: bool) -> set[str]:
    import asyncio
    import tempfile

    from rattler import Channel, Client, Gateway, Platform, SourceConfig

    with tempfile.TemporaryDirectory(dir=common.ensure_cache()) as tmp:
        gateway = Gateway(
            cache_dir=Path(tmp),
            default_config=SourceConfig(sharded_enabled=sharded),
            client=Client.default_client(),
        )
        result = asyncio.run(
            gateway.query([Channel(url)], [Platform("noarch")], specs=list(names), recursive=False)
        )
    return {record.file_name for per_spec in result for record in per_spec}


def render(result: dict[str, Any]) -> str:
    r = result["row"]
    p = result["params"]
    rows = [
        ["uploads (concurrent uploaders)", f"{r['count']} ({p['workers']})"],
        [
            "all accepted by the API (presign + PUT) after",
            f"{fmt_s(r['accept_s'])} "
            f"({r['accept_rate']:.0f}/s; p50 presign {fmt_s(r['presign_p50'])}, "
            f"PUT {fmt_s(r['put_p50'])})",
        ],
        [
            "**all installable after** (from the first request)",
            f"**{fmt_s(r['installable_s'])}** "
            f"({fmt_s(r['after_last_accept_s'])} after the last was accepted)",
        ],
        [
            "**rebuilds**",
            f"**{r['rebuilds']}** of {r['reindex_invocations']} reindex messages "
            f"({r['coalesced']} were no-ops: already covered)",
        ],
        ["rebuild time p50 / max", f"{fmt_s(r['rebuild_p50'])} / {fmt_s(r['rebuild_max'])}"],
        [
            "uploads covered by each rebuild",
            ", ".join(
                str(b - a)
                for a, b in zip([0, *r["rebuild_covered"]], r["rebuild_covered"], strict=False)
            ),
        ],
        [
            "validations (p50, busy time of the one validate pump)",
            f"{r['validations']} ({fmt_s(r['validate_p50'])}, {fmt_s(r['validate_busy_s'])})",
        ],
        ["published / rejected / other", f"{r['published']} / {r['rejected']} / {r['other']}"],
        [
            "seen by py-rattler: shards / repodata.json",
            f"{r['seen_sharded']} / {r['seen_repodata_json']}",
        ],
        ["lost", str(len(r["lost"])) + (f" ({', '.join(r['lost'][:5])}...)" if r["lost"] else "")],
    ]
    return md_table(["", ""], rows)


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    r = result["row"]
    n = r["count"]
    return [
        {
            "goal": f"burst of {n} uploads into one subdir: rebuilds",
            "target": "≤ 25",
            "measured": (
                f"{r['rebuilds']} rebuilds, all installable after {fmt_s(r['installable_s'])}"
            ),
            "met": r["rebuilds"] <= 25,
        },
        {
            "goal": f"burst of {n} uploads: nothing lost",
            "target": f"{n} published and visible",
            "measured": (
                f"{r['published']} published, {r['seen_sharded']} via shards, "
                f"{r['seen_repodata_json']} via repodata.json"
            ),
            "met": r["published"] == n and not r["lost"],
        },
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.burst", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--count", type=int, default=500, help="uploads in the burst")
    parser.add_argument("--workers", type=int, default=8, help="concurrent uploaders")
    parser.add_argument("--names", type=int, default=50, help="distinct package names")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait, at most")
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
    r = result["row"]
    busy = r["validate_busy_s"]
    per_rebuild = r["count"] / max(1, r["rebuilds"])
    out = [
        "### Reading the burst numbers",
        "",
        f"Nothing was lost: {r['published']} of {r['count']} uploads published and every "
        f"record is served through both the shards and repodata.json. The API accepted the "
        f"burst in {fmt_s(r['accept_s'])}; what follows is paced by validation: the local "
        f"stack has one validate pump (one Lambda instance) and it was busy for "
        f"{fmt_s(busy)} ({fmt_s(r['validate_p50'])} per package), so records became visible "
        f"to the indexer a few at a time over that whole period. Each arrival queues a "
        f"reindex message; the FIFO group runs one rebuild at a time and a rebuild covers "
        f"everything committed before it read, so the {r['coalesced']} messages left behind "
        f"were no-ops. That gave {r['rebuilds']} rebuilds, {per_rebuild:.1f} uploads each on "
        f"average (p50 rebuild {fmt_s(r['rebuild_p50'])}; everything runs in one Python "
        f"process on two cores, so rebuilds during the upload storm are slowed by it).",
    ]
    if r["rebuilds"] > 25:
        out += [
            "",
            f"The goal of ≤ 25 is missed by {r['rebuilds'] - 25}. Coalescing only happens when "
            "changes pile up during a rebuild; while the indexer waits for validation it "
            "rebuilds on every new arrival. What would close it: a short coalescing window "
            "in the reindex handler (`functions/reindex/handler.py` → `indexing.reindex`) — "
            "when the subdir was rebuilt less than ~2 s ago, wait out the rest of that interval "
            "before reading, so an idle subdir still rebuilds at once (no added latency for a "
            "single upload) while a burst gets at most one rebuild per interval plus rebuild "
            f"time (roughly {r['installable_s'] / (2 + r['rebuild_p50']):.0f} over these "
            f"{fmt_s(r['installable_s'])} with a 2 s window, "
            f"{r['installable_s'] / (3 + r['rebuild_p50']):.0f} with 3 s). "
            "A queue-level DelaySeconds on the FIFO "
            "queue would do the same for bursts but delay every single upload too. On AWS, "
            "validation scales out, records arrive faster than one rebuild, and coalescing "
            "is stronger than here.",
        ]
    return "\n".join(out)
