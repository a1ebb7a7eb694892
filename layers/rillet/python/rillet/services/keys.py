"""Users and their API keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from rillet.core.accounts import (
    ApiKey,
    AuditEvent,
    User,
    grants_for,
    parse_key_request,
    validate_user_name,
)
from rillet.core.clock import Clock, IdSource
from rillet.core.errors import Forbidden, InvalidRequest, NotFound
from rillet.core.names import validate_channel_name
from rillet.core.policy import (
    KeyLimits,
    Principal,
    Scope,
    key_management_refusal,
    require_key_within,
    within_key_limits,
)
from rillet.core.ports import Accounts, Directory
from rillet.core.tokens import new_api_key

KEY_CREATED: Final = "key.created"
KEY_REVOKED: Final = "key.revoked"


def _require_user_admin_scope(principal: Principal) -> None:
    refusal = key_management_refusal(principal)
    if refusal is None:
        return
    if principal.superuser:
        raise InvalidRequest(refusal)
    raise Forbidden(refusal)


def _limits(key: ApiKey) -> KeyLimits:
    return KeyLimits(key.scope, key.channels, key.expires_at)


def _visible_keys(directory: Directory, principal: Principal) -> list[ApiKey]:
    """The caller's keys that lie within the calling key's own limits (it included)."""
    return [
        k for k in directory.list_keys(principal.user) if within_key_limits(principal, _limits(k))
    ]


@dataclass(frozen=True, kw_only=True)
class Keys:
    """Users the operator creates, and every user's API keys."""

    directory: Directory
    accounts: Accounts  # the account audit log
    clock: Clock
    ids: IdSource

    def create_user(
        self, principal: Principal, body: Mapping[str, Any]
    ) -> tuple[User, ApiKey, str]:
        """Operator only: create a user and its first key (admin scope).

        Returns (user, key, secret). Raises Forbidden, Conflict."""
        if not principal.superuser:
            raise Forbidden("only the operator can create users")
        now_iso = self.clock.iso()
        user = User(validate_user_name(body.get("name")), now_iso, principal.user)
        self.directory.create_user(user)
        new = new_api_key(*self.ids.key_secret())
        key = ApiKey(
            key_id=new.key_id,
            user=user.name,
            token_hash=new.hash,
            scope=Scope.ADMIN,
            created_at=now_iso,
            description="first key",
        )
        self.directory.put_key(key)
        return user, key, new.secret

    def create_key(self, principal: Principal, body: Mapping[str, Any]) -> tuple[ApiKey, str]:
        """A new key for the caller; shown once. Raises InvalidRequest, Forbidden.

        The new key never exceeds the calling key: channels and expiry left out of the
        request are the caller's own; asking for more is refused (403, a reason code).
        """
        _require_user_admin_scope(principal)
        now = self.clock.epoch()
        scope, channels, expires_at, description = parse_key_request(
            body, now, validate_channel_name
        )
        if "channels" not in body:
            channels = principal.channels
        if "expires_at" not in body and "expires_in_days" not in body:
            expires_at = principal.expires_at
        require_key_within(principal, KeyLimits(scope, channels, expires_at))
        new = new_api_key(*self.ids.key_secret())
        key = ApiKey(
            key_id=new.key_id,
            user=principal.user,
            token_hash=new.hash,
            scope=scope,
            created_at=self.clock.iso(),
            channels=channels,
            expires_at=expires_at,
            description=description,
        )
        self.directory.put_key(key)
        self.directory.put_grants(
            grants_for([key], self.directory.memberships(principal.user), now)
        )
        self._audit_key(principal, KEY_CREATED, key.key_id)
        return key, new.secret

    def list_keys(self, principal: Principal) -> list[ApiKey]:
        """The caller's keys within the calling key's limits: a restricted key does not see
        keys with a higher scope, more channels or a later expiry than its own."""
        _require_user_admin_scope(principal)
        return sorted(_visible_keys(self.directory, principal), key=lambda k: k.created_at)

    def revoke_key(self, principal: Principal, key_id: str) -> ApiKey:
        """Works at once on the API; reads follow within the edge propagation delay.

        A key beyond the calling key's limits is reported as not found, as it is not listed.
        Raises NotFound (key-not-found), Forbidden.
        """
        _require_user_admin_scope(principal)
        if not any(k.key_id == key_id for k in _visible_keys(self.directory, principal)):
            raise NotFound(f"no key {key_id}", code="key-not-found")
        key = self.directory.revoke_key(principal.user, key_id)
        self.directory.delete_grants(
            (c, key.token_hash) for c in self.directory.memberships(principal.user)
        )
        self._audit_key(principal, KEY_REVOKED, key_id)
        return key

    def _audit_key(self, principal: Principal, action: str, key_id: str) -> None:
        """Key events of users (by session or key): which key, never its secret."""
        if principal.superuser:
            return
        via = "session" if principal.session else f"key:{principal.key_id}"
        self.accounts.append_event(
            AuditEvent("", self.clock.iso(), principal.user, action, {"key": key_id, "via": via})
        )


def whoami(principal: Principal) -> dict[str, Any]:
    return {
        "name": principal.user,
        "superuser": principal.superuser,
        "key": principal.key_id or None,
        "scope": None if principal.superuser else principal.scope.value,
        "channels": sorted(principal.channels) if principal.channels is not None else None,
    }
