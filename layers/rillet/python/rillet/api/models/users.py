"""Users, sessions and API keys: /api/v1/users*, /api/v1/audit/accounts, /api/v1/config."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from rillet.api.models._base import Reason, RequestModel, ResponseModel, absent
from rillet.api.models.common import (
    ChannelName,
    Cursor,
    EpochSeconds,
    IsoTime,
    Scope,
    UserName,
)
from rillet.core.accounts import MAX_DESCRIPTION, MAX_KEY_CHANNELS


# -- requests -------------------------------------------------------------------------
class UserCreate(RequestModel):
    """The operator creates a user (and its first key)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "alice"}]})
    name: UserName


class UsernameClaim(RequestModel):
    """A new session chooses its username, once."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "alice"}]})
    name: UserName


class KeyCreate(RequestModel):
    """Every field is optional; what is left out is the calling key's own limit.

    ``channels: null`` asks for no channel limit (refused to a restricted caller);
    ``expires_at: null`` for no expiry.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "scope": "upload",
                    "channels": ["mychan"],
                    "expires_in_days": 30,
                    "description": "ci",
                }
            ]
        }
    )
    scope: Annotated[
        Scope, Reason("invalid-request", message="scope must be one of: read, upload, admin")
    ] = "admin"
    channels: Annotated[
        list[ChannelName] | None,
        Field(min_length=1, max_length=MAX_KEY_CHANNELS),
        Reason(
            "invalid-request",
            message=f"'channels' must be a list of 1 to {MAX_KEY_CHANNELS} channel names",
        ),
    ] = absent()
    expires_in_days: Annotated[
        int,
        Field(ge=1, le=3650),
        Reason("invalid-request", message="'expires_in_days' must be an integer from 1 to 3650"),
    ] = absent()
    expires_at: Annotated[
        EpochSeconds | None,
        Reason("invalid-request", message="'expires_at' must be a future time in epoch seconds"),
    ] = absent()
    description: Annotated[
        str,
        Field(max_length=MAX_DESCRIPTION),
        Reason(
            "invalid-request",
            message=f"'description' must be a string of at most {MAX_DESCRIPTION} chars",
        ),
    ] = ""


# -- responses ------------------------------------------------------------------------
class ApiKey(ResponseModel):
    """A key's metadata; never its secret or hash."""

    id: str = Field(examples=["key_7f25487abb4b"])
    user: str
    scope: Scope
    channels: list[str] | None = Field(description="the channels it is limited to; null: all")
    expires_at: EpochSeconds | None
    description: str
    created_at: IsoTime
    revoked: bool


class ApiKeyCreated(ApiKey):
    """A new key, with its secret: shown this once."""

    secret: str = Field(examples=["rillet-key-8NJvR35dU9ibhhMT1cGY6I0uRWJ51noRzQInd5NzGnM"])


class KeyList(ResponseModel):
    keys: list[ApiKey]


class UserCreated(ResponseModel):
    name: str
    created_at: IsoTime
    created_by: str
    key: ApiKeyCreated


class Me(ResponseModel):
    """Who the caller is. ``needs_name`` and ``session`` are there for sign-in sessions."""

    name: str | None = Field(description="null: a session that has not chosen a username")
    superuser: bool
    key: str | None = Field(description="the calling key's id; null for sessions and operator")
    scope: Scope | None
    channels: list[str] | None
    needs_name: bool = Field(default=False, description="sessions only")
    session: bool = Field(default=False, description="sessions only")


class UserSearch(ResponseModel):
    users: list[str] = Field(max_length=20, examples=[["alex", "alice"]])


class UserSuspension(ResponseModel):
    name: str
    suspended: bool


class AuditEvent(ResponseModel):
    at: IsoTime
    actor: str
    action: str = Field(examples=["package.upload"])
    details: dict[str, Any]


class AuditPage(ResponseModel):
    """Newest first."""

    events: list[AuditEvent]
    cursor: Cursor


class PublicOidc(ResponseModel):
    issuer: str
    client_id: str | None
    audience: str | None
    scopes: list[str]
    cli_redirect_uri: str | None


class PublicConfig(ResponseModel):
    """What the web app and the CLI need before anyone signs in."""

    oidc: PublicOidc | None = Field(description="null: no identity provider")
    max_package_bytes: int
    max_api_body_bytes: int
    version: str
