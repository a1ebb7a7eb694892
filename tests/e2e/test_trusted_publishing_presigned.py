"""Trusted publishing past the API's body limit: `rillet upload` in a 'CI job' mints a
token from the local OIDC issuer's ID token and sends the file through a presigned URL,
where unmodified `rattler-build upload prefix` (one POST through Lambda) is refused 413."""

from __future__ import annotations

import base64
import json
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner, Result

from rillet.cli.main import app
from rillet.runtime import wiring
from rillet.runtime.settings import OIDC_GITHUB_ISSUER, OIDC_GITLAB_ISSUERS
from tests.e2e.clients import upload_with_client
from tests.e2e.conftest import Api
from tests.e2e.rattler_client import solve_and_install
from tests.oidc_issuer import REQUEST_TOKEN, LocalIssuer, github_claims, gitlab_claims
from tests.packages import build_package

pytestmark = pytest.mark.e2e

CHANNEL = "tp-big"
AUD = "127.0.0.1"  # the local stack's host: what rattler and rillet request
CI_VARS = ("GITHUB_ACTIONS", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN")


@pytest.fixture(scope="module")
def issuers(api: Api) -> Iterator[dict[str, LocalIssuer]]:
    found = {"github": LocalIssuer(), "gitlab": LocalIssuer()}
    names = {OIDC_GITHUB_ISSUER: "github", OIDC_GITLAB_ISSUERS: "gitlab"}
    saved = {k: os.environ.get(k) for k in names}
    for variable, provider in names.items():
        os.environ[variable] = found[provider].url
    wiring.reset()  # settings are read once per cold start: start a new one
    yield found
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    wiring.reset()
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
