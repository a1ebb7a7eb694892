"""Presigned uploads: request a PUT URL, read an upload's status."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from rillet.api import request
from rillet.runtime import http
from rillet.runtime.wiring import container

router = Router()  # type: ignore[no-untyped-call]


@router.post("/api/v1/channels/<channel>/uploads")
def request_upload(channel: str) -> Response[str]:
    ticket = container().services.uploads.request(
        request.caller(router), channel, request.body(router)
    )
    return http.json_response(201, ticket.to_json())


@router.get("/api/v1/channels/<channel>/uploads/<upload_id>")
def upload_status(channel: str, upload_id: str) -> Response[str]:
    status = container().services.uploads.status(request.caller(router), channel, upload_id)
    return http.json_response(200, status)
