"""Run the real upload client the way a CI job does: in its own process.

py-rattler-build holds the GIL for the whole upload, so it cannot share a
process with the local stack's HTTP server threads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCRIPT = """
import json, sys
import rattler_build
args = json.loads(sys.argv[1])
try:
    rattler_build.upload_package_to_prefix(args.pop("files"), args.pop("url"), args.pop("channel"), **args)
except Exception as exc:
    print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
    sys.exit(1)
"""


@dataclass(frozen=True)
class ClientResult:
    ok: bool
    error: str


def upload_with_client(
    files: list[Path], url: str, channel: str, *, env: dict[str, str] | None = None, **kwargs: Any
) -> ClientResult:
    """``rattler_build.upload_package_to_prefix(files, url, channel, **kwargs)`` in a subprocess."""
    args = {"files": [str(f) for f in files], "url": url, "channel": channel, **kwargs}
    for key, value in list(args.items()):
        if isinstance(value, Path):
            args[key] = str(value)
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GITLAB", "ACTIONS_"))
    }
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, json.dumps(args)],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return ClientResult(ok=proc.returncode == 0, error=proc.stderr.strip())
