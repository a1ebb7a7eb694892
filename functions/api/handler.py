"""HTTP API: API Gateway HTTP API (payload v2) -> routes -> one service call each."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.api_gateway import Response

from rillet.runtime import http
from rillet.runtime.observability import logger
from rillet.runtime.wiring import container
from rillet.services import channels, uploads

app = APIGatewayHttpResolver()
http.install_error_handlers(app)


def _caller() -> Any:
    return container().authenticate(app.current_event.headers.get("authorization"))


@app.post("/api/v1/channels")
def create_channel() -> Response:
    c = container()
    caller = _caller()
    channel = channels.create_channel(
        c.catalog, c.channels, http.json_body(app), owner=caller.name, now_iso=c.clock.iso()
    )
    return http.json_response(201, channel.to_json())


@app.post("/api/v1/channels/<channel>/uploads")
def request_upload(channel: str) -> Response:
    c = container()
    caller = _caller()
    ticket = uploads.request_upload(
        c.catalog,
        c.presigner,
        channel,
        http.json_body(app),
        caller=caller.name,
        upload_id=c.new_id(),
        now_iso=c.clock.iso(),
        now_epoch=c.clock.epoch(),
        max_package_bytes=c.settings.max_package_bytes,
        ttl_seconds=c.settings.upload_url_ttl,
    )
    return http.json_response(201, ticket.to_json())


@app.get("/api/v1/channels/<channel>/uploads/<upload_id>")
def upload_status(channel: str, upload_id: str) -> Response:
    _caller()
    upload = uploads.upload_status(container().catalog, channel, upload_id)
    return http.json_response(200, upload.to_json())


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
