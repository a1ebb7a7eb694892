"""Trusted publishing past the API's body limit: `rillet upload` in a 'CI job' mints a
token from the local OIDC issuer's ID token and sends the file through a presigned URL,
where unmodified `rattler-build upload prefix` (one POST through Lambda) is refused 413."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner, Result

from rillet.cli.main import app
from rillet.runtime.settings import OIDC_GITHUB_ISSUER, OIDC_GITLAB_ISSUERS, OIDC_GOOGLE_ISSUER
from tests.e2e.clients import upload_with_client
from tests.e2e.conftest import Api, cold_start_with
from tests.e2e.rattler_client import solve_and_install
from tests.oidc_issuer import (
    REQUEST_TOKEN,
    LocalIssuer,
    github_claims,
    gitlab_claims,
    google_claims,
)
from tests.packages import build_package

pytestmark = pytest.mark.e2e

CHANNEL = "tp-big"
AUD = "127.0.0.1"  # the local stack's host: what rattler and rillet request
SERVICE_ACCOUNT = "release@my-project.iam.gserviceaccount.com"
SERVICE_ACCOUNT_ID = "117820335960485764321"
CI_VARS = ("GITHUB_ACTIONS", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")


@pytest.fixture(scope="module")
def issuers(api: Api) -> Iterator[dict[str, LocalIssuer]]:
    found = {"github": LocalIssuer(), "gitlab": LocalIssuer(), "google": LocalIssuer()}
    names = {
        OIDC_GITHUB_ISSUER: "github",
        OIDC_GITLAB_ISSUERS: "gitlab",
        OIDC_GOOGLE_ISSUER: "google",
    }
    with cold_start_with({variable: found[p].url for variable, p in names.items()}):
        yield found
    for issuer in found.values():
        issuer.stop()


@pytest.fixture(scope="module")
def owner(api: Api, issuers: dict[str, LocalIssuer]) -> str:
    token = api.create_user("tp-big-owner")
    api.create_channel(CHANNEL, token=token)
    for body in (
        {"provider": "github", "owner": "octo-org", "owner_id": "4242"}
        | {"repository": "widgets", "workflow": "release.yml"},
        {"provider": "gitlab", "namespace": "grp", "project": "proj"}
        | {"config_path": ".gitlab-ci.yml", "issuer": issuers["gitlab"].url},
        # Google: the operator's issuer is the default (here the local one).
        {"provider": "google", "email": SERVICE_ACCOUNT, "sub": SERVICE_ACCOUNT_ID},
    ):
        r = api.call("POST", f"/api/v1/channels/{CHANNEL}/publishers", body, token)
        assert r.status_code == 201, r.text
    return token


def big_package(out: Path, name: str, size: int) -> Path:
    """A real package whose .conda is larger than ``size``: incompressible text inside."""
    noise = base64.b64encode(random.Random(name).randbytes(size)).decode()
    return build_package(out, name, "1.0", files={f"share/{name}/blob.txt": noise})


def api_body_limit(api: Api) -> int:
    return int(
        requests.get(f"{api.stack.url}/api/v1/config", timeout=30).json()["max_api_body_bytes"]
    )


def rillet_upload(api: Api, tmp_path: Path, env: dict[str, str], *args: str) -> Result:
    clean: dict[str, str | None] = {
        "XDG_CONFIG_HOME": str(tmp_path / "no-config"),  # no stored login
        "RILLET_URL": None,
        "RILLET_TOKEN": None,
        "GITLAB_CI": None,
        "RILLET_ID_TOKEN": None,
        **dict.fromkeys(CI_VARS),
    }
    return CliRunner().invoke(
        app,
        ["upload", "--url", api.stack.url, "-c", CHANNEL, "--json", *args],
        env={**clean, **env},
        catch_exceptions=False,
    )


def audit(api: Api, owner: str) -> list[dict[str, Any]]:
    r = api.call("GET", f"/api/v1/channels/{CHANNEL}/audit?limit=1000", token=owner)
    assert r.status_code == 200, r.text
    return list(r.json()["events"])


def test_github_job_uploads_a_package_past_the_api_body_limit(
    api: Api, issuers: dict[str, LocalIssuer], owner: str, pkg_dir: Path, tmp_path: Path
) -> None:
    github = issuers["github"]
    github.claims = github_claims()
    limit = api_body_limit(api)
    big = big_package(pkg_dir / "tp-big", "tpbig", limit)
    assert big.stat().st_size > limit
    env = {
        "GITHUB_ACTIONS": "true",
        "ACTIONS_ID_TOKEN_REQUEST_URL": github.token_request_url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
    }

    # The prefix endpoint, one POST through Lambda: refused, nothing stored.
    empty = tmp_path / "auth.json"
    empty.write_text("{}")
    prefix = upload_with_client([big], api.stack.url, CHANNEL, env=env, auth_file=empty)
    assert not prefix.ok and "413" in prefix.error, prefix.error

    result = rillet_upload(api, tmp_path, env, str(big))
    assert result.exit_code == 0, result.output
    (outcome,) = json.loads(result.stdout)["files"]
    assert outcome["status"] == "published" and outcome["size"] == big.stat().st_size
    assert "trusted publishing: github ID token (audience 127.0.0.1)" in result.stderr
    api.stack.wait_idle()
    assert solve_and_install(f"{api.stack.url}/{CHANNEL}", ["tpbig"], tmp_path / "i") == ["tpbig"]

    events = audit(api, owner)
    upload = next(
        e
        for e in events
        if e["action"] == "package.upload" and e["details"]["filename"] == big.name
    )
    assert upload["details"]["via"] == "presigned"
    assert upload["details"]["publisher"]["repository"] == "octo-org/widgets"
    minted = [e for e in events if e["action"] == "trusted-publishing.mint"]
    # Two ID tokens were exchanged: the refused prefix upload's and rillet's.
    assert len(minted) == 2 and all(e["details"]["sha"] == github.claims["sha"] for e in minted)


def test_gitlab_job_uploads_through_presigned_urls(
    api: Api, issuers: dict[str, LocalIssuer], owner: str, pkg_dir: Path, tmp_path: Path
) -> None:
    gitlab = issuers["gitlab"]
    host = gitlab.url.split("://", 1)[1]
    pkg = big_package(pkg_dir / "tp-big-gl", "tpbiggl", api_body_limit(api))
    env = {
        "GITLAB_CI": "true",
        "127_0_0_1_ID_TOKEN": gitlab.sign({"aud": AUD, **gitlab_claims(host)}),
    }
    result = rillet_upload(api, tmp_path, env, str(pkg))
    assert result.exit_code == 0, result.output
    api.stack.wait_idle()
    assert solve_and_install(f"{api.stack.url}/{CHANNEL}", ["tpbiggl"], tmp_path / "i") == [
        "tpbiggl"
    ]
    upload = next(e for e in audit(api, owner) if e["details"].get("filename") == pkg.name)
    assert upload["details"]["publisher"]["project"] == "grp/proj"


def test_a_job_no_publisher_trusts_uploads_nothing(
    api: Api, issuers: dict[str, LocalIssuer], owner: str, pkg_dir: Path, tmp_path: Path
) -> None:
    github = issuers["github"]
    github.claims = github_claims(repo="not-configured")
    pkg = build_package(pkg_dir / "tp-big-no", "tpbignever", "1.0")
    env = {
        "GITHUB_ACTIONS": "true",
        "ACTIONS_ID_TOKEN_REQUEST_URL": github.token_request_url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
    }
    result = rillet_upload(api, tmp_path, env, str(pkg))
    assert result.exit_code == 1
    assert "error: invalid-publisher:" in result.stderr
    r = api.call("GET", f"/api/v1/channels/{CHANNEL}/packages?name=tpbignever", token=owner)
    assert r.json()["packages"] == []


# -- Google Cloud service accounts ---------------------------------------------------------
def mint(api: Api, token: str) -> requests.Response:
    return requests.post(f"{api.stack.url}/api/oidc/mint_token", json={"token": token}, timeout=30)


def test_google_service_account_mints_and_publishes(
    api: Api, issuers: dict[str, LocalIssuer], owner: str, pkg_dir: Path, tmp_path: Path
) -> None:
    google = issuers["google"]
    id_token = google.sign({"aud": AUD, "jti": None, **google_claims()})  # Google sends no jti
    minted = mint(api, id_token)
    assert minted.status_code == 200, minted.text
    assert minted.text.startswith("rillet-tp-")
    # The same ID token again: a replay, though it has no jti.
    again = mint(api, id_token)
    assert (again.status_code, again.text.split(":")[0]) == (409, "reused-token")

    pkg = build_package(pkg_dir / "tp-google", "tpgoogle", "1.0")
    ticket = api.presigned_upload(CHANNEL, pkg, token=minted.text)
    assert api.wait_final(CHANNEL, ticket["id"], token=minted.text)["status"] == "published"
    api.stack.wait_idle()
    assert solve_and_install(f"{api.stack.url}/{CHANNEL}", ["tpgoogle"], tmp_path / "i") == [
        "tpgoogle"
    ]
    events = audit(api, owner)
    mint_event = next(
        e
        for e in events
        if e["action"] == "trusted-publishing.mint" and e["actor"] == f"google:{SERVICE_ACCOUNT}"
    )
    assert mint_event["details"]["email"] == SERVICE_ACCOUNT
    assert mint_event["details"]["sub"] == SERVICE_ACCOUNT_ID
    upload = next(e for e in events if e["details"].get("filename") == pkg.name)
    assert upload["details"]["publisher"] == {
        "id": mint_event["details"]["publisher"],
        "provider": "google",
        "email": SERVICE_ACCOUNT,
        "sub": SERVICE_ACCOUNT_ID,
    }
    refused = next(e for e in events if e["action"] == "trusted-publishing.refused")
    assert refused["details"]["check"] == "replayed-jti"


def test_rillet_upload_with_a_google_id_token(
    api: Api, issuers: dict[str, LocalIssuer], owner: str, pkg_dir: Path, tmp_path: Path
) -> None:
    # What `gcloud auth print-identity-token --audiences=127.0.0.1` gives in Cloud Build.
    id_token = issuers["google"].sign({"aud": AUD, "jti": None, **google_claims()})
    pkg = big_package(pkg_dir / "tp-google-big", "tpgooglebig", api_body_limit(api))
    result = rillet_upload(api, tmp_path, {"RILLET_ID_TOKEN": id_token}, str(pkg))
    assert result.exit_code == 0, result.output
    assert "trusted publishing: RILLET_ID_TOKEN ID token (audience 127.0.0.1)" in result.stderr
    api.stack.wait_idle()
    upload = next(e for e in audit(api, owner) if e["details"].get("filename") == pkg.name)
    assert upload["details"]["publisher"]["email"] == SERVICE_ACCOUNT


@pytest.mark.parametrize(
    ("claims", "status", "code", "check"),
    [
        (google_claims(email_verified=False), 403, "invalid-publisher", "email-verified"),
        (google_claims(sub="100000000000000000001"), 403, "invalid-publisher", "sub"),
        (
            google_claims(email="other@my-project.iam.gserviceaccount.com"),
            403,
            "invalid-publisher",
            None,
        ),
        (google_claims(email_verified=None), 401, "invalid-token", None),
    ],
)
def test_google_tokens_that_do_not_match_mint_nothing(
    api: Api,
    issuers: dict[str, LocalIssuer],
    owner: str,
    claims: dict[str, Any],
    status: int,
    code: str,
    check: str | None,
) -> None:
    before = len(audit(api, owner))
    r = mint(api, issuers["google"].sign({"aud": AUD, "jti": None, **claims}))
    assert (r.status_code, r.text.split(":")[0]) == (status, code)
    events = audit(api, owner)
    new = events[: len(events) - before]  # newest first
    assert not any(e["action"] == "trusted-publishing.mint" for e in new)
    if check:  # the owner sees which check failed for their publisher
        assert new[0]["action"] == "trusted-publishing.refused"
        assert new[0]["details"]["check"] == check


def test_a_google_token_from_another_issuer_is_invalid(
    api: Api, issuers: dict[str, LocalIssuer], owner: str
) -> None:
    # Signed by the GitHub issuer's key with Google's claims: the issuer decides the keys.
    forged = issuers["github"].sign({"aud": AUD, "iss": issuers["google"].url, **google_claims()})
    r = mint(api, forged)
    assert (r.status_code, r.text.split(":")[0]) == (401, "invalid-token")
