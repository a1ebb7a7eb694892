"""The API's resolver: validation on, errors mapped once, the caller resolved once."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.api_gateway import Response

from rillet.api import request
from rillet.api.routes import channels, keys, members, meta, packages, publishers, uploads, users
from rillet.runtime import http

ROUTERS = (users, keys, channels, members, packages, uploads, publishers, meta)


def build_app() -> APIGatewayHttpResolver:
    """A resolver with every router, the error table and the authentication middleware."""
    app = APIGatewayHttpResolver(
        enable_validation=True,
        # Request models parse bodies under the same limits as json_body (core.metadata).
        json_body_deserializer=http.parse_json_object,
    )
    http.install_error_handlers(app)
    app.use([request.authenticate])
    for module in ROUTERS:
        app.include_router(module.router)

    @app.get("/api/openapi.json")
    def openapi() -> Response[str]:
        return http.json_response(200, http.openapi_document(app))

    return app
