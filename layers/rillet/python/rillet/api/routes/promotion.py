"""Promote exact files between channels (``mychan-dev`` -> ``mychan``)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from rillet.api import request
from rillet.runtime import http
from rillet.runtime.wiring import container

router = Router()  # type: ignore[no-untyped-call]


@router.post("/api/v1/channels/<channel>/copy")
def copy_packages(channel: str) -> Response[str]:
    outcome = container().services.promotion.copy(
        request.caller(router), channel, request.body(router)
    )
    return http.json_response(200, outcome.to_json())
