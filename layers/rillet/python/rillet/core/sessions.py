"""Sign-in sessions: verify an identity provider's access token (Cognito or any OpenID Provider).

Pure: the signing key, the clock and the configuration come in as arguments. The
order mirrors ``core.oidc``: one pinned issuer (the token's own ``iss`` never picks
where keys come from), fixed algorithms, then every claim check spelled out with
``now``. The caller sees one generic refusal; ``check`` names what failed for logs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import jwt

from rillet.core.errors import Unauthenticated

# Clock skew tolerated on exp / nbf / iat: a minute, as identity providers' own
# clients allow; access tokens live an hour (Cognito) or less (the local provider).
LEEWAY_SECONDS: Final = 60
ALGORITHMS: Final = ("RS256", "ES256")  # Cognito signs RS256; ES256 for other providers
MAX_TOKEN_BYTES: Final = 16 * 1024
MAX_SUB_CHARS: Final = 255

ACCESS: Final = "access"  # Cognito's token_use of access tokens
INVALID_SESSION: Final = "invalid-session"
SESSIONS_DISABLED: Final = "sessions-disabled"


class InvalidSession(Unauthenticated):
    code = INVALID_SESSION
    check: str = ""


def refuse(check: str) -> InvalidSession:
    error = InvalidSession("the sign-in token could not be verified; sign in again")
    error.check = check
    return error


def sessions_disabled() -> Unauthenticated:
    return Unauthenticated(
        "this deployment has no identity provider configured: use an API key",
        code=SESSIONS_DISABLED,
    )


@dataclass(frozen=True)
class SessionConfig:
    """What a deployment trusts. ``audience`` and ``client_id`` are each optional, not both.

    Cognito access tokens carry no ``aud``: they name the app client in ``client_id``
    and say ``token_use: access``. Providers issuing RFC 9068 access tokens (the local
    one) name the API in ``aud``. Whatever is configured is required.
    """

    issuer: str
    client_id: str = ""
    audience: str = ""
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    cli_redirect_uri: str = ""  # a fixed loopback callback, for providers that need one

    def __post_init__(self) -> None:
        if not self.client_id and not self.audience:
            raise ValueError("a session configuration needs a client id or an audience")


def looks_like_jwt(token: str) -> bool:
    """A JWT is three base64url parts; API keys (``rlt_...``) never contain a dot."""
    return token.count(".") == 2


def unverified_kid(token: str) -> str:
    """The ``kid`` to fetch, after the size and algorithm checks."""
    if not token or len(token) > MAX_TOKEN_BYTES:
        raise refuse("token-size")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise refuse("malformed") from None
    if header.get("alg") not in ALGORITHMS:
        raise refuse("algorithm")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise refuse("kid")
    return kid


def verify_access_token(
    token: str, *, config: SessionConfig, key_for: Callable[[str, str], Any], now: int
) -> dict[str, Any]:
    """The verified claims of an access token; raises InvalidSession. ``sub`` is the user."""
    kid = unverified_kid(token)
    try:
        key = key_for(config.issuer, kid)  # keys come from the pinned issuer only
    except Unauthenticated:
        raise refuse("unknown-kid") from None
    alg = jwt.get_unverified_header(token)["alg"]
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=[alg],  # one of ALGORITHMS; the key's type must fit it
            options={
                "verify_signature": True,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_iss": False,
            },
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        raise refuse("signature") from None
    if claims.get("iss") != config.issuer:
        raise refuse("issuer")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > MAX_SUB_CHARS:
        raise refuse("sub")
    for name in ("exp", "iat"):
        value = claims.get(name)
        if not isinstance(value, int) or isinstance(value, bool):
            raise refuse(name)
    if claims["exp"] + LEEWAY_SECONDS <= now:
        raise refuse("expired")
    if claims["iat"] - LEEWAY_SECONDS > now:
        raise refuse("issued-in-future")
    nbf = claims.get("nbf")
    if nbf is not None and (not isinstance(nbf, int) or nbf - LEEWAY_SECONDS > now):
        raise refuse("not-yet-valid")
    # An ID token (token_use "id", or aud = the client) is never a session credential.
    token_use = claims.get("token_use")
    if token_use is not None and token_use != ACCESS:
        raise refuse("token-use")
    if config.audience:
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if config.audience not in audiences:
            raise refuse("audience")
    if config.client_id:
        # Cognito: client_id; RFC 9068 providers also name the client in client_id.
        if claims.get("client_id") != config.client_id:
            raise refuse("client-id")
        if not config.audience and token_use != ACCESS:
            # Without an audience to pin, only a token that says it is an access token.
            raise refuse("token-use")
    return claims
