"""`rillet upload`'s trusted publishing: CI detection, the audience, the ID token request
and the mint, against a fake GitHub token endpoint and mint endpoint on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from typer.testing import CliRunner

from rillet.cli import trusted
from rillet.cli.client import CliError
from rillet.cli.main import app

REQUEST_TOKEN = "gh-request-token"


@dataclass
class Fake:
    """GitHub's ID token endpoint and a server's mint endpoint, on one loopback port."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    mint_status: int = 200
    mint_body: str = "rillet-tp-minted"
    id_token: str = "header.github-claims.signature"


@pytest.fixture
def fake() -> Iterator[Fake]:
    state = Fake()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def _send(self, status: int, body: str, content_type: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            state.requests.append(
                {
                    "method": "GET",
                    "path": parsed.path,
                    "query": parse_qs(parsed.query),
                    "authorization": self.headers.get("Authorization"),
                }
            )
            if self.headers.get("Authorization") != f"Bearer {REQUEST_TOKEN}":
                self._send(401, '{"message": "bad token"}', "application/json")
                return
            self._send(200, json.dumps({"count": 1, "value": state.id_token}), "application/json")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.requests.append(
                {
                    "method": "POST",
                    "path": self.path,
                    "json": json.loads(body),
                    "authorization": self.headers.get("Authorization"),
                }
            )
            self._send(state.mint_status, state.mint_body, "text/plain; charset=utf-8")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()


def github_env(fake: Fake, **extra: str) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "ACTIONS_ID_TOKEN_REQUEST_URL": f"{fake.url}/_gh/token?api-version=2.0",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
        **extra,
    }


# -- detection and audience (rattler's rules) -------------------------------------------
@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GITHUB_ACTIONS": "true"}, "github"),
        ({"GITLAB_CI": "true"}, "gitlab"),
        ({"GITHUB_ACTIONS": "true", "GITLAB_CI": "true"}, "github"),  # GitHub first
        ({"GITHUB_ACTIONS": "TRUE"}, None),  # exactly "true", as ambient-id
        ({"GITHUB_ACTIONS": "1"}, None),
        ({"GITLAB_CI": "yes"}, None),
        ({"RILLET_ID_TOKEN": "a.b.c", "GITHUB_ACTIONS": "true"}, "given"),  # explicit first
        ({"RILLET_ID_TOKEN": " "}, None),
        ({}, None),
    ],
)
def test_ci_is_detected_only_by_an_exact_true(env: dict[str, str], expected: str | None) -> None:
    assert trusted.detect_ci(env) == expected


@pytest.mark.parametrize(
    ("url", "audience"),
    [
        ("https://conda.example.com", "conda.example.com"),
        ("https://Conda.Example.COM:8443/base", "conda.example.com"),  # lower-case, no port
        ("http://127.0.0.1:5000", "127.0.0.1"),
        ("http://localhost:5000", "localhost"),
        ("https://prefix.dev", "prefix.dev"),
        ("https://repo.prefix.dev", "prefix.dev"),
        ("https://notprefix.dev", "notprefix.dev"),
        ("https://prefix.dev.example.com", "prefix.dev.example.com"),
        ("https://bücher.example", "xn--bcher-kva.example"),  # punycode
    ],
)
def test_audience_is_the_host_name_or_prefix_dev(url: str, audience: str) -> None:
    assert trusted.audience_for(url) == audience


@pytest.mark.parametrize(
    ("audience", "variable"),
    [
        ("conda.example.com", "CONDA_EXAMPLE_COM_ID_TOKEN"),
        ("prefix.dev", "PREFIX_DEV_ID_TOKEN"),
        ("127.0.0.1", "127_0_0_1_ID_TOKEN"),
        ("my-host.example", "MY_HOST_EXAMPLE_ID_TOKEN"),
    ],
)
def test_gitlab_variable_name_follows_the_audience(audience: str, variable: str) -> None:
    assert trusted.gitlab_variable(audience) == variable


# -- the exchange ------------------------------------------------------------------------
def test_github_token_is_requested_with_the_audience_then_minted(fake: Fake) -> None:
    minted = trusted.mint(fake.url, github_env(fake))
    assert minted.token == "rillet-tp-minted"
    assert (minted.ci, minted.audience) == ("github", "127.0.0.1")
    token_request, mint_request = fake.requests
    assert token_request["path"] == "/_gh/token"
    # audience appended to the query GitHub gave, which is kept
    assert token_request["query"] == {"api-version": ["2.0"], "audience": ["127.0.0.1"]}
    assert token_request["authorization"] == f"Bearer {REQUEST_TOKEN}"
    assert mint_request["path"] == "/api/oidc/mint_token"
    assert mint_request["json"] == {"token": fake.id_token}
    assert mint_request["authorization"] is None  # the ID token is the only credential


def test_mint_is_under_the_deployments_base_path(fake: Fake) -> None:
    trusted.mint(f"{fake.url}/stage", github_env(fake))
    assert fake.requests[-1]["path"] == "/stage/api/oidc/mint_token"


def test_gitlab_token_comes_from_the_audience_variable(fake: Fake) -> None:
    env = {"GITLAB_CI": "true", "127_0_0_1_ID_TOKEN": "gitlab.id.token\n"}
    minted = trusted.mint(fake.url, env)
    assert minted.ci == "gitlab"
    assert [r["method"] for r in fake.requests] == ["POST"]  # nothing asked of GitHub
    assert fake.requests[0]["json"] == {"token": "gitlab.id.token"}


def test_a_given_id_token_is_sent_as_it_is(fake: Fake) -> None:
    env = github_env(fake, RILLET_ID_TOKEN="google.id.token\n")
    minted = trusted.mint(fake.url, env)
    assert (minted.ci, minted.source) == ("given", "RILLET_ID_TOKEN")
    assert [r["method"] for r in fake.requests] == ["POST"]  # GitHub not asked
    assert fake.requests[0]["json"] == {"token": "google.id.token"}


def test_gitlab_without_the_variable_names_it_and_sends_nothing(fake: Fake) -> None:
    env = {"GITLAB_CI": "true", "PREFIX_DEV_ID_TOKEN": "for another audience"}
    with pytest.raises(CliError) as err:
        trusted.mint(fake.url, env)
    assert err.value.code == "oidc-unavailable"
    assert "127_0_0_1_ID_TOKEN" in err.value.message and "aud: 127.0.0.1" in err.value.message
    assert fake.requests == []


def test_github_without_id_token_permission_says_so(fake: Fake) -> None:
    env = github_env(fake)
    del env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
    with pytest.raises(CliError) as err:
        trusted.mint(fake.url, env)
    assert err.value.code == "oidc-unavailable" and "id-token: write" in err.value.message
    assert fake.requests == []


def test_github_refusing_the_request_is_an_error_and_nothing_is_minted(fake: Fake) -> None:
    env = github_env(fake, ACTIONS_ID_TOKEN_REQUEST_TOKEN="wrong")
    with pytest.raises(CliError) as err:
        trusted.mint(fake.url, env)
    assert (err.value.code, err.value.status) == ("oidc-unavailable", 401)
    assert [r["method"] for r in fake.requests] == ["GET"]


def test_mint_refusal_gives_the_servers_reason_code(fake: Fake) -> None:
    fake.mint_status, fake.mint_body = 403, "invalid-publisher: no trusted publisher matches"
    with pytest.raises(CliError) as err:
        trusted.mint(fake.url, github_env(fake))
    assert (err.value.code, err.value.status) == ("invalid-publisher", 403)
    assert "no trusted publisher matches" in err.value.message


@pytest.mark.parametrize("body", ["", "token\n", '{"token": "x"}\n'])
def test_a_mint_answer_that_is_not_a_bare_token_is_refused(fake: Fake, body: str) -> None:
    fake.mint_body = body
    with pytest.raises(CliError) as err:
        trusted.mint(fake.url, github_env(fake))
    assert err.value.code == "bad-response"


def test_outside_ci_nothing_is_sent() -> None:
    with pytest.raises(CliError) as err:
        trusted.mint("https://conda.example.com", {"GITHUB_ACTIONS": "false"})
    assert err.value.code == "no-ci-detected"


def test_the_id_token_never_goes_over_plain_http_to_another_host(fake: Fake) -> None:
    env = github_env(fake)
    with pytest.raises(CliError) as err:
        trusted.mint("http://conda.example.com", env)
    assert err.value.code == "insecure-url"
    assert fake.requests == []  # not even GitHub was asked


# -- `rillet upload` chooses its credential ----------------------------------------------
def _upload(tmp_path: Path, env: Mapping[str, str | None], *args: str) -> Any:
    base: dict[str, str | None] = {
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "RILLET_URL": None,
        "RILLET_TOKEN": None,
        "GITHUB_ACTIONS": None,
        "GITLAB_CI": None,
        "RILLET_ID_TOKEN": None,
        "ACTIONS_ID_TOKEN_REQUEST_URL": None,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": None,
    }
    return CliRunner().invoke(app, ["upload", *args], env={**base, **env})


def test_upload_without_token_outside_ci_asks_to_log_in(tmp_path: Path) -> None:
    result = _upload(tmp_path, {"RILLET_URL": "https://conda.example.com"}, "-c", "c", "x.conda")
    assert result.exit_code == 1
    assert "error: not-logged-in:" in result.stderr and "trusted publisher" in result.stderr


def test_trusted_publishing_flag_outside_ci_is_refused(tmp_path: Path, fake: Fake) -> None:
    pkg = tmp_path / "pkg-1.0-0.conda"
    pkg.write_bytes(b"not read: --no-check")
    result = _upload(
        tmp_path,
        {"RILLET_URL": fake.url, "RILLET_TOKEN": "rillet_key"},
        "--trusted-publishing",
        "--no-check",
        "-c",
        "c",
        str(pkg),
    )
    assert result.exit_code == 1
    assert "error: no-ci-detected:" in result.stderr
    assert fake.requests == []


def test_a_refused_local_check_costs_no_id_token(tmp_path: Path, fake: Fake) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not a package\n")
    result = _upload(tmp_path, github_env(fake), "--url", fake.url, "-c", "c", str(bad))
    assert result.exit_code == 1
    assert fake.requests == []


def test_stored_token_is_not_sent_to_another_url(tmp_path: Path) -> None:
    from rillet.cli import config

    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    config.save_credentials("https://a.example.com", "stored-token", env)
    assert config.upload_target(None, env) == ("https://a.example.com", "stored-token")
    assert config.upload_target("https://a.example.com/", env) == (
        "https://a.example.com",
        "stored-token",
    )
    assert config.upload_target("https://b.example.com", env) == ("https://b.example.com", None)
