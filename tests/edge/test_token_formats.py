"""Both token formats at the edge: the CloudFront Function and the Python rule.

A key of the current format (``rillet-key-…``, conda's ``[A-Za-z0-9-]`` alphabet) and a
legacy one (``rlt_…``) each read a private channel through ``/t/<token>/``, Bearer and
Basic; the function and ``core.access`` must agree on every case.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from rillet.core.access import decide_read, grant_key, token_hash, token_key, visibility_key
from rillet.core.tokens import new_api_key, new_minted_token
from rillet.runtime.wiring import random_secret
from tests.edge.harness import run_edge
from tests.edge.test_read_rule import FUNCTION_PATH, HARNESS_PATH

NOW = 1_800_000_000
NEW_KEY = new_api_key(random_secret(), "k1").secret
LEGACY_KEY = "rlt_" + "Ab1_-" * 9
MINTED = new_minted_token(random_secret(), "t1").secret  # upload-only: no read grant
OUTSIDER = new_api_key(random_secret(), "k2").secret  # known, no grant on acme
FILE = "/acme/noarch/repodata.json"


def data() -> dict[str, str]:
    out = {visibility_key("acme"): "private"}
    for token in (NEW_KEY, LEGACY_KEY):
        out[grant_key("acme", token_hash(token))] = "0"
        out[token_key(token_hash(token))] = "0"
    out[token_key(token_hash(OUTSIDER))] = "0"
    return out


def basic(token: str) -> str:
    return "Basic " + base64.b64encode(f"user:{token}".encode()).decode()


def cases() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def case(name: str, uri: str, headers: dict[str, str], status: int, reason: str) -> None:
        out.append(
            {
                "name": name,
                "data": data(),
                "now": NOW,
                "request": {"uri": uri, "headers": headers},
                "expect": {"status": status, "reason": reason},
            }
        )

    for label, token in (("new", NEW_KEY), ("legacy", LEGACY_KEY)):
        case(f"{label} key in /t/", f"/t/{token}{FILE}", {}, 200, "ok")
        case(f"{label} key as Bearer", FILE, {"authorization": f"Bearer {token}"}, 200, "ok")
        case(f"{label} key as Basic", FILE, {"authorization": basic(token)}, 200, "ok")
    case("known key without a grant", f"/t/{OUTSIDER}{FILE}", {}, 403, "no-access")
    case("minted token never reads", f"/t/{MINTED}{FILE}", {}, 401, "unknown-token")
    # What conda sent for a legacy key: the token cut at the '_', the rest taken as the
    # channel; no such channel, so the origin answers 404 and conda reports it missing.
    cut = f"/t/rlt/{LEGACY_KEY[4:]}{FILE}"
    case("legacy key cut short by conda", cut, {}, 200, "unknown-channel")
    return out


def test_both_formats_read_a_private_channel_at_the_edge(tmp_path: Path) -> None:
    table = cases()
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(table))
    js = run_edge(HARNESS_PATH, FUNCTION_PATH, path)
    failures = []
    for c in table:
        request, expect = c["request"], c["expect"]
        py = decide_read(request["uri"], request["headers"], c["data"], c["now"])
        got = js[c["name"]]
        outcome = (py.status, py.reason, got.get("status"), got.get("reason"))
        if outcome != (expect["status"], expect["reason"]) * 2:
            failures.append(f"{c['name']}: python/js = {outcome}, want {expect}")
        elif py.reason == "ok" and (py.uri != FILE or got["uri"] != FILE):
            failures.append(f"{c['name']}: forwarded {py.uri} / {got['uri']}, want {FILE}")
    assert not failures, "\n".join(failures)
