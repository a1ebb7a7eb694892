"""The web app's paths, twice: core.webapp (local stack) and the CloudFront Function.

Both run over tests/cases/web_routes.json. A path that is not the app's falls through to
the read rule (tests/edge/test_read_rule.py) unchanged: conda paths behave as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rillet.core.access import decide_read
from rillet.core.names import RESERVED_CHANNEL_NAMES, validate_channel_name
from rillet.core.webapp import APP_PAGES, REDIRECT, accepts_html, web_route
from tests.edge.harness import run_edge

ROOT = Path(__file__).resolve().parents[2]
CASES_PATH = ROOT / "tests" / "cases" / "web_routes.json"
FUNCTION_PATH = ROOT / "infra" / "edge" / "viewer_request.js"
HARNESS_PATH = Path(__file__).with_name("run_edge_web.mjs")
CASES: list[dict[str, Any]] = json.loads(CASES_PATH.read_text())
NOW = 1_700_000_000


def python_answer(case: dict[str, Any]) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in case["headers"].items()}
    route = web_route(case["uri"], headers.get("accept", ""))
    if route is not None:
        status = 302 if route.kind == REDIRECT else 200
        return {"kind": route.kind, "uri": route.uri, "status": status, "headers": route.headers}
    d = decide_read(case["uri"], headers, case["data"], NOW)
    return {"kind": None, "uri": d.uri, "status": d.status, "reason": d.reason}


def check(answer: dict[str, Any], expect: dict[str, Any]) -> None:
    for key in ("kind", "status", "uri", "reason"):
        if key in expect:
            assert answer.get(key) == expect[key], (key, answer)


def test_table_is_well_formed() -> None:
    names = [c["name"] for c in CASES]
    assert len(set(names)) == len(names)
    kinds = {c["expect"]["kind"] for c in CASES}
    assert kinds == {"page", "asset", "redirect", None}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_python_routes(case: dict[str, Any]) -> None:
    answer = python_answer(case)
    check(answer, case["expect"])
    if answer["kind"] == REDIRECT:
        assert answer["headers"]["location"] == case["expect"]["uri"]
        assert answer["headers"]["vary"] == "Accept"


def test_cloudfront_function_matches_table_and_python() -> None:
    results = run_edge(HARNESS_PATH, FUNCTION_PATH, CASES_PATH)
    failures = []
    for case in CASES:
        js, py = results[case["name"]], python_answer(case)
        try:
            assert "error" not in js, js.get("error")
            route = js["route"]
            assert (route["kind"] if route else None) == py["kind"]
            assert js["status"] == py["status"]
            if py["kind"] == REDIRECT:
                assert js["headers"] == dict(py["headers"])
            elif py["kind"] is not None:
                # Pages and built files come from the web origin, without credentials.
                assert js["uri"] == py["uri"]
                assert js["origin"] == "web"
                assert "authorization" not in js["request_headers"]
            elif js["status"] == 200:
                assert js["uri"] == py["uri"]
                assert js["origin"] is None, "conda paths stay on the channels origin"
            check({**py, "status": js["status"]}, case["expect"])
        except AssertionError as exc:
            failures.append(f"{case['name']}: {exc}\n  js={js}")
    assert not failures, "\n".join(failures)


def test_every_app_page_and_new_is_a_reserved_channel_name() -> None:
    # /channels/new is the create page: a channel named "new" would be unreachable.
    for name in [*APP_PAGES, "new", "assets"]:
        assert name in RESERVED_CHANNEL_NAMES
        with pytest.raises(Exception, match="reserved"):
            validate_channel_name(name)


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html", True),
        ("text/html;q=0.8, */*", True),
        ("application/json", False),
        ("*/*", False),
        ("", False),
        ("text/htmlx", False),
    ],
)
def test_accepts_html(accept: str, html: bool) -> None:
    assert accepts_html(accept) is html
