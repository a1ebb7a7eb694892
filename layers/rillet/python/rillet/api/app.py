"""The API's resolver: validation on, errors mapped once, the caller resolved once."""

from __future__ import annotations

from collections.abc import Iterable

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from rillet.api import request
from rillet.api.models import openapi as oa
from rillet.api.models import validation
from rillet.api.routes import (
    channels,
    keys,
    members,
    meta,
    packages,
    promotion,
    publishers,
    releases,
    uploads,
    users,
)
from rillet.runtime import http

ROUTERS = (
    users,
    keys,
    channels,
    members,
    packages,
    uploads,
    releases,
    publishers,
    promotion,
    meta,
)


def build_app(routers: Iterable[Router] | None = None) -> APIGatewayHttpResolver:
    """A resolver with every router (or just ``routers``), the error table and the
    authentication middleware.

    A Router answers through the last resolver that included it: build the API's once per
    process (functions/api/handler.py); a test resolver gets routers of its own.
    """
    app = APIGatewayHttpResolver(
        enable_validation=True,
        # Request models parse bodies under the same limits as json_body (core.metadata).
        json_body_deserializer=http.parse_json_object,
    )
    # Bodies are JSON whatever the Content-Type (curl -d sends form encoding), parsed by
    # http.json_body; refusals carry the models' reason codes (rillet/api/models).
    # The caller is resolved before the request is validated: an anonymous call of a route
    # that needs a credential is a 401 whatever its body (api/request.py).
    validation.enable(app, first=request.authenticate)
    http.install_error_handlers(app)
    app.use([request.authenticate])
    for router in routers if routers is not None else (m.router for m in ROUTERS):
        app.include_router(router)

    @app.get(
        "/api/openapi.json",
        summary="This OpenAPI 3.1 document",
        tags=["meta"],
        openapi_extensions=oa.NO_AUTH,
        responses=oa.document_responses(),
    )
    def openapi() -> Response[str]:
        return http.json_response(200, http.openapi_document(app))

    return app
