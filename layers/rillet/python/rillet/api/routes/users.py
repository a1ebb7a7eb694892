"""Users: the caller (users/me, choosing a username), search, suspension, account audit."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from rillet.api import models as m
from rillet.api import request
from rillet.api.models import openapi as oa
from rillet.runtime import http
from rillet.runtime.wiring import container
from rillet.services.auth import SignedIn
from rillet.services.identity import me
from rillet.services.keys import whoami

router = Router()  # type: ignore[no-untyped-call]


@router.post(
    "/api/v1/users",
    summary="Create a user and its first key (operator)",
    tags=["users"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(201, m.UserCreated, 400, 401, 403, 409, 422),
)
def create_user(body: m.UserCreate) -> Response[str]:
    caller = request.required(router)
    user, key, secret = container().services.keys.create_user(caller, body.given())
    return http.json_response(201, {**user.to_json(), "key": {**key.to_json(), "secret": secret}})


@router.get(
    "/api/v1/users/me",
    summary="Who am I",
    tags=["users"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(200, m.Me, 401, 403),
)
def read_me() -> Response[str]:
    session = request.session(router)
    if session is not None:  # a session, possibly before a username is chosen
        return http.json_response(200, me(session))
    return http.json_response(200, whoami(request.required(router)))


@router.post(
    "/api/v1/users/me",
    summary="Choose the username of a new session",
    tags=["users"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(201, m.Me, 400, 401, 409, 422),
)
def claim_username(body: m.UsernameClaim) -> Response[str]:
    session = request.session_required(router)
    user = container().services.identity.claim_name(session, body.given())
    return http.json_response(201, me(SignedIn(session.sub, user.name)))


@router.get(
    "/api/v1/users",
    summary="Search usernames by prefix",
    tags=["users"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(200, m.UserSearch, 400, 401, 403),
)
def search_users(q: oa.Q = None) -> Response[str]:
    found = container().services.identity.search_users(request.caller(router), q)
    return http.json_response(200, {"users": found})


@router.post(
    "/api/v1/users/<name>/suspend",
    summary="Suspend a user (operator)",
    tags=["users"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(200, m.UserSuspension, 401, 403, 404),
)
def suspend_user(name: str) -> Response[str]:
    identity = container().services.identity
    return http.json_response(200, identity.suspend_user(request.required(router), name))


@router.post(
    "/api/v1/users/<name>/reinstate",
    summary="Reinstate a suspended user (operator)",
    tags=["users"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(200, m.UserSuspension, 401, 403, 404),
)
def reinstate_user(name: str) -> Response[str]:
    identity = container().services.identity
    return http.json_response(200, identity.reinstate_user(request.required(router), name))


@router.get(
    "/api/v1/audit/accounts",
    summary="Read the account audit log (operator)",
    tags=["audit"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(200, m.AuditPage, 400, 401, 403),
)
def account_audit(limit: oa.Limit = None, cursor: oa.PageCursor = None) -> Response[str]:
    events, cursor = container().services.identity.read_account_audit(
        request.required(router),
        limit=100 if limit is None else limit,
        cursor=cursor,
    )
    return http.json_response(200, {"events": [e.to_json() for e in events], "cursor": cursor})
