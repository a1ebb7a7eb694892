"""Trusted publishing from CI: get the job's OIDC ID token, exchange it for an upload token.

Detection and the audience follow rattler's upload client (ambient-id and
``TrustedPublishingOptions::for_server``), so one CI configuration serves both
``rattler-build upload prefix`` and ``rillet upload``:

- GitHub Actions: ``GITHUB_ACTIONS=true``; ``GET $ACTIONS_ID_TOKEN_REQUEST_URL`` with
  ``audience=<aud>`` appended to its query, ``Authorization: Bearer
  $ACTIONS_ID_TOKEN_REQUEST_TOKEN``; the token is the JSON field ``value``.
- GitLab CI: ``GITLAB_CI=true``; the token is in ``<AUD>_ID_TOKEN`` (the audience
  upper-cased, every non-alphanumeric turned into ``_``), declared under ``id_tokens:``.
- Anywhere else (Google Cloud: the metadata server or ``gcloud auth
  print-identity-token --audiences=<aud>``): the ID token given in ``RILLET_ID_TOKEN``.
- The audience is the server's host name (lower-case, no port), ``prefix.dev`` for
  ``prefix.dev`` and its sub-domains. The triggers must be exactly ``true``.

The mint is ``POST /api/oidc/mint_token`` with ``{"token": ...}``; the answer's whole
body is the upload token (text, not JSON).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import urlparse

import httpx

from rillet.cli.client import USER_AGENT, CliError, transport_error

Ci = Literal["given", "github", "gitlab"]
ID_TOKEN_VAR: Final = "RILLET_ID_TOKEN"  # noqa: S105 - the name of a variable

MINT_PATH: Final = "/api/oidc/mint_token"
LEGACY_AUDIENCE: Final = "prefix.dev"
TIMEOUT: Final = 30.0
MAX_TOKEN_BYTES: Final = 16 * 1024  # the server refuses larger ID tokens anyway
LOOPBACK_NAMES: Final = frozenset({"localhost"})


@dataclass(frozen=True)
class Minted:
    token: str  # never printed
    ci: Ci
    audience: str

    @property
    def source(self) -> str:
        return ID_TOKEN_VAR if self.ci == "given" else self.ci


def detect_ci(env: Mapping[str, str] = os.environ) -> Ci | None:
    """An ID token given in RILLET_ID_TOKEN, else the CI whose trigger variable is
    exactly ``true`` (GitHub first, as rattler does)."""
    if (env.get(ID_TOKEN_VAR) or "").strip():
        return "given"
    if env.get("GITHUB_ACTIONS") == "true":
        return "github"
    if env.get("GITLAB_CI") == "true":
        return "gitlab"
    return None


def audience_for(url: str) -> str:
    """The ``aud`` to request for this server: its host name, or ``prefix.dev``."""
    host = (urlparse(url).hostname or "").rstrip(".").lower()
    if not host:
        raise CliError("invalid-url", f"no host in {url!r}")
    try:
        host = host.encode("idna").decode("ascii")  # rattler sends IDN hosts as punycode
    except UnicodeError:
        raise CliError("invalid-url", f"cannot encode the host of {url!r}") from None
    if host == LEGACY_AUDIENCE or host.endswith("." + LEGACY_AUDIENCE):
        return LEGACY_AUDIENCE
    return host


def gitlab_variable(audience: str) -> str:
    """``conda.example.com`` -> ``CONDA_EXAMPLE_COM_ID_TOKEN`` (ambient-id's rule)."""
    name = "".join(c if c.isascii() and c.isalnum() else "_" for c in audience.upper())
    return f"{name}_ID_TOKEN"


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_safe_url(url: str) -> None:
    """The ID token is a live credential: send it over HTTPS only (loopback excepted,
    for a local stack). Raises CliError."""
    parsed = urlparse(url)
    if parsed.scheme != "https" and not _is_loopback(parsed.hostname or ""):
        raise CliError(
            "insecure-url",
            f"trusted publishing sends the CI's ID token to {parsed.scheme}://{parsed.netloc}; "
            "use an https:// URL",
        )


def _with_audience(request_url: str, audience: str) -> str:
    # Appended to the query GitHub gives (it already carries api-version), as rattler does.
    query = httpx.QueryParams({"audience": audience})
    separator = "&" if urlparse(request_url).query else ("" if request_url.endswith("?") else "?")
    return f"{request_url}{separator}{query}"


def github_id_token(env: Mapping[str, str], audience: str, http: httpx.Client) -> str:
    request_url = env.get("ACTIONS_ID_TOKEN_REQUEST_URL")
    request_token = env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    if not request_url or not request_token:
        raise CliError(
            "oidc-unavailable",
            "GitHub Actions gave this job no ID token request URL: "
            "the workflow needs `permissions: id-token: write`",
        )
    url = _with_audience(request_url, audience)
    try:
        response = http.get(url, headers={"Authorization": f"Bearer {request_token}"})
    except httpx.HTTPError as exc:
        raise transport_error(request_url.split("?", 1)[0], exc) from None
    if not response.is_success:
        raise CliError(
            "oidc-unavailable",
            f"GitHub's ID token endpoint answered {response.status_code}",
            status=response.status_code,
        )
    try:
        value = response.json().get("value")
    except (ValueError, AttributeError):
        value = None
    if not isinstance(value, str) or not value:
        raise CliError("oidc-unavailable", "GitHub's ID token endpoint sent no token")
    return value


def gitlab_id_token(env: Mapping[str, str], audience: str) -> str:
    name = gitlab_variable(audience)
    value = (env.get(name) or "").strip()
    if not value:
        raise CliError(
            "oidc-unavailable",
            f"GitLab CI: no ID token in ${name}; declare it in the job: "
            f"`id_tokens: {{{name}: {{aud: {audience}}}}}`",
        )
    return value


def mint_error(response: httpx.Response) -> CliError:
    """The mint endpoint answers ``reason-code: message`` in plain text."""
    text = response.text.strip()
    code, sep, message = text.partition(": ")
    if sep and code and " " not in code and len(code) <= 40:
        return CliError(code, f"trusted publishing refused: {message}", status=response.status_code)
    detail = text.splitlines()[0][:300] if text else response.reason_phrase
    return CliError(
        f"http-{response.status_code}",
        f"trusted publishing refused: {detail}",
        status=response.status_code,
    )


def mint(
    url: str,
    env: Mapping[str, str] = os.environ,
    *,
    transport: httpx.BaseTransport | None = None,
) -> Minted:
    """Detect the CI, get its ID token for this server and exchange it. Raises CliError."""
    ci = detect_ci(env)
    if ci is None:
        raise CliError(
            "no-ci-detected",
            "trusted publishing needs GitHub Actions (GITHUB_ACTIONS=true), GitLab CI "
            f"(GITLAB_CI=true) or an ID token in {ID_TOKEN_VAR}; "
            "elsewhere log in or set RILLET_TOKEN",
        )
    require_safe_url(url)
    audience = audience_for(url)
    with httpx.Client(
        headers={"User-Agent": USER_AGENT},
        timeout=TIMEOUT,
        follow_redirects=False,  # a redirect would carry the ID token elsewhere
        transport=transport,
    ) as http:
        if ci == "given":
            id_token = env[ID_TOKEN_VAR].strip()
        elif ci == "github":
            id_token = github_id_token(env, audience, http)
        else:
            id_token = gitlab_id_token(env, audience)
        if len(id_token) > MAX_TOKEN_BYTES:
            raise CliError("oidc-unavailable", "the CI's ID token is implausibly large")
        # The mint lives with the rest of the API, under the URL's path.
        mint_url = url.rstrip("/") + MINT_PATH
        try:
            response = http.post(mint_url, json={"token": id_token})
        except httpx.HTTPError as exc:
            raise transport_error(mint_url, exc) from None
    if not response.is_success:
        raise mint_error(response)
    token = response.text
    if not token or token != token.strip() or len(token) > 4096:
        raise CliError("bad-response", f"{MINT_PATH} did not answer with a token")
    return Minted(token=token, ci=ci, audience=audience)
