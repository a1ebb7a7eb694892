"""JWKS cache: refresh only on unknown kid, with a cool-down; never cache an empty set;
fall back to cached keys when the issuer is down."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from rillet.adapters.jwks import JwksCache
from rillet.core.oidc import GOOGLE_ISSUER, OidcRefusal

ISS = "https://issuer.test"


def jwk(kid: str) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())), "kid": kid}


class Issuer:
    def __init__(self) -> None:
        self.keys = [jwk("a")]
        self.down = False
        self.calls = 0
        self.jwks_uri = f"{ISS}/keys"

    def __call__(self, url: str) -> Any:
        self.calls += 1
        if self.down:
            raise OSError("down")
        if url.endswith("openid-configuration"):
            return {"issuer": ISS, "jwks_uri": self.jwks_uri}
        return {"keys": self.keys}


class Clock:
    t = 0.0

    def __call__(self) -> float:
        return self.t


def test_known_kid_is_served_from_cache() -> None:
    issuer, clock = Issuer(), Clock()
    cache = JwksCache(fetch=issuer, clock=clock, cooldown=60)
    cache.key(ISS, "a")
    cache.key(ISS, "a")
    assert cache.fetches == 1


def test_unknown_kid_refreshes_once_per_cooldown() -> None:
    issuer, clock = Issuer(), Clock()
    cache = JwksCache(fetch=issuer, clock=clock, cooldown=60)
    cache.key(ISS, "a")
    clock.t = 61
    for _ in range(3):
        with pytest.raises(OidcRefusal):
            cache.key(ISS, "b")
    assert cache.fetches == 2  # one refresh, not one per request
    issuer.keys.append(jwk("b"))
    with pytest.raises(OidcRefusal):
        cache.key(ISS, "b")  # still cooling down
    clock.t = 122
    assert cache.key(ISS, "b") is not None  # rotated key picked up after the cool-down
    assert cache.fetches == 3


def test_empty_key_set_is_not_cached_and_failures_fall_back() -> None:
    issuer, clock = Issuer(), Clock()
    cache = JwksCache(fetch=issuer, clock=clock, cooldown=0, max_age=10)
    cache.key(ISS, "a")
    issuer.keys = []
    clock.t = 11  # stale: a refresh is attempted and answers nothing
    assert cache.key(ISS, "a") is not None
    issuer.down = True
    clock.t = 30
    assert cache.key(ISS, "a") is not None


def test_jwks_from_another_origin_is_refused() -> None:
    issuer = Issuer()
    issuer.jwks_uri = "https://evil.test/keys"
    with pytest.raises(OidcRefusal):
        JwksCache(fetch=issuer).key(ISS, "a")


class GoogleDiscovery(Issuer):
    """Google's discovery document names its key set on www.googleapis.com."""

    def __init__(self, jwks_uri: str) -> None:
        super().__init__()
        self.jwks_uri = jwks_uri
        self.urls: list[str] = []

    def __call__(self, url: str) -> Any:
        self.urls.append(url)
        return super().__call__(url)


def test_google_keys_come_from_the_host_google_publishes_them_on() -> None:
    google = GoogleDiscovery("https://www.googleapis.com/oauth2/v3/certs")
    assert JwksCache(fetch=google).key(GOOGLE_ISSUER, "a") is not None
    assert google.urls == [
        f"{GOOGLE_ISSUER}/.well-known/openid-configuration",
        "https://www.googleapis.com/oauth2/v3/certs",
    ]


@pytest.mark.parametrize(
    "jwks_uri",
    [
        "http://www.googleapis.com/oauth2/v3/certs",  # not over https
        "https://evil.test/oauth2/v3/certs",
    ],
)
def test_google_keys_from_anywhere_else_are_refused(jwks_uri: str) -> None:
    with pytest.raises(OidcRefusal):
        JwksCache(fetch=GoogleDiscovery(jwks_uri)).key(GOOGLE_ISSUER, "a")


def test_another_issuer_may_not_use_googles_key_host() -> None:
    issuer = Issuer()
    issuer.jwks_uri = "https://www.googleapis.com/oauth2/v3/certs"
    with pytest.raises(OidcRefusal):
        JwksCache(fetch=issuer).key(ISS, "a")
