"""The `rillet` command comes with the [cli] extra, and says so when the extra is missing."""

from __future__ import annotations

import subprocess
import sys

# The console script's entry point (pyproject's [project.scripts]) without the extra:
# every CLI dependency made unimportable, as in an environment without `rillet[cli]`.
WITHOUT_EXTRA = """
import sys
for name in ("typer", "rich", "httpx"):
    sys.modules[name] = None
from rillet.cli import main
main()
"""


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )


def test_without_the_extra_the_command_says_what_to_install() -> None:
    result = _run(WITHOUT_EXTRA, "--help")
    assert result.returncode == 1
    assert "pip install 'rillet[cli]'" in result.stderr
    assert "typer" in result.stderr and "Traceback" not in result.stderr


def test_with_the_extra_the_entry_point_runs_the_command() -> None:
    result = _run(
        "import sys; sys.argv = ['rillet', '--help']\nfrom rillet.cli import main\nmain()"
    )
    assert result.returncode == 0, result.stderr
    assert "upload" in result.stdout
