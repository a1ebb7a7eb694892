"""The deps layer holds what the functions import, pinned: layers/requirements.in names it,
layers/requirements.lock pins it with hashes, and the build installs only the lock."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

from infra.aws import build_layer

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "layers" / "rillet" / "python" / "rillet"
# What only the `rillet` command needs (the [cli] extra and what it pulls in).
# rich (and markdown-it-py, mdurl, pygments), certifi and idna are also sigstore's
# (attestations, in the layer), so they are no longer the CLI's alone.
CLI_ONLY = {"typer", "httpx", "httpcore", "h11", "anyio", "click", "shellingham", "sniffio"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, Version]:
    return {
        _norm(name): Version(version)
        for name, version in (p.split("==") for p in build_layer.requirements())
    }


def _top_level_imports(paths: list[Path]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m != "rillet"}


def _function_code() -> list[Path]:
    server = [p for p in PKG.rglob("*.py") if "cli" not in p.relative_to(PKG).parts]
    return server + sorted((ROOT / "functions").rglob("*.py"))


def test_every_third_party_import_of_the_functions_is_pinned_in_the_lock() -> None:
    providers = metadata.packages_distributions()
    pins = _pins()
    imports = _top_level_imports(_function_code())
    assert {"boto3", "aws_lambda_powertools", "zstandard"} <= imports
    for module in sorted(imports):
        dists = {_norm(d) for d in providers.get(module, [])}
        assert dists, f"{module}: no installed distribution provides it"
        assert dists & set(pins), f"{module} ({sorted(dists)}) is imported but not in the lock"


def test_nothing_only_the_cli_needs_is_in_the_lock() -> None:
    assert not CLI_ONLY & set(_pins())
    # The CLI's own imports are the ones the lock leaves out.
    cli = _top_level_imports(sorted((PKG / "cli").rglob("*.py")))
    assert {"typer", "rich", "httpx"} <= cli


def test_the_layer_names_the_runtime_dependencies_and_the_lock_satisfies_them() -> None:
    wanted = [
        Requirement(line)
        for line in build_layer.REQUIREMENTS_IN.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    with (ROOT / "pyproject.toml").open("rb") as f:
        project = tomllib.load(f)["project"]
    runtime = {_norm(Requirement(r).name) for r in project["dependencies"]}
    assert {_norm(r.name) for r in wanted} == runtime
    assert not CLI_ONLY & runtime  # `pip install rillet` brings no CLI dependency
    cli_extra = {_norm(Requirement(r).name) for r in project["optional-dependencies"]["cli"]}
    assert {"typer", "rich", "httpx"} <= cli_extra
    pins = _pins()
    for requirement in wanted:
        version = pins.get(_norm(requirement.name))
        assert version is not None, requirement
        assert requirement.specifier.contains(version), (requirement, version)
        for extra in requirement.extras:  # boto3[crt] -> awscrt, pyjwt[crypto] -> cryptography
            assert {"crt": "awscrt", "crypto": "cryptography"}[extra] in pins


def test_every_pin_is_exact_and_hashed() -> None:
    text = build_layer.LOCK.read_text()
    blocks = re.split(r"\n(?=\S)", text.split("\n", 2)[-1].strip())
    entries = [b for b in blocks if not b.startswith("#")]
    assert len(entries) == len(build_layer.requirements()) >= 10
    for block in entries:
        assert re.match(r"^[A-Za-z0-9._-]+==[^\s;]+", block), block.splitlines()[0]
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", block), block.splitlines()[0]


def test_the_lock_is_compiled_for_the_lambda_platform() -> None:
    header = build_layer.LOCK.read_text().splitlines()[1]
    command = " ".join(build_layer.LOCK_COMMAND[1:])
    assert command.replace(" --quiet", "") in header.replace("uv ", "", 1).strip(" #")
    assert f"--python-version {build_layer.PYTHON_VERSION}" in header
