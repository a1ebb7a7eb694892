"""The issue's browser flow, end to end on the local stack, as people use the app: found
by roles and labels, files dropped as a person drops them, installs by a real client."""

from __future__ import annotations

import base64
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.e2e.rattler_client import solve_and_install
from tests.packages import build_package
from tests.web.conftest import Session
from tests.web.helpers import assert_accessible, assert_fits, screenshot, sign_in

pytestmark = pytest.mark.browser
CHANNEL = "labtools"


def drop_files(page: Page, target: Any, files: list[Path]) -> None:
    """Dispatch real dragenter/dragover/drop events carrying a DataTransfer of Files."""
    payload = [{"name": f.name, "data": base64.b64encode(f.read_bytes()).decode()} for f in files]
    transfer = page.evaluate_handle(
        """(files) => {
            const dt = new DataTransfer();
            for (const f of files) {
                const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
                dt.items.add(new File([bytes], f.name, {type: 'application/octet-stream'}));
            }
            return dt;
        }""",
        payload,
    )
    for event in ("dragenter", "dragover", "drop"):
        target.dispatch_event(event, {"dataTransfer": transfer})


def check_page(page: Page, name: str, phone: Session, path: str, ready: str) -> None:
    """axe on the page, a screenshot for the README, and the same page at 375 px."""
    assert_accessible(page, name)
    screenshot(page, name)
    narrow = phone.goto(path)
    expect(narrow.get_by_role("heading", name=ready).first).to_be_visible()
    assert_fits(narrow, name)
    assert_accessible(narrow, f"{name} at 375 px")


def test_owner_flow_from_sign_in_to_delete(
    new_session: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = new_session()
    sign_in(alice, "alice.dev", "alice")
    page = alice.page
    base = alice.stack.url
    # The same person on a phone-sized screen (own tab storage: signed in on its own).
    phone = new_session(width=375, height=800)
    sign_in(phone, "alice.dev")
    narrow = phone

    expect(page.get_by_label("Filter channels by name")).to_be_visible()
    check_page(page, "home", narrow, "/", "Channels")

    # -- create a private channel --------------------------------------------------
    page.get_by_role("link", name="Create a channel").first.click()
    expect(page.get_by_role("heading", name="Create a channel")).to_be_visible()
    page.get_by_label("Channel name").fill(CHANNEL)
    page.get_by_label("Description").fill("Lab tools for the widget team")
    page.get_by_label(re.compile("^Private")).check()
    check_page(page, "create-channel", narrow, "/channels/new", "Create a channel")
    page.get_by_role("button", name="Create channel").click()
    page.wait_for_url(f"{base}/channels/{CHANNEL}")

    # -- drop two packages onto the upload page -------------------------------------
    packages = [
        build_package(tmp_path / "pkgs", "widgetlib", "1.2.0"),
        build_package(tmp_path / "pkgs", "widgetcli", "0.3.1", depends=["widgetlib >=1.2"]),
    ]
    alice.goto(f"/channels/{CHANNEL}/upload")
    zone = page.get_by_text("Drop package files here").locator("..")
    drop_files(page, zone, packages)
    for pkg in packages:
        item = page.get_by_role("listitem").filter(has_text=pkg.name)
        expect(item.get_by_text(re.compile("^Published"))).to_be_visible(timeout=60_000)
    expect(page.get_by_text("2 of 2 files published")).to_be_visible()
    check_page(page, "upload", narrow, f"/channels/{CHANNEL}/upload", "Upload packages")

    # -- the channel and package pages ---------------------------------------------
    alice.goto(f"/channels/{CHANNEL}")
    expect(page.get_by_role("link", name="widgetcli")).to_be_visible()
    check_page(page, "channel", narrow, f"/channels/{CHANNEL}", "Packages")
    page.get_by_role("link", name="widgetcli").click()
    expect(page.get_by_role("heading", name="widgetcli").first).to_be_visible()
    expect(page.get_by_text("0.3.1").first).to_be_visible()
    check_page(page, "package", narrow, f"/channels/{CHANNEL}/packages/widgetcli", "widgetcli")

    # -- a key from the account page installs both with py-rattler ------------------
    alice.goto("/account")
    page.get_by_label("Description").fill("laptop")
    page.get_by_label("Scope").select_option("read")
    check_page(page, "account", narrow, "/account", "Account")
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_label("New API key secret").inner_text().strip()
    assert secret
    auth = tmp_path / "auth.json"
    auth.write_text(json.dumps({"127.0.0.1": {"BearerToken": secret}}))
    monkeypatch.setenv("RATTLER_AUTH_FILE", str(auth))
    # In a thread of its own: Playwright's sync API keeps an event loop on this one.
    with ThreadPoolExecutor(1) as pool:
        installed = pool.submit(
            solve_and_install, f"{base}/{CHANNEL}", ["widgetcli"], tmp_path / "env"
        ).result()
    assert sorted(installed) == ["widgetcli", "widgetlib"]

    # -- a second person, found by search, becomes a member --------------------------
    bob = new_session()
    sign_in(bob, "bob.dev", "bob")
    bob.goto(f"/channels/{CHANNEL}")
    expect(bob.page.get_by_role("heading", name="Channel not found")).to_be_visible()
    alice.goto(f"/channels/{CHANNEL}/members")
    page.get_by_label("Username").fill("bo")
    page.get_by_role("list", name="Matching users").get_by_role("button", name="bob").click()
    page.get_by_label("Role", exact=True).select_option("member")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("cell", name="bob", exact=True)).to_be_visible()
    check_page(page, "members", narrow, f"/channels/{CHANNEL}/members", "Members")
    bob.goto("/")
    expect(bob.page.get_by_role("list", name="Your channels")).to_contain_text(CHANNEL)
    bob.goto(f"/channels/{CHANNEL}")
    expect(bob.page.get_by_role("link", name="widgetlib")).to_be_visible()

    # -- a GitHub trusted publisher ---------------------------------------------------
    alice.goto(f"/channels/{CHANNEL}/settings")
    page.get_by_label("GitHub Actions").check()
    page.get_by_label(re.compile("^Owner \\(required")).fill("widget-org")
    page.get_by_label(re.compile("^Owner id")).fill("4242")
    page.get_by_label(re.compile("^Repository")).fill("widgets")
    page.get_by_label(re.compile("^Workflow file name")).fill("release.yml")
    page.get_by_role("button", name="Add GitHub publisher").click()
    expect(
        page.get_by_role("heading", name=re.compile("paste this into the repository"))
    ).to_be_visible()
    check_page(page, "settings", narrow, f"/channels/{CHANNEL}/settings", "Channel settings")
    r = requests.get(
        f"{base}/api/v1/channels/{CHANNEL}/publishers",
        headers={"Authorization": f"Bearer {alice.stack.admin_token}"},
        timeout=10,
    )
    assert [p["repository"] for p in r.json()["publishers"]] == ["widgets"]

    # -- delete a package: it leaves the index ------------------------------------------
    alice.goto(f"/channels/{CHANNEL}/packages/widgetcli")
    page.get_by_role("button", name=re.compile("^Delete widgetcli-0.3.1")).click()
    page.get_by_role("button", name=re.compile("^Delete", re.I)).last.click()
    expect(page.get_by_text(re.compile("^Deleted widgetcli-0.3.1"))).to_be_visible()
    alice.stack.wait_idle()
    index = requests.get(
        f"{base}/{CHANNEL}/noarch/repodata.json",
        headers={"Authorization": f"Bearer {secret}"},
        timeout=10,
    ).json()
    names = {r["name"] for r in index.get("packages.conda", {}).values()}
    assert names == {"widgetlib"}

    # -- the audit log tells it all ---------------------------------------------------
    alice.goto(f"/channels/{CHANNEL}/audit")
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    expect(page.get_by_text("widgetcli-0.3.1").first).to_be_visible()
    check_page(page, "audit", narrow, f"/channels/{CHANNEL}/audit", "Audit log")
    assert not alice.console_errors, alice.console_errors
    assert not bob.console_errors, bob.console_errors
