"""Sign in through the local OpenID Provider's real endpoints (HTTP only, no browser),
choose a username, create a private channel and a key, install from it with py-rattler."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import Api
from tests.e2e.rattler_client import solve_and_install
from tests.packages import build_package
from tests.signin_browser import pkce_pair, sign_in, tokens_for

pytestmark = pytest.mark.e2e


def test_sign_in_claim_name_private_channel_key_and_install(
    api: Api, pkg_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = tokens_for(api.stack.url, "quinn.dev")
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"]
    session = tokens["access_token"]

    r = api.call("GET", "/api/v1/users/me", token=session)
    assert r.status_code == 200, r.text
    assert r.json()["needs_name"] is True
    r = api.call("POST", "/api/v1/users/me", {"name": "quinn"}, token=session)
    assert r.status_code == 201, r.text

    api.create_channel("quinns", visibility="private", token=session)
    r = api.call(
        "POST", "/api/v1/users/me/keys", {"scope": "admin", "description": "ci"}, token=session
    )
    assert r.status_code == 201, r.text
    key = r.json()["secret"]

    pkg = build_package(pkg_dir / "signin", "quinnpkg", "1.0", subdir="noarch")
    ticket = api.presigned_upload("quinns", pkg, token=key)
    assert api.wait_final("quinns", ticket["id"], token=key)["status"] == "published"
    api.stack.wait_idle()

    # The session itself never reads a channel at the edge: only API keys do.
    index = f"{api.stack.url}/quinns/noarch/repodata.json"
    assert (
        requests.get(index, headers={"Authorization": f"Bearer {session}"}, timeout=10).status_code
        == 401
    )

    auth = tmp_path / "auth.json"
    auth.write_text(json.dumps({"127.0.0.1": {"BearerToken": key}}))
    monkeypatch.setenv("RATTLER_AUTH_FILE", str(auth))
    assert solve_and_install(f"{api.stack.url}/quinns", ["quinnpkg"], tmp_path / "i") == [
        "quinnpkg"
    ]

    # The refresh token gives a new access token for the same user.
    refreshed = requests.post(
        tokens["token_endpoint"],
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": api.call("GET", "/api/v1/config").json()["oidc"]["client_id"],
        },
        timeout=10,
    )
    assert refreshed.status_code == 200, refreshed.text
    r = api.call("GET", "/api/v1/users/me", token=refreshed.json()["access_token"])
    assert r.json()["name"] == "quinn"


def test_the_id_token_is_not_a_session(api: Api) -> None:
    tokens = tokens_for(api.stack.url, "rhea")
    r = api.call("GET", "/api/v1/users/me", token=tokens["id_token"])
    assert (r.status_code, r.json()["error"]) == (401, "invalid-session")


def test_pkce_is_required(api: Api) -> None:
    oidc = api.call("GET", "/api/v1/config").json()["oidc"]
    discovery = requests.get(
        oidc["issuer"] + "/.well-known/openid-configuration", timeout=10
    ).json()
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    redirect = f"{api.stack.url}/callback"
    query = (
        f"response_type=code&client_id={oidc['client_id']}&scope=openid"
        f"&redirect_uri={redirect}&state=x"
    )
    got = sign_in(f"{discovery['authorization_endpoint']}?{query}", "sam", redirect)
    assert got.get("error") == "invalid_request"
    _, challenge = pkce_pair()
    plain = query + f"&code_challenge={challenge}&code_challenge_method=plain"
    got = sign_in(f"{discovery['authorization_endpoint']}?{plain}", "sam", redirect)
    assert got.get("error") == "invalid_request"
