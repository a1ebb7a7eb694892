"""Tests for rillet.core.repodata: the repodata.json / CEP 16 shard writer.

The structure tests pin the exact types clients insist on (see the repodata
spec); the last test serves the output over HTTP to py-rattler's Gateway, on
both the sharded and the repodata.json path.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import random
import tarfile
import threading
import zipfile
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import msgpack
import pytest
import zstandard

from rillet.core import repodata
from rillet.core.errors import InvalidName, InvalidRequest
from rillet.core.repodata import (
    IMMUTABLE_CACHE_CONTROL,
    INDEX_CACHE_CONTROL,
    REPODATA_JSON,
    REPODATA_JSON_ZST,
    SHARD_INDEX,
    SHARDS_DIR,
    SubdirIndex,
    build_subdir_index,
    decode_shard,
    decode_shard_index,
    empty_subdir_index,
)

DIGEST_FIELDS = {"sha256": 32, "md5": 16, "legacy_bz2_md5": 16}

# -- fixtures ----------------------------------------------------------------


def make_record(
    name: str, version: str, build: str, ext: str = ".conda", **extra: Any
) -> tuple[str, dict[str, Any]]:
    """A plausible repodata record with digests derived from the filename."""
    filename = f"{name}-{version}-{build}{ext}"
    record: dict[str, Any] = {
        "name": name,
        "version": version,
        "build": build,
        "build_number": int(build.rsplit("_", 1)[-1]),
        "depends": ["python >=3.9", "libzlib >=1.3,<2.0a0"],
        "constrains": [],
        "license": "MIT",
        "md5": hashlib.md5(filename.encode()).hexdigest(),
        "sha256": hashlib.sha256(filename.encode()).hexdigest(),
        "size": 1000 + len(filename),
        "subdir": "linux-64",
        "timestamp": 1_760_000_000_000,
    }
    record.update(extra)
    return filename, record


@pytest.fixture
def records() -> dict[str, dict[str, Any]]:
    return dict(
        [
            make_record("alpha", "1.0.0", "h0_0", indexed_timestamp=1_790_000_000_123),
            make_record(
                "alpha",
                "1.1.0",
                "h1_1",
                ".tar.bz2",
                indexed_timestamp=1_795_000_000_647,
                legacy_bz2_md5=hashlib.md5(b"legacy").hexdigest(),
                legacy_bz2_size=42,
            ),
            make_record(
                "beta",
                "2.0",
                "py_0",
                depends=["alpha >=1"],
                noarch="python",
                run_exports={"weak": ["beta >=2.0"]},
                track_features=None,
                purls=["pkg:pypi/beta"],
                extra_meta={"zeta": 1, "alpha": {"y": 2, "x": [{"b": 1, "a": 2}]}},
            ),
            make_record("beta", "2.1", "py_0", indexed_timestamp=1_780_000_000_000),
            make_record("Gamma", "0.1", "h2_0", ".tar.bz2"),
        ]
    )


@pytest.fixture
def built(records: dict[str, dict[str, Any]]) -> SubdirIndex:
    return build_subdir_index("linux-64", records, removed=["beta-2.1-py_0.conda"])


def repodata_doc(index: SubdirIndex) -> dict[str, Any]:
    doc = json.loads(index.repodata_json)
    assert isinstance(doc, dict)
    return doc


def shards_by_name(index: SubdirIndex) -> dict[str, dict[str, Any]]:
    decoded = decode_shard_index(index.shard_index)
    return {
        name: decode_shard(index.shards[digest.hex()]) for name, digest in decoded["shards"].items()
    }


def hexify(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.hex() if isinstance(v, bytes) else v for k, v in record.items()}


def expected_record(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None}


# -- repodata.json -------------------------------------------------------------


def test_constants() -> None:
    assert (REPODATA_JSON, REPODATA_JSON_ZST, SHARD_INDEX, SHARDS_DIR) == (
        "repodata.json",
        "repodata.json.zst",
        "repodata_shards.msgpack.zst",
        "shards",
    )
    assert IMMUTABLE_CACHE_CONTROL == "public, max-age=31536000, immutable"
    assert INDEX_CACHE_CONTROL == "public, max-age=60, s-maxage=5"


def test_repodata_json_golden_bytes() -> None:
    filename, record = make_record("tiny", "1.0", "h0_0", depends=[], size=7)
    index = build_subdir_index("noarch", {filename: record})
    sha = record["sha256"]
    md5 = record["md5"]
    expected = (
        '{"info":{"subdir":"noarch"},"packages":{},"packages.conda":{"tiny-1.0-h0_0.conda":'
        '{"build":"h0_0","build_number":0,"constrains":[],"depends":[],"license":"MIT",'
        f'"md5":"{md5}","name":"tiny","sha256":"{sha}","size":7,"subdir":"linux-64",'
        '"timestamp":1760000000000,"version":"1.0"}},"repodata_version":1}'
    ).encode()
    assert index.repodata_json == expected


def test_repodata_json_structure(built: SubdirIndex, records: dict[str, dict[str, Any]]) -> None:
    raw = built.repodata_json
    doc = repodata_doc(built)
    # compact and key-sorted at every level
    assert json.dumps(doc, separators=(",", ":"), sort_keys=True).encode() == raw
    assert list(doc) == ["info", "packages", "packages.conda", "removed", "repodata_version"]
    assert doc["info"] == {"subdir": "linux-64"}
    assert doc["repodata_version"] == 1 and type(doc["repodata_version"]) is int
    assert doc["removed"] == ["beta-2.1-py_0.conda"]
    assert sorted(doc["packages"]) == ["Gamma-0.1-h2_0.tar.bz2", "alpha-1.1.0-h1_1.tar.bz2"]
    assert sorted(doc["packages.conda"]) == ["alpha-1.0.0-h0_0.conda", "beta-2.0-py_0.conda"]
    for section in ("packages", "packages.conda"):
        for filename, record in doc[section].items():
            assert record == expected_record(records[filename])
            assert isinstance(record["sha256"], str) and len(record["sha256"]) == 64
            assert isinstance(record["size"], int)
    beta = doc["packages.conda"]["beta-2.0-py_0.conda"]
    assert "track_features" not in beta  # None is dropped, never written as null
    assert list(beta["extra_meta"]) == ["alpha", "zeta"]


def test_repodata_json_zst_is_the_same_bytes(built: SubdirIndex) -> None:
    params = zstandard.get_frame_parameters(built.repodata_json_zst)
    assert params.content_size == len(built.repodata_json)
    assert zstandard.ZstdDecompressor().decompress(built.repodata_json_zst) == built.repodata_json


def test_repodata_zstd_level_is_bounded_by_size() -> None:
    assert repodata.repodata_zstd_level(1000) == 19
    assert repodata.repodata_zstd_level(4 << 20) == 3
    assert repodata.repodata_zstd_level(100 << 20) == 3
    assert all(level < 20 for _, level in repodata.REPODATA_ZSTD_LEVELS)


def test_removed_key_only_when_non_empty(records: dict[str, dict[str, Any]]) -> None:
    doc = repodata_doc(build_subdir_index("linux-64", records))
    assert "removed" not in doc
    assert len(doc["packages"]) + len(doc["packages.conda"]) == len(records)


# -- shard index ---------------------------------------------------------------


def test_shard_index_structure(built: SubdirIndex) -> None:
    assert zstandard.get_frame_parameters(built.shard_index).content_size > 0
    index = decode_shard_index(built.shard_index)
    assert list(index) == ["info", "shards", "version"]
    assert index["version"] == 1
    info = index["info"]
    assert set(info) == {"base_url", "created_at", "shards_base_url", "subdir"}
    assert all(isinstance(v, str) for v in info.values())
    assert info["subdir"] == "linux-64"
    assert info["base_url"] == ""
    assert info["shards_base_url"] == "./shards/"
    # max indexed_timestamp (alpha-1.1.0, 1_795_000_000_647 ms), RFC 3339 with Z
    assert info["created_at"] == "2026-11-18T11:06:40.647Z"
    created = datetime.fromisoformat(info["created_at"])
    assert created.utcoffset() == timedelta(0)
    assert created == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=1_795_000_000_647)

    shards = index["shards"]
    assert list(shards) == ["alpha", "beta", "gamma"]  # normalised (lower-case), sorted
    for digest in shards.values():
        assert type(digest) is bytes and len(digest) == 32
    assert {d.hex() for d in shards.values()} == set(built.shards)


def test_shard_index_digests_are_msgpack_bin(built: SubdirIndex) -> None:
    raw = zstandard.ZstdDecompressor().decompress(built.shard_index)
    for digest in decode_shard_index(built.shard_index)["shards"].values():
        assert b"\xc4\x20" + digest in raw  # bin8 header, 32 bytes


def test_created_at_falls_back_to_timestamp_and_handles_seconds() -> None:
    fn, rec = make_record("a", "1", "h_0", timestamp=1_700_000_000_000)
    info = decode_shard_index(build_subdir_index("noarch", {fn: rec}).shard_index)["info"]
    assert info["created_at"] == "2023-11-14T22:13:20.000Z"
    fn, rec = make_record("a", "1", "h_0", timestamp=1_700_000_000)  # old packages: seconds
    info = decode_shard_index(build_subdir_index("noarch", {fn: rec}).shard_index)["info"]
    assert info["created_at"] == "2023-11-14T22:13:20.000Z"
    stamps: dict[str, Any]
    for stamps in ({"timestamp": 10**19}, {"indexed_timestamp": -5}):
        fn, rec = make_record("a", "1", "h_0", ".conda", **stamps)
        info = decode_shard_index(build_subdir_index("noarch", {fn: rec}).shard_index)["info"]
        assert "created_at" not in info  # out of range: ignored rather than crashing
    fn, rec = make_record("a", "1", "h_0")
    del rec["timestamp"]
    info = decode_shard_index(build_subdir_index("noarch", {fn: rec}).shard_index)["info"]
    assert "created_at" not in info


# -- shards --------------------------------------------------------------------


def test_shard_structure(built: SubdirIndex, records: dict[str, dict[str, Any]]) -> None:
    shards = shards_by_name(built)
    for shard in shards.values():
        assert list(shard) == ["packages", "packages.conda", "removed"]
        assert isinstance(shard["removed"], list)
    alpha = shards["alpha"]
    assert list(alpha["packages"]) == ["alpha-1.1.0-h1_1.tar.bz2"]
    assert list(alpha["packages.conda"]) == ["alpha-1.0.0-h0_0.conda"]
    assert alpha["removed"] == []
    for section in ("packages", "packages.conda"):
        for filename, record in alpha[section].items():
            for field, size in DIGEST_FIELDS.items():
                if field in records[filename]:
                    assert type(record[field]) is bytes and len(record[field]) == size
                    assert record[field].hex() == records[filename][field]
            assert record["size"] == records[filename]["size"]
            assert record["depends"] == records[filename]["depends"]
            assert list(record) == sorted(record)
    assert list(shards["gamma"]["packages"]) == ["Gamma-0.1-h2_0.tar.bz2"]
    beta = shards["beta"]
    # run_exports stay in the record (CEP 21), as rattler-index writes them.
    assert beta["packages.conda"]["beta-2.0-py_0.conda"]["run_exports"] == {"weak": ["beta >=2.0"]}
    assert beta["removed"] == ["beta-2.1-py_0.conda"]


def test_shard_name_is_sha256_of_compressed_bytes(built: SubdirIndex) -> None:
    assert built.shards
    for digest_hex, data in built.shards.items():
        assert digest_hex == hashlib.sha256(data).hexdigest()
        assert built.shard_key(digest_hex) == f"shards/{digest_hex}.msgpack.zst"
    with pytest.raises(InvalidName):
        built.shard_key("../../etc/passwd")


def test_repodata_json_and_shards_agree_record_for_record(built: SubdirIndex) -> None:
    doc = repodata_doc(built)
    from_shards: dict[str, dict[str, Any]] = {"packages": {}, "packages.conda": {}}
    removed: list[str] = []
    for name, shard in shards_by_name(built).items():
        for section in ("packages", "packages.conda"):
            for filename, record in shard[section].items():
                assert record["name"].lower() == name
                from_shards[section][filename] = hexify(record)
        removed.extend(shard["removed"])
    assert from_shards["packages"] == doc["packages"]
    assert from_shards["packages.conda"] == doc["packages.conda"]
    assert sorted(removed) == doc["removed"]


# -- determinism -----------------------------------------------------------------


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]  # list order is data: keep it
    return value


def test_same_records_give_identical_bytes(records: dict[str, dict[str, Any]]) -> None:
    removed = ["beta-2.1-py_0.conda", "delta-1-h_0.conda"]
    first = build_subdir_index("linux-64", records, removed=removed)
    for seed in range(5):
        rng = random.Random(seed)
        again = build_subdir_index(
            "linux-64", _shuffled(records, rng), removed=iter(reversed(removed + removed))
        )
        assert again == first
    # and the input was not mutated
    assert records["beta-2.0-py_0.conda"]["run_exports"] == {"weak": ["beta >=2.0"]}


def test_different_records_give_different_shard_names(records: dict[str, dict[str, Any]]) -> None:
    before = decode_shard_index(build_subdir_index("linux-64", records).shard_index)["shards"]
    records["alpha-1.0.0-h0_0.conda"]["size"] += 1
    after = decode_shard_index(build_subdir_index("linux-64", records).shard_index)["shards"]
    assert before["alpha"] != after["alpha"]
    assert before["beta"] == after["beta"]


# -- removed ---------------------------------------------------------------------


def test_yank_pops_the_record_and_lists_it(built: SubdirIndex) -> None:
    doc = repodata_doc(built)
    assert "beta-2.1-py_0.conda" not in doc["packages.conda"]
    beta = shards_by_name(built)["beta"]
    assert "beta-2.1-py_0.conda" not in beta["packages.conda"]
    assert beta["removed"] == ["beta-2.1-py_0.conda"]


def test_removed_name_without_records_still_gets_a_shard(
    records: dict[str, dict[str, Any]],
) -> None:
    index = build_subdir_index(
        "linux-64", records, removed=["Delta-1.0-h_0.tar.bz2", "delta-0.9-h_0.conda"]
    )
    delta = shards_by_name(index)["delta"]
    assert delta == {
        "packages": {},
        "packages.conda": {},
        "removed": ["Delta-1.0-h_0.tar.bz2", "delta-0.9-h_0.conda"],
    }
    assert repodata_doc(index)["removed"] == ["Delta-1.0-h_0.tar.bz2", "delta-0.9-h_0.conda"]


def test_removing_every_record_keeps_the_names_visible() -> None:
    fn, rec = make_record("solo", "1.0", "h_0")
    index = build_subdir_index("linux-64", {fn: rec}, removed=[fn])
    doc = repodata_doc(index)
    assert doc["packages.conda"] == {} and doc["removed"] == [fn]
    assert shards_by_name(index)["solo"]["removed"] == [fn]


# -- empty subdir ----------------------------------------------------------------


def test_empty_subdir_index() -> None:
    index = empty_subdir_index("noarch")
    assert index.subdir == "noarch"
    assert index.repodata_json == (
        b'{"info":{"subdir":"noarch"},"packages":{},"packages.conda":{},"repodata_version":1}'
    )
    assert zstandard.ZstdDecompressor().decompress(index.repodata_json_zst) == index.repodata_json
    assert decode_shard_index(index.shard_index) == {
        "info": {"base_url": "", "shards_base_url": "./shards/", "subdir": "noarch"},
        "shards": {},
        "version": 1,
    }
    assert index.shards == {}
    assert index.run_exports_json == (
        b'{"info":{"subdir":"noarch","version":1},"packages":{},"packages.conda":{}}'
    )
    assert empty_subdir_index("noarch") == index


def test_a_yanked_file_keeps_its_run_exports_entry_and_dates_the_index() -> None:
    kept, kept_rec = make_record("a", "1", "h_0", run_exports=None, indexed_timestamp=1000)
    yanked, yanked_rec = make_record(
        "a", "2", "h_0", run_exports={"weak": ["a >=2"]}, indexed_timestamp=1_790_000_000_000
    )
    legacy, legacy_rec = make_record("b", "1", "h_0", ".tar.bz2")  # no run_exports key
    records = {kept: kept_rec, yanked: yanked_rec, legacy: legacy_rec}
    index = build_subdir_index("linux-64", records, removed=[yanked])
    assert list(repodata_doc(index)["packages.conda"]) == [kept]
    assert json.loads(index.run_exports_json) == {
        "info": {"subdir": "linux-64", "version": 1},
        "packages": {},
        "packages.conda": {kept: {"run_exports": {}}, yanked: {"run_exports": {"weak": ["a >=2"]}}},
    }
    created = decode_shard_index(index.shard_index)["info"]["created_at"]
    assert (
        created
        == decode_shard_index(build_subdir_index("linux-64", records).shard_index)["info"][
            "created_at"
        ]
    )


# -- refusals --------------------------------------------------------------------


def test_unknown_subdir_is_refused() -> None:
    with pytest.raises(InvalidName) as exc:
        build_subdir_index("linux-65", {})
    assert exc.value.code == "unknown-subdir"


@pytest.mark.parametrize(
    ("filename", "change", "code"),
    [
        ("a-1-h_0.conda", {"sha256": "AB" * 32}, "invalid-record"),
        ("a-1-h_0.conda", {"sha256": "ab" * 31}, "invalid-record"),
        ("a-1-h_0.conda", {"md5": 5}, "invalid-record"),
        ("a-1-h_0.conda", {"build_number": None}, "invalid-record"),
        ("a-1-h_0.conda", {"build_number": "0"}, "invalid-field"),
        ("a-1-h_0.conda", {"version": "2"}, "invalid-record"),
        ("a-1-h_0.conda", {"size": float("nan")}, "invalid-field"),
        ("a-1-h_0.conda", {"size": b"\x00"}, "invalid-field"),
        ("a-1-h_0.conda", {"size": 1 << 70}, "invalid-field"),
        ("a-1-h_0.conda", {"extra": 1 << 70}, "metadata-integer-range"),
        ("a-1-h_0.conda", {"extra": b"\x00"}, "metadata-invalid"),
        ("a-1-h_0.conda", {"extra": {1: 2}}, "metadata-invalid"),
        ("a-1-h_0.conda", {"extra": "\udc80"}, "metadata-invalid-unicode"),
        # rattler parses run_exports strictly: one bad record would break the whole file.
        ("a-1-h_0.conda", {"run_exports": {"weak": "a"}}, "invalid-record"),
        ("a-1-h_0.conda", {"run_exports": ["a"]}, "invalid-record"),
        ("a-1-h_0.conda", {"run_exports": {"weak": [1]}}, "invalid-record"),
        ("a-1-h_0.conda", {"run_exports": {"other": ["a"]}}, "invalid-record"),
        ("a/b-1-h_0.conda", {"name": "a/b"}, "invalid-filename"),
        ("a-1-h_0.zip", {}, "unknown-extension"),
    ],
)
def test_bad_records_are_left_out(filename: str, change: dict[str, Any], code: str) -> None:
    # One record clients cannot read must not keep the others from being published.
    _, record = make_record("a", "1", "h_0")
    record.update(change)
    good_name, good = make_record("b", "1", "h_0")
    index = build_subdir_index("linux-64", {filename: record, good_name: good})
    assert list(index.skipped) == [filename]
    assert index.skipped[filename].split(":")[0] == code
    assert list(repodata_doc(index)["packages.conda"]) == [good_name]
    assert list(shards_by_name(index)) == ["b"]


def test_bad_removed_filename_is_refused() -> None:
    with pytest.raises(InvalidName):
        build_subdir_index("linux-64", {}, removed=["../x-1-0.conda"])


# -- decoders --------------------------------------------------------------------


def test_decoders_read_frames_without_content_size() -> None:
    body = msgpack.packb({"packages": {}, "packages.conda": {}, "removed": []}, use_bin_type=True)
    out = io.BytesIO()
    with zstandard.ZstdCompressor().stream_writer(out, closefd=False) as writer:
        writer.write(body)
    assert zstandard.get_frame_parameters(out.getvalue()).content_size in (-1, 0xFFFFFFFFFFFFFFFF)
    assert decode_shard(out.getvalue()) == {"packages": {}, "packages.conda": {}, "removed": []}


@pytest.mark.parametrize(
    "data",
    [
        b"not zstd",
        zstandard.ZstdCompressor().compress(b"\xc1"),  # never-used msgpack byte
        zstandard.ZstdCompressor().compress(msgpack.packb([1, 2])),
    ],
)
def test_decoders_refuse_garbage(data: bytes) -> None:
    with pytest.raises(InvalidRequest) as exc:
        decode_shard(data)
    assert exc.value.code == "invalid-shard"
    with pytest.raises(InvalidRequest) as exc:
        decode_shard_index(data)
    assert exc.value.code == "invalid-shard-index"


def test_decoders_cap_the_decompressed_size() -> None:
    bomb = zstandard.ZstdCompressor().compress(b"\x00" * (repodata.MAX_SHARD_BYTES + 1))
    with pytest.raises(InvalidRequest) as exc:
        decode_shard(bomb)
    assert exc.value.code == "invalid-shard"


# -- a real client ---------------------------------------------------------------


def _index_json(path: Path) -> dict[str, Any]:
    """info/index.json of a .conda or .tar.bz2 package."""
    if path.name.endswith(".tar.bz2"):
        with tarfile.open(path, "r:bz2") as tar:
            member = tar.extractfile("info/index.json")
            assert member is not None
            return dict(json.load(member))
    with zipfile.ZipFile(path) as zf:
        info_name = next(n for n in zf.namelist() if n.startswith("info-"))
        raw = zstandard.ZstdDecompressor().stream_reader(zf.read(info_name)).read()
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        member = tar.extractfile("info/index.json")
        assert member is not None
        return dict(json.load(member))


def _record_from_file(path: Path, indexed_ms: int) -> dict[str, Any]:
    data = path.read_bytes()
    record = _index_json(path)
    record.update(
        sha256=hashlib.sha256(data).hexdigest(),
        md5=hashlib.md5(data).hexdigest(),
        size=len(data),
        indexed_timestamp=indexed_ms,
    )
    return record


def _write_subdir(root: Path, index: SubdirIndex) -> None:
    subdir = root / index.subdir
    (subdir / SHARDS_DIR).mkdir(parents=True, exist_ok=True)
    (subdir / REPODATA_JSON).write_bytes(index.repodata_json)
    (subdir / REPODATA_JSON_ZST).write_bytes(index.repodata_json_zst)
    (subdir / SHARD_INDEX).write_bytes(index.shard_index)
    for digest, data in index.shards.items():
        (subdir / index.shard_key(digest)).write_bytes(data)


@pytest.fixture
def real_channel(tmp_path: Path) -> dict[str, Any]:
    """alpha (noarch), beta 1.0 (linux-64, .tar.bz2) and a yanked beta 2.0, both on alpha."""
    import rattler_build  # a [dev] requirement: a missing one fails, never skips

    files = tmp_path / "files"
    files.mkdir()
    (files / "README").write_text("hello\n")
    out = tmp_path / "out"
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    common: dict[str, Any] = {
        "output_dir": out,
        "files_dir": files,
        "timestamp": when,
        "license": "MIT",
    }
    specs: list[tuple[str, str, str, str, dict[str, Any]]] = [
        ("alpha", "1.0", "noarch", "h0_0", {"noarch": "generic"}),
        (
            "beta",
            "1.0",
            "linux-64",
            "h1_0",
            {"depends": ["alpha >=1"], "archive_type": rattler_build.ArchiveType.TarBz2},
        ),
        ("beta", "2.0", "linux-64", "h1_0", {"depends": ["alpha"]}),
    ]
    paths = [
        Path(
            rattler_build.assemble_package(
                name=name,
                version=version,
                target_platform=platform,
                build_string=build,
                **common,
                **kw,
            ).path
        )
        for name, version, platform, build, kw in specs
    ]
    channel = tmp_path / "www" / "chan"
    by_subdir: dict[str, dict[str, dict[str, Any]]] = {"noarch": {}, "linux-64": {}}
    for i, path in enumerate(paths):
        record = _record_from_file(path, 1_790_000_000_000 + i)
        by_subdir[record["subdir"]][path.name] = record
        (channel / record["subdir"]).mkdir(parents=True, exist_ok=True)
        (channel / record["subdir"] / path.name).write_bytes(path.read_bytes())
    yanked = paths[2].name
    assert yanked == "beta-2.0-h1_0.conda"
    _write_subdir(channel, build_subdir_index("noarch", by_subdir["noarch"]))
    _write_subdir(channel, build_subdir_index("linux-64", by_subdir["linux-64"], removed=[yanked]))
    _write_subdir(channel, empty_subdir_index("osx-64"))
    return {"root": tmp_path / "www", "records": by_subdir, "yanked": yanked}


@pytest.fixture
def http_root(real_channel: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    requests: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            requests.append(f"{self.command} {self.path}")

    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Handler, directory=str(real_channel["root"]))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/chan", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _query(url: str, cache_dir: Path, *, sharded: bool) -> list[Any]:
    import rattler

    gateway = rattler.Gateway(
        cache_dir=cache_dir, default_config=rattler.SourceConfig(sharded_enabled=sharded)
    )
    result = asyncio.run(
        gateway.query(
            [rattler.Channel(url)],
            [rattler.Platform("linux-64"), rattler.Platform("osx-64"), rattler.Platform("noarch")],
            specs=["beta"],
        )
    )
    return [record for per_channel in result for record in per_channel]


def test_real_client_reads_both_paths(
    real_channel: dict[str, Any], http_root: tuple[str, list[str]], tmp_path: Path
) -> None:
    import rattler  # noqa: F401 - a [dev] requirement: a missing one fails, never skips

    url, requests = http_root
    expected = {
        (rec["name"], rec["version"], rec["subdir"], rec["sha256"], rec["md5"], rec["size"])
        for per_subdir in real_channel["records"].values()
        for fn, rec in per_subdir.items()
        if fn != real_channel["yanked"]
    }
    assert {rec[:2] for rec in expected} == {("alpha", "1.0"), ("beta", "1.0")}

    seen = {}
    for sharded in (True, False):
        requests.clear()
        records = _query(url, tmp_path / f"cache-{sharded}", sharded=sharded)
        got = {
            (
                str(r.name.normalized),
                str(r.version),
                r.subdir,
                r.sha256.hex(),
                r.md5.hex(),
                r.size,
            )
            for r in records
        }
        assert real_channel["yanked"] not in {r.file_name for r in records}
        assert got == expected, f"sharded={sharded}"
        beta = next(r for r in records if str(r.name.normalized) == "beta")
        assert [str(d) for d in beta.depends] == ["alpha >=1"]
        assert beta.url.startswith(f"{url}/linux-64/")
        seen[sharded] = list(requests)

    def fetched(reqs: list[str], suffix: str) -> bool:
        return any(r.startswith("GET ") and r.split(" ")[1].endswith(suffix) for r in reqs)

    # the sharded path really went through the shard index and shards, nothing else
    assert fetched(seen[True], f"/chan/linux-64/{SHARD_INDEX}")
    assert fetched(seen[True], f"/chan/osx-64/{SHARD_INDEX}")
    assert any("/linux-64/shards/" in r for r in seen[True])
    assert any("/noarch/shards/" in r for r in seen[True])
    assert not any("repodata.json" in r for r in seen[True])
    # and the fallback path read repodata.json.zst without touching shards
    assert fetched(seen[False], f"/chan/linux-64/{REPODATA_JSON_ZST}")
    assert fetched(seen[False], f"/chan/osx-64/{REPODATA_JSON_ZST}")
    assert not any("shards" in r for r in seen[False])
