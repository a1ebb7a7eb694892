"""The local stack in-process, and the `rillet` command run against it with CliRunner.

The stack is scoped to this package and stopped when its tests are done, so it never
overlaps with the stack of tests/e2e in the same session.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from infra.local.server import LocalStack
from rillet.cli.main import app


@pytest.fixture(scope="package")
def stack() -> Iterator[LocalStack]:
    with LocalStack(port=0, signin=True) as s:
        yield s


@dataclass
class Cli:
    """Runs `rillet ARGS` in-process with RILLET_URL/RILLET_TOKEN for one token."""

    stack: LocalStack
    config_home: Path
    token: str | None = None

    def env(self, token: str | None = None, **extra: str | None) -> dict[str, str | None]:
        env: dict[str, str | None] = {
            "XDG_CONFIG_HOME": str(self.config_home),
            "RILLET_URL": self.stack.url,
            "RILLET_TOKEN": token or self.token,
            "RILLET_MAX_PACKAGE_BYTES": None,
            "COLUMNS": "200",
        }
        env.update(extra)
        return env

    def run(
        self,
        *args: str,
        token: str | None = None,
        env: Mapping[str, str | None] | None = None,
        input: str | None = None,
    ) -> Result:
        merged = self.env(token)
        merged.update(env or {})
        result = CliRunner().invoke(
            app, list(args), env=merged, input=input, catch_exceptions=False
        )
        # Expected failures exit through typer.Exit: never an exception, never a traceback.
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception,
            result.output,
        )
        assert "Traceback" not in result.output
        return result

    def ok(self, *args: str, token: str | None = None) -> Result:
        result = self.run(*args, token=token)
        assert result.exit_code == 0, result.output
        return result

    def json(self, *args: str, token: str | None = None) -> Any:
        return json.loads(self.ok(*args, "--json", token=token).stdout)

    def as_user(self, token: str) -> Cli:
        return Cli(self.stack, self.config_home, token)


@pytest.fixture(scope="module")
def admin_cli(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    return Cli(stack, tmp_path_factory.mktemp("config"), stack.admin_token)


@pytest.fixture(scope="module")
def tokens(admin_cli: Cli) -> dict[str, str]:
    """Users of this module, created with `rillet user create` and the operator token."""
    return {
        name: admin_cli.json("user", "create", name)["key"]["secret"]
        for name in ("olga", "mia", "zed")
    }
