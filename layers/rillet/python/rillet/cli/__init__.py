"""The ``rillet`` command: log in, upload through presigned URLs, manage channels.

It talks to a deployment only through the public HTTP API (``/api/v1``) and reuses
``rillet.core`` to check packages locally; it never imports the server's services.
Its own dependencies (typer, rich, httpx) come with the ``cli`` extra, never with the
Lambda layer: ``main`` says what to install when they are missing.
"""

from __future__ import annotations

import sys

# The distributions the extra installs, by the module each provides.
CLI_MODULES = {"typer": "typer", "rich": "rich", "httpx": "httpx"}
INSTALL_HINT = "pip install 'rillet[cli]'"


def missing_dependencies() -> list[str]:
    """The CLI's distributions that cannot be imported here."""
    import importlib

    missing = []
    for module, dist in CLI_MODULES.items():
        try:
            importlib.import_module(module)  # the command imports them right after anyway
        except ImportError:
            missing.append(dist)
    return sorted(missing)


def main() -> None:
    """The console script: the command, or what to install when the extra is missing."""
    missing = missing_dependencies()
    if missing:
        sys.stderr.write(
            f"rillet: the command needs {', '.join(missing)}, which come with the CLI extra.\n"
            f"Install it with: {INSTALL_HINT}\n"
        )
        raise SystemExit(1)
    from rillet.cli.main import app

    app(prog_name="rillet")
