"""Files of private channels reach viewers as Cache-Control: private, never public or
shared-immutable: the viewer-response function (AWS) and core.access (local stack) agree."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rillet.core.access import viewer_cache_control
from rillet.core.repodata import IMMUTABLE_CACHE_CONTROL, INDEX_CACHE_CONTROL
from tests.edge.harness import run_edge

ROOT = Path(__file__).resolve().parents[2]
FUNCTION_PATH = ROOT / "infra" / "edge" / "viewer_response.js"
HARNESS_PATH = Path(__file__).with_name("run_edge_response.mjs")
DATA = {"c:acme": "private", "c:odd": "garbage", "c:pub": "public"}
PRIVATE_PACKAGE = "private, max-age=31536000, immutable"
PRIVATE_INDEX = "private, max-age=60"

# name, uri, origin Cache-Control, what the viewer gets (None: the origin's, unchanged)
CASES: list[tuple[str, str, str | None, str | None]] = [
    ("private package", "/acme/noarch/w-1.0-0.conda", IMMUTABLE_CACHE_CONTROL, PRIVATE_PACKAGE),
    ("private index", "/acme/noarch/repodata.json", INDEX_CACHE_CONTROL, PRIVATE_INDEX),
    (
        "private shard",
        "/acme/noarch/shards/ab.msgpack.zst",
        IMMUTABLE_CACHE_CONTROL,
        PRIVATE_PACKAGE,
    ),
    ("private, /t/ form", "/t/tok/acme/noarch/repodata.json", INDEX_CACHE_CONTROL, PRIVATE_INDEX),
    ("private, no origin header", "/acme/noarch/repodata.json", None, "private"),
    (
        "private, odd case and spacing",
        "/acme/x/y",
        "PUBLIC,  S-MAXAGE=9 ,max-age=1",
        "private, max-age=1",
    ),
    ("private, already private", "/acme/x/y", "private, max-age=5", "private, max-age=5"),
    (
        "private, proxy-revalidate",
        "/acme/x/y",
        "public, proxy-revalidate, no-cache",
        "private, no-cache",
    ),
    (
        "corrupt visibility is private",
        "/odd/noarch/repodata.json",
        INDEX_CACHE_CONTROL,
        PRIVATE_INDEX,
    ),
    ("public package", "/pub/noarch/w-1.0-0.conda", IMMUTABLE_CACHE_CONTROL, None),
    ("public index", "/pub/noarch/repodata.json", INDEX_CACHE_CONTROL, None),
    ("unknown channel", "/nosuch/noarch/repodata.json", INDEX_CACHE_CONTROL, None),
    ("not a channel name", "/ACME/noarch/repodata.json", INDEX_CACHE_CONTROL, None),
    ("root", "/", None, None),
]


def _cases() -> list[dict[str, Any]]:
    return [
        {"name": n, "data": DATA, "uri": u, "cache_control": cc, "expect": e}
        for n, u, cc, e in CASES
    ]


@pytest.mark.parametrize("case", _cases(), ids=[c[0] for c in CASES])
def test_python_rule(case: dict[str, Any]) -> None:
    got = viewer_cache_control(case["uri"], case["cache_control"], DATA)
    assert got == case["expect"]
    if got is not None:
        assert "public" not in got and "s-maxage" not in got


def test_viewer_response_function_matches_python(tmp_path: Path) -> None:
    cases = _cases()
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    results = run_edge(HARNESS_PATH, FUNCTION_PATH, path)
    for case in cases:
        result = results[case["name"]]
        assert "error" not in result, result
        expected = case["expect"] if case["expect"] is not None else case["cache_control"]
        assert result["cache_control"] == expected, case["name"]


def test_viewer_response_function_fits_the_runtime() -> None:
    source = FUNCTION_PATH.read_text()
    assert FUNCTION_PATH.stat().st_size < 10 * 1024
    imports = [line for line in source.splitlines() if line.startswith("import ")]
    assert imports == ["import cf from 'cloudfront';"]
    assert "async function handler(event)" in source and "require(" not in source
