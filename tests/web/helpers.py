"""What the browser tests do as a person would: sign in, check accessibility, screenshot."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from tests.web.conftest import AXE, IMAGES, Session

# axe's impact levels that fail a test (the issue: no serious or critical violation).
FAILING_IMPACTS = ("serious", "critical")


def sign_in(session: Session, login: str, username: str | None = None) -> None:
    """Through the app's "Sign in" and the local provider's form; then choose a username
    if the account has none (the app asks first)."""
    page = session.page
    session.goto("/")
    page.get_by_role("button", name="Sign in").first.click()
    # The local OpenID Provider's development form (infra/local/oidc/server.mjs).
    page.get_by_label("Username").fill(login)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^" + re.escape(session.stack.url) + r"/(?!callback)"))
    if username is not None:
        page.wait_for_url(re.compile(r"/account/username"))
        page.get_by_label("Username").fill(username)
        page.get_by_role("button", name="Save username").click()
        expect(page.get_by_role("link", name=f"Account ({username})")).to_be_visible()
        session.username = username


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: a <script> tag (add_script_tag) would be
        # refused by the app's own CSP (script-src 'self'), which the tests keep enforced.
        page.evaluate(AXE.read_text() + "\n;undefined")
    result = page.evaluate("async () => await window.axe.run(document)")
    return [v for v in result["violations"] if v.get("impact") in FAILING_IMPACTS]


def assert_accessible(page: Page, what: str) -> None:
    violations = axe_violations(page)
    report = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in violations
    ]
    assert not violations, f"axe on {what}:\n" + json.dumps(report, indent=1)


def assert_fits(page: Page, what: str) -> None:
    """Nothing wider than the viewport: no sideways scrolling at this width."""
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"{what} scrolls sideways by {overflow}px at this width"


# What the screenshots show instead of the stack's 127.0.0.1:<random port> (install and
# sign-in snippets print the page's origin): the same images on every run, no port.
DOCS_ORIGIN = "https://conda.example.org"

_SWAP_TEXT = """([pairs]) => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const changed = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        let text = n.nodeValue;
        for (const [from, to] of pairs) text = text.split(from).join(to);
        if (text !== n.nodeValue) { changed.push([n, n.nodeValue]); n.nodeValue = text; }
    }
    window.__rilletRestoreText = () => { for (const [n, v] of changed) n.nodeValue = v; };
}"""


@contextmanager
def docs_origin(page: Page) -> Iterator[None]:
    """While inside, the page's text says DOCS_ORIGIN (and its host) where it said the
    stack's origin; the text is put back after, so the app and the test go on unchanged."""
    here = urlsplit(page.url)
    docs = urlsplit(DOCS_ORIGIN)
    pairs = [[f"{here.scheme}://{here.netloc}", DOCS_ORIGIN], [here.netloc, docs.netloc]]
    page.evaluate(_SWAP_TEXT, [pairs])
    try:
        yield
    finally:
        page.evaluate("() => window.__rilletRestoreText && window.__rilletRestoreText()")


def screenshot(page: Page, name: str) -> Path:
    IMAGES.mkdir(parents=True, exist_ok=True)
    path = IMAGES / f"{name}.png"
    with docs_origin(page):
        page.screenshot(path=str(path), full_page=True)
    return path
