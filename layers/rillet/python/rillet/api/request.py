"""What a route reads from the request: the caller (set by the middleware), query, body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from rillet.core.errors import Unauthenticated
from rillet.core.policy import Principal
from rillet.runtime import http
from rillet.runtime.wiring import container
from rillet.services.auth import SignedIn, session_principal

# Answered without looking at the Authorization header at all.
PUBLIC_PATHS: Final = frozenset({"/api/v1/config", "/api/openapi.json", "/api/oidc/mint_token"})
# Answers a session before a username is chosen (everything else needs one).
ME_PATH: Final = "/api/v1/users/me"


def authenticate(app: Any, next_middleware: NextMiddleware) -> Any:
    """Resolve the caller once per request: ``principal`` (None: anonymous) and
    ``session`` (a sign-in session, or None) in the router context.

    Runs before the request is validated (api/models/validation.py), so a bad
    credential, or none on a route whose OpenAPI ``security`` needs one, is a 401 whatever
    the body; the resolver also has it as a middleware, for a route without validation.

    Raises Unauthenticated (bad or missing credential), Forbidden (a session without a
    username, except on users/me), mapped by runtime.http like any domain error."""
    if "principal" in app.context:  # resolved already, before validation
        return next_middleware(app)
    event = app.current_event
    principal: Principal | None = None
    session: SignedIn | None = None
    if event.path not in PUBLIC_PATHS:
        auth = container().services.auth
        authorization = event.headers.get("authorization")
        session = auth.signed_in(authorization)
        if event.path == ME_PATH and (event.http_method == "POST" or session is not None):
            pass  # users/me answers a session itself (also before a username is chosen)
        elif session is not None:
            principal = session_principal(session)
        else:
            principal = auth.authenticate(authorization)
    app.append_context(principal=principal, session=session)
    if principal is None and session is None and _needs_credential(app):
        # What the route itself would answer an anonymous caller, before any 400 about
        # its body or query.
        if event.path == ME_PATH and event.http_method == "POST":
            session_required(app)  # raises: choosing a username needs a session
        required(app)  # raises
    return next_middleware(app)


def _needs_credential(app: Any) -> bool:
    """Whether the route being resolved serves no anonymous caller (its OpenAPI
    ``security`` lists no empty requirement)."""
    security: list[dict[str, list[str]]] = (
        getattr(app.context.get("_route"), "security", None) or []
    )
    return bool(security) and {} not in security


def caller(router: BaseRouter) -> Principal | None:
    """The authenticated caller, or None for an anonymous request."""
    principal: Principal | None = router.context.get("principal")
    return principal


def required(router: BaseRouter) -> Principal:
    """The caller; raises Unauthenticated (401) for an anonymous request."""
    return http.principal(caller(router))


def session(router: BaseRouter) -> SignedIn | None:
    """The sign-in session behind the request, if it carries one."""
    found: SignedIn | None = router.context.get("session")
    return found


def session_required(router: BaseRouter) -> SignedIn:
    found = session(router)
    if found is None:
        raise Unauthenticated(
            "choosing a username needs a sign-in token from the identity provider",
            code="session-required",
        )
    return found


def query(router: BaseRouter, name: str) -> str | None:
    return (router.current_event.query_string_parameters or {}).get(name)


def int_query(router: BaseRouter, name: str, default: int) -> int:
    return http.int_param(query(router, name), default)


def body(router: BaseRouter) -> dict[str, Any]:
    """The JSON object body, within runtime.http's limits (raises InvalidRequest)."""
    return http.json_body(router)


def out_of_time(router: BaseRouter, margin_ms: int) -> Callable[[], bool]:
    """Whether the invocation is about to run out of time (API Gateway waits 30 s)."""
    context = router.lambda_context

    def check() -> bool:
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        return remaining is not None and remaining() < margin_ms

    return check
