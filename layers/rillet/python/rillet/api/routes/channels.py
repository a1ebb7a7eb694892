"""Channels: create, list, read, update, logo, transfer, delete, reindex."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from rillet.api import models as m
from rillet.api import request
from rillet.api.models import openapi as oa
from rillet.api.models.channels import LOGO_BODY
from rillet.runtime import http
from rillet.runtime.wiring import container

router = Router()  # type: ignore[no-untyped-call]


@router.post(
    "/api/v1/channels",
    summary="Create a channel",
    tags=["channels"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(201, m.Channel, 400, 401, 403, 404, 409, 422),
)
def create_channel(body: m.ChannelCreate) -> Response[str]:
    channel = container().services.channels.create(request.caller(router), body.given())
    return http.json_response(201, channel.to_json())


@router.get(
    "/api/v1/channels",
    summary="List the channels the caller can read",
    tags=["channels"],
    security=oa.OPTIONAL_AUTH,
    responses=oa.responses(200, m.ChannelList, 401, 403),
)
def list_channels() -> Response[str]:
    found = container().services.channels.list_channels(request.caller(router))
    channels = [{**ch.to_json(), "role": role.value if role else None} for ch, role in found]
    return http.json_response(200, {"channels": channels})


@router.get(
    "/api/v1/channels/<channel>",
    summary="Get a channel and the caller's role there",
    tags=["channels"],
    security=oa.OPTIONAL_AUTH,
    responses=oa.responses(200, m.Channel, 401, 403, 404),
)
def get_channel(channel: str) -> Response[str]:
    found, role = container().services.channels.get(request.caller(router), channel)
    return http.json_response(200, {**found.to_json(), "role": role.value if role else None})


@router.patch(
    "/api/v1/channels/<channel>",
    summary="Update description, logo or visibility",
    tags=["channels"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(200, m.Channel, 400, 401, 403, 404, 409),
)
def update_channel(channel: str, body: m.ChannelUpdate) -> Response[str]:
    updated = container().services.channels.update(request.caller(router), channel, body.given())
    return http.json_response(200, updated.to_json())


@router.put(
    "/api/v1/channels/<channel>/logo",
    summary="Upload the channel's logo (PNG, JPEG or WebP)",
    tags=["channels"],
    security=oa.AUTHENTICATED,
    openapi_extensions={"requestBody": LOGO_BODY},
    responses=oa.responses(200, m.Channel, 400, 401, 403, 404, 413, 422),
)
def upload_logo(channel: str) -> Response[str]:
    """The body is the image itself (services/logos.py checks its kind and size)."""
    updated = container().services.logos.upload(
        request.caller(router), channel, http.raw_body(router)
    )
    return http.json_response(200, updated.to_json())


@router.post(
    "/api/v1/channels/<channel>/transfer",
    summary="Transfer a channel to another owner",
    tags=["channels"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(200, m.Channel, 400, 401, 403, 404, 409, 422),
)
def transfer_channel(channel: str, body: m.ChannelTransfer) -> Response[str]:
    updated = container().services.channels.transfer(request.caller(router), channel, body.given())
    return http.json_response(200, updated.to_json())


@router.delete(
    "/api/v1/channels/<channel>",
    summary="Delete a channel and everything in it",
    tags=["channels"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(200, m.ChannelDeleted, 401, 403, 404, 409),
)
def delete_channel(channel: str) -> Response[str]:
    removed = container().services.channels.delete(request.caller(router), channel)
    return http.json_response(200, {"deleted": channel, "objects_removed": removed})


@router.post(
    "/api/v1/channels/<channel>/reindex",
    summary="Rebuild the index from all records",
    tags=["channels"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(202, m.ReindexQueued, 400, 401, 403, 404, 422),
)
def rebuild_index(channel: str, body: m.ReindexRequest) -> Response[str]:
    queued = container().services.channels.rebuild_index(
        request.caller(router), channel, body.given()
    )
    return http.json_response(202, {"channel": channel, "subdirs": queued})
