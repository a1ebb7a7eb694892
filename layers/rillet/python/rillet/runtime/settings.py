"""Deployment settings, read from the environment once per cold start.

The variable names below are the contract with ``infra/aws`` (which sets them
on every function) and ``infra/local`` (which sets them for the local stack).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlparse

from rillet.core.oidc import GITHUB_ISSUER, GITLAB_ISSUER, GOOGLE_ISSUER, PROVIDERS, OidcConfig
from rillet.core.package import Limits
from rillet.core.releases import DEFAULT_RELEASE_TTL_SECONDS, MAX_RELEASE_TTL_SECONDS
from rillet.core.sessions import SessionConfig

LEGACY_AUDIENCE: Final = "prefix.dev"

TABLE_NAME: Final = "RILLET_TABLE_NAME"
CHANNELS_BUCKET: Final = "RILLET_CHANNELS_BUCKET"
STAGING_BUCKET: Final = "RILLET_STAGING_BUCKET"
REINDEX_QUEUE_URL: Final = "RILLET_REINDEX_QUEUE_URL"
PUBLIC_URL: Final = "RILLET_PUBLIC_URL"
ADMIN_TOKEN_SECRET: Final = "RILLET_ADMIN_TOKEN_SECRET"  # noqa: S105 - a variable name
ADMIN_TOKEN: Final = "RILLET_ADMIN_TOKEN"  # noqa: S105 - local stack only
MAX_PACKAGE_BYTES: Final = "RILLET_MAX_PACKAGE_BYTES"
UPLOAD_URL_TTL: Final = "RILLET_UPLOAD_URL_TTL_SECONDS"
RELEASE_TTL: Final = "RILLET_RELEASE_TTL_SECONDS"  # how long a release may stay uncommitted
S3_ENDPOINT_URL: Final = "RILLET_S3_ENDPOINT_URL"  # local stack: where presigned URLs point
MAX_API_BODY_BYTES: Final = "RILLET_MAX_API_BODY_BYTES"
EDGE_KVS_ARN: Final = "RILLET_EDGE_KVS_ARN"  # edge_sync only: the CloudFront KeyValueStore
DISTRIBUTION_ID: Final = "RILLET_DISTRIBUTION_ID"  # CloudFront, for cache invalidations
OIDC_GITHUB_ISSUER: Final = "RILLET_OIDC_GITHUB_ISSUER"
OIDC_GITLAB_ISSUERS: Final = "RILLET_OIDC_GITLAB_ISSUERS"  # comma-separated (self-managed too)
OIDC_GOOGLE_ISSUER: Final = "RILLET_OIDC_GOOGLE_ISSUER"
OIDC_DISABLED: Final = "RILLET_OIDC_DISABLED"  # comma-separated providers switched off
OIDC_LEGACY_AUDIENCE: Final = "RILLET_OIDC_LEGACY_AUDIENCE"  # "true": also accept "prefix.dev"
# Sign-in (issue 12): the identity provider whose access tokens the API accepts.
SIGNIN_ISSUER: Final = "RILLET_SIGNIN_ISSUER"  # unset: no sign-in, API keys only
SIGNIN_CLIENT_ID: Final = "RILLET_SIGNIN_CLIENT_ID"  # the public app client (Cognito: required)
SIGNIN_AUDIENCE: Final = "RILLET_SIGNIN_AUDIENCE"  # "aud" of access tokens (RFC 9068 providers)
SIGNIN_SCOPES: Final = "RILLET_SIGNIN_SCOPES"  # space-separated, advertised in /api/v1/config
SIGNIN_CLI_REDIRECT_URI: Final = "RILLET_SIGNIN_CLI_REDIRECT_URI"  # fixed loopback callback
REINDEX_QUIET_MS: Final = "RILLET_REINDEX_QUIET_MS"  # rebuild once no change came for this long
REINDEX_MAX_WAIT_MS: Final = "RILLET_REINDEX_MAX_WAIT_MS"  # ... or after waiting this long
# A Sigstore trusted_root.json to verify attestations with (default: the one the installed
# sigstore release ships for the public-good instance).
SIGSTORE_TRUSTED_ROOT: Final = "RILLET_SIGSTORE_TRUSTED_ROOT"
STAGE: Final = "RILLET_STAGE"  # the CDK stage: the Stage dimension of Rillet's own metrics

REQUIRED: Final = (TABLE_NAME, CHANNELS_BUCKET, STAGING_BUCKET, REINDEX_QUEUE_URL, PUBLIC_URL)
# Exactly one of these must be set: AWS reads the secret, the local stack passes the token.
ADMIN_TOKEN_SOURCES: Final = (ADMIN_TOKEN_SECRET, ADMIN_TOKEN)
OPTIONAL: Final = (
    MAX_PACKAGE_BYTES,
    UPLOAD_URL_TTL,
    RELEASE_TTL,
    S3_ENDPOINT_URL,
    MAX_API_BODY_BYTES,
    EDGE_KVS_ARN,
    DISTRIBUTION_ID,
    OIDC_GITHUB_ISSUER,
    OIDC_GITLAB_ISSUERS,
    OIDC_GOOGLE_ISSUER,
    OIDC_DISABLED,
    OIDC_LEGACY_AUDIENCE,
    REINDEX_QUIET_MS,
    REINDEX_MAX_WAIT_MS,
    STAGE,
    SIGNIN_ISSUER,
    SIGNIN_CLIENT_ID,
    SIGNIN_AUDIENCE,
    SIGNIN_SCOPES,
    SIGNIN_CLI_REDIRECT_URI,
    *ADMIN_TOKEN_SOURCES,
)

DEFAULT_MAX_PACKAGE_BYTES: Final = 100 * 1024 * 1024
DEFAULT_UPLOAD_URL_TTL: Final = 900
# Lambda takes at most 6 MB per invocation, and API Gateway base64-encodes binary
# bodies (4/3), so about 4.4 MB of package fits; larger ones use the presigned path.
DEFAULT_MAX_API_BODY_BYTES: Final = 4_000_000
# A lone upload waits a quarter second for company; while changes keep coming (or
# came during the last rebuild) a burst gets one rebuild per 4 s at most, instead of
# one per arrival (each rewrites repodata.json, megabytes on a big subdir).
DEFAULT_REINDEX_QUIET_MS: Final = 250
DEFAULT_REINDEX_MAX_WAIT_MS: Final = 4000
# How often a queue delivers a message before it goes to the dead-letter queue (the
# stack's redrive policy); the validate handler's last attempt must end the upload.
QUEUE_MAX_RECEIVES: Final = 5
# Time a handler keeps after validating: the API writes the object and the record,
# the validate function copies up to max_package_bytes within S3 and records it.
API_VALIDATION_MARGIN_MS: Final = 6_000
VALIDATE_MARGIN_MS: Final = 60_000


class SettingsError(RuntimeError):
    """The environment is incomplete or malformed; raised once at cold start."""


@dataclass(frozen=True)
class Settings:
    table_name: str
    channels_bucket: str
    staging_bucket: str
    reindex_queue_url: str
    public_url: str
    admin_token_secret: str | None = None
    admin_token: str | None = None
    max_package_bytes: int = DEFAULT_MAX_PACKAGE_BYTES
    upload_url_ttl: int = DEFAULT_UPLOAD_URL_TTL
    release_ttl: int = DEFAULT_RELEASE_TTL_SECONDS
    s3_endpoint_url: str | None = None
    max_api_body_bytes: int = DEFAULT_MAX_API_BODY_BYTES
    edge_kvs_arn: str | None = None
    distribution_id: str | None = None
    github_issuer: str = GITHUB_ISSUER
    gitlab_issuers: tuple[str, ...] = (GITLAB_ISSUER,)
    google_issuer: str = GOOGLE_ISSUER
    disabled_providers: frozenset[str] = frozenset()
    legacy_audience: bool = False
    reindex_quiet_ms: int = DEFAULT_REINDEX_QUIET_MS
    reindex_max_wait_ms: int = DEFAULT_REINDEX_MAX_WAIT_MS
    stage: str = "local"
    signin: SessionConfig | None = None
    sigstore_trusted_root: str | None = None

    @property
    def limits(self) -> Limits:
        return Limits(max_package_bytes=self.max_package_bytes)

    @property
    def public_host(self) -> str:
        """The OIDC audience current clients request: our host name, no port."""
        return (urlparse(self.public_url).hostname or "").lower()

    @property
    def oidc(self) -> OidcConfig:
        providers = {
            self.github_issuer: "github",
            **dict.fromkeys(self.gitlab_issuers, "gitlab"),
            self.google_issuer: "google",
        }
        enabled = {i: p for i, p in providers.items() if p not in self.disabled_providers}
        audiences = {self.public_host} | ({LEGACY_AUDIENCE} if self.legacy_audience else set())
        return OidcConfig(
            issuers=enabled,  # type: ignore[arg-type]
            disabled_issuers=frozenset(providers) - frozenset(enabled),
            audiences=frozenset(audiences),
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and validate every variable; the error lists all that are missing."""
        env = os.environ if env is None else env
        missing = [name for name in REQUIRED if not env.get(name)]
        if not any(env.get(name) for name in ADMIN_TOKEN_SOURCES):
            missing.append(" or ".join(ADMIN_TOKEN_SOURCES))
        if missing:
            raise SettingsError("missing environment variables: " + ", ".join(missing))
        return cls(
            table_name=env[TABLE_NAME],
            channels_bucket=env[CHANNELS_BUCKET],
            staging_bucket=env[STAGING_BUCKET],
            reindex_queue_url=env[REINDEX_QUEUE_URL],
            public_url=env[PUBLIC_URL].rstrip("/"),
            admin_token_secret=env.get(ADMIN_TOKEN_SECRET) or None,
            admin_token=env.get(ADMIN_TOKEN) or None,
            max_package_bytes=_positive_int(env, MAX_PACKAGE_BYTES, DEFAULT_MAX_PACKAGE_BYTES),
            upload_url_ttl=_positive_int(env, UPLOAD_URL_TTL, DEFAULT_UPLOAD_URL_TTL),
            release_ttl=_release_ttl(env),
            s3_endpoint_url=env.get(S3_ENDPOINT_URL) or None,
            max_api_body_bytes=_positive_int(env, MAX_API_BODY_BYTES, DEFAULT_MAX_API_BODY_BYTES),
            edge_kvs_arn=env.get(EDGE_KVS_ARN) or None,
            distribution_id=env.get(DISTRIBUTION_ID) or None,
            github_issuer=env.get(OIDC_GITHUB_ISSUER) or GITHUB_ISSUER,
            gitlab_issuers=_csv(env.get(OIDC_GITLAB_ISSUERS)) or (GITLAB_ISSUER,),
            google_issuer=env.get(OIDC_GOOGLE_ISSUER) or GOOGLE_ISSUER,
            disabled_providers=_providers(env.get(OIDC_DISABLED)),
            legacy_audience=_flag(env, OIDC_LEGACY_AUDIENCE),
            reindex_quiet_ms=_count(env, REINDEX_QUIET_MS, DEFAULT_REINDEX_QUIET_MS),
            reindex_max_wait_ms=_count(env, REINDEX_MAX_WAIT_MS, DEFAULT_REINDEX_MAX_WAIT_MS),
            stage=env.get(STAGE) or "local",
            signin=_signin(env),
            sigstore_trusted_root=env.get(SIGSTORE_TRUSTED_ROOT) or None,
        )


def _signin(env: Mapping[str, str]) -> SessionConfig | None:
    issuer = env.get(SIGNIN_ISSUER) or ""  # compared with "iss" exactly, as given
    if not issuer:
        return None
    if urlparse(issuer).scheme not in ("https", "http"):
        raise SettingsError(f"{SIGNIN_ISSUER} must be an http(s) URL, got {issuer!r}")
    client_id = env.get(SIGNIN_CLIENT_ID) or ""
    audience = env.get(SIGNIN_AUDIENCE) or ""
    if not client_id:
        raise SettingsError(f"{SIGNIN_ISSUER} is set: {SIGNIN_CLIENT_ID} is required too")
    scopes = tuple((env.get(SIGNIN_SCOPES) or "openid email profile").split())
    return SessionConfig(
        issuer=issuer,
        client_id=client_id,
        audience=audience,
        scopes=scopes,
        cli_redirect_uri=env.get(SIGNIN_CLI_REDIRECT_URI) or "",
    )


def _release_ttl(env: Mapping[str, str]) -> int:
    # A release must commit while its members' staging objects exist (lifecycle rule).
    ttl = _positive_int(env, RELEASE_TTL, DEFAULT_RELEASE_TTL_SECONDS)
    if ttl > MAX_RELEASE_TTL_SECONDS:
        raise SettingsError(
            f"{RELEASE_TTL} must be at most {MAX_RELEASE_TTL_SECONDS} (the staging bucket "
            "keeps uploads a day)"
        )
    return ttl


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _count(env, name, default)
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {value}")
    return value


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number, zero allowed (zero switches a wait off)."""
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative, got {value}")
    return value


def _csv(raw: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (raw or "").split(",") if part.strip())


def _providers(raw: str | None) -> frozenset[str]:
    names = frozenset(_csv(raw))
    unknown = names - set(PROVIDERS)
    if unknown:
        raise SettingsError(f"{OIDC_DISABLED}: unknown providers {sorted(unknown)}")
    return names


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = (env.get(name) or "false").lower()
    if raw not in ("true", "false"):
        raise SettingsError(f"{name} must be 'true' or 'false', got {raw!r}")
    return raw == "true"
