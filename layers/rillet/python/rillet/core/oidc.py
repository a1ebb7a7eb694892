"""Trusted publishing: verify a CI provider's OIDC ID token and match it to publishers.

Everything here is pure: the signing key, the clock and the configuration
come in as arguments. The verification order follows the spec
(shared/spec/trusted-publishing.md): issuer pinned first, RS256 signature,
explicit claim checks, provider refusals, then publisher matching. Claim
checks are declared as data per provider, so a provider is a table entry.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import urlparse

import jwt

from rillet.core.errors import Conflict, Forbidden, InvalidRequest, RilletError, Unauthenticated

LEEWAY_SECONDS: Final = 30  # clock skew tolerated on exp / nbf / iat
REPLAY_MARGIN_SECONDS: Final = 300  # replay records outlive exp + leeway by this much
MINTED_TOKEN_TTL_SECONDS: Final = 15 * 60
MAX_TOKEN_BYTES: Final = 16 * 1024
ALGORITHMS: Final = ("RS256",)

# Reason codes returned to the caller (the failing check is only logged / audited).
INVALID_PAYLOAD: Final = "invalid-payload"
INVALID_TOKEN: Final = "invalid-token"  # noqa: S105 - a reason code
INVALID_PUBLISHER: Final = "invalid-publisher"
REUSED_TOKEN: Final = "reused-token"  # noqa: S105 - a reason code
NOT_ENABLED: Final = "not-enabled"


class OidcRefusal(RilletError):
    """A refused mint: ``code`` goes to the caller, ``check`` only to logs and owners."""

    check: str = ""


class InvalidPayload(OidcRefusal, InvalidRequest):
    code = INVALID_PAYLOAD


class InvalidToken(OidcRefusal, Unauthenticated):
    code = INVALID_TOKEN


class InvalidPublisher(OidcRefusal, Forbidden):
    code = INVALID_PUBLISHER


class ReusedToken(OidcRefusal, Conflict):
    code = REUSED_TOKEN


class NotEnabled(OidcRefusal, Forbidden):
    code = NOT_ENABLED


_REFUSALS: Final[dict[str, tuple[type[OidcRefusal], str]]] = {
    INVALID_PAYLOAD: (InvalidPayload, 'send a JSON body {"token": "<OIDC ID token>"}'),
    INVALID_TOKEN: (InvalidToken, "the OIDC token could not be verified"),
    INVALID_PUBLISHER: (InvalidPublisher, "no trusted publisher matches this token"),
    REUSED_TOKEN: (ReusedToken, "this OIDC token was already used"),
    NOT_ENABLED: (NotEnabled, "trusted publishing is not enabled for this provider"),
}


def refuse(code: str, check: str) -> OidcRefusal:
    """The caller sees only the generic message of ``code``; ``check`` names what failed."""
    kind, message = _REFUSALS[code]
    error = kind(message)
    error.check = check
    return error


# -- publishers ---------------------------------------------------------------------
Provider = Literal["github", "gitlab", "google"]
GITHUB_ISSUER: Final = "https://token.actions.githubusercontent.com"
GITLAB_ISSUER: Final = "https://gitlab.com"
GOOGLE_ISSUER: Final = "https://accounts.google.com"
# Issuers whose discovery document names a key set on another origin (Google's is
# served by www.googleapis.com); every other issuer's keys must come from its own origin.
JWKS_HOSTS: Final[Mapping[str, frozenset[str]]] = {GOOGLE_ISSUER: frozenset({"www.googleapis.com"})}


@dataclass(frozen=True)
class Publisher:
    """A channel's trusted publisher: a GitHub Actions workflow, a GitLab CI pipeline or a
    Google Cloud service account."""

    id: str
    channel: str
    provider: Provider
    issuer: str
    created_by: str = ""
    created_at: str = ""
    last_used_at: str = ""
    # GitHub
    owner: str = ""
    owner_id: str = ""
    repository: str = ""
    workflow: str = ""
    # GitLab
    namespace: str = ""
    project: str = ""
    config_path: str = ""
    namespace_id: str = ""
    project_id: str = ""
    # Google
    email: str = ""
    sub: str = ""
    # All
    environment: str = ""
    name_patterns: tuple[str, ...] = ()
    subdirs: tuple[str, ...] = ()

    @property
    def lookup(self) -> str:
        """The claim value that finds this publisher (repository / project path), lower-cased."""
        spec = PROVIDERS[self.provider]
        return spec.lookup_value(self).lower()

    def to_json(self) -> dict[str, Any]:
        fields = PROVIDERS[self.provider].fields
        out: dict[str, Any] = {
            "id": self.id,
            "channel": self.channel,
            "provider": self.provider,
            "issuer": self.issuer,
            **{f: getattr(self, f) for f in fields},
            "environment": self.environment or None,
            "name_patterns": list(self.name_patterns),
            "subdirs": list(self.subdirs),
            "created_by": self.created_by,
            "created_at": self.created_at,
            "last_used_at": self.last_used_at or None,
        }
        return out


# -- claim checks as data -----------------------------------------------------------
Match = Literal["exact", "casefold", "github_workflow_ref", "gitlab_config_ref", "true"]


@dataclass(frozen=True)
class ClaimCheck:
    name: str  # what failed, for owners' diagnostics
    claim: str
    expected: Callable[[Publisher], str]  # "" = not configured: the check is skipped
    match: Match


@dataclass(frozen=True)
class ProviderSpec:
    name: Provider
    fields: tuple[str, ...]  # publisher fields an owner configures
    required_fields: tuple[str, ...]
    required_claims: tuple[str, ...]
    lookup_claim: str
    lookup_value: Callable[[Publisher], str]
    checks: tuple[ClaimCheck, ...]
    refused_claims: tuple[tuple[str, str], ...] = ()  # (claim, value) never accepted
    audit_claims: tuple[str, ...] = ()
    # The claim naming a token once, for replay protection; None: the provider sends no
    # token id (Google), so the token's own hash stands in for it.
    replay_claim: str | None = "jti"
    has_environment: bool = True


def _host(issuer: str) -> str:
    return urlparse(issuer).netloc


PROVIDERS: Final[dict[str, ProviderSpec]] = {
    "github": ProviderSpec(
        name="github",
        fields=("owner", "owner_id", "repository", "workflow"),
        required_fields=("owner", "repository", "workflow"),
        required_claims=(
            "iss",
            "aud",
            "exp",
            "iat",
            "jti",
            "sub",
            "repository",
            "repository_owner",
            "repository_owner_id",
            "workflow_ref",
            "event_name",
        ),
        lookup_claim="repository",
        lookup_value=lambda p: f"{p.owner}/{p.repository}",
        checks=(
            ClaimCheck(
                "repository", "repository", lambda p: f"{p.owner}/{p.repository}", "casefold"
            ),
            ClaimCheck("owner", "repository_owner", lambda p: p.owner, "casefold"),
            ClaimCheck("owner-id", "repository_owner_id", lambda p: p.owner_id, "exact"),
            ClaimCheck(
                "workflow",
                "workflow_ref",
                lambda p: f"{p.owner}/{p.repository}/.github/workflows/{p.workflow}",
                "github_workflow_ref",
            ),
            ClaimCheck("environment", "environment", lambda p: p.environment, "casefold"),
        ),
        # pull_request_target runs base-branch workflows with fork input: never publish.
        refused_claims=(("event_name", "pull_request_target"),),
        audit_claims=("repository", "workflow_ref", "sha", "ref", "run_id", "sub", "environment"),
    ),
    "gitlab": ProviderSpec(
        name="gitlab",
        fields=("namespace", "project", "config_path", "namespace_id", "project_id"),
        required_fields=("namespace", "project", "config_path"),
        required_claims=(
            "iss",
            "aud",
            "exp",
            "iat",
            "jti",
            "sub",
            "project_path",
            "ci_config_ref_uri",
            "namespace_id",
            "project_id",
        ),
        lookup_claim="project_path",
        lookup_value=lambda p: f"{p.namespace}/{p.project}",
        checks=(
            ClaimCheck(
                "project", "project_path", lambda p: f"{p.namespace}/{p.project}", "casefold"
            ),
            ClaimCheck(
                "config-path",
                "ci_config_ref_uri",
                lambda p: f"{_host(p.issuer)}/{p.namespace}/{p.project}//{p.config_path}",
                "gitlab_config_ref",
            ),
            ClaimCheck("namespace-id", "namespace_id", lambda p: p.namespace_id, "exact"),
            ClaimCheck("project-id", "project_id", lambda p: p.project_id, "exact"),
            ClaimCheck("environment", "environment", lambda p: p.environment, "casefold"),
        ),
        audit_claims=(
            "project_path",
            "ci_config_ref_uri",
            "sha",
            "ref",
            "pipeline_id",
            "sub",
            "environment",
        ),
    ),
    # Google Cloud: the ID token of a service account (metadata server, Cloud Build,
    # `gcloud auth print-identity-token --audiences=...`). No jti, no environment.
    "google": ProviderSpec(
        name="google",
        fields=("email", "sub"),
        required_fields=("email",),
        required_claims=("iss", "aud", "exp", "iat", "sub", "email", "email_verified"),
        lookup_claim="email",
        lookup_value=lambda p: p.email,
        checks=(
            ClaimCheck("email", "email", lambda p: p.email, "casefold"),
            # An unverified address proves nothing about who holds the account.
            ClaimCheck("email-verified", "email_verified", lambda p: "true", "true"),
            # The account's unique id: pins it across deletion and re-creation of the
            # same email address.
            ClaimCheck("sub", "sub", lambda p: p.sub, "exact"),
        ),
        audit_claims=("email", "sub", "azp"),
        replay_claim=None,
        has_environment=False,
    ),
}


def _matches(check: ClaimCheck, expected: str, actual: str) -> bool:
    if check.match == "exact":
        return actual == expected
    if check.match == "casefold":
        return actual.casefold() == expected.casefold()
    if check.match == "github_workflow_ref":
        # "<owner>/<repo>/.github/workflows/<file>@<ref>": the ref may contain '@',
        # so compare the prefix; the repository part is case-insensitive, the file not.
        repo, sep, file = expected.partition("/.github/workflows/")
        head, sep2, rest = actual.partition("/.github/workflows/")
        return (
            bool(sep and sep2)
            and head.casefold() == repo.casefold()
            and rest.startswith(file + "@")
        )
    # gitlab_config_ref: "<host>/<group>/<project>//<config path>@<ref>"
    project, sep, config = expected.partition("//")
    head, sep2, rest = actual.partition("//")
    return (
        bool(sep and sep2)
        and head.casefold() == project.casefold()
        and rest.startswith(config + "@")
    )


def failed_check(spec: ProviderSpec, publisher: Publisher, claims: Mapping[str, Any]) -> str | None:
    """The first check this publisher's configuration fails for these claims, or None."""
    if publisher.provider != spec.name:
        return "provider"
    if any(not getattr(publisher, f) for f in spec.required_fields):
        return "configuration"  # never stored so; an empty field must not match everything
    for check in spec.checks:
        if check.match == "true":
            # JSON true; the string form too, as some token endpoints write it.
            actual = claims.get(check.claim)
            if actual is not True and actual != "true":
                return check.name
            continue
        expected = check.expected(publisher)
        if check.name == "environment" and not publisher.environment:
            continue  # no environment configured: any (or none) is fine
        if not expected or (
            check.match == "exact" and not getattr(publisher, check.name.replace("-", "_"), "x")
        ):
            continue
        actual = claims.get(check.claim)
        if actual is None or not _matches(check, expected, str(actual)):
            return check.name
    return None


# -- the token ----------------------------------------------------------------------
@dataclass(frozen=True)
class OidcConfig:
    """The operator's switches: which issuers per provider, which audiences."""

    issuers: Mapping[str, Provider]  # issuer URL -> provider (enabled ones only)
    disabled_issuers: frozenset[str] = frozenset()  # known issuers switched off
    audiences: frozenset[str] = frozenset()


def unverified_issuer(token: str, config: OidcConfig) -> tuple[str, Provider, str]:
    """Step 1: pick the issuer from the unverified token; return (issuer, provider, kid)."""
    if not token or len(token) > MAX_TOKEN_BYTES:
        raise refuse(INVALID_PAYLOAD, "token-size")
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise refuse(INVALID_TOKEN, "malformed") from None
    issuer = claims.get("iss")
    if not isinstance(issuer, str):
        raise refuse(INVALID_TOKEN, "issuer")
    if issuer in config.disabled_issuers:
        raise refuse(NOT_ENABLED, "provider-disabled")
    provider = config.issuers.get(issuer)
    if provider is None:
        raise refuse(INVALID_TOKEN, "issuer")
    if header.get("alg") not in ALGORITHMS:
        raise refuse(INVALID_TOKEN, "algorithm")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise refuse(INVALID_TOKEN, "kid")
    return issuer, provider, kid


def verify_token(
    token: str, *, key: Any, issuer: str, provider: Provider, config: OidcConfig, now: int
) -> dict[str, Any]:
    """Steps 2-4: signature (RS256 only), then every claim check spelled out with ``now``."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=list(ALGORITHMS),
            # Time, audience and issuer are checked below against the given clock and
            # configuration, so nothing depends on the library's defaults.
            options={
                "verify_signature": True,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_iss": False,
            },
        )
    except jwt.PyJWTError:
        raise refuse(INVALID_TOKEN, "signature") from None
    spec = PROVIDERS[provider]
    missing = [c for c in spec.required_claims if claims.get(c) in (None, "")]
    if missing:
        raise refuse(INVALID_TOKEN, "missing-claim:" + ",".join(missing))
    if claims["iss"] != issuer:
        raise refuse(INVALID_TOKEN, "issuer")
    aud = claims["aud"]
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    # Strict: exactly one audience, and it must be ours.
    if len(audiences) != 1 or audiences[0] not in config.audiences:
        raise refuse(INVALID_TOKEN, "audience")
    for name in ("exp", "iat"):
        if not isinstance(claims[name], int) or isinstance(claims[name], bool):
            raise refuse(INVALID_TOKEN, name)
    if claims["exp"] + LEEWAY_SECONDS <= now:
        raise refuse(INVALID_TOKEN, "expired")
    if claims["iat"] - LEEWAY_SECONDS > now:
        raise refuse(INVALID_TOKEN, "issued-in-future")
    nbf = claims.get("nbf")
    if nbf is not None and (not isinstance(nbf, int) or nbf - LEEWAY_SECONDS > now):
        raise refuse(INVALID_TOKEN, "not-yet-valid")
    for claim, value in spec.refused_claims:
        if claims.get(claim) == value:
            raise refuse(INVALID_PUBLISHER, f"refused-{claim}:{value}")
    return claims


@dataclass(frozen=True)
class MatchResult:
    matched: tuple[Publisher, ...]
    refusals: tuple[tuple[Publisher, str], ...] = field(default_factory=tuple)  # (nearest, check)


def match_publishers(
    provider: Provider, candidates: Iterable[Publisher], claims: Mapping[str, Any]
) -> MatchResult:
    """Step 5: the publishers whose every check passes; the others with their failed check."""
    spec = PROVIDERS[provider]
    matched, refusals = [], []
    for publisher in candidates:
        failed = failed_check(spec, publisher, claims)
        if failed is None:
            matched.append(publisher)
        else:
            refusals.append((publisher, failed))
    return MatchResult(tuple(matched), tuple(refusals))


def replay_id(provider: Provider, claims: Mapping[str, Any], token: str) -> str:
    """What names this token once: its ``jti``, or (for providers without one) the
    SHA-256 of the token itself (a signed token with its ``iat`` is never re-issued
    byte for byte)."""
    claim = PROVIDERS[provider].replay_claim
    if claim is not None:
        return str(claims[claim])
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def replay_expiry(claims: Mapping[str, Any]) -> int:
    """How long the (iss, jti) record must live: past the last moment the token is accepted."""
    return int(claims["exp"]) + LEEWAY_SECONDS + REPLAY_MARGIN_SECONDS


def publisher_summary(publisher: Publisher) -> dict[str, str]:
    """Who a publish came from, for audit entries: id, provider, repository/project, workflow."""
    where: dict[str, str]
    if publisher.provider == "github":
        where = {
            "repository": f"{publisher.owner}/{publisher.repository}",
            "workflow": publisher.workflow,
        }
    elif publisher.provider == "google":
        where = {"email": publisher.email}
        if publisher.sub:
            where["sub"] = publisher.sub
    else:
        where = {
            "project": f"{publisher.namespace}/{publisher.project}",
            "config_path": publisher.config_path,
        }
    out = {"id": publisher.id, "provider": publisher.provider, **where}
    if publisher.environment:
        out["environment"] = publisher.environment
    return out


def publish_limits(matched: Iterable[Publisher]) -> dict[str, list[Mapping[str, Any]]]:
    """Per channel, the name/subdir limits of each matching publisher (any one may allow)."""
    limits: dict[str, list[Mapping[str, Any]]] = {}
    for p in matched:
        limits.setdefault(p.channel, []).append(
            {
                "publisher": publisher_summary(p),
                "name_patterns": list(p.name_patterns),
                "subdirs": list(p.subdirs),
            }
        )
    return limits


def live_limits(
    stored: Mapping[str, Iterable[Mapping[str, Any]]] | None,
    lookup: Callable[[str, str], Publisher | None],
) -> dict[str, list[Mapping[str, Any]]]:
    """A minted token's limits re-read from the publishers that still exist.

    A publisher removed since the mint (or its channel deleted) grants nothing from
    that moment; a rule that names no publisher cannot be checked and grants nothing.
    """
    alive = []
    for channel, rules in (stored or {}).items():
        for rule in rules:
            named = rule.get("publisher")
            publisher_id = named.get("id") if isinstance(named, Mapping) else None
            found = lookup(channel, publisher_id) if isinstance(publisher_id, str) else None
            if found is not None and found.channel == channel:
                alive.append(found)
    return publish_limits(alive)


_FIELD_RE: Final = re.compile(r"^[A-Za-z0-9_.\-/ ]{1,200}$")
_ID_RE: Final = re.compile(r"^[0-9]{1,20}$")
_EMAIL_RE: Final = re.compile(r"^[a-z0-9][a-z0-9._%+\-]{0,63}@[a-z0-9\-]+(\.[a-z0-9\-]+)+$")
_SUB_RE: Final = re.compile(r"^[A-Za-z0-9]{1,255}$")  # Google: the account's numeric id


def parse_publisher(  # noqa: PLR0913 - to be grouped with the Google issuer (wt-release)
    body: Mapping[str, Any],
    *,
    channel: str,
    publisher_id: str,
    created_by: str,
    created_at: str,
    gitlab_issuers: Iterable[str],
    github_issuer: str,
    google_issuer: str = GOOGLE_ISSUER,
) -> Publisher:
    """Validate an owner's publisher configuration. Raises InvalidRequest."""
    provider = body.get("provider")
    if provider not in tuple(PROVIDERS):  # a tuple: unhashable JSON values compare too
        raise InvalidRequest("provider must be 'github', 'gitlab' or 'google'")
    spec = PROVIDERS[str(provider)]
    if not spec.has_environment and body.get("environment") not in (None, ""):
        raise InvalidRequest(f"{provider} publishers have no 'environment'")
    values: dict[str, str] = {}
    for name in (*spec.fields, *(("environment",) if spec.has_environment else ())):
        value = body.get(name, "")
        if value in (None, ""):
            value = ""
        elif (
            isinstance(value, int) and not isinstance(value, bool) and name.endswith(("_id", "sub"))
        ):
            value = str(value)
        if name == "email" and isinstance(value, str):
            value = value.strip().lower()  # Google writes the claim in lower case
            if value and not _EMAIL_RE.fullmatch(value):
                raise InvalidRequest("'email' must be an email address")
        elif name == "sub" and isinstance(value, str):
            if value and not _SUB_RE.fullmatch(value):
                raise InvalidRequest("'sub' must be the account's unique id (letters, digits)")
        elif not isinstance(value, str) or (value and not _FIELD_RE.fullmatch(value)):
            raise InvalidRequest(f"'{name}' must be a short string")
        if name.endswith("_id") and value and not _ID_RE.fullmatch(value):
            raise InvalidRequest(f"'{name}' must be numeric")
        values[name] = value.strip()
    missing = [f for f in spec.required_fields if not values[f]]
    if missing:
        raise InvalidRequest(f"missing publisher fields: {', '.join(missing)}")
    if provider == "github" and "/" in values["repository"]:
        raise InvalidRequest("'repository' is the repository name without the owner")
    if provider == "github" and (
        "/" in values["workflow"] or not values["workflow"].endswith((".yml", ".yaml"))
    ):
        raise InvalidRequest("'workflow' is the workflow file name, e.g. release.yml")
    allowed_gitlab = list(gitlab_issuers)
    default = {
        "github": github_issuer,
        "google": google_issuer,
        "gitlab": allowed_gitlab[0] if allowed_gitlab else GITLAB_ISSUER,
    }
    issuer = str(body.get("issuer") or default[str(provider)])
    if provider == "github" and issuer != github_issuer:
        raise InvalidRequest("GitHub publishers use GitHub's issuer")
    if provider == "google" and issuer != google_issuer:
        raise InvalidRequest("Google publishers use Google's issuer")
    if provider == "gitlab" and issuer not in allowed_gitlab:
        raise InvalidRequest("this GitLab issuer is not enabled by the operator")
    patterns = _string_list(body.get("name_patterns"), "name_patterns")
    subdirs = _string_list(body.get("subdirs"), "subdirs")
    return Publisher(
        id=publisher_id,
        channel=channel,
        provider=provider,
        issuer=issuer,
        created_by=created_by,
        created_at=created_at,
        name_patterns=tuple(patterns),
        subdirs=tuple(subdirs),
        **values,
    )


def _string_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if (
        not isinstance(value, list)
        or len(value) > 50
        or not all(isinstance(v, str) and 0 < len(v) <= 100 for v in value)
    ):
        raise InvalidRequest(f"'{name}' must be a list of at most 50 short strings")
    return list(value)
