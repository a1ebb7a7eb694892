"""The one instrumentation hook (rillet.core.instrument): spans reach an observer, or nobody."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from rillet.core import instrument
from rillet.core.instrument import span


@pytest.fixture
def seen() -> Iterator[list[tuple[str, float, dict[str, Any]]]]:
    events: list[tuple[str, float, dict[str, Any]]] = []
    previous = instrument.observe(lambda name, s, facts: events.append((name, s, facts)))
    try:
        yield events
    finally:
        instrument.observe(previous)


def test_a_span_reaches_the_observer_with_the_facts_added_inside(seen: list[Any]) -> None:
    with span("step", channel="c") as facts:
        facts["rebuilt"] = True
    [(name, seconds, got)] = seen
    assert (name, got) == ("step", {"channel": "c", "rebuilt": True})
    assert seconds >= 0


def test_a_span_that_raises_is_observed_and_the_error_goes_on(seen: list[Any]) -> None:
    with pytest.raises(KeyError), span("step"):
        raise KeyError("x")
    assert seen[0][0] == "step" and seen[0][2] == {"error": True}


def test_without_an_observer_nothing_is_called() -> None:
    assert instrument.observe(None) is None
    with span("step") as facts:
        facts["x"] = 1  # the code may still write its facts
    assert instrument.observe(None) is None
