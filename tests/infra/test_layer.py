"""The deps layer holds Linux wheels for the Lambda architecture and CPython 3.12 only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from infra.aws import build_layer

# Wheel platform tags and ELF e_machine values per Lambda architecture.
MACHINES = {"arm64": ("aarch64", 183), "x86_64": ("x86_64", 62)}
PYTHON_TAG = re.compile(r"^(py3|py2|cp3(\d+))$")


def _wheel_tags(layer: Path) -> dict[str, list[str]]:
    return {
        wheel.parent.name: [
            line.split(":", 1)[1].strip()
            for line in wheel.read_text().splitlines()
            if line.startswith("Tag:")
        ]
        for wheel in layer.glob("*.dist-info/WHEEL")
    }


def _architecture() -> str:
    manifest = build_layer.read_manifest()
    assert manifest, "the layer has no manifest"
    return str(manifest["architecture"])


def test_the_functions_run_on_arm64() -> None:
    assert build_layer.ARCHITECTURE == "arm64"
    assert build_layer.PYTHON_VERSION == "3.12"


def test_every_wheel_is_pure_or_manylinux_for_the_lambda_architecture(deps_layer: Path) -> None:
    machine, _ = MACHINES[_architecture()]
    tags = _wheel_tags(deps_layer)
    assert len(tags) >= 10
    for dist, wheel_tags in tags.items():
        assert wheel_tags, dist
        for tag in wheel_tags:
            python, abi, platform = tag.split("-")
            if platform == "any":
                assert abi == "none" and python in {"py2", "py3"}, (dist, tag)
                continue
            assert platform.startswith("manylinux") and platform.endswith(machine), (dist, tag)
            version = PYTHON_TAG.match(python)
            assert version and version.group(2), (dist, tag)
            # cp312 itself, or a stable-ABI (abi3) wheel from an older CPython.
            assert (abi == "abi3" and int(version.group(2)) <= 12) or (python == abi == "cp312"), (
                dist,
                tag,
            )


def test_every_extension_module_is_an_elf_for_the_lambda_architecture(deps_layer: Path) -> None:
    machine, e_machine = MACHINES[_architecture()]
    extensions = list(deps_layer.rglob("*.so"))
    assert extensions, "no compiled modules: the layer cannot be the real one"
    for so in extensions:
        header = so.read_bytes()[:20]
        assert header[:4] == b"\x7fELF", so
        assert int.from_bytes(header[18:20], "little") == e_machine, so
        if ".cpython-" in so.name:
            assert so.name.endswith(f".cpython-312-{machine}-linux-gnu.so"), so


def test_every_runtime_dependency_is_in_the_layer(deps_layer: Path) -> None:
    installed = {
        re.sub(r"[-_.]+", "-", d.name.removesuffix(".dist-info").rsplit("-", 1)[0]).lower()
        for d in deps_layer.glob("*.dist-info")
    }
    for requirement in build_layer.requirements():
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        assert name
        assert re.sub(r"[-_.]+", "-", name.group(0)).lower() in installed, requirement
    # SigV4A for the KeyValueStore API needs the CRT.
    assert "awscrt" in installed


@pytest.mark.parametrize("architecture", sorted(build_layer.PLATFORMS))
def test_pip_is_asked_for_binary_wheels_of_that_platform(architecture: str) -> None:
    command = build_layer.pip_command(architecture)
    assert "--only-binary=:all:" in command
    # Exactly the lock: every wheel checked against its hash, nothing unpinned pulled in.
    assert {"--require-hashes", "--no-deps"} <= set(command)
    assert command[command.index("-r") + 1] == str(build_layer.LOCK)
    assert command[command.index("--python-version") + 1] == "3.12"
    platforms = [command[i + 1] for i, arg in enumerate(command) if arg == "--platform"]
    machine, _ = MACHINES[architecture]
    # zstandard ships only manylinux2014 wheels; newer packages only manylinux_2_28.
    assert {f"manylinux2014_{machine}", f"manylinux_2_28_{machine}"} <= set(platforms)
