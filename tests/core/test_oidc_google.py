"""Google trusted publishers: the claim table (email, email_verified, optional sub), the
configuration an owner gives, and replay protection for tokens that carry no jti."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from rillet.core.errors import InvalidRequest
from rillet.core.oidc import (
    GOOGLE_ISSUER,
    PROVIDERS,
    OidcConfig,
    OidcRefusal,
    Publisher,
    match_publishers,
    parse_publisher,
    publisher_summary,
    replay_id,
    unverified_issuer,
    verify_token,
)
from tests.oidc_issuer import github_claims, google_claims

AUD = "conda.example"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
CONFIG = OidcConfig(
    issuers={GOOGLE_ISSUER: "google", "https://gh.test": "github"}, audiences=frozenset({AUD})
)
NOW = 1_800_000_000
EMAIL = "release@my-project.iam.gserviceaccount.com"
SA = Publisher("p1", "chan", "google", GOOGLE_ISSUER, email=EMAIL)
SA_PINNED = Publisher(
    "p2", "chan", "google", GOOGLE_ISSUER, email=EMAIL, sub="117820335960485764321"
)


def token(claims: dict[str, Any]) -> str:
    body = {"iss": GOOGLE_ISSUER, "aud": AUD, "iat": NOW, "exp": NOW + 3600, **claims}
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, KEY, algorithm="RS256", headers={"kid": "g1"})


def verify(claims: dict[str, Any]) -> dict[str, Any]:
    raw = token(claims)
    issuer, provider, kid = unverified_issuer(raw, CONFIG)
    assert (issuer, provider, kid) == (GOOGLE_ISSUER, "google", "g1")
    return verify_token(
        raw, key=KEY.public_key(), issuer=issuer, provider=provider, config=CONFIG, now=NOW
    )


def failed(claims: dict[str, Any], publisher: Publisher = SA) -> str | None:
    result = match_publishers("google", [publisher], verify(claims))
    return result.refusals[0][1] if result.refusals else None


def test_a_real_shaped_service_account_token_verifies_and_matches() -> None:
    claims = verify(google_claims())  # no jti: Google sends none
    assert "jti" not in claims
    assert match_publishers("google", [SA, SA_PINNED], claims).matched == (SA, SA_PINNED)


def test_the_lookup_claim_is_the_email_in_lower_case() -> None:
    spec = PROVIDERS["google"]
    assert spec.lookup_claim == "email"
    assert Publisher("p", "c", "google", GOOGLE_ISSUER, email="Release@X.com").lookup == (
        "release@x.com"
    )


@pytest.mark.parametrize(
    ("claims", "check"),
    [
        (google_claims(email="other@my-project.iam.gserviceaccount.com"), "email"),
        (google_claims(email="release@other-project.iam.gserviceaccount.com"), "email"),
        (google_claims(email_verified=False), "email-verified"),
        (google_claims(email_verified="false"), "email-verified"),
        (google_claims(email_verified=1), "email-verified"),
    ],
)
def test_each_claim_that_must_match(claims: dict[str, Any], check: str) -> None:
    assert failed(claims) == check


def test_email_compares_case_insensitively_and_a_string_true_is_verified() -> None:
    assert failed(google_claims(email=EMAIL.upper(), email_verified="true")) is None


def test_a_pinned_sub_refuses_a_re_created_account_of_the_same_email() -> None:
    recreated = google_claims(sub="100000000000000000001", azp="100000000000000000001")
    assert failed(recreated, SA_PINNED) == "sub"
    assert failed(recreated, SA) is None  # unpinned: the email alone decides


@pytest.mark.parametrize("missing", ["email", "email_verified", "sub"])
def test_a_token_without_a_required_claim_is_invalid(missing: str) -> None:
    with pytest.raises(OidcRefusal) as info:
        verify(google_claims(**{missing: None}))  # type: ignore[arg-type]
    assert (info.value.code, info.value.check) == ("invalid-token", f"missing-claim:{missing}")


def test_a_google_token_for_another_audience_is_invalid() -> None:
    with pytest.raises(OidcRefusal) as info:
        verify({**google_claims(), "aud": "32555940559.apps.googleusercontent.com"})
    assert info.value.check == "audience"


def test_a_github_publisher_never_matches_a_google_token() -> None:
    gh = Publisher("p3", "chan", "github", "https://gh.test", owner="o", repository="r")
    # Candidates are found per provider and issuer; the table would not match either.
    assert match_publishers("google", [gh], verify(google_claims())).matched == ()


def test_replay_id_is_the_jti_or_the_hash_of_a_token_without_one() -> None:
    raw = token(google_claims())
    once = replay_id("google", verify(google_claims()), raw)
    assert once.startswith("sha256:") and once == replay_id("google", {}, raw)
    assert once != replay_id("google", {}, token({**google_claims(), "iat": NOW + 1}))
    assert replay_id("github", {"jti": "abc", **github_claims()}, "whatever") == "abc"


# -- an owner's configuration ------------------------------------------------------------
def parse(body: dict[str, Any], google_issuer: str = GOOGLE_ISSUER) -> Publisher:
    return parse_publisher(
        body,
        channel="chan",
        publisher_id="pub_1",
        created_by="alice",
        created_at="2026-01-01T00:00:00Z",
        gitlab_issuers=["https://gitlab.com"],
        github_issuer="https://token.actions.githubusercontent.com",
        google_issuer=google_issuer,
    )


def test_a_google_publisher_needs_only_the_email() -> None:
    p = parse({"provider": "google", "email": " Release@My-Project.iam.gserviceaccount.com "})
    assert (p.provider, p.issuer, p.email, p.sub) == ("google", GOOGLE_ISSUER, EMAIL, "")
    out = p.to_json()
    assert out["email"] == EMAIL and out["sub"] == "" and out["environment"] is None
    assert "owner" not in out and "project" not in out
    assert publisher_summary(p) == {"id": "pub_1", "provider": "google", "email": EMAIL}


def test_a_google_publisher_may_pin_the_accounts_sub() -> None:
    p = parse({"provider": "google", "email": EMAIL, "sub": "117820335960485764321"})
    assert p.sub == "117820335960485764321"
    assert publisher_summary(p)["sub"] == "117820335960485764321"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"provider": "google"}, "missing publisher fields: email"),
        ({"provider": "google", "email": "not-an-email"}, "'email' must be an email address"),
        ({"provider": "google", "email": "a@b"}, "'email' must be an email address"),
        ({"provider": "google", "email": ["x@y.com"]}, "'email' must be a short string"),
        ({"provider": "google", "email": EMAIL, "sub": "1 OR 1=1"}, "'sub' must be"),
        ({"provider": "google", "email": EMAIL, "environment": "prod"}, "no 'environment'"),
        (
            {"provider": "google", "email": EMAIL, "issuer": "https://evil.example"},
            "Google publishers use Google's issuer",
        ),
    ],
)
def test_bad_google_configuration_is_refused(body: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse(body)
    assert message in info.value.message


def test_the_google_issuer_is_the_operators_setting() -> None:
    local = "http://127.0.0.1:4444"
    assert parse({"provider": "google", "email": EMAIL}, google_issuer=local).issuer == local
    with pytest.raises(InvalidRequest):
        parse({"provider": "google", "email": EMAIL, "issuer": GOOGLE_ISSUER}, local)


def test_a_google_token_is_refused_before_any_key_lookup_when_the_issuer_is_unknown() -> None:
    config = OidcConfig(issuers={"https://gh.test": "github"}, audiences=frozenset({AUD}))
    with pytest.raises(OidcRefusal) as info:
        unverified_issuer(token(google_claims()), config)
    assert info.value.check == "issuer"
