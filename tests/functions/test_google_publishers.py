"""Google trusted publishers through the API handler: owners configure a service account
(email, optional sub), its Google-shaped ID tokens mint upload tokens, and every other
Google token is refused with the generic reason code."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from rillet.runtime.settings import OIDC_GOOGLE_ISSUER
from tests.functions.conftest import Client, Packages, Team, World, invoke
from tests.functions.test_api import assert_error, assert_text_error
from tests.oidc_issuer import google_claims

GOOGLE = "https://accounts.google.com"
EMAIL = "release@my-project.iam.gserviceaccount.com"
SUB = "117820335960485764321"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def publishers(channel: str = "chan") -> str:
    return f"/api/v1/channels/{channel}/publishers"


def mint(token: str) -> Any:
    body = json.dumps({"token": token}).encode()
    return invoke(
        "POST", "/api/oidc/mint_token", headers={"content-type": "application/json"}, body=body
    )


@pytest.fixture
def google(world: World) -> Callable[..., str]:
    """Sign Google-shaped ID tokens (no jti) that the API's key source accepts."""

    class Keys:
        def key(self, issuer: str, kid: str) -> Any:
            assert (issuer, kid) == (GOOGLE, "g1")
            return KEY.public_key()

    world.use_ports(jwks=Keys())

    def sign(**overrides: Any) -> str:
        now = int(world.clock.t)
        claims = {
            "iss": GOOGLE,
            "aud": "conda.example.com",
            "iat": now,
            "exp": now + 3600,
            **google_claims(),
            **overrides,
        }
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "g1"})

    return sign


def test_owner_adds_a_google_publisher_and_others_cannot(team: Team) -> None:
    r = team.owner.post(publishers(), {"provider": "google", "email": EMAIL.upper(), "sub": SUB})
    assert r.status == 201, r
    body = r.json()
    assert (body["provider"], body["issuer"], body["email"], body["sub"]) == (
        "google",
        GOOGLE,
        EMAIL,
        SUB,
    )
    listed = team.owner.get(publishers()).json()["publishers"]
    assert [p["email"] for p in listed] == [EMAIL]
    for other in (team.maintainer, team.member, team.stranger):
        r = other.post(publishers(), {"provider": "google", "email": EMAIL})
        assert r.status in (403, 404), r
    events = team.owner.get("/api/v1/channels/chan/audit").json()["events"]
    assert events[0]["action"] == "publisher.add" and events[0]["details"]["email"] == EMAIL


@pytest.mark.parametrize(
    "body",
    [
        {"provider": "google"},
        {"provider": "google", "email": "no-at-sign"},
        {"provider": "google", "email": EMAIL, "sub": "../x"},
        {"provider": "google", "email": EMAIL, "environment": "prod"},
        {"provider": "google", "email": EMAIL, "issuer": "https://evil.example"},
        {"provider": "gogle", "email": EMAIL},
    ],
)
def test_bad_google_configuration_is_a_400_and_stores_nothing(
    team: Team, body: dict[str, Any]
) -> None:
    assert_error(team.owner.post(publishers(), body), 400, "invalid-request")
    assert team.owner.get(publishers()).json()["publishers"] == []


def test_the_operator_chooses_the_google_issuer(world: World, team: Team) -> None:
    world.setenv(OIDC_GOOGLE_ISSUER, "https://google-issuer.example")
    r = team.owner.post(publishers(), {"provider": "google", "email": EMAIL})
    assert r.status == 201 and r.json()["issuer"] == "https://google-issuer.example", r
    r = team.owner.post(publishers(), {"provider": "google", "email": EMAIL, "issuer": GOOGLE})
    assert_error(r, 400, "invalid-request")


def test_google_token_mints_an_upload_token_once(
    team: Team, pkgs: Packages, google: Callable[..., str]
) -> None:
    assert team.owner.post(publishers(), {"provider": "google", "email": EMAIL}).status == 201
    token = google()
    r = mint(token)
    assert r.status == 200, r
    minted = Client(r.text)
    assert minted.upload("chan", pkgs.alpha).status == 201
    upload = team.owner.get("/api/v1/channels/chan/audit").json()["events"][0]
    assert upload["actor"] == f"google:{EMAIL}"
    assert upload["details"]["publisher"]["email"] == EMAIL
    # No jti in Google's tokens: the token itself is recognised.
    assert_text_error(mint(token), 409, "reused-token")
    assert_error(minted.get("/api/v1/channels/chan/members"), 403, "forbidden")


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"email_verified": False}, 403, "invalid-publisher"),
        ({"sub": "100000000000000000001"}, 403, "invalid-publisher"),  # pinned sub
        ({"email": "intruder@evil-project.iam.gserviceaccount.com"}, 403, "invalid-publisher"),
        ({"aud": "32555940559.apps.googleusercontent.com"}, 401, "invalid-token"),
        ({"email_verified": None}, 401, "invalid-token"),
    ],
)
def test_other_google_tokens_are_refused(
    team: Team,
    google: Callable[..., str],
    overrides: dict[str, Any],
    status: int,
    code: str,
) -> None:
    pinned = {"provider": "google", "email": EMAIL, "sub": SUB}
    assert team.owner.post(publishers(), pinned).status == 201
    assert_text_error(mint(google(**overrides)), status, code)
    actions = [e["action"] for e in team.owner.get("/api/v1/channels/chan/audit").json()["events"]]
    assert "trusted-publishing.mint" not in actions


def test_google_is_switched_off_by_the_operator(world: World, team: Team) -> None:
    assert team.owner.post(publishers(), {"provider": "google", "email": EMAIL}).status == 201
    world.setenv("RILLET_OIDC_DISABLED", "google")
    token = jwt.encode(
        {"iss": GOOGLE, "aud": "conda.example.com", **google_claims()},
        KEY,
        algorithm="RS256",
        headers={"kid": "g1"},
    )
    assert_text_error(mint(token), 403, "not-enabled")
