"""Who is calling, and may they do this on that channel."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from rillet.core.accounts import ApiKey, AuditEvent
from rillet.core.clock import Clock
from rillet.core.errors import Forbidden, NotFound, Unauthenticated
from rillet.core.models import Channel, Upload, Visibility
from rillet.core.oidc import Publisher, live_limits
from rillet.core.policy import Action, Principal, Role, Scope, allowed, require
from rillet.core.ports import Accounts, AuditLog, Catalog, Directory
from rillet.core.sessions import (
    SessionConfig,
    looks_like_jwt,
    sessions_disabled,
    verify_access_token,
)
from rillet.core.tokens import plausible_token, token_hash

ADMIN_USER = "admin"
SIGNED_UP: Final = "account.signed-up"
# Upload clients (rattler-build, pixi) expect 403 for these whatever the channel.
_CLIENT_ACTIONS = frozenset({Action.UPLOAD, Action.OVERWRITE, Action.DELETE_PACKAGE})


class PublisherLookup(Protocol):
    def get(self, channel: str, publisher_id: str) -> Publisher | None: ...


def credential(authorization: str | None) -> str | None:
    """The token from ``Bearer <token>`` or HTTP Basic with the token as password."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthenticated("malformed Basic credentials") from None
        _, sep, password = decoded.partition(":")
        return password if sep and password else None
    raise Unauthenticated("use 'Authorization: Bearer <token>'")


def principal_for_key(key: ApiKey | None, publishers: PublisherLookup, now: int) -> Principal:
    """The caller behind a stored credential as it stands ``now``: used when a request
    arrives and again when a staged upload is validated. Raises Unauthenticated."""
    if key is not None and key.suspended and not key.revoked:
        raise Unauthenticated("this account is suspended", code="account-suspended")
    if key is None or not key.active(now):
        raise Unauthenticated("unknown, revoked or expired token")
    channels, limits = key.channels, key.publish_limits
    if key.kind == "minted":
        # Re-read on every use: removing a publisher ends its tokens at once.
        limits = live_limits(key.publish_limits, publishers.get)
        if not limits:
            raise Unauthenticated("the trusted publisher of this token no longer exists")
        channels = frozenset(limits) if channels is None else channels & frozenset(limits)
    return Principal(
        user=key.user,
        scope=key.scope,
        channels=channels,
        key_id=key.key_id,
        key_hash=key.token_hash,
        minted=key.kind == "minted",
        publish_limits=limits,
        expires_at=key.expires_at,
        incarnations=key.incarnations,
        publisher_identity=key.publisher_identity if key.kind == "minted" else None,
    )


def require_principal(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthenticated("this endpoint needs an 'Authorization: Bearer <token>' header")
    return principal


@dataclass(frozen=True, kw_only=True)
class Guard:
    """The one place a request's channel, role and permission are resolved."""

    catalog: Catalog
    directory: Directory

    def role_of(self, principal: Principal | None, channel: str) -> Role | None:
        if principal is None or principal.superuser:
            return None
        return self.directory.get_role(channel, principal.user)

    def authorize(
        self, principal: Principal | None, channel_name: str, action: Action
    ) -> tuple[Channel, Role | None]:
        """Load the channel and check ``action``; raises NotFound, Unauthenticated, Forbidden.

        Any action but the upload clients' on a private channel one cannot read reports
        it as missing, so its name does not leak (also to a key limited to other
        channels); anonymous callers are asked for a token instead, and uploads and
        deletes answer 403 as upload clients expect.
        """
        channel = self.catalog.get_channel(channel_name)
        if (
            principal is not None
            and principal.incarnations is not None
            and principal.incarnations.get(channel_name, channel.incarnation) != channel.incarnation
        ):
            # Minted for a channel of this name that was deleted since: this one is not its.
            raise Forbidden(
                f"this token was issued for a deleted channel named {channel_name}",
                code="channel-replaced",
            )
        role = self.role_of(principal, channel_name)
        if (
            principal is not None
            and action not in _CLIENT_ACTIONS
            and channel.visibility is Visibility.PRIVATE
            and not allowed(
                Action.READ,
                principal=principal,
                role=role,
                visibility=channel.visibility,
                channel=channel_name,
            )
        ):
            raise NotFound(f"no channel named {channel_name}", code="channel-not-found")
        require(
            action,
            principal=principal,
            role=role,
            visibility=channel.visibility,
            channel=channel_name,
        )
        return channel, role

    def acting(
        self, principal: Principal | None, channel: str, action: Action
    ) -> tuple[Principal, Channel, Role | None]:
        """A signed-in caller allowed ``action`` on ``channel``: (caller, channel, role).

        Raises Unauthenticated (anonymous), NotFound, Forbidden."""
        actor = require_principal(principal)
        found, role = self.authorize(actor, channel, action)
        return actor, found, role

    def check_upload(self, principal: Principal | None, channel: str, force: bool) -> Channel:
        """May ``principal`` upload to ``channel`` (and overwrite, with ``force``)?

        Returns the channel (the incarnation an upload intent is bound to).
        Raises NotFound, Unauthenticated, Forbidden."""
        if principal is None:
            raise Unauthenticated("uploads need a token")
        found, role = self.authorize(principal, channel, Action.UPLOAD)
        if force and not allowed(
            Action.OVERWRITE,
            principal=principal,
            role=role,
            visibility=found.visibility,
            channel=channel,
        ):
            raise Forbidden("only channel owners can overwrite an existing package (force)")
        return found


@dataclass(frozen=True, kw_only=True)
class AuditTrail:
    """The one place channel audit entries are written, stamped by the clock."""

    audit: AuditLog
    clock: Clock

    def record(
        self,
        channel: str,
        actor: str,
        action: str,
        details: Mapping[str, Any],
        incarnation: str | None = None,
        *,
        at: str | None = None,
    ) -> AuditEvent:
        """Append an entry stamped ``at`` (default: now) and return it."""
        when = at if at is not None else self.clock.iso()
        event = AuditEvent(channel, when, actor, action, dict(details), incarnation)
        self.audit.append(event)
        return event

    def append(self, event: AuditEvent) -> None:
        """An entry stamped by the caller (e.g. the commit time of a publish)."""
        self.audit.append(event)


@dataclass(frozen=True, kw_only=True)
class Auth:
    """Who is calling: API keys, the operator token, sign-in sessions, upload authority."""

    directory: Directory
    accounts: Accounts
    publishers: PublisherLookup
    guard: Guard
    clock: Clock
    sessions: SessionConfig | None
    key_for: Callable[[str, str], Any]  # (issuer, kid) -> verification key
    admin_token: Callable[[], str]  # re-read: the operator token rotates

    def signed_in(self, authorization: str | None) -> SignedIn | None:
        """The signed-in identity behind a provider access token (None: not a session).

        Raises Unauthenticated (bad token, account suspended)."""
        token = credential(authorization)
        if token is None or not looks_like_jwt(token):
            return None
        if self.sessions is None:
            raise sessions_disabled()
        config = self.sessions
        claims = verify_access_token(
            token, config=config, key_for=self.key_for, now=self.clock.epoch()
        )
        # Subjects are unique per issuer only: a deployment moved to another provider must
        # not hand an old account to whoever gets the same ``sub`` there.
        sub = f"{config.issuer}#{claims['sub']}"
        now_iso = self.clock.iso()
        user, new = self.accounts.sign_in(sub, now_iso)
        if new:
            self.accounts.append_event(
                AuditEvent("", now_iso, f"sub:{sub}", SIGNED_UP, {"sub": sub})
            )
        if user is not None and self.accounts.is_suspended(user):
            raise suspended_error()
        return SignedIn(sub, user)

    def authenticate(self, authorization: str | None) -> Principal | None:
        """The caller behind an Authorization header (None: anonymous).

        A JWT is a sign-in session (its user must have chosen a name); anything else
        is an API key or the operator token. Raises Unauthenticated for a bad,
        revoked or expired credential, or a minted one whose trusted publishers were
        removed; Forbidden (username-required) for a session without a username."""
        session = self.signed_in(authorization)
        if session is not None:
            return session_principal(session)
        token = credential(authorization)
        if token is None:
            return None
        if not plausible_token(token):
            raise Unauthenticated("unknown or revoked token")
        admin = self.admin_token()
        if admin and hmac.compare_digest(token.encode(), admin.encode()):
            return Principal(user=ADMIN_USER, superuser=True)
        return self.principal_for_key(self.directory.key_by_hash(token_hash(token)))

    def principal_for_key(self, key: ApiKey | None) -> Principal:
        """The caller behind a stored credential as it stands now: used when a request
        arrives and again when a staged upload is validated. Raises Unauthenticated."""
        return principal_for_key(key, self.publishers, self.clock.epoch())

    def upload_authority(self, upload: Upload) -> Principal:
        """The authority behind an upload intent, resolved again and checked for upload now.

        Raises Unauthenticated (key revoked or expired, publisher removed), Forbidden (role
        lost or lowered, force no longer allowed), NotFound (channel gone).
        """
        if upload.key_hash:
            key = self.directory.key_by_hash(upload.key_hash)
            principal = self.principal_for_key(
                key if key is not None and key.key_id == upload.key_id else None
            )
        elif upload.created_by == ADMIN_USER:  # a reserved name: no user is called so
            principal = Principal(user=ADMIN_USER, superuser=True)
        else:
            # An intent that names no credential (a sign-in session's, or one recorded
            # before credentials were kept): its user's standing and role decide.
            try:
                suspended = self.directory.get_user(upload.created_by).suspended
            except NotFound:
                suspended = False  # no user item: the role check below refuses a stranger
            if suspended:
                raise Unauthenticated("this account is suspended", code="account-suspended")
            principal = Principal(user=upload.created_by, scope=Scope.UPLOAD)
        self.guard.check_upload(principal, upload.channel, upload.force)
        return principal


@dataclass(frozen=True)
class SignedIn:
    """A verified session: ``<issuer>#<sub>`` and the username, once chosen."""

    sub: str
    user: str | None


def suspended_error() -> Unauthenticated:
    return Unauthenticated("this account is suspended", code="account-suspended")


def session_principal(session: SignedIn) -> Principal:
    """Everything but ``users/me`` needs a username: before one, a clear 403."""
    if session.user is None:
        raise Forbidden(
            'choose a username first: POST /api/v1/users/me {"name": ...}',
            code="username-required",
        )
    return Principal(user=session.user, session=True)
