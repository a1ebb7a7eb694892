"""The pure OIDC rules: which check fails for which claims, and the explicit verification."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from rillet.core.oidc import (
    LEEWAY_SECONDS,
    PROVIDERS,
    OidcConfig,
    OidcRefusal,
    Publisher,
    failed_check,
    match_publishers,
    replay_expiry,
    unverified_issuer,
    verify_token,
)
from tests.oidc_issuer import github_claims, gitlab_claims

ISS = "https://issuer.test"
GL = "https://gitlab.test"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
CONFIG = OidcConfig(issuers={ISS: "github", GL: "gitlab"}, audiences=frozenset({"conda.example"}))
NOW = 1_800_000_000

GH = Publisher(
    "p1",
    "chan",
    "github",
    ISS,
    owner="Octo-Org",
    owner_id="4242",
    repository="Widgets",
    workflow="release.yml",
)
GLP = Publisher(
    "p2",
    "chan",
    "gitlab",
    GL,
    namespace="grp",
    project="proj",
    config_path=".gitlab-ci.yml",
    namespace_id="11",
    project_id="22",
)


def token(claims: dict[str, Any], **header: Any) -> str:
    body = {
        "iss": ISS,
        "aud": "conda.example",
        "iat": NOW,
        "exp": NOW + 300,
        "jti": "j",
        **github_claims(),
        **claims,
    }
    return jwt.encode(
        {k: v for k, v in body.items() if v is not None},
        KEY,
        algorithm="RS256",
        headers={"kid": "k", **header},
    )


def check_of(claims: dict[str, Any], now: int = NOW) -> str:
    with pytest.raises(OidcRefusal) as info:
        verify_token(
            token(claims),
            key=KEY.public_key(),
            issuer=ISS,
            provider="github",
            config=CONFIG,
            now=now,
        )
    return info.value.check


def test_valid_token_passes_and_names_are_case_insensitive() -> None:
    claims = verify_token(
        token({}), key=KEY.public_key(), issuer=ISS, provider="github", config=CONFIG, now=NOW
    )
    assert failed_check(PROVIDERS["github"], GH, claims) is None  # Octo-Org vs octo-org


@pytest.mark.parametrize(
    ("claims", "now", "check"),
    [
        ({"exp": NOW - LEEWAY_SECONDS}, NOW, "expired"),
        ({"iat": NOW + LEEWAY_SECONDS + 1}, NOW, "issued-in-future"),
        ({"nbf": NOW + LEEWAY_SECONDS + 1}, NOW, "not-yet-valid"),
        ({"aud": "other"}, NOW, "audience"),
        ({"aud": ["conda.example", "x"]}, NOW, "audience"),
        ({"repository": None}, NOW, "missing-claim:repository"),
        ({"event_name": "pull_request_target"}, NOW, "refused-event_name:pull_request_target"),
        ({"iss": "https://other.test"}, NOW, "issuer"),
    ],
)
def test_each_claim_check(claims: dict[str, Any], now: int, check: str) -> None:
    assert check_of(claims, now) == check


def test_leeway_is_honoured_at_the_edges() -> None:
    assert verify_token(
        token({"exp": NOW - LEEWAY_SECONDS + 1}),
        key=KEY.public_key(),
        issuer=ISS,
        provider="github",
        config=CONFIG,
        now=NOW,
    )


@pytest.mark.parametrize(
    ("claims", "failed"),
    [
        (github_claims(owner="octo-org", repo="gadgets"), "repository"),
        (github_claims(owner="octo-org", owner_id="1"), "owner-id"),
        (
            github_claims(owner="octo-org", workflow="Release.yml"),
            "workflow",
        ),  # file names are exact
        (github_claims(owner="octo-org", workflow="release.yml.evil"), "workflow"),
    ],
)
def test_github_publisher_checks(claims: dict[str, Any], failed: str) -> None:
    assert failed_check(PROVIDERS["github"], GH, claims) == failed


def test_workflow_ref_may_contain_at_signs() -> None:
    claims = github_claims(owner="octo-org", repo="widgets")
    claims["workflow_ref"] = "octo-org/widgets/.github/workflows/release.yml@refs/heads/feat@x"
    assert failed_check(PROVIDERS["github"], GH, claims) is None


def test_environment_rules() -> None:
    gated = Publisher(
        "p3",
        "chan",
        "github",
        ISS,
        owner="octo-org",
        repository="widgets",
        workflow="release.yml",
        environment="Prod",
    )
    assert failed_check(PROVIDERS["github"], gated, github_claims()) == "environment"
    assert failed_check(PROVIDERS["github"], gated, github_claims(environment="prod")) is None
    # Without a configured environment any environment is accepted.
    assert (
        failed_check(PROVIDERS["github"], GH, github_claims(owner="octo-org", environment="x"))
        is None
    )


def test_gitlab_checks() -> None:
    claims = gitlab_claims("gitlab.test")
    assert failed_check(PROVIDERS["gitlab"], GLP, claims) is None
    assert failed_check(PROVIDERS["gitlab"], GLP, {**claims, "project_id": "99"}) == "project-id"
    assert (
        failed_check(
            PROVIDERS["gitlab"],
            GLP,
            {**claims, "ci_config_ref_uri": "gitlab.test/grp/proj//x.yml@main"},
        )
        == "config-path"
    )
    assert (
        failed_check(PROVIDERS["gitlab"], GLP, {**claims, "project_path": "grp/other"}) == "project"
    )


def test_match_reports_nearest_refusals() -> None:
    result = match_publishers("github", [GH], github_claims(owner="octo-org", workflow="x.yml"))
    assert result.matched == () and result.refusals == ((GH, "workflow"),)


def test_unverified_issuer_pins_first() -> None:
    with pytest.raises(OidcRefusal) as info:
        unverified_issuer(token({"iss": "https://nobody.test"}), CONFIG)
    assert (info.value.code, info.value.check) == ("invalid-token", "issuer")
    off = OidcConfig(issuers={}, disabled_issuers=frozenset({ISS}), audiences=frozenset())
    with pytest.raises(OidcRefusal) as info:
        unverified_issuer(token({}), off)
    assert info.value.code == "not-enabled"
    assert unverified_issuer(token({}), CONFIG) == (ISS, "github", "k")


def test_replay_record_outlives_acceptance() -> None:
    assert replay_expiry({"exp": NOW}) > NOW + LEEWAY_SECONDS


def test_signature_refusals() -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(OidcRefusal) as info:
        verify_token(
            token({}), key=other.public_key(), issuer=ISS, provider="github", config=CONFIG, now=NOW
        )
    assert info.value.check == "signature"
    with pytest.raises(OidcRefusal):
        unverified_issuer(
            jwt.encode(
                {"iss": ISS},
                "a-long-enough-shared-secret-for-hs256!!",
                algorithm="HS256",
                headers={"kid": "k"},
            ),
            CONFIG,
        )
