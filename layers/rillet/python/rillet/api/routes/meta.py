"""What clients read before anything else: the public configuration."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from rillet import __version__
from rillet.runtime import http
from rillet.runtime.wiring import container
from rillet.services.identity import public_config

router = Router()  # type: ignore[no-untyped-call]


@router.get("/api/v1/config")
def read_config() -> Response[str]:
    settings = container().settings
    return http.json_response(
        200,
        public_config(
            settings.signin,
            max_package_bytes=settings.max_package_bytes,
            max_api_body_bytes=settings.max_api_body_bytes,
            version=__version__,
        ),
    )
