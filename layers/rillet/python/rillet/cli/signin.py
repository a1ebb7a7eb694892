"""`rillet login URL` without a token: sign in in the browser (OAuth 2.0 authorization code
with PKCE, RFC 7636; loopback redirect, RFC 8252), as ``pixi auth login --oauth`` does.

The deployment's ``/api/v1/config`` names the identity provider and the public client;
the provider's discovery document gives the endpoints. The access token obtained here
is used once, to create an API key for this machine, and never stored.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx

from rillet.cli.client import USER_AGENT, CliError, error_from_response, transport_error

LOGIN_TIMEOUT_SECONDS = 300
_DONE_PAGE = (
    b"<!doctype html><meta charset=utf-8><title>Rillet</title>"
    b"<p>Signed in. You can close this tab and return to the terminal.</p>"
)


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge)."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _get_json(http: httpx.Client, url: str) -> Any:
    try:
        response = http.get(url)
    except httpx.HTTPError as exc:
        raise transport_error(url, exc) from None
    if not response.is_success:
        raise error_from_response(response)
    try:
        return response.json()
    except ValueError:
        raise CliError("bad-response", f"{url} did not answer JSON") from None


@dataclass
class _Callback:
    """What the browser brought back to the loopback server."""

    params: dict[str, str] = field(default_factory=dict)
    arrived: threading.Event = field(default_factory=threading.Event)


def _server(result: _Callback, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            parsed = urlparse(self.path)
            if parsed.path != "/callback" or result.arrived.is_set():
                self.send_response(404)
                self.end_headers()
                return
            result.params = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(_DONE_PAGE)))
            self.end_headers()
            self.wfile.write(_DONE_PAGE)
            result.arrived.set()

    return ThreadingHTTPServer((host, port), Handler)


def browser_sign_in(
    url: str,
    *,
    open_browser: Callable[[str], Any],
    say: Callable[[str], None],
    timeout: float = LOGIN_TIMEOUT_SECONDS,
) -> str | None:
    """An access token for ``url``'s identity provider; None if the deployment has none."""
    with httpx.Client(headers={"User-Agent": USER_AGENT}, timeout=30) as http:
        oidc = (_get_json(http, f"{url}/api/v1/config") or {}).get("oidc")
        if not oidc:
            return None
        issuer = str(oidc["issuer"])
        discovery = _get_json(http, issuer.rstrip("/") + "/.well-known/openid-configuration")
        if discovery.get("issuer") != issuer:
            raise CliError("bad-provider", f"the provider's discovery document is not {issuer}'s")
        if "S256" not in (discovery.get("code_challenge_methods_supported") or []):
            raise CliError("bad-provider", "the identity provider does not support PKCE (S256)")
        fixed = oidc.get("cli_redirect_uri") or ""
        port = urlparse(fixed).port or 0 if fixed else 0
        result = _Callback()
        server = _server(result, "127.0.0.1", port)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            redirect_uri = fixed or f"http://127.0.0.1:{server.server_port}/callback"
            verifier, challenge = pkce_pair()
            state = secrets.token_urlsafe(24)
            query = {
                "response_type": "code",
                "client_id": oidc["client_id"],
                "redirect_uri": redirect_uri,
                "scope": " ".join(oidc.get("scopes") or ["openid"]),
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
            authorize = f"{discovery['authorization_endpoint']}?{urlencode(query)}"
            say(f"Sign in in your browser; if it does not open, visit:\n\n  {authorize}\n")
            open_browser(authorize)
            if not result.arrived.wait(timeout):
                raise CliError("login-timeout", f"no sign-in within {int(timeout)} s")
        finally:
            server.shutdown()
            server.server_close()
        params = result.params
        if params.get("state") != state:
            raise CliError("login-failed", "the sign-in answer does not belong to this login")
        if "error" in params:
            detail = params.get("error_description") or params["error"]
            raise CliError("login-failed", f"the identity provider said: {detail}")
        # RFC 9207: an answer naming another issuer is a mix-up attack.
        if "iss" in params and params["iss"] != issuer:
            raise CliError("login-failed", "the sign-in answer came from another issuer")
        try:
            response = http.post(
                discovery["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": params.get("code", ""),
                    "redirect_uri": redirect_uri,
                    "client_id": oidc["client_id"],
                    "code_verifier": verifier,
                },
            )
        except httpx.HTTPError as exc:
            raise transport_error(discovery["token_endpoint"], exc) from None
        if not response.is_success:
            raise CliError("login-failed", f"the token endpoint answered {response.status_code}")
        token = response.json().get("access_token")
        if not isinstance(token, str) or not token:
            raise CliError("login-failed", "the token endpoint gave no access token")
        return token
