"""Promote exact files between channels (``mychan-dev`` -> ``mychan``)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from rillet.api import request
from rillet.api.models import openapi as oa
from rillet.api.models.promotion import CopyRequest, CopyResult
from rillet.runtime import http
from rillet.runtime.wiring import container

router = Router()  # type: ignore[no-untyped-call]


@router.post(
    "/api/v1/channels/<channel>/copy",
    summary="Copy exact files from another channel (all or nothing)",
    tags=["packages"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(200, CopyResult, 400, 401, 403, 404, 409, 422),
)
def copy_packages(channel: str, body: CopyRequest) -> Response[str]:
    outcome = container().services.promotion.copy(request.caller(router), channel, body.wire())
    return http.json_response(200, outcome.to_json())
