"""People who sign in themselves: usernames, suspension, search, account audit.

A session is an identity provider's access token (verified by services.auth). Its
verified ``sub`` is the person; the username they choose is bound to that ``sub``
(never to an email, which can change or be reassigned). Tokens themselves are never
stored or logged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from rillet.core.accounts import AuditEvent, User, grants_for, validate_user_name
from rillet.core.clock import Clock
from rillet.core.errors import Conflict, Forbidden, InvalidRequest, Unauthenticated
from rillet.core.policy import Principal
from rillet.core.ports import Accounts, Directory
from rillet.core.sessions import SessionConfig
from rillet.services.auth import SIGNED_UP, SignedIn
from rillet.services.keys import KEY_CREATED, KEY_REVOKED

SEARCH_LIMIT: Final = 20
_PREFIX_RE: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,38}$")

NAME_CLAIMED: Final = "account.name-claimed"
SUSPENDED: Final = "account.suspended"
REINSTATED: Final = "account.reinstated"

__all__ = ["KEY_CREATED", "KEY_REVOKED", "SIGNED_UP", "Identity", "me", "public_config"]


def me(session: SignedIn) -> dict[str, Any]:
    return {
        "name": session.user,
        "needs_name": session.user is None,
        "superuser": False,
        "session": True,
        "key": None,
        "scope": "admin" if session.user else None,
        "channels": None,
    }


def _operator(principal: Principal) -> None:
    if not principal.superuser:
        raise Forbidden("only the operator can suspend or reinstate users")


@dataclass(frozen=True, kw_only=True)
class Identity:
    """Sign-in users: choosing a name, search, suspension, the account audit log."""

    accounts: Accounts
    directory: Directory
    clock: Clock

    def _event(self, actor: str, action: str, details: Mapping[str, Any]) -> None:
        self.accounts.append_event(AuditEvent("", self.clock.iso(), actor, action, dict(details)))

    def claim_name(self, session: SignedIn, body: Mapping[str, Any]) -> User:
        """Choose the username once. Raises InvalidName, Conflict."""
        if session.user is not None:
            raise Conflict(
                f"this account already has the username {session.user}", code="username-chosen"
            )
        user = User(validate_user_name(body.get("name")), self.clock.iso(), f"sub:{session.sub}")
        self.accounts.claim_name(session.sub, user)
        self._event(user.name, NAME_CLAIMED, {"sub": session.sub, "user": user.name})
        return user

    def suspend_user(self, principal: Principal, name: str) -> dict[str, Any]:
        """Sessions stop first, then keys at the API, then read grants at the edge.

        Raises Forbidden (not the operator), NotFound (no such user)."""
        _operator(principal)
        self.accounts.set_suspended(name, True)  # raises NotFound for an unknown user
        keys = self.directory.list_keys(name)
        self.accounts.set_keys_suspended(name, [(k.key_id, k.token_hash) for k in keys], True)
        channels = list(self.directory.memberships(name))
        self.directory.delete_grants((c, k.token_hash) for c in channels for k in keys)
        self._event(principal.user, SUSPENDED, {"user": name})
        return {"name": name, "suspended": True}

    def reinstate_user(self, principal: Principal, name: str) -> dict[str, Any]:
        """Undo a suspension. Raises Forbidden (not the operator), NotFound."""
        _operator(principal)
        self.accounts.set_suspended(name, False)
        keys = self.directory.list_keys(name)
        self.accounts.set_keys_suspended(name, [(k.key_id, k.token_hash) for k in keys], False)
        # The listing items now say "not suspended": grants for every still-active key.
        restored = self.directory.list_keys(name)
        self.directory.put_grants(
            grants_for(restored, self.directory.memberships(name), self.clock.epoch())
        )
        self._event(principal.user, REINSTATED, {"user": name})
        return {"name": name, "suspended": False}

    def search_users(self, principal: Principal | None, query: str | None) -> list[str]:
        """Usernames starting with ``query`` (case-insensitive), for people adding members.

        Raises Unauthenticated, Forbidden (minted token), InvalidRequest (invalid-query)."""
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
        return self.accounts.search(prefix, SEARCH_LIMIT)

    def read_account_audit(
        self, principal: Principal, *, limit: int, cursor: str | None
    ) -> tuple[list[AuditEvent], str | None]:
        """Operator only. Raises Forbidden."""
        if not principal.superuser:
            raise Forbidden("only the operator can read the account audit log")
        return self.accounts.list_events(limit, cursor)


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
