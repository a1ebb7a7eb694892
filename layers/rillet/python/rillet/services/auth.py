"""Who is calling, and may they do this on that channel."""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Protocol

from rillet.core.accounts import ApiKey
from rillet.core.errors import Forbidden, NotFound, Unauthenticated
from rillet.core.models import Channel, Upload, Visibility
from rillet.core.oidc import Publisher, live_limits
from rillet.core.policy import Action, Principal, Role, Scope, allowed, require
from rillet.core.ports import Catalog, Directory
from rillet.core.tokens import plausible_token, token_hash

ADMIN_USER = "admin"
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


def authenticate(
    directory: Directory,
    *,
    admin_token: str,
    authorization: str | None,
    now: int,
    publishers: PublisherLookup,
) -> Principal | None:
    """None for an anonymous caller. Raises Unauthenticated for a bad, revoked or expired
    token, and for a minted token whose trusted publishers were all removed."""
    token = credential(authorization)
    if token is None:
        return None
    if not plausible_token(token):
        raise Unauthenticated("unknown or revoked token")
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal(user=ADMIN_USER, superuser=True)
    return principal_for_key(directory.key_by_hash(token_hash(token)), publishers, now)


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
    )


def require_principal(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthenticated("this endpoint needs an 'Authorization: Bearer <token>' header")
    return principal


def role_of(directory: Directory, principal: Principal | None, channel: str) -> Role | None:
    if principal is None or principal.superuser:
        return None
    return directory.get_role(channel, principal.user)


def authorize(
    catalog: Catalog,
    directory: Directory,
    principal: Principal | None,
    channel_name: str,
    action: Action,
) -> tuple[Channel, Role | None]:
    """Load the channel and check ``action``; raises NotFound, Unauthenticated, Forbidden.

    Any action but the upload clients' on a private channel one cannot read reports
    it as missing, so its name does not leak (also to a key limited to other
    channels); anonymous callers are asked for a token instead, and uploads and
    deletes answer 403 as upload clients expect.
    """
    channel = catalog.get_channel(channel_name)
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
    role = role_of(directory, principal, channel_name)
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
        action, principal=principal, role=role, visibility=channel.visibility, channel=channel_name
    )
    return channel, role


def check_upload_allowed(
    catalog: Catalog, directory: Directory, principal: Principal | None, channel: str, force: bool
) -> Channel:
    """May ``principal`` upload to ``channel`` (and overwrite, with ``force``)?

    Returns the channel (the incarnation an upload intent is bound to).
    Raises NotFound, Unauthenticated, Forbidden."""
    if principal is None:
        raise Unauthenticated("uploads need a token")
    found, role = authorize(catalog, directory, principal, channel, Action.UPLOAD)
    visibility = found.visibility
    if force and not allowed(
        Action.OVERWRITE, principal=principal, role=role, visibility=visibility, channel=channel
    ):
        raise Forbidden("only channel owners can overwrite an existing package (force)")
    return found


def upload_authority(
    catalog: Catalog,
    directory: Directory,
    publishers: PublisherLookup,
    upload: Upload,
    *,
    now: int,
) -> Principal:
    """The authority behind an upload intent, resolved again and checked for upload ``now``.

    Raises Unauthenticated (key revoked or expired, publisher removed), Forbidden (role
    lost or lowered, force no longer allowed), NotFound (channel gone).
    """
    if upload.key_hash:
        key = directory.key_by_hash(upload.key_hash)
        principal = principal_for_key(
            key if key is not None and key.key_id == upload.key_id else None, publishers, now
        )
    elif upload.created_by == ADMIN_USER:  # a reserved name: no user is called so
        principal = Principal(user=ADMIN_USER, superuser=True)
    else:
        # An intent that names no credential (a sign-in session's, or one recorded before
        # credentials were kept): its user's standing and role on the channel decide.
        try:
            suspended = directory.get_user(upload.created_by).suspended
        except NotFound:
            suspended = False  # no user item: the role check below refuses a stranger
        if suspended:
            raise Unauthenticated("this account is suspended", code="account-suspended")
        principal = Principal(user=upload.created_by, scope=Scope.UPLOAD)
    check_upload_allowed(catalog, directory, principal, upload.channel, upload.force)
    return principal
