"""People who sign in themselves: sessions, usernames, suspension, search, account audit.

A session is an identity provider's access token. Its verified ``sub`` is the
person; the username they choose is bound to that ``sub`` (never to an email, which
can change or be reassigned). Tokens themselves are never stored or logged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from rillet.core.accounts import AuditEvent, User, grants_for, validate_user_name
from rillet.core.errors import Conflict, Forbidden, InvalidRequest, Unauthenticated
from rillet.core.policy import Principal
from rillet.core.ports import Accounts, Directory
from rillet.core.sessions import SessionConfig, sessions_disabled, verify_access_token

SEARCH_LIMIT: Final = 20
AUDIT_PAGE_MAX: Final = 1000
_PREFIX_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,38}$")

SIGNED_UP: Final = "account.signed-up"
NAME_CLAIMED: Final = "account.name-claimed"
SUSPENDED: Final = "account.suspended"
REINSTATED: Final = "account.reinstated"
KEY_CREATED: Final = "key.created"
KEY_REVOKED: Final = "key.revoked"


@dataclass(frozen=True)
class Identity:
    """A verified session: ``<issuer>#<sub>`` and the username, once chosen."""

    sub: str
    user: str | None


def suspended_error() -> Unauthenticated:
    return Unauthenticated("this account is suspended", code="account-suspended")


def resolve_session(
    accounts: Accounts,
    token: str,
    *,
    config: SessionConfig | None,
    key_for: Callable[[str, str], Any],
    now: int,
    now_iso: str,
) -> Identity:
    """Verify the token; record (and audit) the first sight of a subject."""
    if config is None:
        raise sessions_disabled()
    claims = verify_access_token(token, config=config, key_for=key_for, now=now)
    # Subjects are unique per issuer only: a deployment moved to another provider must
    # not hand an old account to whoever gets the same ``sub`` there.
    sub = f"{config.issuer}#{claims['sub']}"
    user, new = accounts.sign_in(sub, now_iso)
    if new:
        accounts.append_event(AuditEvent("", now_iso, f"sub:{sub}", SIGNED_UP, {"sub": sub}))
    if user is not None and accounts.is_suspended(user):
        raise suspended_error()
    return Identity(sub, user)


def session_principal(identity: Identity) -> Principal:
    """Everything but ``users/me`` needs a username: before one, a clear 403."""
    if identity.user is None:
        raise Forbidden(
            'choose a username first: POST /api/v1/users/me {"name": ...}',
            code="username-required",
        )
    return Principal(user=identity.user, session=True)


def me(identity: Identity) -> dict[str, Any]:
    return {
        "name": identity.user,
        "needs_name": identity.user is None,
        "superuser": False,
        "session": True,
        "key": None,
        "scope": "admin" if identity.user else None,
        "channels": None,
    }


def claim_name(
    accounts: Accounts, identity: Identity, body: Mapping[str, Any], *, now_iso: str
) -> User:
    """Choose the username once. Raises InvalidName, Conflict."""
    if identity.user is not None:
        raise Conflict(
            f"this account already has the username {identity.user}", code="username-chosen"
        )
    user = User(validate_user_name(body.get("name")), now_iso, f"sub:{identity.sub}")
    accounts.claim_name(identity.sub, user)
    accounts.append_event(
        AuditEvent("", now_iso, user.name, NAME_CLAIMED, {"sub": identity.sub, "user": user.name})
    )
    return user


def _operator(principal: Principal) -> None:
    if not principal.superuser:
        raise Forbidden("only the operator can suspend or reinstate users")


def suspend_user(
    accounts: Accounts, directory: Directory, principal: Principal, name: str, *, now_iso: str
) -> dict[str, Any]:
    """Sessions stop first, then keys at the API, then read grants at the edge."""
    _operator(principal)
    accounts.set_suspended(name, True)  # raises NotFound for an unknown user
    keys = directory.list_keys(name)
    accounts.set_keys_suspended(name, [(k.key_id, k.token_hash) for k in keys], True)
    channels = list(directory.memberships(name))
    directory.delete_grants((c, k.token_hash) for c in channels for k in keys)
    accounts.append_event(AuditEvent("", now_iso, principal.user, SUSPENDED, {"user": name}))
    return {"name": name, "suspended": True}


def reinstate_user(
    accounts: Accounts,
    directory: Directory,
    principal: Principal,
    name: str,
    *,
    now: int,
    now_iso: str,
) -> dict[str, Any]:
    _operator(principal)
    accounts.set_suspended(name, False)
    keys = directory.list_keys(name)
    accounts.set_keys_suspended(name, [(k.key_id, k.token_hash) for k in keys], False)
    # The listing items now say "not suspended": grants for every still-active key.
    restored = directory.list_keys(name)
    directory.put_grants(grants_for(restored, directory.memberships(name), now))
    accounts.append_event(AuditEvent("", now_iso, principal.user, REINSTATED, {"user": name}))
    return {"name": name, "suspended": False}


def search_users(accounts: Accounts, principal: Principal | None, query: str | None) -> list[str]:
    """Usernames starting with ``query`` (case-insensitive), for people adding members."""
    if principal is None:
        raise Unauthenticated("searching users needs a sign-in or an API key")
    if principal.minted:
        raise Forbidden("a trusted-publishing token cannot search users")
    prefix = (query or "").strip().lower()
    if not _PREFIX_RE.fullmatch(prefix):
        raise InvalidRequest(
            "'q' must be the start of a username: 1-39 letters, digits, '-' or '_'",
            code="invalid-query",
        )
    return accounts.search(prefix, SEARCH_LIMIT)


def audit_key(
    accounts: Accounts, principal: Principal, action: str, key_id: str, *, now_iso: str
) -> None:
    """Key events of users (by session or key): which key, never its secret."""
    if principal.superuser:
        return
    via = "session" if principal.session else f"key:{principal.key_id}"
    accounts.append_event(
        AuditEvent("", now_iso, principal.user, action, {"key": key_id, "via": via})
    )


def read_account_audit(
    accounts: Accounts, principal: Principal, *, limit: int, cursor: str | None
) -> tuple[list[AuditEvent], str | None]:
    if not principal.superuser:
        raise Forbidden("only the operator can read the account audit log")
    # Clamped like every page (docs/api.md, Pagination): DynamoDB refuses a limit < 1.
    return accounts.list_events(max(1, min(limit, AUDIT_PAGE_MAX)), cursor)


def public_config(
    config: SessionConfig | None, *, max_package_bytes: int, max_api_body_bytes: int, version: str
) -> dict[str, Any]:
    """What the web app and the CLI need before anyone signs in."""
    oidc = None
    if config is not None:
        oidc = {
            "issuer": config.issuer,
            "client_id": config.client_id or None,
            "audience": config.audience or None,
            "scopes": list(config.scopes),
            "cli_redirect_uri": config.cli_redirect_uri or None,
        }
    return {
        "oidc": oidc,
        "max_package_bytes": max_package_bytes,
        "max_api_body_bytes": max_api_body_bytes,
        "version": version,
    }
