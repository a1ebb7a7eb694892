"""The home page's "Your channels": each with the person's role there, as the API says."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.web.helpers import assert_accessible, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_your_channels_say_your_role_public_ones_you_belong_to_included(
    new_session: Any,
) -> None:
    carol = new_session()
    sign_in(carol, "carol.dev", "carol")
    stack = carol.stack
    admin = {"Authorization": f"Bearer {stack.admin_token}"}
    for name, visibility, role in (
        ("carol-docs", "public", "maintainer"),
        ("carol-lab", "private", "member"),
        ("not-carols", "public", None),
    ):
        r = requests.post(
            f"{stack.url}/api/v1/channels",
            json={"name": name, "visibility": visibility},
            headers=admin,
            timeout=10,
        )
        assert r.status_code == 201, r.text
        if role:
            r = requests.put(
                f"{stack.url}/api/v1/channels/{name}/members/carol",
                json={"role": role},
                headers=admin,
                timeout=10,
            )
            assert r.status_code == 200, r.text

    page = carol.goto("/")
    mine = page.get_by_role("list", name="Your channels")
    docs = mine.get_by_role("listitem").filter(has=page.get_by_role("link", name="carol-docs"))
    expect(docs).to_contain_text("Your role: maintainer")
    lab = mine.get_by_role("listitem").filter(has=page.get_by_role("link", name="carol-lab"))
    expect(lab).to_contain_text("Your role: member")
    expect(mine.get_by_role("link", name="not-carols")).to_have_count(0)
    others = page.get_by_role("list", name="Other public channels")
    expect(others.get_by_role("link", name="not-carols")).to_be_visible()
    expect(others).not_to_contain_text("Your role")
    assert_accessible(page, "home with roles")
    screenshot(page, "home-roles")
    assert not carol.console_errors, carol.console_errors
