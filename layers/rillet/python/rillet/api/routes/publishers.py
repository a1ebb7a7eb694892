"""Trusted publishers of a channel, and the CI token exchange (/api/oidc/, plain text)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from rillet.api import request
from rillet.runtime import http
from rillet.runtime.wiring import container

router = Router()  # type: ignore[no-untyped-call]


@router.post("/api/oidc/mint_token")
def mint_token() -> Response[str]:
    token, _ = container().services.publishing.mint_token(http.raw_body(router))
    # The client uses the whole body as the token: no JSON, no trailing newline.
    return http.text_response(200, token)


@router.post("/api/v1/channels/<channel>/publishers")
def add_publisher(channel: str) -> Response[str]:
    publisher = container().services.publishing.add_publisher(
        request.caller(router), channel, request.body(router)
    )
    return http.json_response(201, publisher.to_json())


@router.get("/api/v1/channels/<channel>/publishers")
def list_publishers(channel: str) -> Response[str]:
    found = container().services.publishing.list_publishers(request.caller(router), channel)
    return http.json_response(200, {"publishers": [pub.to_json() for pub in found]})


@router.delete("/api/v1/channels/<channel>/publishers/<publisher_id>")
def remove_publisher(channel: str, publisher_id: str) -> Response[str]:
    container().services.publishing.remove_publisher(request.caller(router), channel, publisher_id)
    return http.json_response(200, {"removed": publisher_id})
