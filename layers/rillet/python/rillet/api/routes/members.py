"""Channel members and their roles."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from rillet.api import request
from rillet.core.policy import parse_role
from rillet.runtime import http
from rillet.runtime.wiring import container

router = Router()  # type: ignore[no-untyped-call]


@router.get("/api/v1/channels/<channel>/members")
def list_members(channel: str) -> Response[str]:
    found = container().services.members.list_members(request.caller(router), channel)
    return http.json_response(200, {"members": [m.to_json() for m in found]})


@router.put("/api/v1/channels/<channel>/members/<user>")
def set_member(channel: str, user: str) -> Response[str]:
    role = parse_role(request.body(router).get("role"))
    member = container().services.members.set_role(request.caller(router), channel, user, role)
    return http.json_response(200, member.to_json())


@router.delete("/api/v1/channels/<channel>/members/<user>")
def remove_member(channel: str, user: str) -> Response[str]:
    container().services.members.remove(request.caller(router), channel, user)
    return http.json_response(200, {"removed": user})
