"""The OpenAPI document as the API serves it (GET /api/openapi.json, no credential)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.api.handler import lambda_handler
from infra.local.pump import LambdaContext


def _get(path: str) -> dict[str, Any]:
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {},
        "requestContext": {"http": {"method": "GET", "path": path}, "stage": "$default"},
        "isBase64Encoded": False,
    }
    return lambda_handler(event, LambdaContext("api"))


@pytest.fixture(scope="session")
def document() -> dict[str, Any]:
    reply = _get("/api/openapi.json")
    assert reply["statusCode"] == 200, reply
    doc: dict[str, Any] = json.loads(reply["body"])
    return doc
