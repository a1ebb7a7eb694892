"""One explicit instrumentation hook: named spans an observer may time.

The product marks the steps worth measuring (``with span("reindex.read"):``); nothing is
timed unless an observer is installed (the benchmarks in bench/ install one), so the cost
in production is one global read per span. Spans may carry facts known only at their end:
the dict a span yields is passed to the observer, after anything the code added to it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# (span name, seconds it took, its facts)
Observer = Callable[[str, float, dict[str, Any]], None]

_observer: Observer | None = None


def observe(observer: Observer | None) -> Observer | None:
    """Install ``observer`` (None: none); returns the one it replaces."""
    global _observer
    previous, _observer = _observer, observer
    return previous


@contextmanager
def span(name: str, **facts: Any) -> Iterator[dict[str, Any]]:
    observer = _observer
    if observer is None:
        yield facts
        return
    started = time.perf_counter()
    try:
        yield facts
    except BaseException:
        facts["error"] = True
        raise
    finally:
        observer(name, time.perf_counter() - started, facts)
