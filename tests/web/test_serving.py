"""The built app as the local stack serves it: the same paths, headers and cache rules as
CloudFront (tests/edge, tests/infra), and conda paths exactly as before."""

from __future__ import annotations

import re

import pytest
import requests

from infra.local.server import WEB_DIST, LocalStack
from rillet.core.webapp import ASSET_CACHE_CONTROL, INDEX_CACHE_CONTROL

pytestmark = pytest.mark.browser
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_pages_and_hashed_files_with_their_cache_rules(stack: LocalStack) -> None:
    index = (WEB_DIST / "index.html").read_text()
    for path in ("/", "/channels/new", "/channels/x/packages/y", "/account", "/callback"):
        r = requests.get(stack.url + path, headers={"Accept": BROWSER_ACCEPT}, timeout=10)
        assert r.status_code == 200, path
        assert r.text == index
        assert r.headers["Cache-Control"] == INDEX_CACHE_CONTROL
        csp = r.headers["Content-Security-Policy"]
        # The sign-in provider is fetched from the page (discovery, token endpoint).
        assert stack.provider.issuer in csp.split("connect-src", 1)[1].split(";")[0]
    scripts = re.findall(r'src="(/assets/[^"]+\.js)"', index)
    assert scripts
    r = requests.get(stack.url + scripts[0], timeout=10)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == ASSET_CACHE_CONTROL
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_channel_urls_send_browsers_to_the_page_and_clients_to_the_files(
    stack: LocalStack,
) -> None:
    r = requests.get(
        stack.url + "/demo", headers={"Accept": BROWSER_ACCEPT}, allow_redirects=False, timeout=10
    )
    assert r.status_code == 302
    assert r.headers["Location"] == "/channels/demo"
    # A conda client never sends text/html: as before, no listing, no redirect.
    for accept in (None, "*/*", "application/json"):
        headers = {"Accept": accept} if accept else {}
        r = requests.get(stack.url + "/demo", headers=headers, allow_redirects=False, timeout=10)
        assert r.status_code == 404, accept


def test_an_uploaded_logo_is_served_by_the_cdn_as_an_image(stack: LocalStack) -> None:
    admin = {"Authorization": f"Bearer {stack.admin_token}"}
    r = requests.post(
        f"{stack.url}/api/v1/channels", json={"name": "logoed"}, headers=admin, timeout=10
    )
    assert r.status_code == 201, r.text
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    r = requests.put(
        f"{stack.url}/api/v1/channels/logoed/logo",
        data=png,
        headers={**admin, "Content-Type": "application/octet-stream"},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    logo = requests.get(r.json()["logo_url"], timeout=10)
    assert logo.status_code == 200
    assert logo.content == png
    assert logo.headers["Content-Type"] == "image/png"
    assert logo.headers["X-Content-Type-Options"] == "nosniff"
