"""The dependency direction is a rule, not a habit: functions -> runtime -> services -> core <- adapters."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "layers" / "rillet" / "python" / "rillet"

FORBIDDEN_IN_CORE = (
    "boto3",
    "botocore",
    "aws_lambda_powertools",
    "rillet.adapters",
    "rillet.services",
    "rillet.runtime",
    "os",
    "requests",
    "urllib.request",
)


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def environment_reads(path: Path) -> list[int]:
    """Lines that touch os.environ / getenv, however imported."""
    pattern = re.compile(r"\benviron\b|\bgetenv\b")
    return [i for i, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]


def _matches(module: str, banned: str) -> bool:
    return module == banned or module.startswith(banned + ".")


def py_files(sub: str) -> list[Path]:
    return sorted((PKG / sub).rglob("*.py"))


@pytest.mark.parametrize("path", py_files("core"), ids=lambda p: p.name)
def test_core_is_pure(path: Path) -> None:
    bad = sorted(m for m in imports_of(path) for b in FORBIDDEN_IN_CORE if _matches(m, b))
    assert not bad, f"{path.name} imports {bad}"
    assert not environment_reads(path), f"{path.name} reads the environment"


@pytest.mark.parametrize("path", py_files("services"), ids=lambda p: p.name)
def test_services_use_ports_not_boto(path: Path) -> None:
    bad = sorted(
        m
        for m in imports_of(path)
        for b in ("boto3", "botocore", "rillet.adapters", "rillet.runtime", "aws_lambda_powertools")
        if _matches(m, b)
    )
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", py_files("adapters"), ids=lambda p: p.name)
def test_adapters_do_not_reach_up(path: Path) -> None:
    bad = sorted(
        m for m in imports_of(path) for b in ("rillet.services", "rillet.runtime") if _matches(m, b)
    )
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize(
    "path", sorted((ROOT / "functions").rglob("handler.py")), ids=lambda p: p.parent.name
)
def test_handlers_are_thin(path: Path) -> None:
    mods = imports_of(path)
    assert not any(_matches(m, "boto3") or _matches(m, "rillet.adapters") for m in mods)
    tree = ast.parse(path.read_text())
    assert not any(isinstance(n, ast.Try) for n in ast.walk(tree)), (
        "errors are mapped once, in runtime.http"
    )


def test_the_rule_detects_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import boto3\nfrom os import environ\n")
    assert {"boto3", "os"} <= imports_of(bad)
    assert environment_reads(bad) == [2]
