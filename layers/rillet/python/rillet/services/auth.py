"""Who is calling, and may they do this on that channel."""

from __future__ import annotations

import base64
import binascii
import hmac

from rillet.core.errors import NotFound, Unauthenticated
from rillet.core.models import Channel, Visibility
from rillet.core.policy import Action, Principal, Role, allowed, require
from rillet.core.ports import Catalog, Directory
from rillet.core.tokens import plausible_token, token_hash

ADMIN_USER = "admin"


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
    directory: Directory, *, admin_token: str, authorization: str | None, now: int
) -> Principal | None:
    """None for an anonymous caller. Raises Unauthenticated for a bad, revoked or expired token."""
    token = credential(authorization)
    if token is None:
        return None
    if not plausible_token(token):
        raise Unauthenticated("unknown or revoked token")
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal(user=ADMIN_USER, superuser=True)
    key = directory.key_by_hash(token_hash(token))
    if key is not None and key.suspended and not key.revoked:
        raise Unauthenticated("this account is suspended", code="account-suspended")
    if key is None or not key.active(now):
        raise Unauthenticated("unknown, revoked or expired token")
    return Principal(
        user=key.user,
        scope=key.scope,
        channels=key.channels,
        key_id=key.key_id,
        minted=key.kind == "minted",
        publish_limits=key.publish_limits,
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

    Reading a private channel one cannot read reports it as missing, so its name
    does not leak; anonymous callers are asked for a token instead, and other
    actions answer 403 as upload clients expect.
    """
    channel = catalog.get_channel(channel_name)
    role = role_of(directory, principal, channel_name)
    if (
        principal is not None
        and action in (Action.READ, Action.LIST_PACKAGES)
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
