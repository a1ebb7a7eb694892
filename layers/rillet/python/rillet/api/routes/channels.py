"""Channels: create, list, read, update, logo, transfer, delete, reindex."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from rillet.api import request
from rillet.runtime import http
from rillet.runtime.wiring import container

router = Router()  # type: ignore[no-untyped-call]


@router.post("/api/v1/channels")
def create_channel() -> Response[str]:
    channel = container().services.channels.create(request.caller(router), request.body(router))
    return http.json_response(201, channel.to_json())


@router.get("/api/v1/channels")
def list_channels() -> Response[str]:
    found = container().services.channels.list_channels(request.caller(router))
    return http.json_response(200, {"channels": [ch.to_json() for ch in found]})


@router.get("/api/v1/channels/<channel>")
def get_channel(channel: str) -> Response[str]:
    found, role = container().services.channels.get(request.caller(router), channel)
    return http.json_response(200, {**found.to_json(), "role": role.value if role else None})


@router.patch("/api/v1/channels/<channel>")
def update_channel(channel: str) -> Response[str]:
    updated = container().services.channels.update(
        request.caller(router), channel, request.body(router)
    )
    return http.json_response(200, updated.to_json())


@router.put("/api/v1/channels/<channel>/logo")
def upload_logo(channel: str) -> Response[str]:
    """The body is the image itself (PNG, JPEG or WebP; services/logos.py)."""
    updated = container().services.logos.upload(
        request.caller(router), channel, http.raw_body(router)
    )
    return http.json_response(200, updated.to_json())


@router.post("/api/v1/channels/<channel>/transfer")
def transfer_channel(channel: str) -> Response[str]:
    updated = container().services.channels.transfer(
        request.caller(router), channel, request.body(router)
    )
    return http.json_response(200, updated.to_json())


@router.delete("/api/v1/channels/<channel>")
def delete_channel(channel: str) -> Response[str]:
    removed = container().services.channels.delete(request.caller(router), channel)
    return http.json_response(200, {"deleted": channel, "objects_removed": removed})


@router.post("/api/v1/channels/<channel>/reindex")
def rebuild_index(channel: str) -> Response[str]:
    queued = container().services.channels.rebuild_index(
        request.caller(router), channel, request.body(router)
    )
    return http.json_response(202, {"channel": channel, "subdirs": queued})
