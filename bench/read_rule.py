"""Scenario 5: the private read check, decisions per second.

The same requests, against the same edge data (1,000 channels, 20,000 read grants),
go through the read rule twice: ``rillet.core.access.decide_read`` in Python (what the
local stack runs) and ``infra/edge/viewer_request.js`` under Node with the
``cloudfront`` module stubbed as in tests/edge/run_edge.mjs (an in-memory
KeyValueStore). For the JS function the whole viewer-request ``handler(event)`` is
timed, for Python ``decide_read``. Both must give the same answers.

CloudFront runs the function in its own restricted JavaScript runtime with a
per-request compute budget, not in Node: the Node numbers say how much work the rule
is, not how CloudFront will schedule it. Lookups here are in-memory; on CloudFront
each KeyValueStore read is local to the edge, on the local stack it is a DynamoDB read.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import time
from collections.abc import Sequence
from typing import Any

from bench import common
from bench.common import md_table

NAME = "read_rule"
TITLE = "5. Private read check: decisions per second"
NOW = 1_800_000_000
CHANNELS = 1000
GRANTS = 20000

# Weighted request kinds; "mix" draws from all of them with these weights.
KINDS: dict[str, int] = {
    "public": 50,
    "bearer granted": 25,
    "path token granted": 10,
    "basic granted": 5,
    "no token (401)": 4,
    "unknown token (401)": 3,
    "no grant (403)": 3,
}

JS_HARNESS = r"""
import { readFileSync } from 'node:fs';
const [functionPath, casesPath, secondsText] = process.argv.slice(1);
const IMPORT_LINE = "import cf from 'cloudfront';";
const source = readFileSync(functionPath, 'utf8');
if (!source.includes(IMPORT_LINE)) throw new Error('no cloudfront import line');
const { data, now, workloads, check } = JSON.parse(readFileSync(casesPath, 'utf8'));
const store = new Map(Object.entries(data));
globalThis.__rilletCloudfront = {
  kvs: () => ({
    async get(key) {
      if (!store.has(key)) throw new Error(`Key ${key} not found`);
      return store.get(key);
    },
    async exists(key) { return store.has(key); },
  }),
};
const patched = source.replace(IMPORT_LINE, 'const cf = globalThis.__rilletCloudfront;') +
  '\nexport { handler, decide };\n';
const mod = await import('data:text/javascript;base64,' + Buffer.from(patched).toString('base64'));
Date.now = () => now * 1000;

function event(req) {
  const headers = {};
  for (const [k, v] of Object.entries(req.headers || {})) headers[k] = { value: v };
  return {
    version: '1.0', context: { eventType: 'viewer-request' }, viewer: { ip: '192.0.2.1' },
    request: { method: 'GET', uri: req.uri, querystring: {}, headers, cookies: {} },
  };
}
const statusOf = (res) => (res.statusCode === undefined ? 200 : res.statusCode);

const answers = [];
for (const req of check) answers.push(statusOf(await mod.handler(event(req))));

const seconds = Number(secondsText);
const results = {};
for (const [name, requests] of Object.entries(workloads)) {
  const events = requests.map(event);
  // Warm up the JIT, then time whole batches.
  for (let i = 0; i < 20000; i++) await mod.handler(events[i % events.length]);
  let n = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 1000; i++) {
      const ev = events[(n + i) % events.length];
      // handler() rewrites request.uri for forwarded requests: give it a fresh copy.
      await mod.handler({ ...ev, request: { ...ev.request, headers: { ...ev.request.headers } } });
    }
    n += 1000;
    elapsed = process.hrtime.bigint() - start;
  }
  results[name] = { decisions: n, seconds: Number(elapsed) / 1e9 };
}
process.stdout.write(JSON.stringify({ answers, results }));
"""


def _token(i: int) -> str:
    return f"rlt_bench_{i:06d}_{'x' * 24}"


def edge_data() -> dict[str, str]:
    data: dict[str, str] = {}
    for c in range(CHANNELS):
        data[f"c:chan{c:04d}"] = "public" if c % 2 == 0 else "private"
    for g in range(GRANTS):
        digest = hashlib.sha256(_token(g).encode()).hexdigest()
        channel = f"chan{(g % (CHANNELS // 2)) * 2 + 1:04d}"  # private channels
        data[f"r:{channel}:{digest}"] = "0" if g % 3 else str(NOW + 86400)
        data[f"t:{digest}"] = "0"
    return data


def requests_for(kind: str, i: int) -> dict[str, Any]:
    g = i % GRANTS
    granted = f"chan{(g % (CHANNELS // 2)) * 2 + 1:04d}"
    other = f"chan{((g + 1) % (CHANNELS // 2)) * 2 + 1:04d}"
    public = f"chan{(i % (CHANNELS // 2)) * 2:04d}"
    file = f"linux-64/shards/{hashlib.sha256(str(i).encode()).hexdigest()}.msgpack.zst"
    token = _token(g)
    if kind == "public":
        return {"uri": f"/{public}/{file}", "headers": {}}
    if kind == "bearer granted":
        return {"uri": f"/{granted}/{file}", "headers": {"authorization": f"Bearer {token}"}}
    if kind == "path token granted":
        return {"uri": f"/t/{token}/{granted}/{file}", "headers": {}}
    if kind == "basic granted":
        basic = base64.b64encode(f"user:{token}".encode()).decode()
        return {"uri": f"/{granted}/{file}", "headers": {"authorization": f"Basic {basic}"}}
    if kind == "no token (401)":
        return {"uri": f"/{granted}/{file}", "headers": {}}
    if kind == "unknown token (401)":
        return {"uri": f"/{granted}/{file}", "headers": {"authorization": "Bearer rlt_nobody_x"}}
    if kind == "no grant (403)":
        return {"uri": f"/{other}/{file}", "headers": {"authorization": f"Bearer {token}"}}
    raise ValueError(kind)


def workloads(size: int = 2000) -> dict[str, list[dict[str, Any]]]:
    mix = []
    kinds = [k for k, w in KINDS.items() for _ in range(w)]
    for i in range(size):
        mix.append(requests_for(kinds[(i * 37) % len(kinds)], i))
    return {
        "mix": mix,
        "public": [requests_for("public", i) for i in range(size)],
        "bearer granted": [requests_for("bearer granted", i) for i in range(size)],
    }


def python_rate(
    requests: list[dict[str, Any]], data: dict[str, str], seconds: float
) -> dict[str, float]:
    from rillet.core.access import decide_read

    prepared = [(r["uri"], r["headers"]) for r in requests]
    for uri, headers in prepared * 5:  # warm-up
        decide_read(uri, headers, data, NOW)
    n = 0
    started = time.perf_counter()
    elapsed = 0.0
    while elapsed < seconds:
        for uri, headers in prepared:
            decide_read(uri, headers, data, NOW)
        n += len(prepared)
        elapsed = time.perf_counter() - started
    return {"decisions": n, "seconds": elapsed}


def run(args: argparse.Namespace) -> dict[str, Any]:
    from rillet.core.access import decide_read

    result = common.new_result(
        NAME, {"seconds": args.seconds, "channels": CHANNELS, "grants": GRANTS}
    )
    data = edge_data()
    loads = workloads()
    check = [requests_for(kind, i) for i, kind in enumerate(KINDS) for _ in range(1)]
    expected = [decide_read(r["uri"], r["headers"], data, NOW).status for r in check]
    common.log("read rule: Python")
    py = {name: python_rate(reqs, data, args.seconds) for name, reqs in loads.items()}
    common.log("read rule: Node")
    cases = common.ensure_cache() / "read_rule_cases.json"
    cases.write_text(json.dumps({"data": data, "now": NOW, "workloads": loads, "check": check}))
    out = subprocess.run(
        [
            "node",
            "--input-type=module",
            "-e",
            JS_HARNESS,
            str(common.ROOT / "infra" / "edge" / "viewer_request.js"),
            str(cases),
            str(args.seconds),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        cwd=common.ROOT,
    )
    if out.returncode != 0:
        raise RuntimeError(f"node failed: {out.stderr[-2000:]}")
    js = json.loads(out.stdout)
    result["rows"] = [
        {
            "workload": name,
            "python_per_s": py[name]["decisions"] / py[name]["seconds"],
            "node_per_s": js["results"][name]["decisions"] / js["results"][name]["seconds"],
        }
        for name in loads
    ]
    result["same_answers"] = js["answers"] == expected
    result["answers"] = dict(zip(KINDS, expected, strict=True))
    return result


def _rate(x: float) -> str:
    return f"{x / 1000:.0f}k/s ({1e6 / x:.1f} µs each)" if x >= 1000 else f"{x:.0f}/s"


def render(result: dict[str, Any]) -> str:
    body = [
        [r["workload"], _rate(r["python_per_s"]), _rate(r["node_per_s"])] for r in result["rows"]
    ]
    kinds = ", ".join(f"{k} {w}%" for k, w in KINDS.items())
    return (
        f"One core, in-memory edge data ({CHANNELS} channels, {GRANTS} grants); "
        f"mix = {kinds}. Python: `decide_read`; Node: the whole viewer-request `handler(event)`. "
        f"Same answers from both: {'yes' if result['same_answers'] else '**NO**'}.\n\n"
        + md_table(["workload", "Python (decide_read)", "Node (viewer_request.js)"], body)
    )


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "goal": "private read check: Python and the edge function agree",
            "target": "same answers",
            "measured": "yes" if result["same_answers"] else "no",
            "met": bool(result["same_answers"]),
        }
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.read_rule", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--seconds", type=float, default=2.0, help="seconds per workload and language"
    )
    common.add_output_args(parser)
    args = parser.parse_args(argv)
    common.finish(NAME, run(args), args)


if __name__ == "__main__":
    main()
