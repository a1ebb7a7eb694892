"""Users: the caller (users/me, choosing a username), search, suspension, account audit."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from rillet.api import request
from rillet.runtime import http
from rillet.runtime.wiring import container
from rillet.services.auth import SignedIn
from rillet.services.identity import me
from rillet.services.keys import whoami

router = Router()  # type: ignore[no-untyped-call]


@router.post("/api/v1/users")
def create_user() -> Response[str]:
    caller = request.required(router)
    user, key, secret = container().services.keys.create_user(caller, request.body(router))
    return http.json_response(201, {**user.to_json(), "key": {**key.to_json(), "secret": secret}})


@router.get("/api/v1/users/me")
def read_me() -> Response[str]:
    session = request.session(router)
    if session is not None:  # a session, possibly before a username is chosen
        return http.json_response(200, me(session))
    return http.json_response(200, whoami(request.required(router)))


@router.post("/api/v1/users/me")
def claim_username() -> Response[str]:
    session = request.session_required(router)
    user = container().services.identity.claim_name(session, request.body(router))
    return http.json_response(201, me(SignedIn(session.sub, user.name)))


@router.get("/api/v1/users")
def search_users() -> Response[str]:
    found = container().services.identity.search_users(
        request.caller(router), request.query(router, "q")
    )
    return http.json_response(200, {"users": found})


@router.post("/api/v1/users/<name>/suspend")
def suspend_user(name: str) -> Response[str]:
    identity = container().services.identity
    return http.json_response(200, identity.suspend_user(request.required(router), name))


@router.post("/api/v1/users/<name>/reinstate")
def reinstate_user(name: str) -> Response[str]:
    identity = container().services.identity
    return http.json_response(200, identity.reinstate_user(request.required(router), name))


@router.get("/api/v1/audit/accounts")
def account_audit() -> Response[str]:
    events, cursor = container().services.identity.read_account_audit(
        request.required(router),
        limit=request.int_query(router, "limit", 100),
        cursor=request.query(router, "cursor"),
    )
    return http.json_response(200, {"events": [e.to_json() for e in events], "cursor": cursor})
