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
from typing import Final

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
    Role.MAINTAINER: _READ | {Action.UPLOAD, Action.DELETE_PACKAGE, Action.LIST_MEMBERS},
    Role.MEMBER: _READ,
}

# Anyone, with or without a credential, on a public channel.
PUBLIC_ACTIONS: Final = _READ

SCOPE_ACTIONS: Final[dict[Scope, frozenset[Action]]] = {
    Scope.READ: _READ,
    Scope.UPLOAD: _READ | {Action.UPLOAD},
    Scope.ADMIN: ALL_ACTIONS,
}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user's key, a minted upload token, or the operator."""

    user: str
    scope: Scope = Scope.ADMIN
    channels: frozenset[str] | None = None  # None: not limited to particular channels
    superuser: bool = False
    key_id: str = ""
    # A token minted by trusted publishing: upload-only, into ``channels``, within
    # each channel's publisher limits (package-name patterns, subdirs).
    minted: bool = False
    publish_limits: Mapping[str, list[Mapping[str, list[str]]]] | None = None
    # Signed in through the identity provider (no API key): the user's full power.
    session: bool = False

    def limited_to(self, channel: str) -> bool:
        return self.channels is None or channel in self.channels

    def may_publish(self, channel: str, name: str, subdir: str) -> bool:
        if self.publish_limits is None:
            return True
        for rule in self.publish_limits.get(channel, []):
            subdirs, patterns = rule.get("subdirs") or [], rule.get("name_patterns") or []
            if subdirs and subdir not in subdirs:
                continue
            if patterns and not any(fnmatch.fnmatchcase(name.lower(), p.lower()) for p in patterns):
                continue
            return True
        return False


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
