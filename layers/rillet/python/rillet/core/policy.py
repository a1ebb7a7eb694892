"""Who may do what: one table decides every action on a channel.

A caller's effective permission is the intersection of three things: what
their role on the channel allows (or what anyone may do on a public channel),
what their credential's scope allows, and whether the credential is limited
to other channels. The operator's admin token may do everything.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from rillet.core.errors import Forbidden, InvalidRequest, Unauthenticated
from rillet.core.models import Visibility


class Role(StrEnum):
    OWNER = "owner"
    MAINTAINER = "maintainer"
    MEMBER = "member"


class Scope(StrEnum):
    """What a credential may be used for, whatever its user's roles."""

    READ = "read"
    UPLOAD = "upload"
    ADMIN = "admin"


class Action(StrEnum):
    READ = "channel:read"  # fetch files, see the channel
    LIST_PACKAGES = "package:list"
    UPLOAD = "package:upload"
    OVERWRITE = "package:overwrite"  # ?force=true on an existing filename
    DELETE_PACKAGE = "package:delete"
    YANK_PACKAGE = "package:yank"  # yank and unyank: still served, no longer solved to
    UPDATE_CHANNEL = "channel:update"  # description, logo, visibility
    DELETE_CHANNEL = "channel:delete"
    TRANSFER_CHANNEL = "channel:transfer"
    LIST_MEMBERS = "member:list"
    MANAGE_MEMBERS = "member:manage"
    READ_AUDIT = "audit:read"
    MANAGE_PUBLISHERS = "publisher:manage"


ALL_ACTIONS: Final = frozenset(Action)
_READ: Final = frozenset({Action.READ, Action.LIST_PACKAGES})

ROLE_ACTIONS: Final[dict[Role, frozenset[Action]]] = {
    Role.OWNER: ALL_ACTIONS,
    Role.MAINTAINER: _READ
    | {Action.UPLOAD, Action.DELETE_PACKAGE, Action.YANK_PACKAGE, Action.LIST_MEMBERS},
    Role.MEMBER: _READ,
}

# Anyone, with or without a credential, on a public channel.
PUBLIC_ACTIONS: Final = _READ

SCOPE_ACTIONS: Final[dict[Scope, frozenset[Action]]] = {
    Scope.READ: _READ,
    # A release key may take back what it published (yank is reversible; delete is not).
    Scope.UPLOAD: _READ | {Action.UPLOAD, Action.YANK_PACKAGE},
    Scope.ADMIN: ALL_ACTIONS,
}

# Per channel, one rule per trusted publisher: {"publisher": {id, provider, ...},
# "name_patterns": [...], "subdirs": [...]}; any one rule may allow a package.
PublishLimits = Mapping[str, list[Mapping[str, Any]]]
OUTSIDE_PUBLISHER_LIMITS: Final = "outside-publisher-limits"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user's key, a minted upload token, or the operator."""

    user: str
    scope: Scope = Scope.ADMIN
    channels: frozenset[str] | None = None  # None: not limited to particular channels
    superuser: bool = False
    key_id: str = ""
    key_hash: str = ""  # the credential's token hash: how ingest finds it again
    # A token minted by trusted publishing: upload-only, into ``channels``, within
    # each channel's publisher limits (package-name patterns, subdirs).
    minted: bool = False
    publish_limits: PublishLimits | None = None
    expires_at: int | None = None  # epoch seconds; None: the credential does not expire
    # A minted token's channel incarnations: it acts on no other creation of those names.
    incarnations: Mapping[str, str] | None = None
    # Signed in through the identity provider (no API key): the user's full power.
    session: bool = False
    # A minted token's OIDC identity (ApiKey.publisher_identity): binds attestations.
    publisher_identity: Mapping[str, Any] | None = None

    def limited_to(self, channel: str) -> bool:
        return self.channels is None or channel in self.channels

    def publishing_rule(
        self, channel: str, name: str, subdir: str | None
    ) -> Mapping[str, Any] | None:
        """The first publisher rule that lets this token publish ``name`` into ``subdir``.

        The one rule for every upload path. ``subdir`` None means not known yet (a
        presigned request without one): only the name is judged, and the real subdir
        is judged again at validation.
        """
        for rule in (self.publish_limits or {}).get(channel, []):
            subdirs, patterns = rule.get("subdirs") or [], rule.get("name_patterns") or []
            if subdir is not None and subdirs and subdir not in subdirs:
                continue
            if patterns and not any(fnmatch.fnmatchcase(name.lower(), p.lower()) for p in patterns):
                continue
            return rule
        return None

    def may_publish(self, channel: str, name: str, subdir: str | None) -> bool:
        if self.publish_limits is None:
            return True
        return self.publishing_rule(channel, name, subdir) is not None


def require_publish(principal: Principal, channel: str, name: str, subdir: str | None) -> None:
    """Raise Forbidden unless the credential's publisher limits allow this package."""
    if not principal.may_publish(channel, name, subdir):
        where = f" to {subdir}" if subdir is not None else ""
        raise Forbidden(
            f"this token's trusted publishers may not publish {name}{where} in channel {channel}",
            code=OUTSIDE_PUBLISHER_LIMITS,
        )


def allowed(
    action: Action,
    *,
    principal: Principal | None,
    role: Role | None,
    visibility: Visibility,
    channel: str,
) -> bool:
    """The single decision: may ``principal`` (with ``role`` on ``channel``) do ``action``?"""
    if principal is not None and principal.superuser:
        return True
    if principal is None:
        return visibility is Visibility.PUBLIC and action in PUBLIC_ACTIONS
    if not principal.limited_to(channel):
        # A credential limited to other channels acts as no credential here.
        return visibility is Visibility.PUBLIC and action in PUBLIC_ACTIONS
    if principal.minted:
        # Trusted publishing mints upload rights for its channels, nothing else.
        return action is Action.UPLOAD
    by_role = ROLE_ACTIONS[role] if role is not None else frozenset()
    if visibility is Visibility.PUBLIC:
        by_role = by_role | PUBLIC_ACTIONS
    return action in by_role and action in SCOPE_ACTIONS[principal.scope]


def require(
    action: Action,
    *,
    principal: Principal | None,
    role: Role | None,
    visibility: Visibility,
    channel: str,
) -> None:
    """Raise Unauthenticated (no credential) or Forbidden unless ``allowed``.

    A private channel that the caller may not read is reported as not found,
    so private channel names do not leak.
    """
    if allowed(action, principal=principal, role=role, visibility=visibility, channel=channel):
        return
    if principal is None:
        raise Unauthenticated(f"this action on channel {channel} needs a token")
    raise Forbidden(f"not allowed to {action.value} on channel {channel}")


# -- keys: a key never creates more power than it has --------------------------------------
# Reason codes of the refusals below (stable, like those in core.errors).
KEY_SCOPE_TOO_BROAD: Final = "key-scope-too-broad"
KEY_CHANNELS_TOO_BROAD: Final = "key-channels-too-broad"
KEY_EXPIRY_TOO_LATE: Final = "key-expiry-too-late"
CHANNEL_OUTSIDE_KEY: Final = "channel-outside-key"

# Scopes ordered by power: every action of a lower scope is also one of each higher one.
SCOPE_RANK: Final[Mapping[Scope, int]] = {Scope.READ: 0, Scope.UPLOAD: 1, Scope.ADMIN: 2}
# Only these scopes create, list or revoke keys (always the caller's own user's keys).
KEY_MANAGING_SCOPES: Final = frozenset({Scope.ADMIN})


@dataclass(frozen=True)
class KeyLimits:
    """What a key may do at most: its scope, its channels (None: any) and its expiry."""

    scope: Scope
    channels: frozenset[str] | None
    expires_at: int | None  # epoch seconds; None: never expires


def key_management_refusal(principal: Principal) -> str | None:
    """Why ``principal`` may not manage keys at all; None if it may (within its limits)."""
    if principal.superuser:
        return "the operator token is not a user; create a user and use its key"
    if principal.minted:
        return "a trusted-publishing token cannot manage keys"
    if principal.scope not in KEY_MANAGING_SCOPES:
        return "managing keys needs a key with the 'admin' scope"
    return None


def key_excess(holder: Principal, key: KeyLimits) -> tuple[str, str] | None:
    """(reason code, message) if a key with ``key``'s limits exceeds ``holder``'s; else None.

    Within means: scope no higher, channels a subset (an unrestricted holder may restrict),
    expiry no later (a holder that expires cannot hand out a key that never does).
    """
    if SCOPE_RANK[key.scope] > SCOPE_RANK[holder.scope]:
        return KEY_SCOPE_TOO_BROAD, f"this key's scope is '{holder.scope.value}'"
    if holder.channels is not None and (
        key.channels is None or not key.channels <= holder.channels
    ):
        allowed_channels = ", ".join(sorted(holder.channels))
        return KEY_CHANNELS_TOO_BROAD, f"this key is limited to the channels {allowed_channels}"
    if holder.expires_at is not None and (
        key.expires_at is None or key.expires_at > holder.expires_at
    ):
        return KEY_EXPIRY_TOO_LATE, f"this key expires at {holder.expires_at} (epoch seconds)"
    return None


def within_key_limits(holder: Principal, key: KeyLimits) -> bool:
    """May ``holder`` see and revoke a key with these limits (it could have created it)?"""
    return key_excess(holder, key) is None


def require_key_within(holder: Principal, key: KeyLimits) -> None:
    """Raise Forbidden (with the reason code of the first limit exceeded) unless within."""
    excess = key_excess(holder, key)
    if excess is not None:
        code, why = excess
        raise Forbidden(f"a new key cannot exceed the key that creates it: {why}", code=code)


def require_channel_within(holder: Principal, channel: str) -> None:
    """A key limited to channels creates channels only among them (else a leaked key
    limited to one channel could squat every free name)."""
    if not holder.superuser and not holder.limited_to(channel):
        raise Forbidden(
            f"this key is limited to other channels and cannot create channel {channel}",
            code=CHANNEL_OUTSIDE_KEY,
        )


def parse_role(value: object) -> Role:
    try:
        return Role(str(value))
    except ValueError:
        raise InvalidRequest("role must be one of: owner, maintainer, member") from None


def parse_scope(value: object) -> Scope:
    try:
        return Scope(str(value))
    except ValueError:
        raise InvalidRequest("scope must be one of: read, upload, admin") from None


def roles_with(action: Action) -> Collection[Role]:
    return [role for role, actions in ROLE_ACTIONS.items() if action in actions]
