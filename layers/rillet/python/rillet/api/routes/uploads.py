"""Presigned uploads: request a PUT URL, read an upload's status."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from rillet.api import models as m
from rillet.api import request
from rillet.api.models import openapi as oa
from rillet.runtime import http
from rillet.runtime.wiring import container

router = Router()  # type: ignore[no-untyped-call]


@router.post(
    "/api/v1/channels/<channel>/uploads",
    summary="Ask for a presigned upload URL",
    tags=["uploads"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(201, m.UploadTicket, 400, 401, 403, 404, 409, 413, 422),
)
def request_upload(channel: str, body: m.UploadRequest) -> Response[str]:
    ticket = container().services.uploads.request(request.caller(router), channel, body.given())
    return http.json_response(201, ticket.to_json())


@router.get(
    "/api/v1/channels/<channel>/uploads/<upload_id>",
    summary="Status of a presigned upload",
    tags=["uploads"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(200, m.UploadStatus, 401, 403, 404),
)
def upload_status(channel: str, upload_id: str) -> Response[str]:
    status = container().services.uploads.status(request.caller(router), channel, upload_id)
    return http.json_response(200, status)
