"""The caller's API keys."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from rillet.api import request
from rillet.runtime import http
from rillet.runtime.wiring import container

router = Router()  # type: ignore[no-untyped-call]


@router.post("/api/v1/users/me/keys")
def create_key() -> Response[str]:
    key, secret = container().services.keys.create_key(
        request.required(router), request.body(router)
    )
    return http.json_response(201, {**key.to_json(), "secret": secret})


@router.get("/api/v1/users/me/keys")
def list_keys() -> Response[str]:
    keys = container().services.keys.list_keys(request.required(router))
    return http.json_response(200, {"keys": [k.to_json() for k in keys]})


@router.delete("/api/v1/users/me/keys/<key_id>")
def revoke_key(key_id: str) -> Response[str]:
    revoked = container().services.keys.revoke_key(request.required(router), key_id)
    return http.json_response(200, revoked.to_json())
