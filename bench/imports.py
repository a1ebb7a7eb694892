"""Scenario 6: cold-start import time of each handler, next to bare ``import boto3``.

Each handler (``functions/<name>/handler.py``) is imported in a fresh interpreter, several
times; the median is reported. ``-X importtime`` splits each import by module, which gives
the layer's own cost (rillet/ and functions/: the self time of our modules) apart from the
third-party libraries they pull in (boto3, Powertools, pydantic, ...). The anchor is a
fresh interpreter doing nothing but ``import boto3``, which every function pays anyway.

Two cases: with bytecode cached (``__pycache__`` written by a first run), and without any
(an empty ``PYTHONPYCACHEPREFIX``, nothing written): the deps layer ships no ``.pyc`` and
Lambda's ``/opt`` is read-only, so that is what a cold start pays today.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

from bench import common
from bench.common import fmt_s, md_table

NAME = "imports"
TITLE = "6. Handler import time (cold start)"
OURS = ("rillet", "functions")


def handlers() -> list[str]:
    return sorted(p.parent.name for p in (common.ROOT / "functions").glob("*/handler.py"))


def import_once(module: str, cached: bool) -> dict[str, float]:
    """Import ``module`` in a fresh interpreter: (total, of which our own modules) seconds."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        "PYTHONPATH": os.pathsep.join(
            [str(common.ROOT / "layers" / "rillet" / "python"), str(common.ROOT)]
        ),
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "rillet",
    }
    with tempfile.TemporaryDirectory() as empty:
        flags = [] if cached else ["-B"]
        if not cached:
            env["PYTHONPYCACHEPREFIX"] = empty  # no bytecode to find, none written
        out = subprocess.run(
            [sys.executable, *flags, "-X", "importtime", "-c", f"import {module}"],
            capture_output=True,
            text=True,
            env=env,
            cwd=common.ROOT,
            timeout=300,
            check=True,
        )
    total_us = own_us = 0
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = (part.strip() for part in line[12:].split("|"))
        top = name.strip().split(".")[0]
        if top in OURS:
            own_us += int(self_us)
        if name.strip() == module:
            total_us = int(cumulative_us)
    return {"total_s": total_us / 1e6, "own_s": own_us / 1e6}


CASES = ("cached", "compiled")


def measure(module: str, runs: int, cases: Sequence[str] = CASES) -> dict[str, Any]:
    import_once(module, cached=True)  # writes the bytecode the cached runs read
    out: dict[str, Any] = {"module": module, "runs": runs}
    for case in cases:
        samples = [import_once(module, cached=case == "cached") for _ in range(runs)]
        out[case] = {
            "total_s": statistics.median(s["total_s"] for s in samples),
            "own_s": statistics.median(s["own_s"] for s in samples),
            "total_runs": [s["total_s"] for s in samples],
        }
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    result = common.new_result(NAME, {"runs": args.runs, "cases": args.cases})
    result["boto3"] = measure("boto3", args.runs, args.cases)
    result["handlers"] = {}
    for name in handlers():
        common.log(f"imports: functions/{name}/handler.py x{args.runs}")
        result["handlers"][name] = measure(f"functions.{name}.handler", args.runs, args.cases)
    return result


def render(result: dict[str, Any]) -> str:
    b = result["boto3"]
    none = {"total_s": None, "own_s": None}
    b = {"cached": none, "compiled": none, **b}
    rows = [
        [
            "bare `import boto3` (anchor)",
            fmt_s(b["cached"]["total_s"]),
            "-",
            "1.00",
            fmt_s(b["compiled"]["total_s"]),
            "-",
        ]
    ]
    for name, h in sorted(result["handlers"].items()):
        c, n = h.get("cached", none), h.get("compiled", none)
        rows.append(
            [
                f"functions/{name}/handler.py",
                fmt_s(c["total_s"]),
                fmt_s(c["own_s"]),
                f"{c['total_s'] / b['cached']['total_s']:.2f}" if c["total_s"] else "-",
                fmt_s(n["total_s"]),
                fmt_s(n["own_s"]),
            ]
        )
    runs = result["params"]["runs"]
    return (
        f"Median of {runs} fresh interpreters each (`python -X importtime`), "
        f"Python {result['machine']['python']}:\n\n"
        + md_table(
            [
                "import",
                "total (bytecode cached)",
                "of which rillet/ + functions/",
                "total / boto3",
                "total (no bytecode)",
                "of which rillet/ + functions/",
            ],
            rows,
        )
    )


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    case = "cached" if "cached" in result["boto3"] else "compiled"
    own = max(h[case]["own_s"] for h in result["handlers"].values())
    boto3 = result["boto3"][case]["total_s"]
    return [
        {
            "goal": "the layer's own import cost (rillet/ + functions/, worst handler)",
            "target": "≤ bare import boto3",
            "measured": f"{fmt_s(own)} (boto3: {fmt_s(boto3)})",
            "met": own <= boto3,
            "met_without_moto": own <= boto3,
        }
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.imports", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per import")
    parser.add_argument(
        "--cases",
        type=lambda text: [c for c in text.split(",") if c],
        default=list(CASES),
        help="cached (bytecode written first), compiled (no bytecode); default both",
    )
    common.add_output_args(parser)
    args = parser.parse_args(argv)
    common.finish(NAME, run(args), args)


if __name__ == "__main__":
    main()
