"""Play the browser through an OpenID Provider's real sign-in pages (HTTP only).

Follows the redirects of an authorization request, fills in the development
sign-in form, and stops at the client's redirect URI, returning its query.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urljoin, urlparse

import requests


def sign_in(authorize_url: str, username: str, redirect_prefix: str) -> dict[str, str]:
    """The query parameters (code, state, iss) the provider sends to ``redirect_prefix``."""
    url = follow(authorize_url, username, redirect_prefix)
    return {k: v[-1] for k, v in parse_qs(urlparse(url).query).items()}


def follow(authorize_url: str, username: str, redirect_prefix: str) -> str:
    """The URL the provider finally redirects the browser to (under ``redirect_prefix``)."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(20):
        if url.startswith(redirect_prefix):
            return url
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.is_redirect:
            url = urljoin(url, response.headers["location"])
            continue
        assert response.status_code == 200, (response.status_code, response.text[:500])
        form = re.search(r'<form method="post" action="([^"]+)"', response.text)
        assert form, response.text[:500]
        action = urljoin(url, unescape(form.group(1)))
        response = browser.post(
            action, data={"username": username}, allow_redirects=False, timeout=10
        )
        assert response.is_redirect, (response.status_code, response.text[:500])
        url = urljoin(action, response.headers["location"])
    raise AssertionError("too many redirects")


def pkce_pair() -> tuple[str, str]:
    import base64
    import hashlib
    import secrets

    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def tokens_for(api_url: str, username: str) -> dict[str, str]:
    """Sign in as a web app would (authorization code + PKCE); the token response."""
    import secrets
    from urllib.parse import urlencode

    oidc = requests.get(f"{api_url}/api/v1/config", timeout=10).json()["oidc"]
    discovery = requests.get(
        oidc["issuer"] + "/.well-known/openid-configuration", timeout=10
    ).json()
    assert "S256" in discovery["code_challenge_methods_supported"]
    verifier, challenge = pkce_pair()
    redirect = f"{api_url}/callback"
    state = secrets.token_urlsafe(16)
    query = {
        "response_type": "code",
        "client_id": oidc["client_id"],
        "redirect_uri": redirect,
        "scope": " ".join(oidc["scopes"]),
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    got = sign_in(f"{discovery['authorization_endpoint']}?{urlencode(query)}", username, redirect)
    assert got["state"] == state and got["iss"] == oidc["issuer"]
    response = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": got["code"],
            "redirect_uri": redirect,
            "client_id": oidc["client_id"],
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {**response.json(), "token_endpoint": discovery["token_endpoint"]}
