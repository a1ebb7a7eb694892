"""`rillet login URL` without a token: the browser sign-in through the local OpenID
Provider, played here by following its redirects (HTTP only), then a key for this machine."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from infra.local.server import LocalStack
from tests.cli.conftest import Cli
from tests.signin_browser import follow

NO_ENV = {"RILLET_URL": None, "RILLET_TOKEN": None}


class Browser:
    """Stands in for ``webbrowser.open``: signs in as ``username`` and lands on the callback."""

    def __init__(self, username: str) -> None:
        self.username = username
        self.opened: list[str] = []
        self.threads: list[threading.Thread] = []

    def __call__(self, url: str) -> bool:
        self.opened.append(url)

        def browse() -> None:
            redirect = parse_qs(urlparse(url).query)["redirect_uri"][0]
            assert redirect.startswith("http://127.0.0.1:") and redirect.endswith("/callback")
            landing = follow(url, self.username, redirect)
            assert requests.get(landing, timeout=10).status_code == 200

        thread = threading.Thread(target=browse, daemon=True)
        thread.start()
        self.threads.append(thread)
        return True


def test_login_in_the_browser_creates_a_key_for_this_machine(
    stack: LocalStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = Browser("una.dev")
    monkeypatch.setattr("webbrowser.open", browser)
    auth = tmp_path / "rattler.json"
    cli = Cli(stack, tmp_path / "cfg")
    result = cli.run(
        "login",
        stack.url,
        "--rattler-auth-file",
        str(auth),
        env=NO_ENV,
        input="una\n",  # the username chosen on first sign-in
    )
    assert result.exit_code == 0, result.output
    assert len(browser.opened) == 1 and "code_challenge_method=S256" in browser.opened[0]
    assert browser.opened[0] in result.output  # the URL is printed for when no browser opens
    stored = json.loads((tmp_path / "cfg" / "rillet" / "credentials.json").read_text())
    assert stored["url"] == stack.url and stored["token"].startswith("rillet-key-")
    assert json.loads(auth.read_text()) == {"127.0.0.1": {"BearerToken": stored["token"]}}

    me = json.loads(cli.run("whoami", "--json", env=NO_ENV).stdout)
    assert me["name"] == "una"
    keys = json.loads(cli.run("key", "list", "--json", env=NO_ENV).stdout)
    listed = keys["keys"] if isinstance(keys, dict) else keys
    assert [k["description"] for k in listed] == [f"rillet login on {socket.gethostname()}"]

    # A second login on the same account asks for no username and adds a second key.
    again = cli.run("login", stack.url, env=NO_ENV)
    assert again.exit_code == 0, again.output
    token = json.loads((tmp_path / "cfg" / "rillet" / "credentials.json").read_text())["token"]
    assert token != stored["token"]
    me = json.loads(cli.run("whoami", "--json", env=NO_ENV).stdout)
    assert me["name"] == "una"


def test_login_with_a_token_still_works_without_a_browser(
    stack: LocalStack, admin_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_browser(url: str) -> bool:
        raise AssertionError("--token must not open a browser")

    monkeypatch.setattr("webbrowser.open", no_browser)
    token = admin_cli.json("user", "create", "vera")["key"]["secret"]
    cli = Cli(stack, tmp_path / "cfg")
    result = cli.run("login", stack.url, "--token", token, env=NO_ENV)
    assert result.exit_code == 0, result.output
    assert "as vera" in result.stdout


def test_operator_searches_suspends_and_reinstates(
    stack: LocalStack, admin_cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("webbrowser.open", Browser("wes.dev"))
    cli = Cli(stack, tmp_path / "cfg")
    logged = cli.run("login", stack.url, "--username", "wes", "--scope", "read", env=NO_ENV)
    assert logged.exit_code == 0, logged.output
    assert json.loads(admin_cli.run("user", "search", "WE", "--json").stdout) == {"users": ["wes"]}
    assert admin_cli.ok("user", "suspend", "wes")
    refused = cli.run("whoami", env=NO_ENV)
    assert refused.exit_code == 1 and "account-suspended" in refused.output
    assert admin_cli.ok("user", "reinstate", "wes")
    assert json.loads(cli.run("whoami", "--json", env=NO_ENV).stdout)["name"] == "wes"
