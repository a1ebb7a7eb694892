"""Trusted publishing end to end: the unmodified upload client in a 'CI job' mints a
token from a local OIDC issuer's ID token and uploads; every refusal in the spec is
proven with its status, its reason code, and that nothing was uploaded."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from rillet.runtime import wiring
from rillet.runtime.settings import OIDC_GITHUB_ISSUER, OIDC_GITLAB_ISSUERS
from tests.e2e.clients import upload_with_client
from tests.e2e.conftest import Api, cold_start_with
from tests.e2e.rattler_client import solve_and_install
from tests.oidc_issuer import REQUEST_TOKEN, LocalIssuer, github_claims, gitlab_claims
from tests.packages import build_package

pytestmark = pytest.mark.e2e

CHANNEL = "tp-chan"
OTHER = "tp-other"
AUD = "127.0.0.1"  # the local stack's host: what current clients request


@pytest.fixture(scope="module")
def issuers(api: Api) -> Iterator[dict[str, LocalIssuer]]:
    github, gitlab = LocalIssuer(), LocalIssuer()
    with cold_start_with({OIDC_GITHUB_ISSUER: github.url, OIDC_GITLAB_ISSUERS: gitlab.url}):
        yield {"github": github, "gitlab": gitlab}
    github.stop()
    gitlab.stop()


@pytest.fixture(scope="module")
def setup(api: Api, issuers: dict[str, LocalIssuer]) -> dict[str, Any]:
    owner = api.create_user("tp-owner")
    api.create_channel(CHANNEL, token=owner)
    api.create_channel(OTHER, token=owner)
    gh = api.call(
        "POST",
        f"/api/v1/channels/{CHANNEL}/publishers",
        {
            "provider": "github",
            "owner": "octo-org",
            "owner_id": "4242",
            "repository": "widgets",
            "workflow": "release.yml",
        },
        owner,
    )
    assert gh.status_code == 201, gh.text
    env_pub = api.call(
        "POST",
        f"/api/v1/channels/{CHANNEL}/publishers",
        {
            "provider": "github",
            "owner": "octo-org",
            "repository": "gated",
            "workflow": "release.yml",
            "environment": "pypi",
            "name_patterns": ["gated-*"],
            "subdirs": ["noarch"],
        },
        owner,
    )
    assert env_pub.status_code == 201, env_pub.text
    gl = api.call(
        "POST",
        f"/api/v1/channels/{CHANNEL}/publishers",
        {
            "provider": "gitlab",
            "namespace": "grp",
            "project": "proj",
            "config_path": ".gitlab-ci.yml",
            "namespace_id": "11",
            "project_id": "22",
            "issuer": issuers["gitlab"].url,
        },
        owner,
    )
    assert gl.status_code == 201, gl.text
    return {"owner": owner, "github": gh.json(), "gitlab": gl.json()}


def mint(api: Api, token: str) -> requests.Response:
    return requests.post(f"{api.stack.url}/api/oidc/mint_token", json={"token": token}, timeout=30)


def packages_in(api: Api, owner: str, channel: str = CHANNEL) -> list[str]:
    r = api.call("GET", f"/api/v1/channels/{channel}/packages", token=owner)
    assert r.status_code == 200
    return sorted(p["filename"] for p in r.json()["packages"])


def mints(api: Api, owner: str) -> int:
    events = api.call("GET", f"/api/v1/channels/{CHANNEL}/audit?limit=1000", token=owner).json()[
        "events"
    ]
    return sum(e["action"] == "trusted-publishing.mint" for e in events)


def ci_env(issuer: LocalIssuer) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "ACTIONS_ID_TOKEN_REQUEST_URL": issuer.token_request_url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
    }


def test_github_actions_job_uploads_without_a_secret(
    api: Api, issuers: dict[str, LocalIssuer], setup: dict[str, Any], pkg_dir: Path, tmp_path: Path
) -> None:
    github = issuers["github"]
    github.claims = github_claims()
    lib = build_package(pkg_dir / "tp-gh", "tplib", "1.0", subdir="noarch")
    app = build_package(pkg_dir / "tp-gh", "tpapp", "1.0", subdir="linux-64", depends=["tplib"])
    empty = tmp_path / "auth.json"
    empty.write_text("{}")  # no stored credential to fall back on
    result = upload_with_client(
        [lib, app], api.stack.url, CHANNEL, env=ci_env(github), auth_file=empty
    )
    assert result.ok, result.error
    api.stack.wait_idle()
    assert solve_and_install(f"{api.stack.url}/{CHANNEL}", ["tpapp"], tmp_path / "i") == [
        "tpapp",
        "tplib",
    ]
    events = api.call("GET", f"/api/v1/channels/{CHANNEL}/audit", token=setup["owner"]).json()[
        "events"
    ]
    minted = next(e for e in events if e["action"] == "trusted-publishing.mint")
    assert minted["details"]["publisher"] == setup["github"]["id"]
    for claim in ("repository", "workflow_ref", "sha", "ref", "run_id"):
        assert minted["details"][claim] == github.claims[claim]
    uploads = [
        e
        for e in events
        if e["action"] == "package.upload" and e["details"]["via"] == "trusted-publishing"
    ]
    assert {e["details"]["filename"] for e in uploads} >= {lib.name, app.name}
    listed = api.call("GET", f"/api/v1/channels/{CHANNEL}/publishers", token=setup["owner"]).json()[
        "publishers"
    ]
    assert next(p for p in listed if p["id"] == setup["github"]["id"])["last_used_at"]


def test_gitlab_ci_job_uploads_without_a_secret(
    api: Api, issuers: dict[str, LocalIssuer], setup: dict[str, Any], pkg_dir: Path, tmp_path: Path
) -> None:
    gitlab = issuers["gitlab"]
    host = gitlab.url.split("://", 1)[1]
    one = build_package(pkg_dir / "tp-gl", "gllib", "1.0", subdir="noarch")
    two = build_package(pkg_dir / "tp-gl", "glapp", "1.0", subdir="linux-64", depends=["gllib"])
    empty = tmp_path / "auth.json"
    empty.write_text("{}")
    env = {
        "GITLAB_CI": "true",
        "127_0_0_1_ID_TOKEN": gitlab.sign({"aud": AUD, **gitlab_claims(host)}),
    }
    result = upload_with_client([one, two], api.stack.url, CHANNEL, env=env, auth_file=empty)
    assert result.ok, result.error
    api.stack.wait_idle()
    assert solve_and_install(f"{api.stack.url}/{CHANNEL}", ["glapp"], tmp_path / "i") == [
        "glapp",
        "gllib",
    ]


def test_refused_mint_through_the_client_uploads_nothing(
    api: Api, issuers: dict[str, LocalIssuer], setup: dict[str, Any], pkg_dir: Path, tmp_path: Path
) -> None:
    github = issuers["github"]
    github.claims = github_claims(repo="not-configured")
    pkg = build_package(pkg_dir / "tp-no", "tpnever", "1.0")
    empty = tmp_path / "auth.json"
    empty.write_text("{}")
    before = packages_in(api, setup["owner"])
    result = upload_with_client([pkg], api.stack.url, CHANNEL, env=ci_env(github), auth_file=empty)
    assert not result.ok
    assert packages_in(api, setup["owner"]) == before


# -- one test per refusal (spec: "Tests must prove") ----------------------------------
def _hs256_with_public_key(issuer: LocalIssuer) -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": "k1"}
    now = int(__import__("time").time())
    body = {
        "iss": issuer.url,
        "aud": AUD,
        "iat": now,
        "exp": now + 300,
        "jti": "hs",
        **github_claims(),
    }
    pem = (
        issuer.keys["k1"]
        .public_key()
        .public_bytes(
            encoding=__import__(
                "cryptography.hazmat.primitives.serialization", fromlist=["x"]
            ).Encoding.PEM,
            format=__import__(
                "cryptography.hazmat.primitives.serialization", fromlist=["x"]
            ).PublicFormat.SubjectPublicKeyInfo,
        )
    )
    b64 = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=")  # noqa: E731
    signing_input = b64(json.dumps(header).encode()) + b"." + b64(json.dumps(body).encode())
    return (
        signing_input + b"." + b64(hmac.new(pem, signing_input, hashlib.sha256).digest())
    ).decode()


def _alg_none(issuer: LocalIssuer) -> str:
    b64 = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()  # noqa: E731
    now = int(__import__("time").time())
    body = {
        "iss": issuer.url,
        "aud": AUD,
        "iat": now,
        "exp": now + 300,
        "jti": "none",
        **github_claims(),
    }
    return f"{b64(json.dumps({'alg': 'none', 'kid': 'k1'}).encode())}.{b64(json.dumps(body).encode())}."


def _forged_signature(issuer: LocalIssuer) -> str:
    issuer.add_key("rogue", publish=False)
    token = issuer.sign({"aud": AUD, **github_claims()}, kid="rogue")
    _, body, sig = token.split(".")
    fixed = jwt.get_unverified_header(token) | {"kid": "k1"}
    b64 = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()  # noqa: E731
    return f"{b64(json.dumps(fixed).encode())}.{body}.{sig}"


import jwt  # noqa: E402 - used by the builders above

NOW_OFFSETS = {"expired": {"exp": -120, "iat": -600, "nbf": -600}, "not-yet-valid": {"nbf": 600}}


def _timed(issuer: LocalIssuer, which: str) -> str:
    now = int(__import__("time").time())
    shifts = NOW_OFFSETS[which]
    return issuer.sign({"aud": AUD, **github_claims(), **{k: now + v for k, v in shifts.items()}})


REFUSALS: dict[str, tuple[Any, int, str]] = {
    # name: (token builder(github issuer, gitlab issuer), status, reason code)
    "wrong-signature": (lambda gh, gl: _forged_signature(gh), 401, "invalid-token"),
    "alg-none": (lambda gh, gl: _alg_none(gh), 401, "invalid-token"),
    "hs256-with-public-key": (lambda gh, gl: _hs256_with_public_key(gh), 401, "invalid-token"),
    "expired": (lambda gh, gl: _timed(gh, "expired"), 401, "invalid-token"),
    "not-yet-valid": (lambda gh, gl: _timed(gh, "not-yet-valid"), 401, "invalid-token"),
    "wrong-audience": (
        lambda gh, gl: gh.sign({"aud": "elsewhere.example", **github_claims()}),
        401,
        "invalid-token",
    ),
    "legacy-audience-off-by-default": (
        lambda gh, gl: gh.sign({"aud": "prefix.dev", **github_claims()}),
        401,
        "invalid-token",
    ),
    "two-audiences": (
        lambda gh, gl: gh.sign({"aud": [AUD, "other"], **github_claims()}),
        401,
        "invalid-token",
    ),
    "wrong-issuer": (
        lambda gh, gl: jwt.encode(
            {
                "iss": "https://evil.example",
                "aud": AUD,
                "exp": 2**31,
                "iat": 0,
                "jti": "x",
                **github_claims(),
            },
            gh.keys["k1"],
            algorithm="RS256",
            headers={"kid": "k1"},
        ),
        401,
        "invalid-token",
    ),
    "unknown-kid": (
        lambda gh, gl: gh.sign({"aud": AUD, **github_claims()}, kid="nope"),
        401,
        "invalid-token",
    ),
    "missing-claim": (
        lambda gh, gl: gh.sign({"aud": AUD, **github_claims(), "repository_owner_id": None}),
        401,
        "invalid-token",
    ),
    "wrong-repository": (
        lambda gh, gl: gh.sign({"aud": AUD, **github_claims(repo="gadgets")}),
        403,
        "invalid-publisher",
    ),
    "same-repo-other-owner-id": (
        lambda gh, gl: gh.sign({"aud": AUD, **github_claims(owner_id="666")}),
        403,
        "invalid-publisher",
    ),
    "wrong-workflow": (
        lambda gh, gl: gh.sign({"aud": AUD, **github_claims(workflow="evil.yml")}),
        403,
        "invalid-publisher",
    ),
    "missing-required-environment": (
        lambda gh, gl: gh.sign({"aud": AUD, **github_claims(repo="gated")}),
        403,
        "invalid-publisher",
    ),
    "wrong-environment": (
        lambda gh, gl: gh.sign({"aud": AUD, **github_claims(repo="gated", environment="staging")}),
        403,
        "invalid-publisher",
    ),
    "pull-request-target": (
        lambda gh, gl: gh.sign({"aud": AUD, **github_claims(event_name="pull_request_target")}),
        403,
        "invalid-publisher",
    ),
    "gitlab-wrong-project-id": (
        lambda gh, gl: gl.sign(
            {"aud": AUD, **gitlab_claims(gl.url.split("://")[1], project_id="23")}
        ),
        403,
        "invalid-publisher",
    ),
    "gitlab-wrong-config-path": (
        lambda gh, gl: gl.sign(
            {
                "aud": AUD,
                **gitlab_claims(
                    gl.url.split("://")[1], ci_config_ref_uri="x/grp/proj//other.yml@main"
                ),
            }
        ),
        403,
        "invalid-publisher",
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_refusal(
    api: Api, issuers: dict[str, LocalIssuer], setup: dict[str, Any], name: str
) -> None:
    build, status, code = REFUSALS[name]
    before_mints = mints(api, setup["owner"])
    before_packages = packages_in(api, setup["owner"])
    response = mint(api, build(issuers["github"], issuers["gitlab"]))
    assert response.status_code == status, response.text
    assert response.text.startswith(f"{code}:")
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "octo-org" not in response.text and "release.yml" not in response.text  # no config leaks
    assert mints(api, setup["owner"]) == before_mints
    assert packages_in(api, setup["owner"]) == before_packages


def test_refusals_naming_a_publisher_are_visible_to_owners(
    api: Api, issuers: dict[str, LocalIssuer], setup: dict[str, Any]
) -> None:
    response = mint(
        api, issuers["github"].sign({"aud": AUD, **github_claims(workflow="sneaky.yml")})
    )
    assert response.status_code == 403
    events = api.call("GET", f"/api/v1/channels/{CHANNEL}/audit", token=setup["owner"]).json()[
        "events"
    ]
    refused = next(e for e in events if e["action"] == "trusted-publishing.refused")
    assert refused["details"]["check"] == "workflow"
    assert refused["details"]["publisher"] == setup["github"]["id"]
    assert refused["details"]["workflow_ref"].endswith("sneaky.yml@refs/heads/main")


def test_replayed_jti_is_refused(
    api: Api, issuers: dict[str, LocalIssuer], setup: dict[str, Any]
) -> None:
    token = issuers["github"].sign({"aud": AUD, **github_claims()})
    first = mint(api, token)
    assert (
        first.status_code == 200
        and first.text.startswith("rillet-tp-")
        and not first.text.endswith("\n")
    )
    second = mint(api, token)
    assert (second.status_code, second.text.split(":")[0]) == (409, "reused-token")


def _minted(api: Api, issuers: dict[str, LocalIssuer], **claims: Any) -> str:
    response = mint(api, issuers["github"].sign({"aud": AUD, **github_claims(**claims)}))
    assert response.status_code == 200, response.text
    return response.text


def test_minted_token_cannot_upload_to_another_channel(
    api: Api, issuers: dict[str, LocalIssuer], setup: dict[str, Any], pkg_dir: Path
) -> None:
    token = _minted(api, issuers)
    pkg = build_package(pkg_dir / "tp-other", "tpelsewhere", "1.0")
    result = upload_with_client([pkg], api.stack.url, OTHER, api_key=token)
    assert not result.ok and "403" in result.error
    assert packages_in(api, setup["owner"], OTHER) == []


def test_minted_token_cannot_manage_the_channel(
    api: Api, issuers: dict[str, LocalIssuer], setup: dict[str, Any]
) -> None:
    token = _minted(api, issuers)
    for method, path, body in [
        ("PUT", f"/api/v1/channels/{CHANNEL}/members/tp-owner", {"role": "member"}),
        ("PATCH", f"/api/v1/channels/{CHANNEL}", {"visibility": "private"}),
        (
            "POST",
            f"/api/v1/channels/{CHANNEL}/publishers",
            {"provider": "github", "owner": "x", "repository": "y", "workflow": "z.yml"},
        ),
        ("DELETE", f"/api/v1/channels/{CHANNEL}", None),
        ("POST", "/api/v1/users/me/keys", {}),
        ("GET", f"/api/v1/channels/{CHANNEL}/audit", None),
    ]:
        response = api.call(method, path, body, token=token)
        assert response.status_code == 403, (method, path, response.text)


def test_minted_token_expires(
    api: Api, issuers: dict[str, LocalIssuer], setup: dict[str, Any], pkg_dir: Path
) -> None:
    token = _minted(api, issuers)
    container = wiring.container()
    real = container.clock

    class Later(type(real)):  # type: ignore[misc]
        def epoch(self) -> int:
            return real.epoch() + 16 * 60

    wiring.reset(container.with_ports(clock=Later()))
    try:
        pkg = build_package(pkg_dir / "tp-late", "tplate", "1.0")
        result = upload_with_client([pkg], api.stack.url, CHANNEL, api_key=token)
        assert not result.ok and "401" in result.error
    finally:
        wiring.reset(container)
    assert "tplate-1.0-h0_0.conda" not in packages_in(api, setup["owner"])


def test_publisher_limits_narrow_what_a_token_may_publish(
    api: Api, issuers: dict[str, LocalIssuer], setup: dict[str, Any], pkg_dir: Path
) -> None:
    token = _minted(
        api, issuers, repo="gated", environment="PyPI"
    )  # environments compare case-insensitively
    allowed = build_package(pkg_dir / "tp-gate", "gated-ok", "1.0", subdir="noarch")
    wrong_name = build_package(pkg_dir / "tp-gate", "ungated", "1.0", subdir="noarch")
    wrong_subdir = build_package(pkg_dir / "tp-gate", "gated-bin", "1.0", subdir="linux-64")
    assert upload_with_client([allowed], api.stack.url, CHANNEL, api_key=token).ok
    for pkg in (wrong_name, wrong_subdir):
        result = upload_with_client([pkg], api.stack.url, CHANNEL, api_key=token)
        assert not result.ok and "403" in result.error, pkg.name
    listed = packages_in(api, setup["owner"])
    assert (
        allowed.name in listed and wrong_name.name not in listed and wrong_subdir.name not in listed
    )


def test_invalid_payloads(api: Api, issuers: dict[str, LocalIssuer]) -> None:
    url = f"{api.stack.url}/api/oidc/mint_token"
    for body in (b"not json", b"{}", b'{"token": 5}', b"[]"):
        response = requests.post(
            url, data=body, headers={"Content-Type": "application/json"}, timeout=10
        )
        assert (response.status_code, response.text.split(":")[0]) == (400, "invalid-payload"), body
    garbage = requests.post(url, json={"token": "not.a.jwt"}, timeout=10)
    assert (garbage.status_code, garbage.text.split(":")[0]) == (401, "invalid-token")


def test_disabled_provider_is_not_enabled(
    api: Api, issuers: dict[str, LocalIssuer], setup: dict[str, Any]
) -> None:
    token = issuers["github"].sign({"aud": AUD, **github_claims()})
    with cold_start_with({"RILLET_OIDC_DISABLED": "github"}):
        response = mint(api, token)
    assert (response.status_code, response.text.split(":")[0]) == (403, "not-enabled")


def test_deleted_channel_takes_its_publishers_along(
    api: Api, issuers: dict[str, LocalIssuer], setup: dict[str, Any]
) -> None:
    """A channel deleted and its name taken by someone else must not inherit the old
    owner's trusted publisher: the claim lookup entry goes with the channel."""
    first_owner = api.create_user("tp-gone-owner")
    api.create_channel("tp-gone", token=first_owner)
    added = api.call(
        "POST",
        "/api/v1/channels/tp-gone/publishers",
        {"provider": "github", "owner": "gone-org", "repository": "app", "workflow": "ci.yml"},
        first_owner,
    )
    assert added.status_code == 201, added.text
    claims = {"owner": "gone-org", "repo": "app", "workflow": "ci.yml", "owner_id": "1"}
    assert mint(api, issuers["github"].sign({"aud": AUD, **github_claims(**claims)})).ok

    assert api.call("DELETE", "/api/v1/channels/tp-gone", token=first_owner).status_code == 200
    stranger = api.create_user("tp-gone-stranger")
    api.create_channel("tp-gone", token=stranger)
    refused = mint(api, issuers["github"].sign({"aud": AUD, **github_claims(**claims)}))
    assert (refused.status_code, refused.text.split(":")[0]) == (403, "invalid-publisher")
    listed = api.call("GET", "/api/v1/channels/tp-gone/publishers", token=stranger)
    assert listed.status_code == 200 and listed.json()["publishers"] == []


# -- the presigned path: the same publisher limits, and authority checked at validation ----
def _ticket(api: Api, channel: str, path: Path, token: str, **extra: Any) -> requests.Response:
    data = path.read_bytes()
    body = {"filename": path.name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    return api.call("POST", f"/api/v1/channels/{channel}/uploads", {**body, **extra}, token)


def _put(ticket: dict[str, Any], path: Path) -> None:
    put = requests.put(ticket["url"], data=path.read_bytes(), headers=ticket["headers"], timeout=60)
    assert put.status_code == 200, put.text


def test_presigned_upload_keeps_to_the_publisher_limits(
    api: Api, issuers: dict[str, LocalIssuer], setup: dict[str, Any], pkg_dir: Path
) -> None:
    token = _minted(api, issuers, repo="gated", environment="pypi")
    wrong_name = build_package(pkg_dir / "tp-pre", "ungated-pre", "1.0", subdir="noarch")
    refused = _ticket(api, CHANNEL, wrong_name, token)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"] == "outside-publisher-limits"
    # No subdir announced: the name passes now, the package's real subdir is judged later.
    hidden_subdir = build_package(pkg_dir / "tp-pre", "gated-pre", "1.0", subdir="linux-64")
    r = _ticket(api, CHANNEL, hidden_subdir, token)
    assert r.status_code == 201, r.text
    _put(r.json(), hidden_subdir)
    status = api.wait_final(CHANNEL, r.json()["id"], token=token)
    assert (status["status"], status["reason"]) == ("rejected", "outside-publisher-limits")
    allowed = build_package(pkg_dir / "tp-pre", "gated-pre", "1.0", subdir="noarch")
    r = _ticket(api, CHANNEL, allowed, token)
    assert r.status_code == 201, r.text
    _put(r.json(), allowed)
    assert api.wait_final(CHANNEL, r.json()["id"], token=token)["status"] == "published"
    listed = packages_in(api, setup["owner"])
    assert allowed.name in listed and wrong_name.name not in listed
    assert f"linux-64/{hidden_subdir.name}" not in [
        f"{p['subdir']}/{p['filename']}"
        for p in api.call(
            "GET", f"/api/v1/channels/{CHANNEL}/packages", token=setup["owner"]
        ).json()["packages"]
    ]
    events = api.call("GET", f"/api/v1/channels/{CHANNEL}/audit", token=setup["owner"]).json()[
        "events"
    ]
    published = next(
        e
        for e in events
        if e["action"] == "package.upload" and e["details"]["filename"] == allowed.name
    )
    assert published["details"]["via"] == "presigned"
    assert published["details"]["publisher"]["repository"] == "octo-org/gated"
    assert published["details"]["publisher"]["workflow"] == "release.yml"


def test_removing_the_publisher_stops_its_token_and_pending_upload(
    api: Api, issuers: dict[str, LocalIssuer], setup: dict[str, Any], pkg_dir: Path
) -> None:
    owner = setup["owner"]
    api.create_channel("tp-removable", token=owner)
    added = api.call(
        "POST",
        "/api/v1/channels/tp-removable/publishers",
        {"provider": "github", "owner": "octo-org", "repository": "removable", "workflow": "r.yml"},
        owner,
    )
    assert added.status_code == 201, added.text
    token = _minted(api, issuers, repo="removable", workflow="r.yml")
    pending = build_package(pkg_dir / "tp-rm", "rmpending", "1.0")
    ticket = _ticket(api, "tp-removable", pending, token)
    assert ticket.status_code == 201, ticket.text
    removed = api.call(
        "DELETE", f"/api/v1/channels/tp-removable/publishers/{added.json()['id']}", token=owner
    )
    assert removed.status_code == 200, removed.text
    # The token is dead at once, for the upload client as for the API ...
    later = build_package(pkg_dir / "tp-rm", "rmlater", "1.0")
    result = upload_with_client([later], api.stack.url, "tp-removable", api_key=token)
    assert not result.ok and "401" in result.error
    assert _ticket(api, "tp-removable", later, token).status_code == 401
    # ... and the URL it was handed publishes nothing.
    _put(ticket.json(), pending)
    status = api.wait_final("tp-removable", ticket.json()["id"], token=owner)
    assert (status["status"], status["reason"]) == ("rejected", "uploader-no-longer-authorized")
    assert packages_in(api, owner, "tp-removable") == []
