"""Whatever passes validation can be indexed and read; the rest is refused with a reason.

Each unrepresentable value goes through the real validation path (a real package with
its info/index.json rewritten byte for byte); the values that pass go through the index
writer and are read back by rattler. Decompression bombs are refused by their reason.
"""

from __future__ import annotations

import bz2
import io
import json
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest
import zstandard
from rattler import Channel, PackageName, SparseRepoData

from rillet.core import metadata
from rillet.core import package as pkg
from rillet.core.errors import PackageRejected
from rillet.core.package import REASON_CODES, Limits, inspect_package, read_package
from rillet.core.records import package_record
from rillet.core.repodata import build_subdir_index, decode_shard
from tests.core.conftest import BuiltPackages
from tests.core.package_factory import (
    conda_bytes,
    conda_parts,
    edit_info,
    info_members,
    replace_json,
    write_variant,
)


def index_of(path: Path) -> dict[str, Any]:
    (member,) = [m for m in info_members(path) if m.info.name == "info/index.json"]
    index: dict[str, Any] = json.loads(member.data or b"")
    return index


def with_raw_field(path: Path, key: str, raw_json: str) -> bytes:
    """index.json of ``path`` with ``key`` set to the literal JSON text ``raw_json``."""
    index = index_of(path)
    index.pop(key, None)
    body = json.dumps(index)
    return (body[:-1] + f", {json.dumps(key)}: {raw_json}}}").encode()


def refusal_code(path: Path, raw_index: bytes) -> str:
    variant = edit_info(path, replace_json("info/index.json", raw_index))
    with pytest.raises(PackageRejected) as caught, variant.open("rb") as stream:
        inspect_package(stream, variant.name)
    assert caught.value.code in REASON_CODES
    return caught.value.code


# --- what cannot be represented is refused, with its own reason ---------------------------------

NESTED_17 = "[" * 17 + "]" * 17
UNREPRESENTABLE = [
    ("above-i64", "extra", str(2**64), metadata.METADATA_INTEGER_RANGE),
    ("i64-max-plus-one", "extra", str(2**63), metadata.METADATA_INTEGER_RANGE),
    ("below-i64", "extra", str(-(2**63) - 1), metadata.METADATA_INTEGER_RANGE),
    ("nested-big-int", "extra", f'{{"a": [{2**70}]}}', metadata.METADATA_INTEGER_RANGE),
    ("float-overflow", "extra", "1e400", metadata.METADATA_NUMBER_RANGE),
    ("lone-surrogate", "extra", '"\\ud800"', metadata.METADATA_INVALID_UNICODE),
    ("lone-surrogate-key", "extra", '{"\\udc00": 1}', metadata.METADATA_INVALID_UNICODE),
    ("surrogate-in-depends", "depends", '["\\udfff"]', metadata.METADATA_INVALID_UNICODE),
    ("too-deep", "extra", NESTED_17, metadata.METADATA_TOO_DEEP),
    ("too-deep-for-json", "extra", "[" * 5000 + "]" * 5000, metadata.METADATA_TOO_DEEP),
    ("long-string", "license", json.dumps("M" * 9000), metadata.METADATA_TOO_LARGE),
    ("long-key", "extra", json.dumps({"k" * 300: 1}), metadata.METADATA_TOO_LARGE),
    ("many-depends", "depends", json.dumps([f"d{i}" for i in range(5000)]), "metadata-too-large"),
    ("record-size", "extra", json.dumps(["x" * 8000] * 14), metadata.METADATA_TOO_LARGE),
    # Wrong types of the fields clients parse.
    ("version-int", "version", "1", metadata.INVALID_FIELD),
    ("depends-not-strings", "depends", '["a", 1]', metadata.INVALID_FIELD),
    ("build-number-string", "build_number", '"0"', metadata.INVALID_FIELD),
    ("build-number-i64", "build_number", str(2**63), metadata.INVALID_FIELD),
    ("timestamp-float", "timestamp", "1.5", metadata.INVALID_FIELD),
    ("timestamp-string", "timestamp", '"1700000000"', metadata.INVALID_FIELD),
    ("timestamp-year-10000-ms", "timestamp", str(253402300799000), metadata.INVALID_FIELD),
    ("timestamp-year-9999-s", "timestamp", str(253402300799), metadata.INVALID_FIELD),
    ("timestamp-huge", "timestamp", str(2**62), metadata.INVALID_FIELD),
    ("purl-without-scheme", "purls", '["pypi/demo"]', metadata.INVALID_FIELD),
    ("purl-without-name", "purls", '["pkg:pypi/"]', metadata.INVALID_FIELD),
    ("features-list", "features", '["a"]', metadata.INVALID_FIELD),
    ("license-family-int", "license_family", "1", metadata.INVALID_FIELD),
    ("extra-depends-list", "extra_depends", '["x"]', metadata.INVALID_FIELD),
    ("extra-depends-string", "extra_depends", '{"a": "b"}', metadata.INVALID_FIELD),
    ("legacy-bz2-md5", "legacy_bz2_md5", '"zz"', metadata.INVALID_FIELD),
    ("legacy-bz2-size", "legacy_bz2_size", '"5"', metadata.INVALID_FIELD),
]


@pytest.mark.parametrize(
    ("key", "raw", "code"),
    [case[1:] for case in UNREPRESENTABLE],
    ids=[case[0] for case in UNREPRESENTABLE],
)
def test_unrepresentable_values_are_refused(package: Path, key: str, raw: str, code: str) -> None:
    assert refusal_code(package, with_raw_field(package, key, raw)) == code


@pytest.mark.parametrize(
    ("prefix", "code"),
    [
        (b"\xef\xbb\xbf", metadata.METADATA_BOM),  # UTF-8 BOM: Python's json would skip it
        (b"\xff\xfe", metadata.METADATA_BOM),
    ],
)
def test_a_byte_order_mark_is_refused(package: Path, prefix: bytes, code: str) -> None:
    assert refusal_code(package, prefix + json.dumps(index_of(package)).encode()) == code


@pytest.mark.parametrize(
    "raw",
    [
        json.dumps({"x": 1}).encode("utf-16"),  # not UTF-8 at all
        b'{"x": "\xed\xa0\x80"}',  # a surrogate encoded in UTF-8 (json would take it)
        b'{"x": "caf\xe9"}',  # Latin-1
    ],
    ids=["utf-16", "encoded-surrogate", "latin-1"],
)
def test_index_json_must_be_strict_utf8(package: Path, raw: bytes) -> None:
    code = refusal_code(package, raw)
    assert code in (metadata.METADATA_INVALID_UNICODE, metadata.METADATA_BOM)
    if not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        assert code == metadata.METADATA_INVALID_UNICODE


def test_index_json_beyond_its_size_is_refused(package: Path) -> None:
    index = index_of(package)
    raw = json.dumps(index).encode()
    padded = raw[:-1] + b"," + b" " * (metadata.MAX_INDEX_JSON_BYTES) + b"}"
    assert refusal_code(package, padded) == metadata.METADATA_TOO_LARGE


# --- what passes can be indexed, and rattler reads it -----------------------------------------

REPRESENTABLE = [
    ("i64-max", "extra", str(2**63 - 1)),
    ("i64-min", "extra", str(-(2**63))),
    ("large-float", "extra", "1e308"),
    ("nested-16", "extra", "[" * 16 + "]" * 16),
    ("unicode", "license", json.dumps("Lizenz \u00e9\U0001f600")),
    ("timestamp-seconds-max", "timestamp", str(metadata.MAX_TIMESTAMP_SECONDS)),
    ("timestamp-ms-min", "timestamp", str(metadata.SECONDS_OR_MS + 1)),
    ("timestamp-ms-max", "timestamp", str(metadata.MAX_TIMESTAMP_MS)),
    ("build-number-max", "build_number", str(2**63 - 1)),
    ("purl", "purls", '["pkg:pypi/demo@1.0"]'),
    ("extra-depends", "extra_depends", '{"test": ["pytest"]}'),
    ("noarch-true", "noarch", "true"),
    ("track-features-list", "track_features", '["a", "b"]'),
]


@pytest.mark.parametrize(
    ("key", "raw"),
    [case[1:] for case in REPRESENTABLE],
    ids=[case[0] for case in REPRESENTABLE],
)
def test_what_passes_validation_indexes_and_reads_in_rattler(
    built: BuiltPackages, tmp_path: Path, key: str, raw: str
) -> None:
    variant = edit_info(
        built.conda, replace_json("info/index.json", with_raw_field(built.conda, key, raw))
    )
    with variant.open("rb") as stream:
        facts = inspect_package(stream, variant.name)
    record = package_record(facts)
    assert metadata.record_problem(record) is None
    index = build_subdir_index("noarch", {variant.name: record})
    assert not index.skipped
    (shard,) = index.shards.values()
    assert decode_shard(shard)["packages.conda"][variant.name]["name"] == "demo"
    repodata = tmp_path / "repodata.json"
    repodata.write_bytes(index.repodata_json)
    records = SparseRepoData(Channel("t"), "noarch", str(repodata)).load_records(
        PackageName("demo")
    )
    assert [r.file_name for r in records] == [variant.name]


# --- decompression is bounded by what the compressed bytes can explain -------------------------

_INDEX = {
    "name": "demo",
    "version": "1.0.0",
    "build": "h0_0",
    "build_number": 0,
    "subdir": "noarch",
    "depends": [],
}


def _header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o644
    return info.tobuf(format=tarfile.PAX_FORMAT)


def _file(name: str, data: bytes) -> bytes:
    return _header(name, len(data)) + data + bytes(-len(data) % tarfile.BLOCKSIZE)


def bz2_bomb(blocks: int) -> bytes:
    """A .tar.bz2 of a few kB whose one member is ``blocks`` x 45 MB of zeros.

    Concatenated bzip2 streams continue one tar, so one compressed block is repeated.
    """
    block = 45_000_000 // tarfile.BLOCKSIZE * tarfile.BLOCKSIZE
    zeros = bz2.compress(bytes(block), 9)
    head = bz2.compress(_file("info/index.json", json.dumps(_INDEX).encode()))
    head += bz2.compress(_header("share/zeros", blocks * block))
    return head + zeros * blocks + bz2.compress(bytes(2 * tarfile.BLOCKSIZE))


def conda_bomb(built: BuiltPackages, frames: int) -> bytes:
    """A .conda whose pkg archive is ``frames`` zstd frames of 64 MiB of zeros each."""
    block = 64 * 1024 * 1024
    cctx = zstandard.ZstdCompressor(level=19)
    zeros = cctx.compress(bytes(block))
    pkg_tar = (
        cctx.compress(_header("share/zeros", frames * block))
        + zeros * frames
        + cctx.compress(bytes(2 * tarfile.BLOCKSIZE))
    )
    parts = [
        (name, pkg_tar if name.startswith("pkg-") else data)
        for name, data in conda_parts(built.conda)
    ]
    return conda_bytes(parts)


def timed_refusal(data: bytes, filename: str, **kwargs: Any) -> str:
    start = time.process_time()
    with pytest.raises(PackageRejected) as caught:
        read_package(io.BytesIO(data), filename, **kwargs)
    print(f"{filename}: {len(data)} bytes refused after {time.process_time() - start:.2f} s CPU")
    return caught.value.code


def test_a_small_tar_bz2_that_expands_enormously_is_refused(tmp_path: Path) -> None:
    data = bz2_bomb(blocks=350)  # ~16 GB of zeros, the payload cap, in ~18 kB
    assert len(data) < 20_000
    assert timed_refusal(data, "demo-1.0.0-h0_0.tar.bz2") == pkg.EXPANSION_TOO_LARGE


def test_a_small_conda_that_expands_enormously_is_refused(built: BuiltPackages) -> None:
    data = conda_bomb(built, frames=256)  # 16 GiB of zeros
    assert len(data) < 2_000_000
    assert timed_refusal(data, built.conda.name) == pkg.EXPANSION_TOO_LARGE


def test_many_tiny_members_are_bounded_by_the_compressed_size(built: BuiltPackages) -> None:
    raw = b"".join(_file(f"share/d/{i:07d}", b"") for i in range(40_000))
    pkg_tar = zstandard.ZstdCompressor(level=19).compress(raw + bytes(1024))
    parts = [
        (name, pkg_tar if name.startswith("pkg-") else data)
        for name, data in conda_parts(built.conda)
    ]
    data = conda_bytes(parts)
    assert len(data) < 100_000  # 40k members in ~60 kB
    assert timed_refusal(data, built.conda.name) == pkg.EXPANSION_TOO_LARGE
    # The same members are fine once the package is big enough to explain them.
    roomy = Limits(member_allowance=50_000)
    assert read_package(io.BytesIO(data), built.conda.name, roomy).index["name"] == "demo"


def test_the_expansion_bound_scales_with_the_compressed_size(built: BuiltPackages) -> None:
    # 256 MiB of zeros is refused by default, accepted when the bound allows that ratio.
    data = conda_bomb(built, frames=4)
    assert timed_refusal(data, built.conda.name) == pkg.EXPANSION_TOO_LARGE
    roomy = Limits(max_expansion=10**6)
    assert read_package(io.BytesIO(data), built.conda.name, roomy).size == len(data)


def test_validation_stops_when_the_caller_runs_out_of_time(built: BuiltPackages) -> None:
    calls = 0

    def out_of_time() -> bool:
        nonlocal calls
        calls += 1
        return calls > 3

    code = timed_refusal(built.tar_bz2.read_bytes(), built.tar_bz2.name, out_of_time=out_of_time)
    assert code == pkg.VALIDATION_TIME_LIMIT
    path = write_variant(built.tar_bz2, built.tar_bz2.read_bytes())
    with path.open("rb") as stream:  # with time to spare it passes
        assert read_package(stream, path.name, out_of_time=lambda: False).index["name"] == "demo"
