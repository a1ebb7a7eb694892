"""Real packages built once per session (see package_factory)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.core.package_factory import build_package

RUN_EXPORTS = {"weak": ["demo >=1.0.0,<2"]}


@dataclass(frozen=True)
class BuiltPackages:
    conda: Path  # noarch .conda with about.json, run_exports.json and a symlink
    tar_bz2: Path  # noarch .tar.bz2 with the same content
    linux_conda: Path  # linux-64 .conda
    linux_tar_bz2: Path  # linux-64 .tar.bz2


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltPackages:
    root = tmp_path_factory.mktemp("packages")

    def make(**kwargs: object) -> Path:
        return build_package(
            root,
            files={"share/demo/README": b"hello\n", "lib/libdemo.so.1": b"\x7fELF"},
            symlinks={"lib/libdemo.so": "libdemo.so.1"},
            constrains=["other <2"],
            run_exports=RUN_EXPORTS,
            **kwargs,  # type: ignore[arg-type]
        )

    return BuiltPackages(
        conda=make(),
        tar_bz2=make(tar_bz2=True),
        linux_conda=make(subdir="linux-64", build="h1234_0"),
        linux_tar_bz2=make(subdir="linux-64", build="h1234_0", tar_bz2=True),
    )


@pytest.fixture(params=["conda", "tar_bz2"])
def package(request: pytest.FixtureRequest, built: BuiltPackages) -> Path:
    """Each format in turn, for the checks both formats share."""
    path: Path = getattr(built, request.param)
    return path
