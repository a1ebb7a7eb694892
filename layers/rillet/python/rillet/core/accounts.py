"""Users, API keys, members, read grants and audit events (plain data + pure rules)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from rillet.core.errors import InvalidName, InvalidRequest
from rillet.core.policy import PublishLimits, Role, Scope, parse_scope

_USER_RE: Final = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,37}[a-z0-9])?$")
# Besides system words, the web app's top-level paths: a username never shadows a page.
RESERVED_USERS: Final = frozenset(
    {"admin", "me", "root", "system", "rillet", "anonymous", "operator", "support", "security"}
    | {"account", "api", "assets", "callback", "channels", "login", "logout", "signup"}
    | {"settings", "static", "t", "users", "search", "new", "docs", "help", "well-known"}
)
MAX_DESCRIPTION: Final = 200
MAX_KEY_CHANNELS: Final = 50


def validate_user_name(name: object) -> str:
    if not isinstance(name, str) or not _USER_RE.fullmatch(name):
        raise InvalidName(
            "user names are 1-39 characters of lower-case letters, digits, '-' and '_', "
            "starting and ending with a letter or digit",
            code="invalid-user-name",
        )
    if name in RESERVED_USERS:
        raise InvalidName(f"'{name}' is reserved", code="invalid-user-name")
    return name


@dataclass(frozen=True)
class User:
    name: str
    created_at: str
    created_by: str
    suspended: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "created_at": self.created_at, "created_by": self.created_by}


@dataclass(frozen=True)
class ApiKey:
    """A key's metadata. The secret itself is never kept; ``token_hash`` is."""

    key_id: str
    user: str
    token_hash: str
    scope: Scope
    created_at: str
    channels: frozenset[str] | None = None
    expires_at: int | None = None  # epoch seconds
    description: str = ""
    revoked: bool = False
    kind: str = "api"  # api | minted
    # Minted trusted-publishing tokens only: per channel, the publishers' name/subdir limits.
    publish_limits: PublishLimits | None = None
    # Minted tokens only: per channel, the incarnation it was minted for (None: minted
    # before incarnations were recorded; such tokens expire within the minted TTL).
    incarnations: Mapping[str, str] | None = None
    suspended: bool = False  # its user is suspended: refused everywhere until reinstated
    # Minted tokens only: who the minting OIDC token named ({"provider", "issuer", "claims"}),
    # what an attestation's certificate must equal (core.attestation). None: minted before
    # it was kept (such a token uploads, but not with an attestation).
    publisher_identity: Mapping[str, Any] | None = None

    def active(self, now: int) -> bool:
        return (
            not self.revoked
            and not self.suspended
            and (self.expires_at is None or now < self.expires_at)
        )

    def reads(self, channel: str) -> bool:
        """Does this key carry read access to ``channel`` (given a role there)?"""
        return self.kind == "api" and (self.channels is None or channel in self.channels)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.key_id,
            "user": self.user,
            "scope": self.scope.value,
            "channels": sorted(self.channels) if self.channels is not None else None,
            "expires_at": self.expires_at,
            "description": self.description,
            "created_at": self.created_at,
            "revoked": self.revoked,
        }


@dataclass(frozen=True)
class Member:
    channel: str
    user: str
    role: Role
    added_by: str = ""
    added_at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "role": self.role.value,
            "added_by": self.added_by,
            "added_at": self.added_at,
        }


@dataclass(frozen=True)
class Grant:
    """Read access of one token to one channel, as the edge checks it."""

    channel: str
    token_hash: str
    expires_at: int | None  # None: no expiry
    user: str = ""
    key_id: str = ""


def grants_for(keys: Iterable[ApiKey], channels: Iterable[str], now: int) -> list[Grant]:
    """Every (channel, key) read grant for a user with a role on ``channels``.

    Only channel-limited keys need per-key grants: a key not limited to channels reads
    through its user's memberships at the edge (``u:`` + ``m:`` entries, adapters/edge.py).
    """
    channel_list = sorted(set(channels))
    return [
        Grant(c, k.token_hash, k.expires_at, k.user, k.key_id)
        for k in keys
        if k.active(now) and k.channels is not None
        for c in channel_list
        if k.reads(c)
    ]


def utc_iso(moment: datetime) -> str:
    """A fixed-width UTC timestamp: audit events sort by it as plain strings.

    ``isoformat`` drops the fraction when it is zero, and "…:05Z" sorts after
    "…:05.5Z", so events of the same second would come back out of order.
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class AuditEvent:
    channel: str
    at: str
    actor: str
    action: str
    details: Mapping[str, Any] = field(default_factory=dict)
    # The channel incarnation the event belongs to; None: the live one when written.
    incarnation: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "details": dict(self.details),
        }


def parse_key_request(
    body: Mapping[str, Any], now: int, validate_channel: Any
) -> tuple[Scope, frozenset[str] | None, int | None, str]:
    """Validate a key-creation body: scope, channels, expiry, description."""
    scope = parse_scope(body.get("scope", "admin"))
    channels_raw = body.get("channels")
    channels: frozenset[str] | None = None
    if channels_raw is not None:
        if not isinstance(channels_raw, list) or not channels_raw:
            raise InvalidRequest("'channels' must be a non-empty list of channel names")
        if len(channels_raw) > MAX_KEY_CHANNELS:
            raise InvalidRequest(f"a key can be limited to at most {MAX_KEY_CHANNELS} channels")
        channels = frozenset(validate_channel(c) for c in channels_raw)
    expires_at = body.get("expires_at")
    if "expires_in_days" in body:
        days = body["expires_in_days"]
        if not isinstance(days, int) or isinstance(days, bool) or not 0 < days <= 3650:
            raise InvalidRequest("'expires_in_days' must be an integer from 1 to 3650")
        expires_at = now + days * 86400
    if expires_at is not None and (
        not isinstance(expires_at, int) or isinstance(expires_at, bool) or expires_at <= now
    ):
        raise InvalidRequest("'expires_at' must be a future time in epoch seconds")
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise InvalidRequest(f"'description' must be a string of at most {MAX_DESCRIPTION} chars")
    return scope, channels, expires_at, description
