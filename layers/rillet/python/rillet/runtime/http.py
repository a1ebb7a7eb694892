"""The one table from domain errors to HTTP, and JSON helpers for the API."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from rillet import __version__
from rillet.core import errors, metadata
from rillet.core.policy import Principal
from rillet.runtime.observability import logger

# Most specific first: PackageTooLarge is a PackageRejected.
STATUS: tuple[tuple[type[errors.RilletError], int], ...] = (
    (errors.PackageTooLarge, 413),
    (errors.PayloadTooLarge, 413),
    (errors.PackageRejected, 422),
    (errors.InvalidName, 422),
    (errors.InvalidRequest, 400),
    (errors.Unauthenticated, 401),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.Unavailable, 503),
)


def status_for(exc: errors.RilletError) -> int:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def error_headers(status: int) -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="rillet"'} if status == 401 else {}


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body),
        headers=headers or {},
    )


def error_response(exc: errors.RilletError) -> Response[str]:
    status = status_for(exc)
    return json_response(status, {"error": exc.code, "message": exc.message}, error_headers(status))


# The upload clients print the body to the user and expect plain text there.
PLAIN_TEXT_PREFIXES = ("/api/v1/upload/", "/api/oidc/")


def text_response(status: int, text: str, headers: dict[str, str] | None = None) -> Response[str]:
    return Response(
        status_code=status,
        content_type="text/plain; charset=utf-8",
        body=text,
        headers=headers or {},
    )


def install_error_handlers(app: APIGatewayHttpResolver) -> None:
    def refuse(exc: errors.RilletError) -> Response[str]:
        if app.current_event.path.startswith(PLAIN_TEXT_PREFIXES):
            status = status_for(exc)
            return text_response(status, f"{exc.code}: {exc.message}", error_headers(status))
        return error_response(exc)

    @app.exception_handler(errors.RilletError)  # type: ignore[untyped-decorator]
    def _domain_error(exc: errors.RilletError) -> Response[str]:
        logger.info("request refused", extra={"code": exc.code, "error_message": exc.message})
        return refuse(exc)

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _invalid(exc: RequestValidationError) -> Response[str]:
        refused = invalid_request(exc)
        logger.info(
            "request refused", extra={"code": refused.code, "error_message": refused.message}
        )
        return refuse(refused)

    @app.not_found
    def _not_found(_: Exception) -> Response[str]:
        path = app.current_event.path
        if path.startswith("/api/v1/upload/"):
            # e.g. a namespaced target "<channel>/<label>": say what is accepted.
            return refuse(
                errors.NotFound(
                    f"no upload target {path[len('/api/v1/upload/') :]!r}: "
                    "upload to /api/v1/upload/<channel>",
                    code="no-route",
                )
            )
        return refuse(errors.NotFound("no such route", code="no-route"))


def invalid_request(exc: RequestValidationError) -> errors.InvalidRequest:
    """A request that breaks its route's model: 400 ``invalid-request``, saying where."""
    problems = []
    for error in exc.errors()[:3]:
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        problems.append(f"{where or 'body'}: {error.get('msg', 'invalid')}")
    return errors.InvalidRequest("the request is invalid: " + "; ".join(problems))


def json_body(router: BaseRouter) -> dict[str, Any]:
    """Parse the request body as a JSON object; raise InvalidRequest otherwise.

    Whatever a handler may store or echo must be representable everywhere after it
    (DynamoDB, JSON responses, the audit log), so the limits of core.metadata apply:
    finite numbers, 64-bit integers, valid Unicode, bounded depth and sizes.
    """
    try:
        raw = router.current_event.decoded_body or ""  # base64 and UTF-8 decoded
    except (ValueError, binascii.Error):  # UnicodeDecodeError is a ValueError
        raise errors.InvalidRequest("the request body is not valid JSON") from None
    if not raw:
        return {}
    return parse_json_object(raw)


def parse_json_object(raw: str) -> dict[str, Any]:
    """A JSON object within the limits of core.metadata; raises InvalidRequest.

    Also the resolver's JSON deserializer, so request models parse under the same limits.
    """
    try:
        body = json.loads(raw, parse_constant=_no_constant, parse_float=metadata.parse_float)
    except metadata.FloatOutOfRange as exc:
        raise errors.InvalidRequest(f"the request body: {exc.problem.message}") from None
    except RecursionError:
        raise errors.InvalidRequest("the request body nests too deep") from None
    except ValueError:
        raise errors.InvalidRequest("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise errors.InvalidRequest("the request body must be a JSON object")
    problem = metadata.value_problem(body)
    if problem is not None:
        raise errors.InvalidRequest(f"the request body: {problem.message}")
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def principal(p: Principal | None) -> Principal:
    if p is None:
        raise errors.Unauthenticated(
            "this endpoint needs an 'Authorization: Bearer <token>' header"
        )
    return p


def int_param(value: str | None, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise errors.InvalidRequest(f"expected an integer, got {value!r}") from None


def too_large_message(limit: int, channel: str) -> str:
    return (
        f"the request body is larger than {limit} bytes, the most this endpoint accepts; "
        f"upload larger packages through a presigned URL: `rillet upload -c {channel} FILE` "
        f"or POST /api/v1/channels/{channel}/uploads"
    )


def openapi_document(app: APIGatewayHttpResolver) -> Any:
    return json.loads(
        app.get_openapi_json_schema(
            title="Rillet API",
            version=__version__,
            description="Serverless conda channel hosting: channels, members, keys, uploads.",
        )
    )


def raw_body(router: BaseRouter) -> bytes:
    """The request body as bytes (API Gateway base64-encodes binary bodies)."""
    event = router.current_event
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8")
