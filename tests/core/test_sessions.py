"""Verifying an identity provider's access token: every refusal, and what passes."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from rillet.core.errors import Unauthenticated
from rillet.core.sessions import (
    LEEWAY_SECONDS,
    InvalidSession,
    SessionConfig,
    looks_like_jwt,
    verify_access_token,
)

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool"
CLIENT = "app-client-1"
NOW = 1_790_000_000
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
OTHER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)

COGNITO = SessionConfig(issuer=ISSUER, client_id=CLIENT)
RFC9068 = SessionConfig(issuer=ISSUER, client_id=CLIENT, audience="rillet-api")


def keys(issuer: str, kid: str) -> Any:
    """The pinned issuer's published keys; anything else is unknown."""
    published = {"r1": RSA_KEY.public_key(), "e1": EC_KEY.public_key()}
    if issuer != ISSUER or kid not in published:
        raise Unauthenticated("unknown key")
    return published[kid]


def access_token(
    key: Any = RSA_KEY,
    alg: str = "RS256",
    kid: str = "r1",
    drop: tuple[str, ...] = (),
    **claims: Any,
) -> str:
    body = {
        "iss": ISSUER,
        "sub": "0f6c-user-sub",
        "client_id": CLIENT,
        "token_use": "access",
        "scope": "openid email",
        "iat": NOW - 10,
        "exp": NOW + 3600,
        **claims,
    }
    for name in drop:
        body.pop(name)
    return jwt.encode(body, key, algorithm=alg, headers={"kid": kid})


def verify(token: str, config: SessionConfig = COGNITO, now: int = NOW) -> dict[str, Any]:
    return verify_access_token(token, config=config, key_for=keys, now=now)


def refusal(token: str, config: SessionConfig = COGNITO, now: int = NOW) -> str:
    with pytest.raises(InvalidSession) as caught:
        verify(token, config, now)
    assert caught.value.code == "invalid-session"  # the caller sees one generic reason
    return caught.value.check


def test_a_cognito_access_token_names_its_subject() -> None:
    assert verify(access_token())["sub"] == "0f6c-user-sub"


def test_es256_tokens_verify_too() -> None:
    assert verify(access_token(EC_KEY, "ES256", "e1"))["sub"] == "0f6c-user-sub"


def test_rfc9068_access_token_with_audience() -> None:
    token = access_token(drop=("token_use",), aud="rillet-api")
    assert verify(token, RFC9068)["sub"] == "0f6c-user-sub"


@pytest.mark.parametrize(
    ("token", "check"),
    [
        (access_token(iss="https://evil.example.com"), "issuer"),
        (access_token(client_id="another-app"), "client-id"),
        (access_token(drop=("client_id",)), "client-id"),
        (access_token(exp=NOW - LEEWAY_SECONDS), "expired"),
        (access_token(iat=NOW + LEEWAY_SECONDS + 5), "issued-in-future"),
        (access_token(nbf=NOW + LEEWAY_SECONDS + 5), "not-yet-valid"),
        (access_token(drop=("sub",)), "sub"),
        (access_token(sub=""), "sub"),
        (access_token(drop=("exp",)), "exp"),
        (access_token(token_use="id"), "token-use"),
        (access_token(drop=("token_use",)), "token-use"),  # no audience to pin: must say access
        (access_token(kid="r9"), "unknown-kid"),
        (access_token(OTHER_RSA), "signature"),  # right kid, wrong key
        (access_token(EC_KEY, "ES256", "r1"), "signature"),  # key type does not fit the alg
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 30 else None,
)
def test_each_refusal(token: str, check: str) -> None:
    assert refusal(token) == check


def test_leeway_is_stated_and_applied() -> None:
    assert verify(access_token(exp=NOW - LEEWAY_SECONDS + 1))["sub"]
    assert verify(access_token(iat=NOW + LEEWAY_SECONDS - 1))["sub"]


def test_audience_is_required_when_configured() -> None:
    assert refusal(access_token(aud="someone-else"), RFC9068) == "audience"
    assert refusal(access_token(drop=("token_use",)), RFC9068) == "audience"


def test_an_id_token_is_never_a_session() -> None:
    # An ID token names the client in aud and has no client_id claim.
    id_token = access_token(drop=("client_id", "token_use"), aud=CLIENT)
    assert refusal(id_token, RFC9068) == "audience"
    assert refusal(access_token(token_use="id", aud="rillet-api"), RFC9068) == "token-use"


@pytest.mark.parametrize("alg", ["HS256", "none", "PS256", "RS512"])
def test_algorithms_are_fixed(alg: str) -> None:
    if alg == "HS256":
        token = access_token("a-shared-secret-of-enough-length-32b", "HS256")
    elif alg == "none":
        token = jwt.encode({"iss": ISSUER, "sub": "x"}, None, algorithm="none")  # type: ignore[arg-type]  # an unsigned token on purpose
    else:
        token = access_token(RSA_KEY, alg)
    assert refusal(token) in ("algorithm", "kid")


def test_malformed_and_oversized() -> None:
    assert refusal("a.b.c") == "malformed"
    assert refusal("x" * 20_000) == "token-size"


def test_api_keys_and_jwts_are_told_apart_by_shape() -> None:
    assert looks_like_jwt(access_token())
    assert not looks_like_jwt("rlt_" + "A" * 43)
    assert not looks_like_jwt("rlt_admin_" + "A" * 30)


def test_a_configuration_pins_something_besides_the_issuer() -> None:
    with pytest.raises(ValueError):
        SessionConfig(issuer=ISSUER)
