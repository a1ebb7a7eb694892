"""Users and their API keys."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rillet.core.accounts import ApiKey, User, grants_for, parse_key_request, validate_user_name
from rillet.core.errors import Forbidden, InvalidRequest
from rillet.core.names import validate_channel_name
from rillet.core.policy import Principal, Scope
from rillet.core.ports import Directory
from rillet.core.tokens import new_api_key


def _require_user_admin_scope(principal: Principal) -> None:
    if principal.superuser:
        raise InvalidRequest("the operator token is not a user; create a user and use its key")
    if principal.scope is not Scope.ADMIN:
        raise Forbidden("managing keys needs a key with the 'admin' scope")


def create_user(
    directory: Directory,
    principal: Principal,
    body: Mapping[str, Any],
    *,
    now_iso: str,
    secret: str,
    key_id: str,
) -> tuple[User, ApiKey, str]:
    """Operator only: create a user and its first key (admin scope). Raises Forbidden, Conflict."""
    if not principal.superuser:
        raise Forbidden("only the operator can create users")
    user = User(validate_user_name(body.get("name")), now_iso, principal.user)
    directory.create_user(user)
    new = new_api_key(secret, key_id)
    key = ApiKey(
        key_id=new.key_id,
        user=user.name,
        token_hash=new.hash,
        scope=Scope.ADMIN,
        created_at=now_iso,
        description="first key",
    )
    directory.put_key(key)
    return user, key, new.secret


def create_key(
    directory: Directory,
    principal: Principal,
    body: Mapping[str, Any],
    *,
    now: int,
    now_iso: str,
    secret: str,
    key_id: str,
) -> tuple[ApiKey, str]:
    """A new key for the caller; shown once. Raises InvalidRequest, Forbidden."""
    _require_user_admin_scope(principal)
    scope, channels, expires_at, description = parse_key_request(body, now, validate_channel_name)
    new = new_api_key(secret, key_id)
    key = ApiKey(
        key_id=new.key_id,
        user=principal.user,
        token_hash=new.hash,
        scope=scope,
        created_at=now_iso,
        channels=channels,
        expires_at=expires_at,
        description=description,
    )
    directory.put_key(key)
    directory.put_grants(grants_for([key], directory.memberships(principal.user), now))
    return key, new.secret


def list_keys(directory: Directory, principal: Principal) -> list[ApiKey]:
    _require_user_admin_scope(principal)
    return sorted(directory.list_keys(principal.user), key=lambda k: k.created_at)


def revoke_key(directory: Directory, principal: Principal, key_id: str) -> ApiKey:
    """Works at once on the API; reads follow within the edge propagation delay."""
    _require_user_admin_scope(principal)
    key = directory.revoke_key(principal.user, key_id)
    directory.delete_grants((c, key.token_hash) for c in directory.memberships(principal.user))
    return key


def whoami(principal: Principal) -> dict[str, Any]:
    return {
        "name": principal.user,
        "superuser": principal.superuser,
        "key": principal.key_id or None,
        "scope": None if principal.superuser else principal.scope.value,
        "channels": sorted(principal.channels) if principal.channels is not None else None,
    }
