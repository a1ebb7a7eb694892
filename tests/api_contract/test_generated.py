"""The served OpenAPI document against the local stack: a user's whole journey answers
as documented, and requests generated from the document (schemathesis) find no 5xx and
no answer off its documented status, type or schema.

Bounded: EXAMPLES per operation and per caller, no shrinking, no example database.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from infra.local.server import LocalStack
from tests.api_contract import conformance
from tests.packages import build_package

pytestmark = pytest.mark.e2e

EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(port=0) as s:
        yield s


def test_a_journey_answers_as_documented(stack: LocalStack, tmp_path: Any) -> None:
    """Real resources (a published package, a yank, publishers, members, keys): the
    responses that random requests rarely reach, each checked against the document."""
    base = stack.url
    document = requests.get(f"{base}/api/openapi.json", timeout=30).json()
    admin = {"Authorization": f"Bearer {stack.admin_token}"}
    seen: list[str] = []

    def call(method: str, path: str, headers: dict[str, str], **kw: Any) -> requests.Response:
        r = requests.request(method, base + path, headers=headers, timeout=60, **kw)
        conformance.check(document, r)
        seen.append(f"{method} {r.status_code}")
        return r

    r = call("POST", "/api/v1/users", admin, json={"name": "bob"})
    bob = {"Authorization": f"Bearer {r.json()['key']['secret']}"}
    r = call("POST", "/api/v1/users", admin, json={"name": "carol"})
    call("GET", "/api/v1/users/me", bob)
    call("GET", "/api/v1/users/me", admin)
    call("GET", "/api/v1/config", {})
    call("POST", "/api/v1/channels", bob, json={"name": "bobs", "description": "d"})
    call("POST", "/api/v1/channels", bob, json={"name": "bobs"})  # 409
    call("POST", "/api/v1/channels", bob, json={"name": "API"})  # 422
    call("GET", "/api/v1/channels", {})
    call("GET", "/api/v1/channels/bobs", bob)
    call("PATCH", "/api/v1/channels/bobs", bob, json={"visibility": "private"})
    call("PATCH", "/api/v1/channels/bobs", bob, json={"name": "x"})  # 400
    call("GET", "/api/v1/channels/bobs", {})  # 401: private, anonymous
    call("PUT", "/api/v1/channels/bobs/members/carol", bob, json={"role": "maintainer"})
    call("GET", "/api/v1/channels/bobs/members", bob)
    call("POST", "/api/v1/users/me/keys", bob, json={"scope": "upload", "channels": ["bobs"]})
    call("GET", "/api/v1/users/me/keys", bob)
    key = call("POST", "/api/v1/users/me/keys", bob, json={"description": "x"}).json()["id"]
    call("DELETE", f"/api/v1/users/me/keys/{key}", bob)
    package = build_package(tmp_path, "alpha")
    data = package.read_bytes()
    body = {"filename": package.name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    ticket = call("POST", "/api/v1/channels/bobs/uploads", bob, json=body).json()
    put = requests.put(ticket["url"], data=data, headers=ticket["headers"], timeout=60)
    assert put.status_code == 200, put.text
    status: dict[str, Any] = {}
    for _ in range(600):
        status = call("GET", f"/api/v1/channels/bobs/uploads/{ticket['id']}", bob).json()
        if status["status"] in ("published", "rejected"):
            break
        time.sleep(0.05)
    assert status["status"] == "published", status
    stack.wait_idle()
    call("GET", f"/api/v1/channels/bobs/uploads/{ticket['id']}", bob)
    call("GET", "/api/v1/channels/bobs/packages", bob, params={"limit": "1"})
    yank = f"/api/v1/channels/bobs/packages/noarch/{package.name}"
    call("POST", f"{yank}/yank", bob, json={"reason": "broken"})
    call("GET", "/api/v1/channels/bobs/packages", bob)
    call("POST", f"{yank}/unyank", bob)
    call("POST", f"{yank}/yank", bob, json={"reason": ""})  # 400
    publisher = {"provider": "github", "owner": "o", "repository": "r", "workflow": "w.yml"}
    pub = call("POST", "/api/v1/channels/bobs/publishers", bob, json=publisher).json()["id"]
    call("GET", "/api/v1/channels/bobs/publishers", bob)
    call("DELETE", f"/api/v1/channels/bobs/publishers/{pub}", bob)
    call("POST", "/api/oidc/mint_token", {}, json={"token": "not-a-jwt"})  # 4xx, text
    beta = build_package(tmp_path, "beta").read_bytes()
    raw = {
        **bob,
        "X-File-Name": "beta-1.0-h0_0.conda",
        "X-File-Sha256": hashlib.sha256(beta).hexdigest(),
    }
    r = call("POST", "/api/v1/upload/bobs", raw, data=beta)
    assert r.status_code == 201 and r.text == "published noarch/beta-1.0-h0_0.conda", r.text
    call("POST", "/api/v1/upload/bobs", raw, data=beta)  # 409, plain text
    call("POST", "/api/v1/channels/bobs/reindex", bob, json={})
    call("GET", "/api/v1/channels/bobs/audit", bob, params={"limit": "5"})
    call("POST", "/api/v1/users/carol/suspend", admin)
    call("POST", "/api/v1/users/carol/reinstate", admin)
    call("GET", "/api/v1/audit/accounts", admin)
    call("GET", "/api/v1/users", bob, params={"q": "ca"})
    call("POST", "/api/v1/channels/bobs/transfer", bob, json={"owner": "carol"})
    call("DELETE", f"/api/v1/delete/bobs/noarch/{package.name}", bob)
    call("DELETE", "/api/v1/channels/bobs", admin)
    call("GET", "/api/v1/channels/bobs", admin)  # 404
    assert len(seen) > 40


def _seed(stack: LocalStack) -> dict[str, str]:
    """A user with a channel, so generated calls also reach existing things."""
    admin = {"Authorization": f"Bearer {stack.admin_token}"}
    r = requests.post(
        f"{stack.url}/api/v1/users", json={"name": "alice"}, headers=admin, timeout=30
    )
    assert r.status_code == 201, r.text
    alice = {"Authorization": f"Bearer {r.json()['key']['secret']}"}
    r = requests.post(
        f"{stack.url}/api/v1/channels", json={"name": "mychan"}, headers=alice, timeout=30
    )
    assert r.status_code == 201, r.text
    return alice


def _runner(operation: Any, base_url: str, headers: dict[str, str], calls: list[int]) -> Any:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        calls.append(1)
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

    return run


def test_generated_requests_find_no_5xx_and_no_answer_off_its_schema(stack: LocalStack) -> None:
    document = requests.get(f"{stack.url}/api/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    callers = {"operator": {"Authorization": f"Bearer {stack.admin_token}"}, "alice": _seed(stack)}
    failures: list[str] = []
    calls: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        for who, headers in callers.items():
            try:
                _runner(operation, stack.url, headers, calls)()
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # one operation's failure must not hide the others'
                failures.append(f"{who} {operation.label}: {str(exc)[:1500]}")
    print(f"{len(calls)} generated calls")
    assert len(calls) > 100
    assert not failures, "\n\n".join(failures)
