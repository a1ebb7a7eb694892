"""HTTP API: API Gateway HTTP API (payload v2) -> rillet.api's routers -> one service call each."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths

from rillet.api.app import build_app
from rillet.runtime.observability import logger

app = build_app()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
