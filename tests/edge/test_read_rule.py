"""The read rule, twice: Python core (local stack) and the CloudFront Function (AWS).

Both run over the one table in tests/cases/read_access.json; the JS function runs under
Node (a documented prerequisite, like Python) in one process for the whole table.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from rillet.core.access import (
    WWW_AUTHENTICATE,
    ReadDecision,
    decide_read,
    extract_token,
    grant_key,
    token_hash,
    token_key,
    visibility_key,
)
from tests.edge.harness import run_edge

ROOT = Path(__file__).resolve().parents[2]
CASES_PATH = ROOT / "tests" / "cases" / "read_access.json"
FUNCTION_PATH = ROOT / "infra" / "edge" / "viewer_request.js"
HARNESS_PATH = Path(__file__).with_name("run_edge.mjs")
CASES: list[dict[str, Any]] = json.loads(CASES_PATH.read_text())
REASONS = {
    "ok",
    "public",
    "unknown-channel",
    "api",
    "bad-path",
    "no-token",
    "unknown-token",
    "expired-token",
    "no-access",
    "not-found",
}


def python_decision(case: dict[str, Any]) -> ReadDecision:
    request = case["request"]
    return decide_read(request["uri"], request.get("headers", {}), case["data"], case["now"])


def assert_expected(decision: ReadDecision | dict[str, Any], expect: dict[str, Any]) -> None:
    got = decision if isinstance(decision, dict) else vars(decision)
    assert got["status"] == expect["status"]
    if "uri" in expect:
        assert got["uri"] == expect["uri"]
    if "reason" in expect:
        assert got["reason"] == expect["reason"]


def test_table_is_well_formed() -> None:
    names = [case["name"] for case in CASES]
    assert len(names) >= 40
    assert len(set(names)) == len(names), "case names must be unique"
    for case in CASES:
        assert set(case) == {"name", "data", "now", "request", "expect"}, case["name"]
        assert case["expect"]["status"] in {200, 400, 401, 403, 404}, case["name"]
        assert case["expect"].get("reason", "ok") in REASONS, case["name"]
    assert {case["expect"].get("reason") for case in CASES} >= REASONS


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_python_rule(case: dict[str, Any]) -> None:
    decision = python_decision(case)
    assert_expected(decision, case["expect"])
    if decision.status == 200:
        assert decision.headers == {}
        assert decision.body == ""
        assert not decision.uri.startswith("/t/"), "the token prefix never reaches the origin"
    else:
        assert decision.headers["content-type"].startswith("text/plain")
        assert decision.body.startswith(decision.reason + ": ")
    if decision.status == 401:
        assert decision.headers["www-authenticate"] == WWW_AUTHENTICATE


def test_cloudfront_function_matches_table_and_python() -> None:
    results = run_edge(HARNESS_PATH, FUNCTION_PATH, CASES_PATH)
    assert set(results) == {case["name"] for case in CASES}
    failures: list[str] = []
    for case in CASES:
        name = case["name"]
        js = results[name]
        try:
            assert "error" not in js, js.get("error")
            py = python_decision(case)
            if js["web"]:
                # The handler serves the web app here (test_web_routes); the rule agrees.
                assert (js["decision_status"], js["decision_reason"]) == (py.status, py.reason)
                assert_expected(py, case["expect"])
                continue
            assert_expected(js, case["expect"])
            # The handler's answer and the reason it reports agree with each other ...
            assert js["decision_status"] == js["status"]
            assert js["decision_uri"] == py.uri
            # ... and with Python, field for field.
            assert (js["status"], js["reason"]) == (py.status, py.reason)
            sent = {k.lower(): v for k, v in case["request"].get("headers", {}).items()}
            if js["forwarded"]:
                assert js["uri"] == py.uri
                if py.reason == "api":
                    assert js["request_headers"] == sent, "an /api request passes unchanged"
                else:
                    assert "authorization" not in js["request_headers"]
            else:
                assert js["headers"] == dict(py.headers)
                assert js["body"] == {"encoding": "text", "data": py.body}
                assert js["status_description"]
        except AssertionError as exc:
            failures.append(f"{name}: {exc}\n  js={js}")
    assert not failures, "\n".join(failures)


def test_cloudfront_function_fits_the_size_limit() -> None:
    size = FUNCTION_PATH.stat().st_size
    assert size < 10 * 1024, f"CloudFront Functions are limited to 10 KB; this one is {size} B"


def test_cloudfront_function_uses_only_runtime_modules() -> None:
    source = FUNCTION_PATH.read_text()
    assert "import cf from 'cloudfront';" in source
    assert "require(" not in source
    imports = [line for line in source.splitlines() if line.startswith("import ")]
    assert imports == ["import cf from 'cloudfront';", "import crypto from 'crypto';"]
    assert "async function handler(event)" in source


def test_key_formats() -> None:
    digest = token_hash("abc")
    assert digest == hashlib.sha256(b"abc").hexdigest()
    assert visibility_key("acme") == "c:acme"
    assert grant_key("acme", digest) == f"r:acme:{digest}"
    assert token_key(digest) == f"t:{digest}"


def test_extract_token_forms() -> None:
    assert extract_token("/t/abc/acme/x", {}) == ("abc", "/acme/x")
    assert extract_token("/acme/x", {"authorization": "Bearer abc"}) == ("abc", "/acme/x")
    assert extract_token("/acme/x", {"authorization": "Basic dTphYmM="}) == ("abc", "/acme/x")
    assert extract_token("/acme/x", {}) == (None, "/acme/x")
    assert extract_token("/t/", {}) == (None, "/t/")


def test_store_failure_is_not_an_answer() -> None:
    class Broken:
        def get(self, key: str) -> str | None:
            raise TimeoutError(key)

    with pytest.raises(TimeoutError):
        decide_read("/acme/noarch/repodata.json", {}, Broken(), 0)
