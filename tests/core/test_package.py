"""core.package: real packages read right, and real packages made bad in one way refused."""

from __future__ import annotations

import bz2
import hashlib
import io
import os
import struct
import tarfile
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
import zstandard

from rillet.core import package as pkg
from rillet.core.errors import PackageRejected, PackageTooLarge, RilletError
from rillet.core.package import (
    DEFAULT_LIMITS,
    REASON_CODES,
    Limits,
    PackageFacts,
    check_package,
    inspect_package,
    read_package,
)
from tests.core.conftest import RUN_EXPORTS, BuiltPackages
from tests.core.package_factory import (
    add,
    build_package,
    conda_bytes,
    conda_parts,
    drop,
    edit_index,
    edit_info,
    edit_pkg,
    file_member,
    link_member,
    replace_json,
    replace_part,
    special_member,
    streamed_conda_bytes,
    tar_bytes,
    write_variant,
    zeros_member,
)

# --- helpers ----------------------------------------------------------------------------------


class Trickle:
    """A stream that returns at most ``step`` bytes per read and counts what it gave."""

    def __init__(self, data: bytes, step: int = 7) -> None:
        self._data = io.BytesIO(data)
        self._step = step
        self.given = 0

    def read(self, n: int) -> bytes:
        data = self._data.read(min(n, self._step))
        self.given += len(data)
        return data


class Untouchable:
    def read(self, n: int) -> bytes:
        raise AssertionError("the package was read before its filename was checked")


def read(
    path: Path, filename: str | None = None, limits: Limits = DEFAULT_LIMITS, **expect: Any
) -> PackageFacts:
    with path.open("rb") as stream:
        return inspect_package(stream, filename or path.name, limits, **expect)


def refusal(
    path: Path, filename: str | None = None, limits: Limits = DEFAULT_LIMITS, **expect: Any
) -> str:
    with pytest.raises(PackageRejected) as caught:
        read(path, filename, limits, **expect)
    assert caught.value.code in REASON_CODES
    assert caught.value.message
    return caught.value.code


def is_conda(path: Path) -> bool:
    return path.name.endswith(".conda")


# --- reading real packages --------------------------------------------------------------------


@pytest.mark.parametrize("which", ["conda", "tar_bz2", "linux_conda", "linux_tar_bz2"])
def test_reads_a_real_package(built: BuiltPackages, which: str) -> None:
    path: Path = getattr(built, which)
    data = path.read_bytes()

    facts = read(path)

    linux = which.startswith("linux")
    assert facts.filename.filename == path.name
    assert facts.size == len(data)
    assert facts.sha256 == hashlib.sha256(data).hexdigest()
    assert facts.md5 == hashlib.md5(data).hexdigest()
    assert facts.index["name"] == "demo"
    assert facts.index["version"] == "1.0.0"
    assert facts.index["build"] == ("h1234_0" if linux else "h0_0")
    assert facts.index["build_number"] == 0
    assert facts.index["subdir"] == ("linux-64" if linux else "noarch")
    assert facts.index["depends"] == ["python >=3.8"]
    assert facts.index["constrains"] == ["other <2"]
    assert facts.index.get("noarch") == (None if linux else "generic")
    assert facts.about is not None
    assert facts.about["summary"] == "demo for tests"
    assert facts.about["license"] == "MIT"
    assert facts.run_exports == RUN_EXPORTS


def test_facts_are_read_only(built: BuiltPackages) -> None:
    facts = read(built.conda)
    with pytest.raises(TypeError):
        facts.index["name"] = "other"  # type: ignore[index]


def test_members_in_either_order(built: BuiltPackages) -> None:
    parts = conda_parts(built.conda)
    assert [name.split("-")[0] for name, _ in parts] == ["metadata.json", "pkg", "info"]
    for order in (parts[::-1], [parts[2], parts[0], parts[1]]):
        assert read(write_variant(built.conda, conda_bytes(order))).index["name"] == "demo"


@pytest.mark.parametrize("zip64", [False, True])
def test_zips_from_streaming_writers(built: BuiltPackages, zip64: bool) -> None:
    # Deflated members with data descriptors (and zip64 extras) stream fine...
    data = streamed_conda_bytes(
        conda_parts(built.conda), compress_type=zipfile.ZIP_DEFLATED, zip64=zip64
    )
    assert b"PK\x07\x08" in data  # data descriptors
    facts = read(write_variant(built.conda, data))
    assert facts.sha256 == hashlib.sha256(data).hexdigest()
    # ...stored ones do not: nothing says where their data ends.
    data = streamed_conda_bytes(conda_parts(built.conda), compress_type=zipfile.ZIP_STORED)
    assert refusal(write_variant(built.conda, data)) == pkg.CORRUPT_ARCHIVE


def test_a_package_without_about_or_run_exports(tmp_path: Path) -> None:
    path = build_package(tmp_path, subdir="linux-64")
    path = edit_info(path, drop("info/about.json"))
    facts = read(path)
    assert facts.about is None
    assert facts.run_exports is None


def test_broken_about_json_is_dropped_not_fatal(package: Path) -> None:
    facts = read(edit_info(package, replace_json("info/about.json", "{not json")))
    assert facts.about is None
    assert facts.index["name"] == "demo"


def test_tiny_reads(package: Path) -> None:
    data = package.read_bytes()
    expected = read(package)
    stream = Trickle(data, step=7)
    facts = read_package(stream, package.name)
    assert facts == expected
    assert stream.given == len(data)


def test_hashes_cover_bytes_after_the_tar_bz2(built: BuiltPackages) -> None:
    data = built.tar_bz2.read_bytes() + b"trailing bytes nobody unpacks"
    facts = read(write_variant(built.tar_bz2, data))
    assert facts.size == len(data)
    assert facts.sha256 == hashlib.sha256(data).hexdigest()
    assert facts.md5 == hashlib.md5(data).hexdigest()


def test_the_whole_stream_is_read_even_when_the_tar_ends_early(built: BuiltPackages) -> None:
    data = built.tar_bz2.read_bytes() + bytes(1_000_000)
    stream = Trickle(data, step=1 << 20)
    assert read_package(stream, built.tar_bz2.name).size == len(data)
    assert stream.given == len(data)


def test_legit_relative_symlinks(package: Path) -> None:
    path = edit_pkg(
        package,
        add(
            link_member("bin/demo", "../lib/libdemo.so.1"),
            link_member("lib/deep/er/up", "../../libdemo.so.1"),
            link_member("lib/hard", "lib/libdemo.so.1", hard=True),
        ),
    )
    assert read(path).index["name"] == "demo"


def test_check_package_accepts_what_it_was_told(built: BuiltPackages) -> None:
    data = built.linux_conda.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    facts = read(built.linux_conda, expected_sha256=sha.upper(), expected_size=len(data))
    check_package(facts, target_subdir="linux-64")


def test_errors_of_the_source_itself_propagate(built: BuiltPackages) -> None:
    class Broken:
        def read(self, n: int) -> bytes:
            raise ConnectionResetError("peer went away")

    with pytest.raises(ConnectionResetError):
        read_package(Broken(), built.conda.name)


def test_memory_stays_bounded(tmp_path: Path) -> None:
    # 48 MiB of incompressible payload: nothing of that size may be held in memory.
    payload = {f"share/blob{i}": os.urandom(12 * 1024 * 1024) for i in range(4)}
    path = build_package(tmp_path, subdir="linux-64", files=payload)
    size = path.stat().st_size
    assert size > 48 * 1024 * 1024
    tracemalloc.start()
    try:
        read(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes for a {size}-byte package"


def test_bzip2_bomb_stays_small_in_memory(built: BuiltPackages) -> None:
    # 64 MiB of zeros in a file of about a kilobyte: decompressed a bounded piece at a time.
    path = edit_pkg(built.tar_bz2, add(zeros_member("share/zeros", 64 * 1024 * 1024)))
    assert path.stat().st_size < 10_000
    # Past the default expansion bound: allow it here to watch the memory.
    generous = Limits(expansion_allowance=128 * 1024 * 1024)
    tracemalloc.start()
    try:
        read(path, limits=generous)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, f"peak {peak} bytes"
    limits = Limits(max_payload_bytes=32 * 1024 * 1024, expansion_allowance=128 * 1024 * 1024)
    assert refusal(path, limits=limits) == pkg.PAYLOAD_TOO_LARGE
    assert refusal(path) == pkg.EXPANSION_TOO_LARGE


# --- refusals: names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "code"),
    [
        ("demo-1.0.0-h0_0.zip", pkg.UNKNOWN_EXTENSION),
        ("demo-1.0.0-h0_0.tar.gz", pkg.UNKNOWN_EXTENSION),
        ("demo.conda", pkg.INVALID_FILENAME),
        ("sub/demo-1.0.0-h0_0.conda", pkg.INVALID_FILENAME),
        ("de mo-1.0.0-h0_0.conda", pkg.INVALID_PACKAGE_NAME),
        ("demo-1..0-h0_0.conda", pkg.INVALID_VERSION),
        ("demo-1.0.0-h 0.tar.bz2", pkg.INVALID_BUILD),
    ],
)
def test_bad_filenames_are_refused_before_reading(filename: str, code: str) -> None:
    with pytest.raises(PackageRejected) as caught:
        read_package(Untouchable(), filename)
    assert caught.value.code == code


# --- refusals: not the archive it claims to be ------------------------------------------------


def test_not_a_zip(built: BuiltPackages) -> None:
    assert refusal(built.tar_bz2, built.conda.name) == pkg.NOT_A_ZIP
    junk = write_variant(built.conda, os.urandom(4096))
    assert refusal(junk) == pkg.NOT_A_ZIP


def test_not_a_bzip2_tar(built: BuiltPackages) -> None:
    assert refusal(built.conda, built.tar_bz2.name) == pkg.NOT_A_BZIP2_TAR
    assert refusal(write_variant(built.tar_bz2, b"")) == pkg.NOT_A_BZIP2_TAR


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9, 0.99])
def test_truncated(package: Path, keep: float) -> None:
    data = package.read_bytes()
    assert refusal(write_variant(package, data[: int(len(data) * keep)])) == pkg.CORRUPT_ARCHIVE


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_corrupt_archives(built: BuiltPackages) -> None:
    cases = [
        write_variant(built.tar_bz2, bz2.compress(b"this is not a tar archive" * 100)),
        replace_part(built.conda, "info-", b"this is not zstd" * 10),
        replace_part(built.conda, "pkg-", tar_bytes([file_member("a", "b")], "zst")[:-20]),
        write_variant(built.conda, conda_bytes([*conda_parts(built.conda), ("extra.txt", b"x")])),
        write_variant(
            built.conda, conda_bytes([*conda_parts(built.conda), ("metadata.json", b"")])
        ),
    ]
    for path in cases:
        assert refusal(path) == pkg.CORRUPT_ARCHIVE, path


def test_a_tar_whose_end_marker_is_missing(built: BuiltPackages) -> None:
    raw = tar_bytes([file_member("share/x", "x" * 600)])
    assert raw.endswith(bytes(1024))
    cut = raw[: 512 * 3]  # header, two data blocks, no end-of-archive marker
    path = replace_part(built.conda, "pkg-", zstandard.compress(cut))
    assert refusal(path) == pkg.CORRUPT_ARCHIVE


def test_the_central_directory_must_agree_with_the_members(built: BuiltPackages) -> None:
    data = built.conda.read_bytes()
    cd_start = data.rindex(b"PK\x01\x02")
    # Rename the last member (info-) in the central directory only, not in its local header.
    patched = data[:cd_start] + data[cd_start:].replace(b"info-demo", b"info-evil")
    assert patched != data
    assert refusal(write_variant(built.conda, patched)) == pkg.CORRUPT_ARCHIVE
    # A second zip appended: zipfile would read its directory, we would read the first zip.
    other = conda_bytes(conda_parts(built.conda)[::-1])
    assert refusal(write_variant(built.conda, data + other)) == pkg.CORRUPT_ARCHIVE
    # Bytes appended after the end record.
    assert refusal(write_variant(built.conda, data + b"junk")) == pkg.CORRUPT_ARCHIVE
    # A CRC in the directory that is not the member's.
    crc_at = cd_start + 16
    flipped = data[:crc_at] + bytes([data[crc_at] ^ 1]) + data[crc_at + 1 :]
    assert refusal(write_variant(built.conda, flipped)) == pkg.CORRUPT_ARCHIVE
    # A directory entry pointing back into an earlier member.
    offset_at = cd_start + 42
    pointed = data[:offset_at] + struct.pack("<L", 10) + data[offset_at + 4 :]
    assert refusal(write_variant(built.conda, pointed)) == pkg.CORRUPT_ARCHIVE


def with_zip64_end(data: bytes, *, shift: int = 0) -> bytes:
    """``data`` with a zip64 end record, as writers emit for large archives."""
    at = data.rindex(b"PK\x05\x06")
    _, _, _, on_disk, total, cd_size, cd_offset, _ = struct.unpack_from("<4s4H2LH", data, at)
    record = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, on_disk, total, cd_size, cd_offset + shift
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, at, 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, _U32, _U32, 0)
    return data[:at] + record + locator + end


_U32 = 0xFFFFFFFF


def test_zip64_end_record(built: BuiltPackages) -> None:
    data = with_zip64_end(built.conda.read_bytes())
    with zipfile.ZipFile(io.BytesIO(data)) as zf:  # a valid zip to zipfile
        assert zf.testzip() is None
    assert read(write_variant(built.conda, data)).size == len(data)
    moved = with_zip64_end(built.conda.read_bytes(), shift=-1)
    assert refusal(write_variant(built.conda, moved)) == pkg.CORRUPT_ARCHIVE


# --- refusals: info/index.json ----------------------------------------------------------------


def test_missing_index_json(package: Path) -> None:
    assert refusal(edit_info(package, drop("info/index.json"))) == pkg.MISSING_INDEX_JSON


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"[1, 2]",
        b'{"name": "demo", "name": "evil"}',
        b'{"build_number": NaN}',
        b"{garbage",
    ],
)
def test_invalid_index_json(package: Path, content: bytes) -> None:
    path = edit_info(package, replace_json("info/index.json", content))
    assert refusal(path) == pkg.INVALID_INDEX_JSON


@pytest.mark.parametrize("name", ["info/index.json", "info/INDEX.json", "./info/index.json"])
def test_a_second_index_json(package: Path, name: str) -> None:
    path = edit_info(package, add(file_member(name, '{"name": "evil"}')))
    assert refusal(path) == pkg.CORRUPT_ARCHIVE


def test_index_json_must_be_a_regular_file(package: Path) -> None:
    path = edit_info(
        package,
        lambda members: [
            link_member("info/index.json", "about.json") if m.info.name == "info/index.json" else m
            for m in members
        ],
    )
    assert refusal(path) == pkg.INVALID_INDEX_JSON


@pytest.mark.parametrize("field", ["name", "version", "build", "build_number", "subdir"])
def test_missing_field(package: Path, field: str) -> None:
    assert refusal(edit_index(package, lambda index: index.pop(field))) == pkg.MISSING_FIELD


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("build_number", "0"),
        ("build_number", True),
        ("build_number", -1),
        ("build_number", 2**64),
        ("depends", "python >=3.8"),
        ("depends", ["python", 3]),
        ("depends", None),
        ("constrains", {"other": "<2"}),
        ("timestamp", 1.5),
        ("license", ["MIT"]),
        ("noarch", "sometimes"),
        ("name", 7),
    ],
)
def test_invalid_field(package: Path, field: str, value: object) -> None:
    path = edit_index(package, lambda index: index.__setitem__(field, value))
    assert refusal(path) == pkg.INVALID_FIELD


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("name", "de mo", pkg.INVALID_PACKAGE_NAME),
        ("version", "1..0", pkg.INVALID_VERSION),
        ("build", "h0 0", pkg.INVALID_BUILD),
        ("subdir", "linux-128", pkg.UNKNOWN_SUBDIR),
    ],
)
def test_invalid_names_in_index_json(package: Path, field: str, value: str, code: str) -> None:
    assert refusal(edit_index(package, lambda index: index.__setitem__(field, value))) == code


@pytest.mark.parametrize(
    ("field", "value"), [("name", "other"), ("version", "2.0"), ("build", "h9")]
)
def test_filename_mismatch(package: Path, field: str, value: str) -> None:
    path = edit_index(package, lambda index: index.__setitem__(field, value))
    with pytest.raises(PackageRejected) as caught:
        read(path)
    assert caught.value.code == pkg.FILENAME_MISMATCH
    assert f"says {field} '{value}'" in caught.value.message


def test_renamed_file_is_a_filename_mismatch(package: Path) -> None:
    renamed = package.name.replace("demo-1.0.0", "demo-2.0.0")
    assert refusal(package, renamed) == pkg.FILENAME_MISMATCH


# --- refusals: what the caller expected -------------------------------------------------------


def test_subdir_mismatch(built: BuiltPackages) -> None:
    assert refusal(built.conda, target_subdir="linux-64") == pkg.SUBDIR_MISMATCH
    assert refusal(built.linux_tar_bz2, target_subdir="noarch") == pkg.SUBDIR_MISMATCH


def test_sha256_mismatch(package: Path) -> None:
    assert refusal(package, expected_sha256="0" * 64) == pkg.SHA256_MISMATCH


def test_size_mismatch(package: Path) -> None:
    assert refusal(package, expected_size=package.stat().st_size + 1) == pkg.SIZE_MISMATCH


# --- refusals: size limits --------------------------------------------------------------------


def test_too_large_stops_reading_at_the_limit(package: Path) -> None:
    data = package.read_bytes()
    limit = len(data) // 2
    stream = Trickle(data, step=7)
    with pytest.raises(PackageTooLarge) as caught:
        read_package(stream, package.name, Limits(max_package_bytes=limit))
    assert caught.value.code == pkg.TOO_LARGE
    assert isinstance(caught.value, PackageRejected)
    assert stream.given <= limit + 7
    # Exactly at the limit is fine.
    assert read(package, limits=Limits(max_package_bytes=len(data))).size == len(data)


def test_zstd_bomb_in_the_info_archive(built: BuiltPackages) -> None:
    bomb = tar_bytes([zeros_member("info/bomb", 100 * 1024 * 1024)], "zst")
    assert len(bomb) < 100_000  # 100 MiB of zeros: a small file, a large surprise
    path = replace_part(built.conda, "info-", bomb)
    assert refusal(path) == pkg.METADATA_TOO_LARGE


def test_info_larger_than_the_metadata_cap(package: Path) -> None:
    path = edit_info(package, add(zeros_member("info/recipe/big", 2 * 1024 * 1024)))
    limits = Limits(max_metadata_bytes=1024 * 1024)
    assert refusal(path, limits=limits) == pkg.METADATA_TOO_LARGE
    assert read(path).index["name"] == "demo"  # fine under the default cap


def test_json_member_larger_than_its_cap(package: Path) -> None:
    padded = b'{"name": "demo"' + b" " * (2 * 1024 * 1024) + b"}"
    assert refusal(edit_info(package, replace_json("info/index.json", padded))) == (
        pkg.METADATA_TOO_LARGE
    )
    padded_about = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    assert refusal(edit_info(package, replace_json("info/about.json", padded_about))) == (
        pkg.METADATA_TOO_LARGE
    )


def test_metadata_json_larger_than_its_cap(built: BuiltPackages) -> None:
    path = replace_part(built.conda, "metadata.json", b'{"x": "' + b"y" * 100 + b'"}')
    with pytest.raises(PackageRejected) as caught:
        read(path, limits=Limits(max_json_bytes=50))
    assert caught.value.code == pkg.METADATA_TOO_LARGE
    assert "metadata.json" in caught.value.message


def test_compressed_member_larger_than_its_cap(built: BuiltPackages) -> None:
    # zstd skippable frames decompress to nothing: only the compressed size gives them away.
    (tar,) = [data for name, data in conda_parts(built.conda) if name.startswith("pkg-")]
    padding = struct.pack("<II", 0x184D2A50, 3 * 1024 * 1024) + bytes(3 * 1024 * 1024)
    path = replace_part(built.conda, "pkg-", tar + padding)
    assert read(path).index["name"] == "demo"
    with pytest.raises(PackageRejected) as caught:
        read(path, limits=Limits(max_payload_bytes=2 * 1024 * 1024))
    assert caught.value.code == pkg.PAYLOAD_TOO_LARGE
    assert "pkg-demo-1.0.0-h0_0.tar.zst" in caught.value.message


def test_payload_larger_than_its_cap(package: Path) -> None:
    path = edit_pkg(package, add(zeros_member("share/demo/zeros", 4 * 1024 * 1024)))
    assert refusal(path, limits=Limits(max_payload_bytes=2 * 1024 * 1024)) == (
        pkg.PAYLOAD_TOO_LARGE
    )


def test_too_many_members(package: Path) -> None:
    path = edit_pkg(package, add(*(file_member(f"share/demo/{i}", "") for i in range(20))))
    assert refusal(path, limits=Limits(max_members=10)) == pkg.PAYLOAD_TOO_LARGE


# --- refusals: unsafe members -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../evil",
        "/etc/evil",
        "share/../../evil",
        "share/..",
        "share\\..\\..\\evil",
        "C:/Windows/evil",
        "",
    ],
)
def test_unsafe_paths_in_the_payload(package: Path, name: str) -> None:
    assert refusal(edit_pkg(package, add(file_member(name, "x")))) == pkg.UNSAFE_PATH


def test_unsafe_path_with_nul(package: Path) -> None:
    member = file_member("x", "x")
    member.info.pax_headers = {"path": "share/evil\x00.txt"}
    assert refusal(edit_pkg(package, add(member))) == pkg.UNSAFE_PATH


def test_unsafe_path_in_the_info_archive(built: BuiltPackages) -> None:
    path = edit_info(built.conda, add(file_member("info/../../evil", "x")))
    assert refusal(path) == pkg.UNSAFE_PATH


@pytest.mark.parametrize("name", ["info/index.json", "INFO/index.json", "info"])
def test_the_pkg_archive_may_not_write_into_info(built: BuiltPackages, name: str) -> None:
    path = edit_pkg(built.conda, add(file_member(name, "{}")))
    assert refusal(path) == pkg.UNSAFE_PATH


@pytest.mark.parametrize(
    ("name", "target", "hard"),
    [
        ("lib/evil", "../../etc/passwd", False),
        ("evil", "..", False),
        ("lib/evil", "/etc/passwd", False),
        ("lib/evil", "C:/Windows", False),
        ("lib/evil", "..\\..\\etc", False),
        ("lib/evil", "sub/../../..", False),
        ("lib/evil", "", False),
        ("lib/evil", "../etc/passwd", True),
        ("lib/evil", "/etc/passwd", True),
    ],
)
def test_unsafe_links(package: Path, name: str, target: str, hard: bool) -> None:
    path = edit_pkg(package, add(link_member(name, target, hard=hard)))
    assert refusal(path) == pkg.UNSAFE_LINK


def test_member_written_through_a_symlink(package: Path) -> None:
    # lib/here -> . is harmless alone; a later member through it is not what it says it is.
    path = edit_pkg(
        package, add(link_member("lib/here", "."), file_member("lib/here/libdemo.so.1", "x"))
    )
    assert refusal(path) == pkg.UNSAFE_LINK
    # On a case-insensitive filesystem lib/HERE/up is written through lib/here, and its '..'
    # then starts from the package root.
    path = edit_pkg(package, add(link_member("lib/here", "."), link_member("lib/HERE/up", "../x")))
    assert refusal(path) == pkg.UNSAFE_LINK


@pytest.mark.parametrize("kind", [tarfile.FIFOTYPE, tarfile.CHRTYPE, tarfile.BLKTYPE, b"V"])
def test_unsafe_member_types(package: Path, kind: bytes) -> None:
    assert refusal(edit_pkg(package, add(special_member("share/odd", kind)))) == pkg.UNSAFE_MEMBER


def test_oversized_extended_header(package: Path) -> None:
    member = file_member("share/x", "x")
    member.info.pax_headers = {"comment": "c" * (2 * 1024 * 1024)}
    assert refusal(edit_pkg(package, add(member))) == pkg.UNSAFE_MEMBER


# --- refusals: missing parts ------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["info-", "pkg-", "metadata.json"])
def test_conda_missing_a_part(built: BuiltPackages, prefix: str) -> None:
    assert refusal(replace_part(built.conda, prefix, None)) == pkg.MISSING_INFO


def test_tar_bz2_without_info(built: BuiltPackages) -> None:
    path = edit_info(
        built.tar_bz2, lambda ms: [m for m in ms if not m.info.name.startswith("info")]
    )
    assert refusal(path) == pkg.MISSING_INFO


# --- the codes --------------------------------------------------------------------------------


def test_every_reason_code_is_exported_and_a_rillet_error() -> None:
    exported = {
        value
        for name, value in vars(pkg).items()
        if name.isupper() and not name.startswith("_") and isinstance(value, str)
    }
    assert exported == set(REASON_CODES)
    assert issubclass(PackageRejected, RilletError)
