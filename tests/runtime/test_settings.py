"""Settings are read once and every problem is reported at once."""

from __future__ import annotations

import pytest

from rillet.runtime import settings as s

BASE = {
    s.TABLE_NAME: "t",
    s.CHANNELS_BUCKET: "c",
    s.STAGING_BUCKET: "st",
    s.REINDEX_QUEUE_URL: "q",
    s.PUBLIC_URL: "https://Conda.Example.com/",
    s.ADMIN_TOKEN_SECRET: "arn:secret",
}


def test_all_missing_variables_are_listed() -> None:
    with pytest.raises(s.SettingsError) as info:
        s.Settings.from_env({})
    for name in (*s.REQUIRED, s.ADMIN_TOKEN, s.ADMIN_TOKEN_SECRET):
        assert name in str(info.value)


def test_defaults_and_derived_values() -> None:
    settings = s.Settings.from_env(BASE)
    assert settings.public_url == "https://Conda.Example.com"
    assert settings.public_host == "conda.example.com"
    assert settings.max_package_bytes == 100 * 1024 * 1024
    assert settings.limits.max_package_bytes == settings.max_package_bytes
    assert settings.oidc.audiences == {"conda.example.com"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (s.MAX_PACKAGE_BYTES, "lots"),
        (s.MAX_PACKAGE_BYTES, "-1"),
        (s.OIDC_DISABLED, "bitbucket"),
        (s.OIDC_LEGACY_AUDIENCE, "yes"),
    ],
)
def test_malformed_values_are_refused(name: str, value: str) -> None:
    with pytest.raises(s.SettingsError):
        s.Settings.from_env({**BASE, name: value})


def test_operator_switches() -> None:
    settings = s.Settings.from_env(
        {
            **BASE,
            s.OIDC_DISABLED: "gitlab",
            s.OIDC_LEGACY_AUDIENCE: "true",
            s.MAX_PACKAGE_BYTES: "5000",
        }
    )
    assert set(settings.oidc.issuers.values()) == {"github", "google"}
    assert "https://gitlab.com" in settings.oidc.disabled_issuers
    assert settings.oidc.audiences == {"conda.example.com", "prefix.dev"}
    assert settings.max_package_bytes == 5000


def test_stage_names_the_deployment_in_metrics() -> None:
    assert s.Settings.from_env(BASE).stage == "local"
    assert s.Settings.from_env({**BASE, s.STAGE: "prod"}).stage == "prod"


def test_sign_in_is_optional_and_validated() -> None:
    assert s.Settings.from_env(BASE).signin is None
    cognito = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
    signin = s.Settings.from_env(
        {**BASE, s.SIGNIN_ISSUER: cognito, s.SIGNIN_CLIENT_ID: "app"}
    ).signin
    assert signin is not None
    assert (signin.issuer, signin.client_id, signin.audience) == (cognito, "app", "")
    assert signin.scopes == ("openid", "email", "profile")
    with pytest.raises(s.SettingsError, match=s.SIGNIN_CLIENT_ID):
        s.Settings.from_env({**BASE, s.SIGNIN_ISSUER: cognito})
    with pytest.raises(s.SettingsError, match=s.SIGNIN_ISSUER):
        s.Settings.from_env({**BASE, s.SIGNIN_ISSUER: "cognito", s.SIGNIN_CLIENT_ID: "app"})
