"""Browser tests: the local stack serving the built web app, driven by the OS's Chromium.

Playwright for Python drives /usr/bin/chromium (``executable_path``); it never downloads a
browser. What the tests need and how to get it (``make test`` does all of it):

- Chromium: ``sudo apt-get install -y chromium`` (``make browser`` as root does it itself);
- the web app's build: ``make web`` (``npm ci && npm run build`` in web/);
- axe-core: ``make browser`` (``npm ci`` in tests/web).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from infra.local.server import WEB_DIST, LocalStack

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
IMAGES = ROOT / "docs" / "images"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Generous for a loaded 2-core CI machine; each wait ends as soon as the page is there.
TIMEOUT_MS = 20_000


def chromium_path() -> str:
    path = os.environ.get("RILLET_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        pytest.fail(
            "the browser tests need the OS's Chromium: run  sudo apt-get install -y chromium",
            pytrace=False,
        )
    return path


def require_built() -> None:
    if not (WEB_DIST / "index.html").is_file():
        pytest.fail("the web app is not built: run  make web", pytrace=False)
    if not AXE.is_file():
        pytest.fail("axe-core is not installed: run  make browser", pytrace=False)


@pytest.fixture(scope="package")
def stack() -> Iterator[LocalStack]:
    require_built()
    with LocalStack(port=0, signin=True, web_dist=WEB_DIST) as s:
        yield s


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # launch() gives every run a fresh temporary profile (user-data-dir) of its own.
    b = playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
    )
    yield b
    b.close()


@dataclass
class Session:
    """One person's browser (own cookies, own tab storage) on the local stack."""

    stack: LocalStack
    context: BrowserContext
    page: Page
    username: str = ""
    console_errors: list[str] = field(default_factory=list)

    def goto(self, path: str) -> Page:
        self.page.goto(self.stack.url + path)
        return self.page


@pytest.fixture
def new_session(browser: Browser, stack: LocalStack) -> Iterator[Any]:
    contexts: list[BrowserContext] = []

    def make(width: int = 1280, height: int = 900) -> Session:
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="en-US", timezone_id="UTC"
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        session = Session(stack, context, page)
        # Script errors and CSP refusals are the app's defects; a failed request (an API
        # answer in words, a missing favicon) is not one by itself.
        page.on("pageerror", lambda e: session.console_errors.append(str(e)))
        page.on(
            "console",
            lambda m: (
                session.console_errors.append(m.text)
                if m.type == "error" and "Content Security Policy" in m.text
                else None
            ),
        )
        return session

    yield make
    for c in contexts:
        c.close()
