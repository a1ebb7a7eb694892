"""Runs an edge function in Node.js over a table of cases, as CloudFront would."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest


def run_edge(harness: Path, function: Path, cases: Path) -> dict[str, dict[str, Any]]:
    """Each case of the JSON file ``cases`` through ``function`` (infra/edge/*.js) by the
    Node.js ``harness`` (tests/edge/*.mjs): the results by case name."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            f"Node.js ('node' on PATH) is required to test infra/edge/{function.name}; "
            "it is a documented prerequisite (see the Makefile and infra/edge/README.md)"
        )
    proc = subprocess.run(
        [node, str(harness), str(function), str(cases)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"node harness failed:\n{proc.stderr}"
    return {result["name"]: result for result in json.loads(proc.stdout)}
