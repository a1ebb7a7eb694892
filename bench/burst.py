"""Scenario 2: a burst of uploads into one subdir, as fast as the API accepts them.

``--count`` real packages (rattler-build, noarch, ``--names`` distinct names) are
uploaded through the presigned flow by ``--workers`` concurrent uploaders (presign,
then PUT). Measured: how fast the API accepts them, how many rebuilds the reindex
queue runs (coalescing), when the last one is installable, and that nothing is lost:
every upload ends published and py-rattler finds every record, through the shards
and through repodata.json.

The local stack runs one validate pump and one reindex pump (one Lambda instance
each); on AWS, validation scales out while the FIFO group keeps one writer. The reindex
handler lets a burst settle before each rebuild (``indexing.Settle``): it waits until
RILLET_REINDEX_QUIET_MS passed since the later of the last change (taken at its commit)
and the end of the last rebuild, never longer than RILLET_REINDEX_MAX_WAIT_MS. Every
rebuild's ``ReindexResult`` (full or incremental, changes taken in, ``waited_ms``) is
recorded, and with it what its settle's quiet interval counted from and whether the
interval or the cap ended it (``common.settle_info``, from the states
``indexing._settle`` read).
"""

from __future__ import annotations

import argparse
import itertools
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
GOAL = 25  # rebuilds for the whole burst, at most
CAUSES = ("cap", "first", "in flight", "pause", "end")


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
        probe = common.SpanRecorder().install()
        try:
            settings = _settle_settings()
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
            # The call that brings the index up to the last change; it may only move the
            # counter when an earlier rebuild already took that change in (it read the
            # counter before the change and the marks after it).
            final = probe.wait_for(
                lambda e: (
                    e.kind == "reindex"
                    and e.info["channel"] == channel
                    and e.info["indexed_seq"] >= target
                ),
                args.timeout,
            )
            # Installable when the last rebuild up to then had written its index.
            t_indexed = max(
                e.ended
                for e in probe.of("reindex")
                if e.info["channel"] == channel and e.info["rebuilt"] and e.ended <= final.ended
            )
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
    published = [e for e in validations if e.info["status"] == "published"]
    # When each record became visible to the indexer (its publish, at the end of ingest).
    published_at = sorted(e.ended for e in published)
    # A change counts for the settle from its commit (changed_at, at the end of ingest).
    gaps = [b - a for a, b in itertools.pairwise(published_at)] or [0.0]
    during = [g for t, g in zip(published_at[1:], gaps, strict=False) if t <= t_accepted]
    after = [g for t, g in zip(published_at[1:], gaps, strict=False) if t > t_accepted]
    rebuilds = [e for e in reindexes if e.info["rebuilt"]]
    waits = [e.info["waited_ms"] / 1000 for e in rebuilds]
    # The rebuild itself: the handler's reindex call minus its settle wait.
    rebuild_s = [e.ended - e.started - w for e, w in zip(rebuilds, waits, strict=True)]
    settles: list[dict[str, Any]] = [e.info["settle"] for e in rebuilds]
    if any(st is None for st in settles):
        raise RuntimeError("a rebuild ran without the handler's settle window")
    # Calls that settled, then found every mark taken in already: they only move the counter.
    counter_only = [e for e in reindexes if not e.info["rebuilt"] and e.info["settle"]]
    quiet_ms = settings["quiet_ms"]

    def ended_by(st: dict[str, Any]) -> str:
        return "cap" if st["ended_by"] == "cap" else str(st["quiet_from"])

    # Why each rebuild did not wait the whole cap: "first" (the burst's first change),
    # "in flight" (at the read a validation was running: the next change had not
    # committed within the quiet interval), "pause" (no validation was running: the
    # validate pump waited for the next upload), "end" (it took in the last change). For
    # the ones that ended early, how long after the quiet interval's start (the later of
    # the last commit and the end of the rebuild before) the next change committed: a
    # quiet interval at least that long would have kept the settle waiting.
    spans = [(e.started, e.ended) for e in published]
    causes = []
    next_commit_ms = []
    for i, (e, st) in enumerate(zip(rebuilds, settles, strict=True)):
        read = e.started + st["waited_ms"] / 1000
        if st["ended_by"] == "cap":
            causes.append("cap")
            continue
        if e.info["indexed_seq"] >= target:
            causes.append("end")
            continue
        if not i:
            causes.append("first")
            continue
        later = [t for t in published_at if t > read]
        if later:
            next_commit_ms.append((later[0] - st["quiet_ref"]) * 1000)
        if any(start < read < end for start, end in spans):
            causes.append("in flight")
        else:
            causes.append("pause")

    def validate_p50(upload: bool) -> float | None:
        picked = [end - start for start, end in spans if (start <= t_accepted) == upload]
        return statistics.median(picked) if picked else None

    kinds = [ended_by(st) for st in settles]
    during_upload = [e.started <= t_accepted for e in rebuilds]
    after_rebuilds = [
        (e, x) for e, x, d in zip(rebuilds, rebuild_s, during_upload, strict=True) if not d
    ]
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
        "full_rebuilds": sum(1 for e in rebuilds if e.info["full"]),
        "reindex_invocations": len(reindexes),
        "coalesced": len(reindexes) - len(rebuilds),
        "counter_only": len(counter_only),
        "counter_only_wait_s": sum(e.info["settle"]["waited_ms"] for e in counter_only) / 1000,
        "quiet_ms": quiet_ms,
        "max_wait_ms": settings["max_wait_ms"],
        "rebuild_p50": statistics.median(rebuild_s),
        "rebuild_max": max(rebuild_s),
        "wait_p50": statistics.median(waits),
        "wait_max": max(waits),
        "wait_total": sum(waits),
        "waits_at_max": kinds.count("cap"),
        # How each rebuild's settle ended: "cap" (max_wait_ms), or quiet_ms after the
        # last change ("change") or after the end of the rebuild before ("rebuild").
        "rebuild_ended": kinds,
        "ended_cap": kinds.count("cap"),
        "ended_quiet_change": kinds.count("change"),
        "ended_quiet_rebuild": kinds.count("rebuild"),
        # Settles whose quiet interval counted from the end of the rebuild before, cap
        # or not (changes held back by that rebuild came after it ended).
        "quiet_from_rebuild": sum(1 for st in settles if st["quiet_from"] == "rebuild"),
        "rebuild_cause": causes,
        "cause_counts": {c: causes.count(c) for c in CAUSES},
        "cause_changes": {
            c: [e.info["changes"] for e, k in zip(rebuilds, causes, strict=True) if k == c]
            for c in CAUSES
        },
        # Of the settles that ended early (in flight, pause): from the start of their
        # quiet interval to the next commit, sorted.
        "early": sum(1 for c in causes if c in ("in flight", "pause")),
        "early_next_commit_ms": sorted(round(g) for g in next_commit_ms),
        "validate_p50_during_upload": validate_p50(True),
        "validate_p50_after_upload": validate_p50(False),
        "no_wait": sum(1 for w in waits if w == 0),
        "rebuild_quiet_from": [st["quiet_from"] for st in settles],
        "rebuild_quiet_at_start_ms": [st["quiet_at_start_ms"] for st in settles],
        # After the last upload was accepted: how many rebuilds, over how long (from the
        # first of them starting to the last ending), and their p50 rebuild time.
        "after_upload_rebuilds": len(after_rebuilds),
        "after_upload_span_s": (
            after_rebuilds[-1][0].ended - after_rebuilds[0][0].started if after_rebuilds else 0.0
        ),
        "after_upload_rebuild_p50": (
            statistics.median(x for _, x in after_rebuilds) if after_rebuilds else 0.0
        ),
        "change_gap_p50_during_upload": (
            statistics.median(b - a for a, b in itertools.pairwise(published_at) if b <= t_accepted)
            if sum(1 for t in published_at if t <= t_accepted) > 1
            else None
        ),
        "rebuild_covered": [e.info["indexed_seq"] - state0 for e in rebuilds],
        "rebuild_changes": [e.info["changes"] for e in rebuilds],
        "rebuild_waits": [round(w, 3) for w in waits],
        "rebuild_seconds": [round(x, 3) for x in rebuild_s],
        "rebuild_started": [round(e.started - t0, 3) for e in rebuilds],
        "rebuild_ended_at": [round(e.ended - t0, 3) for e in rebuilds],
        "rebuild_during_upload": during_upload,
        "publish_span_s": (published_at[-1] - published_at[0]) if published_at else 0.0,
        "publish_gap_p50": statistics.median(gaps),
        "publish_gap_p90": common.percentile(gaps, 90),
        "publish_gap_p50_during_upload": statistics.median(during) if during else None,
        "publish_gap_p50_after_upload": statistics.median(after) if after else None,
        "publishes_during_upload": len(during) + 1 if during else 0,
        "gaps_over_quiet": sum(1 for g in gaps if g * 1000 >= quiet_ms),
        "gaps_over_quiet_after_upload": sum(
            1
            for t, g in zip(published_at[1:], gaps, strict=False)
            if t > t_accepted and g * 1000 >= quiet_ms
        ),
        "published_at": [round(t - t0, 3) for t in published_at],
        # Each published validation, (began, ended); it commits its change as it ends.
        "validated": sorted([round(e.started - t0, 3), round(e.ended - t0, 3)] for e in published),
        "rebuild_changed_at": [round(st["changed_at"] - t0, 3) for st in settles],
        "rebuilds_during_upload": sum(1 for e in rebuilds if e.started <= t_accepted),
        "rebuilds_during_upload_no_wait": sum(
            1 for e in rebuilds if e.started <= t_accepted and e.info["waited_ms"] == 0
        ),
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


def _settle_settings() -> dict[str, int]:
    from rillet.runtime.wiring import container

    settings = container().settings
    return {
        "quiet_ms": settings.reindex_quiet_ms,
        "max_wait_ms": settings.reindex_max_wait_ms,
    }


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


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def render(result: dict[str, Any]) -> str:
    r = result["row"]
    p = result["params"]
    already = r["coalesced"] - r["counter_only"]
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
            f"({already} returned at once, already covered; {r['counter_only']} settled, "
            f"then only moved the counter); "
            f"{r['rebuilds'] - r['full_rebuilds']} incremental, {r['full_rebuilds']} full",
        ],
        [
            "settle window (the handler's settings)",
            f"{fmt_s(r['quiet_ms'] / 1000)} after the later of the last change and the end "
            f"of the last rebuild; at most {fmt_s(r['max_wait_ms'] / 1000)}",
        ],
        [
            "settles ended: at the cap / quiet after the last change / quiet after the "
            "last rebuild's end",
            f"{r['ended_cap']} / {r['ended_quiet_change']} / {r['ended_quiet_rebuild']}",
        ],
        [
            "settle wait before each rebuild p50 / max (total)",
            f"{fmt_s(r['wait_p50'])} / {fmt_s(r['wait_max'])} ({fmt_s(r['wait_total'])}); "
            f"{_plural(r['no_wait'], 'rebuild')} without waiting",
        ],
        [
            "rebuild time p50 / max (without the wait)",
            f"{fmt_s(r['rebuild_p50'])} / {fmt_s(r['rebuild_max'])}",
        ],
        ["changes taken in by each rebuild", ", ".join(str(c) for c in r["rebuild_changes"])],
        ["settle wait of each rebuild (s)", ", ".join(f"{w:.2f}" for w in r["rebuild_waits"])],
        ["why each settle ended", ", ".join(r["rebuild_cause"])],
        [
            "publishes: first to last / gap p50 (while uploading, after) / gap p90",
            f"{fmt_s(r['publish_span_s'])} / {fmt_s(r['publish_gap_p50'])} "
            f"({fmt_s(r['publish_gap_p50_during_upload'])}, "
            f"{fmt_s(r['publish_gap_p50_after_upload'])}) / {fmt_s(r['publish_gap_p90'])}; "
            f"{r['gaps_over_quiet']} of {r['published'] - 1} gaps between changes "
            f"of {fmt_s(r['quiet_ms'] / 1000)} or more",
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
            "target": f"≤ {GOAL}",
            "measured": (
                f"{r['rebuilds']} rebuilds, all installable after {fmt_s(r['installable_s'])}"
            ),
            "met": r["rebuilds"] <= GOAL,
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
    common.add_moto_arg(parser)
    common.add_output_args(parser)
    args = parser.parse_args(argv)
    common.finish(NAME, run(args), args)


if __name__ == "__main__":
    main()
