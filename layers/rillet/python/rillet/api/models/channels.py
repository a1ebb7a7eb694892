"""Channels: /api/v1/channels*."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from rillet.api.models._base import Reason, RequestModel, ResponseModel, absent
from rillet.api.models.common import ChannelName, IsoTime, Role, Subdir, UserName, Visibility
from rillet.core.logos import MAX_LOGO_BYTES
from rillet.services.channels import MAX_DESCRIPTION, MAX_LOGO_URL

# logo_url must also be https:// with a host (checked in the domain, same code).
_LOGO = Field(
    max_length=MAX_LOGO_URL,
    description='an https:// URL; "" for none',
    examples=["https://example.com/logo.png"],
)
Description = Annotated[
    str,
    Field(max_length=MAX_DESCRIPTION),
    Reason(
        "invalid-request",
        message=f"description must be a string of at most {MAX_DESCRIPTION} chars",
    ),
]
LogoUrl = Annotated[
    str,
    _LOGO,
    Reason("invalid-request", message=f"logo_url must be a string of at most {MAX_LOGO_URL} chars"),
]
VisibilityField = Annotated[
    Visibility, Reason("invalid-request", message="visibility must be 'public' or 'private'")
]


# -- requests -------------------------------------------------------------------------
class ChannelCreate(RequestModel):
    """The caller becomes the owner; only the operator may name another ``owner``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "mychan", "description": "tools", "visibility": "private"}]
        }
    )
    name: ChannelName
    visibility: VisibilityField = "public"
    description: Description = ""
    logo_url: LogoUrl = ""
    owner: UserName = absent()


class ChannelUpdate(RequestModel):
    """Any of the three; any other field is refused."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"visibility": "public"}]}
    )
    description: Description = absent()
    logo_url: LogoUrl = absent()
    visibility: VisibilityField = absent()


class ChannelTransfer(RequestModel):
    """``owner`` becomes an owner; the calling owner steps down to maintainer."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"owner": "bob"}]})
    owner: UserName


class ReindexRequest(RequestModel):
    """One subdir, or (left out or null) every subdir of the channel."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}, {"subdir": "linux-64"}]})
    subdir: Subdir | None = None


# -- responses ------------------------------------------------------------------------
class Channel(ResponseModel):
    """``role``: the caller's on the channel (null: none), in the listing and in
    ``GET /api/v1/channels/{channel}``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "mychan",
                    "description": "tools",
                    "logo_url": "",
                    "visibility": "private",
                    "owner": "alice",
                    "created_at": "2026-09-21T14:13:32Z",
                }
            ]
        },
    )
    name: str
    description: str
    logo_url: str
    visibility: Visibility
    owner: str
    created_at: IsoTime
    role: Role | None = Field(default=None, description="the caller's role; null: none")


class ChannelList(ResponseModel):
    channels: list[Channel]


class ChannelDeleted(ResponseModel):
    deleted: str
    objects_removed: int = Field(description="files removed")


class ReindexQueued(ResponseModel):
    channel: str
    subdirs: list[str]


# The logo upload's body is the image itself, recognised by its magic bytes.
LOGO_BODY: dict[str, Any] = {
    "description": f"the image: PNG, JPEG or WebP, at most {MAX_LOGO_BYTES} bytes "
    "(recognised by its bytes, not by Content-Type)",
    "required": True,
    "content": {
        kind: {"schema": {"type": "string", "contentMediaType": kind}}
        for kind in ("image/png", "image/jpeg", "image/webp")
    },
}
