"""Real conda packages for tests, built with rattler-build's assembler."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import rattler_build


def build_package(
    out_dir: Path,
    name: str,
    version: str = "1.0",
    *,
    subdir: str = "noarch",
    build: str = "h0_0",
    depends: Sequence[str] = (),
    tar_bz2: bool = False,
    files: dict[str, str] | None = None,
    build_number: int = 0,
) -> Path:
    """Build ``name-version-build`` (.conda, or .tar.bz2) holding ``files`` (path -> text)."""
    files = files or {f"share/{name}/{name}.txt": f"{name} {version}\n"}
    with tempfile.TemporaryDirectory() as staging:
        for rel, text in files.items():
            target = Path(staging, rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        out_dir.mkdir(parents=True, exist_ok=True)
        output = rattler_build.assemble_package(
            name=name,
            version=version,
            target_platform=subdir,
            build_string=build,
            output_dir=str(out_dir),
            files_dir=staging,
            depends=list(depends),
            build_number=build_number,
            noarch="generic" if subdir == "noarch" else None,
            archive_type=(
                rattler_build.ArchiveType.TarBz2 if tar_bz2 else rattler_build.ArchiveType.Conda
            ),
            timestamp=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            license="MIT",
            summary=f"{name} for tests",
        )
    return Path(output.path)
