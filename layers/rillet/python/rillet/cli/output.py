"""What the commands print: JSON for scripts, rich tables for people, errors on stderr."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

# Piped output is not cut to 80 columns: grep and less should see whole names.
_PIPE_WIDTH = 240


def _console(*, stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    width = None if tty or os.environ.get("COLUMNS") else _PIPE_WIDTH
    # Created per call: the streams may have been replaced (tests, redirection).
    return Console(file=stream, stderr=stderr, width=width, highlight=False, soft_wrap=not tty)


def out() -> Console:
    return _console(stderr=False)


def err() -> Console:
    return _console(stderr=True)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2) + "\n")
    sys.stdout.flush()


def say(text: str) -> None:
    """A plain line on stdout (no markup: names may contain brackets)."""
    out().print(text, markup=False)


def warn(text: str) -> None:
    err().print(text, markup=False)


def error_line(code: str, message: str) -> None:
    sys.stderr.write(f"error: {code}: {message}\n")
    sys.stderr.flush()


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, empty: str = "") -> None:
    rows = list(rows)
    if not rows and empty:
        say(empty)
        return
    t = Table(*columns, box=None, pad_edge=False, header_style="bold")
    for row in rows:
        t.add_row(*(Text(cell_text(c)) for c in row))
    out().print(t)


def fields(pairs: Iterable[tuple[str, Any]]) -> None:
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold")
    t.add_column()
    for key, value in pairs:
        t.add_row(Text(key), Text(cell_text(value)))
    out().print(t)


def cell_text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "-"
    if isinstance(value, dict):
        return " ".join(f"{k}={cell_text(v)}" for k, v in value.items() if v is not None) or "-"
    return str(value)


def human_size(size: Any) -> str:
    if not isinstance(size, int):
        return "-"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
