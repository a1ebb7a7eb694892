"""The local stack serves the web app's build as CloudFront does: index.html for every
page (revalidated each load), hashed files for a year, the security headers on all."""

from __future__ import annotations

from pathlib import Path

import pytest
from werkzeug.test import Client

from infra.local.server import LocalStack
from rillet.core.webapp import ASSET_CACHE_CONTROL, INDEX_CACHE_CONTROL, security_headers

BROWSER = "text/html,application/xhtml+xml,*/*;q=0.8"
INDEX = b"<!doctype html><title>Rillet</title><script type=module src=/assets/app-1a2b.js>"


@pytest.fixture
def client(tmp_path: Path) -> Client:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_bytes(INDEX)
    (tmp_path / "assets" / "app-1a2b.js").write_text("console.log(1)")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    return Client(LocalStack(web_dist=tmp_path).wsgi)


@pytest.mark.parametrize(
    "path", ["/", "/index.html", "/channels/new", "/channels/acme/packages/x", "/account"]
)
def test_every_page_is_index_html_revalidated_on_each_load(client: Client, path: str) -> None:
    r = client.get(path, headers={"Accept": BROWSER})
    assert r.status_code == 200
    assert r.data == INDEX
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Cache-Control"] == INDEX_CACHE_CONTROL
    again = client.get(path, headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_hashed_files_are_immutable(client: Client) -> None:
    r = client.get("/assets/app-1a2b.js")
    assert r.status_code == 200
    assert r.data == b"console.log(1)"
    assert r.headers["Cache-Control"] == ASSET_CACHE_CONTROL
    assert r.headers["Content-Type"].startswith("text/javascript")
    assert client.get("/assets/missing-0000.js").status_code == 404


def test_security_headers_on_pages_and_files(client: Client) -> None:
    for path in ("/", "/assets/app-1a2b.js", "/favicon.svg"):
        r = client.get(path)
        for name, value in security_headers().items():
            assert r.headers[name] == value, (path, name)
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_a_browser_opening_a_channel_url_lands_on_its_page(client: Client) -> None:
    r = client.get("/acme", headers={"Accept": BROWSER})
    assert r.status_code == 302
    assert r.headers["Location"] == "/channels/acme"


def test_the_app_not_built_says_how_to_build_it(tmp_path: Path) -> None:
    r = Client(LocalStack(web_dist=tmp_path / "none").wsgi).get("/")
    assert r.status_code == 503
    assert b"make serve" in r.data
