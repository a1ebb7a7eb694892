"""The issue's browser flow, end to end on the local stack, as people use the app."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.helpers import assert_accessible, assert_fits, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_sign_in_and_choose_a_username(new_session: Any) -> None:
    alice = new_session()
    sign_in(alice, "alice.dev", "alice")
    page = alice.page
    expect(page.get_by_label("Filter channels by name")).to_be_visible()
    assert_accessible(page, "home")
    screenshot(page, "home")
    narrow = new_session(width=375, height=800)
    narrow.goto("/")
    expect(narrow.page.get_by_label("Filter channels by name")).to_be_visible()
    assert_fits(narrow.page, "home")
    assert not alice.console_errors, alice.console_errors
