"""The OpenAPI 3.1 document: info, servers, security schemes, tags, and what each route
declares (``responses``, ``security``) so Powertools generates it from the models."""

from __future__ import annotations

import json
from typing import Annotated, Any, Final

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel

from rillet import __version__
from rillet.api.models._base import Error

JSON: Final = "application/json"
TEXT: Final = "text/plain"

# -- security ---------------------------------------------------------------------
SECURITY_SCHEMES: Final[dict[str, dict[str, str]]] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "an API key (rillet-key-…), a minted trusted-publishing token "
        "(rillet-tp-…), the operator's admin token, or a sign-in session (the identity "
        "provider's access token, a JWT)",
    },
    "basic": {
        "type": "http",
        "scheme": "basic",
        "description": "any user name, the token as the password",
    },
}
# A route that needs a credential; one where anonymous callers are welcome too ({}).
AUTHENTICATED: Final[list[dict[str, list[str]]]] = [{"bearer": []}, {"basic": []}]
OPTIONAL_AUTH: Final[list[dict[str, list[str]]]] = [{}, {"bearer": []}, {"basic": []}]
# No credential at all: Powertools omits an empty list, so it goes in as an extension.
NO_AUTH: Final[dict[str, Any]] = {"security": []}

TAGS: Final = {
    "users": "users, sessions, usernames, API keys, discovery",
    "channels": "create, read, update, transfer, reindex, delete",
    "members": "who has which role on a channel",
    "packages": "list, upload (prefix-compatible), delete, yank",
    "uploads": "presigned uploads of packages of any size",
    "publishers": "trusted publishing from CI",
    "audit": "what happened, newest first",
    "meta": "this document",
}

# What each error status means (docs/api.md, "Errors", has the reason codes).
ERRORS: Final[dict[int, str]] = {
    400: "invalid request: bad JSON, a missing, mistyped or unknown field",
    401: "no, unknown, revoked or expired credential (WWW-Authenticate: Bearer)",
    403: "the credential may not do this",
    404: "no such channel, user, member, key, package, upload or publisher "
    "(also a private channel the caller cannot read)",
    409: "conflict: the name or file exists, or changed meanwhile",
    413: "too large",
    422: "a name or package breaks the rules",
    503: "a dependency failed; retry",
}


def responses(
    status: int, model: type[BaseModel] | None, *errors: int, description: str = "success"
) -> dict[int, Any]:
    """A JSON route's responses: ``model`` on success, ``Error`` on each error status."""
    success: dict[str, Any] = {"description": description}
    if model is not None:
        success["content"] = {JSON: {"model": model}}
    out: dict[int, Any] = {status: success}
    for code in sorted({*errors, 503}):
        out[code] = {"description": ERRORS[code], "content": {JSON: {"model": Error}}}
    return out


def text_responses(status: int, description: str, *errors: int) -> dict[int, Any]:
    """A plain-text route (the upload clients print the body): ``<reason code>: <text>``."""
    error_schema = {"type": "string", "pattern": "^[a-z0-9-]+: ", "examples": ["forbidden: …"]}
    out: dict[int, Any] = {
        status: {"description": description, "content": {TEXT: {"schema": {"type": "string"}}}}
    }
    for code in sorted({*errors, 503}):
        out[code] = {"description": ERRORS[code], "content": {TEXT: {"schema": error_schema}}}
    return out


def json_request(model: type[BaseModel], description: str) -> dict[str, Any]:
    """A request body documented by hand (a route that reads its body itself)."""
    return {
        "requestBody": {
            "description": description,
            "required": True,
            "content": {JSON: {"schema": model.model_json_schema()}},
        }
    }


def configure(app: APIGatewayHttpResolver) -> None:
    """Info, servers, security schemes and tags. Called when the document is first
    asked for: Powertools' OpenAPI object models cost ~0.1 s to import, every cold start."""
    from aws_lambda_powertools.event_handler.openapi.models import (
        HTTPBase,
        HTTPBearer,
        Server,
        Tag,
    )

    app.configure_openapi(
        title="Rillet API",
        version=__version__,
        description="Serverless conda channel hosting: channels, members, keys, uploads. "
        'Errors are {"error": <reason code>, "message": <text>}; under '
        "/api/v1/upload/ and /api/oidc/ they are plain text, '<reason code>: <text>'.",
        servers=[Server(url="/", description="this deployment (served at its domain's root)")],
        security_schemes={
            name: (HTTPBearer if s["scheme"] == "bearer" else HTTPBase).model_validate(s)
            for name, s in SECURITY_SCHEMES.items()
        },
        tags=[Tag(name=name, description=text) for name, text in TAGS.items()],
    )


def document(app: APIGatewayHttpResolver) -> dict[str, Any]:
    """The document, without Powertools' own validation-error schemas: Rillet answers
    every refusal with ``Error`` (or plain text), with the statuses each route lists."""
    configure(app)
    doc: dict[str, Any] = json.loads(app.get_openapi_json_schema())
    powertools_422 = {"$ref": "#/components/schemas/HTTPValidationError"}
    for item in doc["paths"].values():
        for op in item.values():
            responses = op.get("responses", {})
            if responses.get("422", {}).get("content", {}).get(JSON, {}).get("schema") == (
                powertools_422
            ):
                del responses["422"]
            op["responses"] = dict(sorted(responses.items()))
    schemas = doc.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ResponseValidationError", "ValidationError"):
        schemas.pop(name, None)
    return doc


def document_responses() -> dict[int, Any]:
    """The answer of GET /api/openapi.json: this document."""
    return {
        200: {
            "description": "this OpenAPI 3.1 document",
            "content": {JSON: {"schema": {"type": "object"}}},
        },
        503: {"description": ERRORS[503], "content": {JSON: {"model": Error}}},
    }


# -- query parameters (validated by Powertools: not an integer is 400 invalid-request) --
Limit = Annotated[
    int | None, Query(description="page size, default 100, clamped to 1-1000", examples=[100])
]
PageCursor = Annotated[
    str | None, Query(description="the previous page's cursor, unchanged (opaque)")
]
SubdirQuery = Annotated[
    str | None,
    Query(
        description="only this subdir (a known one, else 422 unknown-subdir)", examples=["noarch"]
    ),
]
NameQuery = Annotated[str | None, Query(description="only this package name (case-insensitive)")]
Q = Annotated[
    str | None,
    Query(description="the start of a username: 1-39 of a-z 0-9 - _", examples=["al"]),
]
Force = Annotated[
    str | None,
    Query(description="'true': overwrite an existing file (owners only)", examples=["true"]),
]
