"""Request validation on Powertools' terms, with Rillet's JSON rules and reason codes.

Powertools validates each route's annotated body model and query parameters
(``enable_validation=True``). Two things are Rillet's own:

- the body is parsed by ``runtime.http.json_body`` whatever the Content-Type says
  (``curl -d`` sends form encoding): bounded depth and sizes, finite numbers, 64-bit
  integers, valid Unicode, an object: else 400 ``invalid-request``, as before;
- a failed validation is the domain error of ``_base.domain_error`` (its first field's
  reason code), mapped to its status by the one table in ``runtime/http.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import BaseModel

from rillet.api.models._base import domain_error
from rillet.core.errors import RilletError

Middleware = Callable[[Any, NextMiddleware], Any]


class JsonBodyValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, reading every body with ``http.json_body``, after
    the middleware ``first`` (authentication: who calls is settled before what they sent)."""

    def __init__(self, first: Middleware | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.first = first

    def handler(self, app: Any, next_middleware: NextMiddleware) -> Any:
        if self.first is None:
            return super().handler(app, next_middleware)
        validate = super().handler

        def validated(app: Any) -> Any:
            return validate(app, next_middleware)

        return self.first(app, validated)  # type: ignore[arg-type]

    def _get_body(self, app: Any) -> dict[str, Any]:
        from rillet.runtime import http  # runtime.http imports this module

        return http.json_body(app)


def enable(app: APIGatewayHttpResolver, first: Middleware | None = None) -> None:
    """Validate with Rillet's JSON rules, after ``first`` (call before the first request)."""
    if not getattr(app, "_enable_validation", False):
        raise ValueError("the resolver needs enable_validation=True")
    # Powertools keeps the middleware it puts first in every route's stack here
    # (it runs before the resolver's own middlewares).
    app._request_validation_middleware = JsonBodyValidation(first)


def body_model(app: APIGatewayHttpResolver) -> type[BaseModel] | None:
    """The body model of the route being resolved, if it has one."""
    route = app.context.get("_route")
    params = getattr(getattr(route, "dependant", None), "body_params", None) or []
    model = getattr(params[0], "type_", None) if params else None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def refusal(app: APIGatewayHttpResolver, exc: RequestValidationError) -> RilletError:
    return domain_error(list(exc.errors()), body_model(app))


__all__ = ["JsonBodyValidation", "RequestValidationError", "body_model", "enable", "refusal"]
