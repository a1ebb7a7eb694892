"""Suite-wide: every test that runs on the local stack is an end-to-end test.

`make test-fast` leaves out the `e2e` marker; a test that takes the session's local stack
(the `stack` fixture) or lives under tests/e2e gets the marker here, so none is missed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

E2E_DIR = Path(__file__).parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        uses_stack = "stack" in getattr(item, "fixturenames", ())
        if uses_stack or Path(item.path).is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)
