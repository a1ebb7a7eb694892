"""The resolver's own behaviour: request models validated, refusals in our error format."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import BaseModel

from functions.api.handler import lambda_handler
from infra.local.pump import LambdaContext
from rillet.api import request
from rillet.api.app import build_app
from rillet.api.models import openapi as oa
from rillet.runtime import wiring
from tests import fakes

ADMIN = "rlt_admin_app_test_token_0123456789"
BAD_BODIES = ['{"times": 2}', '{"name": 5}', "{not json", "[1]"]


class Greeting(BaseModel):
    name: str
    times: int = 1


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    wiring.reset(wiring.Container(fakes.settings(admin_token=ADMIN), clock=fakes.FixedClock(0)))
    router = Router()

    @router.post("/api/v1/test/greet")
    def greet(greeting: Annotated[Greeting, Body()]) -> dict[str, Any]:
        return {"hello": greeting.name, "times": greeting.times, "caller": request.caller(router)}

    @router.post("/api/v1/test/signed", security=oa.AUTHENTICATED)
    def signed(greeting: Annotated[Greeting, Body()]) -> dict[str, Any]:
        return {"hello": greeting.name, "caller": request.required(router).user}

    @router.post("/api/v1/test/welcome", security=oa.OPTIONAL_AUTH)
    def welcome(greeting: Annotated[Greeting, Body()]) -> dict[str, Any]:
        return {"hello": greeting.name}

    yield build_app([router])  # the API's own routers stay with functions/api/handler.py
    wiring.reset()


def post(
    app: Any, body: str, path: str = "/api/v1/test/greet", token: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "http": {"method": "POST", "path": path, "sourceIp": "127.0.0.1"},
            "requestId": "r1",
            "stage": "$default",
        },
        "body": body,
        "isBase64Encoded": False,
    }
    result = app.resolve(event, LambdaContext("api"))
    return result["statusCode"], json.loads(result["body"])


def test_a_valid_body_reaches_the_route_with_the_anonymous_caller(app: Any) -> None:
    assert post(app, '{"name": "ann", "times": 2}') == (
        200,
        {"hello": "ann", "times": 2, "caller": None},
    )


@pytest.mark.parametrize(
    "body",
    ['{"times": 2}', '{"name": 5}', '{"name": "ann", "times": "many"}', "{not json", "[1]"],
)
def test_a_body_that_breaks_its_model_is_a_400_with_our_reason_code(app: Any, body: str) -> None:
    status, refusal = post(app, body)
    assert status == 400
    assert refusal["error"] == "invalid-request" and refusal["message"]
    assert set(refusal) == {"error", "message"}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('{"name": "ann", "times": 1e999}', "out of range"),
        ('{"name": "ann", "times": 99999999999999999999999}', "64-bit"),
        ('{"name": "ann", "extra": ' + "[" * 200 + "]" * 200 + "}", "deep"),
    ],
)
def test_model_bodies_keep_the_json_limits(app: Any, body: str, problem: str) -> None:
    status, refusal = post(app, body)
    assert (status, refusal["error"]) == (400, "invalid-request")
    assert problem in refusal["message"], refusal


def test_another_resolver_leaves_the_api_answering_through_its_own(app: Any) -> None:
    """Routers answer through the last resolver that included them: a second resolver in
    the process (this test's) must not take the API's routes' requests away from it."""
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/api/v1/users/me",
        "rawQueryString": "",
        "headers": {"authorization": "Bearer rlt_admin_app_test_token_0123456789"},
        "requestContext": {
            "http": {"method": "GET", "path": "/api/v1/users/me", "sourceIp": "127.0.0.1"},
            "requestId": "r2",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }
    result = lambda_handler(event, LambdaContext("api"))
    assert result["statusCode"] == 200, result
    assert json.loads(result["body"])["superuser"] is True


@pytest.mark.parametrize("body", [*BAD_BODIES, '{"name": "ann"}'])
def test_an_anonymous_caller_of_a_route_that_needs_a_credential_gets_401_whatever_the_body(
    app: Any, body: str
) -> None:
    """The caller is settled before the body is judged: no 400 that tells an anonymous
    caller about a route it may not use."""
    assert post(app, body, "/api/v1/test/signed")[1]["error"] == "unauthenticated"
    assert post(app, body, "/api/v1/test/signed")[0] == 401


@pytest.mark.parametrize("body", BAD_BODIES)
def test_a_bad_credential_is_a_401_before_the_body_is_judged(app: Any, body: str) -> None:
    for path in ("/api/v1/test/signed", "/api/v1/test/welcome"):
        status, refusal = post(app, body, path, token="not a token")
        assert (status, refusal["error"]) == (401, "unauthenticated")


@pytest.mark.parametrize("body", BAD_BODIES)
def test_a_known_caller_or_an_open_route_still_gets_400_for_a_bad_body(app: Any, body: str) -> None:
    assert post(app, body, "/api/v1/test/signed", token=ADMIN)[0] == 400
    assert post(app, body, "/api/v1/test/welcome")[0] == 400  # anonymous welcome there


def test_a_known_caller_reaches_a_route_that_needs_a_credential(app: Any) -> None:
    assert post(app, '{"name": "ann"}', "/api/v1/test/signed", token=ADMIN) == (
        200,
        {"hello": "ann", "caller": "admin"},
    )
