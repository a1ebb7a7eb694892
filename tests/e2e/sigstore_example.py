"""The real attested package of tests/fixtures/sigstore/ and the CI run that signed it.

Shared by tests/e2e/test_attestations.py and the browser tests (tests/web/): a trusted
publisher for prefix-dev/sigstore-example, the local GitHub issuer minting tokens with
that run's claims, and py-rattler-build uploading the package with its real bundle.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rillet.runtime.settings import OIDC_GITHUB_ISSUER
from tests.e2e.clients import upload_with_client
from tests.e2e.conftest import cold_start_with
from tests.oidc_issuer import REQUEST_TOKEN, LocalIssuer, github_claims

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sigstore"
PACKAGE = FIXTURES / "signed-package-2.1.0-hb0f4dca_0.conda"
BUNDLE = FIXTURES / "conda-attestation.sigstore.json"
CHANNEL = "sigstore-example"  # the bundle's targetChannel names it
SUBDIR = "linux-64"  # the real package's
COMMIT = "193b5bd7d3985809503963ae400594ea16df31cf"
REPOSITORY = "prefix-dev/sigstore-example"
WORKFLOW = ".github/workflows/action.yaml"
IDENTITY = f"https://github.com/{REPOSITORY}/{WORKFLOW}@refs/heads/main"
LOG_INDEX = 456119071  # the bundle's Rekor entry
RUN = f"https://github.com/{REPOSITORY}/actions/runs/17377272645/attempts/1"


def publisher(repository: str = "sigstore-example") -> dict[str, str]:
    """The trusted publisher (POST /channels/<c>/publishers) the signing run matches."""
    return {
        "provider": "github",
        "owner": "prefix-dev",
        "owner_id": "111356225",
        "repository": repository,
        "workflow": "action.yaml",
    }


def signing_run(**extra: Any) -> dict[str, Any]:
    """The claims of the GitHub Actions run that signed the bundle."""
    return github_claims(
        owner="prefix-dev",
        repo="sigstore-example",
        workflow="action.yaml",
        owner_id="111356225",
        **{"sha": COMMIT, **extra},
    )


@contextmanager
def github_issuer() -> Iterator[LocalIssuer]:
    """A local issuer the stack's functions trust as GitHub Actions' while inside."""
    issuer = LocalIssuer()
    try:
        with cold_start_with({OIDC_GITHUB_ISSUER: issuer.url}):
            yield issuer
    finally:
        issuer.stop()


def ci_upload(
    github: LocalIssuer,
    url: str,
    tmp_path: Path,
    files: list[Path],
    bundle: Path,
    channel: str = CHANNEL,
    **claims: Any,
) -> tuple[bool, str]:
    """py-rattler-build in a GitHub Actions job of the signing run (``claims`` changed):
    trusted publishing, no stored credentials, the bundle as ``attestation_file``."""
    github.claims = signing_run(**claims)
    empty = tmp_path / "auth.json"
    empty.write_text("{}")
    result = upload_with_client(
        files,
        url,
        channel,
        env={
            "GITHUB_ACTIONS": "true",
            "ACTIONS_ID_TOKEN_REQUEST_URL": github.token_request_url,
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
        },
        auth_file=empty,
        attestation_file=bundle,
    )
    return result.ok, result.error
