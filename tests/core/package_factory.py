"""Real conda packages built with rattler-build, and copies of them made bad in one way.

Packages come from ``rattler_build.assemble_package``; every bad variant is a real
package rewritten in exactly one respect (index.json edited, one tar member added, the
zip's central directory patched, ...), so a test that refuses it refuses for that reason.
"""

from __future__ import annotations

import bz2
import io
import json
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import rattler_build
import zstandard

FIXED_TIME = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def build_package(
    out_dir: Path,
    *,
    name: str = "demo",
    version: str = "1.0.0",
    build: str = "h0_0",
    subdir: str = "noarch",
    tar_bz2: bool = False,
    files: Mapping[str, bytes] | None = None,
    symlinks: Mapping[str, str] | None = None,
    depends: Sequence[str] = ("python >=3.8",),
    constrains: Sequence[str] = (),
    run_exports: Mapping[str, Any] | None = None,
) -> Path:
    """Build ``name-version-build`` (.conda or .tar.bz2) into a fresh directory under out_dir."""
    files = files if files is not None else {f"share/{name}/README": b"hello\n"}
    staging = Path(tempfile.mkdtemp(dir=out_dir, prefix="staging-"))
    for rel, data in files.items():
        (staging / rel).parent.mkdir(parents=True, exist_ok=True)
        (staging / rel).write_bytes(data)
    for rel, target in (symlinks or {}).items():
        (staging / rel).parent.mkdir(parents=True, exist_ok=True)
        (staging / rel).symlink_to(target)
    output = rattler_build.assemble_package(
        name=name,
        version=version,
        target_platform=subdir,
        build_string=build,
        output_dir=tempfile.mkdtemp(dir=out_dir, prefix="out-"),
        files_dir=staging,
        license="MIT",
        summary=f"{name} for tests",
        depends=list(depends),
        constrains=list(constrains),
        noarch="generic" if subdir == "noarch" else None,
        archive_type=(
            rattler_build.ArchiveType.TarBz2 if tar_bz2 else rattler_build.ArchiveType.Conda
        ),
        timestamp=FIXED_TIME,
        compression_level=1,
    )
    path = Path(output.path)
    if run_exports is not None:
        # assemble_package has no run_exports argument; add the file the way builds do.
        path = edit_info(path, add(file_member("info/run_exports.json", json.dumps(run_exports))))
    return path


# --- tar members ------------------------------------------------------------------------------


@dataclass
class Member:
    info: tarfile.TarInfo
    data: bytes | None = None  # None: info.size zero bytes (cheap bombs)


def file_member(name: str, data: bytes | str) -> Member:
    raw = data.encode() if isinstance(data, str) else data
    info = tarfile.TarInfo(name)
    info.size = len(raw)
    info.mode = 0o644
    return Member(info, raw)


def zeros_member(name: str, size: int) -> Member:
    info = tarfile.TarInfo(name)
    info.size = size
    return Member(info, None)


def link_member(name: str, target: str, *, hard: bool = False) -> Member:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    return Member(info)


def special_member(name: str, kind: bytes) -> Member:
    info = tarfile.TarInfo(name)
    info.type = kind  # tarfile.FIFOTYPE, CHRTYPE, BLKTYPE, ...
    return Member(info)


class _Zeros:
    def read(self, n: int = -1) -> bytes:
        return bytes(max(n, 0))


def read_tar(raw: bytes) -> list[Member]:
    members = []
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
        for info in tar:
            extracted = tar.extractfile(info) if info.isfile() else None
            members.append(Member(info, extracted.read() if extracted else None))
    return members


def tar_bytes(members: Sequence[Member], compression: str = "") -> bytes:
    """A PAX tar of ``members``, compressed with "zst", "bz2" or nothing, written streaming."""
    sink = io.BytesIO()
    if compression == "zst":
        writer: Any = zstandard.ZstdCompressor(level=1).stream_writer(sink, closefd=False)
    elif compression == "bz2":
        writer = bz2.BZ2File(sink, "wb")
    else:
        writer = sink
    with tarfile.open(fileobj=writer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for member in members:
            source = io.BytesIO(member.data) if member.data is not None else _Zeros()
            tar.addfile(member.info, source if member.info.isfile() else None)
    if writer is not sink:
        writer.close()
    return sink.getvalue()


# --- .conda zips ------------------------------------------------------------------------------


def conda_parts(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def conda_bytes(parts: Sequence[tuple[str, bytes]]) -> bytes:
    """A .conda zip as conda writes it: stored (uncompressed) members, in the given order."""
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in parts:
            zf.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 2, 3, 4, 5)), data)
    return sink.getvalue()


class _Unseekable(io.RawIOBase):
    def __init__(self) -> None:
        self.sink = io.BytesIO()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return self.sink.write(data)


def streamed_conda_bytes(
    parts: Sequence[tuple[str, bytes]], *, compress_type: int, zip64: bool = False
) -> bytes:
    """A .conda as a streaming zip writer makes it: sizes in data descriptors after the data."""
    out = _Unseekable()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in parts:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 2, 3, 4, 5))
            info.compress_type = compress_type
            with zf.open(info, "w", force_zip64=zip64) as member:
                member.write(data)
    return out.sink.getvalue()


def zstd_decompress(data: bytes) -> bytes:
    return zstandard.ZstdDecompressor().decompressobj().decompress(data)


# --- rewriting --------------------------------------------------------------------------------

Edit = Callable[[list[Member]], list[Member]]


def sibling(src: Path, name: str | None = None) -> Path:
    """A path in a fresh directory next to ``src``, named like src unless told otherwise."""
    return Path(tempfile.mkdtemp(dir=src.parent.parent)) / (name or src.name)


def write_variant(src: Path, data: bytes, name: str | None = None) -> Path:
    dst = sibling(src, name)
    dst.write_bytes(data)
    return dst


def edit_tar(src: Path, part: str, edit: Edit) -> Path:
    """Rewrite the ``part`` ("info" or "pkg") archive of src; a .tar.bz2 has one tar for both."""
    if src.name.endswith(".conda"):
        parts = [
            (name, tar_bytes(edit(read_tar(zstd_decompress(data))), "zst"))
            if name.startswith(f"{part}-")
            else (name, data)
            for name, data in conda_parts(src)
        ]
        return write_variant(src, conda_bytes(parts))
    return write_variant(src, tar_bytes(edit(read_tar(bz2.decompress(src.read_bytes()))), "bz2"))


def edit_info(src: Path, edit: Edit) -> Path:
    return edit_tar(src, "info", edit)


def edit_pkg(src: Path, edit: Edit) -> Path:
    return edit_tar(src, "pkg", edit)


def add(*new: Member, first: bool = False) -> Edit:
    return lambda members: [*new, *members] if first else [*members, *new]


def drop(name: str) -> Edit:
    return lambda members: [m for m in members if m.info.name != name]


def replace_json(name: str, data: bytes | str) -> Edit:
    """Replace the content of member ``name`` (e.g. info/index.json) with raw bytes."""

    def edit(members: list[Member]) -> list[Member]:
        return [file_member(name, data) if m.info.name == name else m for m in members]

    return edit


def info_members(src: Path) -> list[Member]:
    """The members of src's info archive (for a .tar.bz2: of its one tar)."""
    if src.name.endswith(".conda"):
        (data,) = [data for name, data in conda_parts(src) if name.startswith("info-")]
        return read_tar(zstd_decompress(data))
    return read_tar(bz2.decompress(src.read_bytes()))


def edit_index(src: Path, change: Callable[[dict[str, Any]], object]) -> Path:
    """Rewrite info/index.json after ``change(index)`` mutated it."""
    (member,) = [m for m in info_members(src) if m.info.name == "info/index.json"]
    index = json.loads(member.data or b"")
    change(index)
    return edit_info(src, replace_json("info/index.json", json.dumps(index)))


def replace_part(src: Path, prefix: str, data: bytes | None) -> Path:
    """Replace (with None: remove) the .conda zip member whose name starts with ``prefix``."""
    parts = []
    for name, old in conda_parts(src):
        if not name.startswith(prefix):
            parts.append((name, old))
        elif data is not None:
            parts.append((name, data))
    return write_variant(src, conda_bytes(parts))
