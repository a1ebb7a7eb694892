"""run_exports as the reference indexers publish them, field by field.

rattler-index (py-rattler, run here) puts a package's info/run_exports.json into its
repodata.json and shard records (CEP 21); conda-index writes the subdir's
run_exports.json (CEP 12). conda-index needs conda, which is not installable from the
package index, so its output for these very packages is a fixture
(tests/fixtures/conda-index/README.md says how it was made).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import zstandard

from rillet.core.errors import PackageRejected
from rillet.core.package import INVALID_RUN_EXPORTS, MAX_RUN_EXPORTS_BYTES, read_package
from rillet.core.records import package_record
from rillet.core.repodata import (
    RUN_EXPORTS_JSON,
    RUN_EXPORTS_JSON_ZST,
    SubdirIndex,
    build_subdir_index,
    decode_shard,
    decode_shard_index,
)
from tests.core.package_factory import add, build_package, edit_info, file_member

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "conda-index" / "run_exports.json"
ALL_KEYS = {
    "weak": ["rex-full >=1.0.0,<2"],
    "strong": ["libfoo >=1"],
    "noarch": ["python"],
    "weak_constrains": ["bar <3"],
    "strong_constrains": ["baz 1.*"],
}


@dataclass(frozen=True)
class Case:
    name: str
    tar_bz2: bool
    run_exports: Mapping[str, Any] | None  # None: no info/run_exports.json at all


# With and without run_exports, in both formats. (Same for conda-index and rattler.)
CASES = (
    Case("rex-full", False, ALL_KEYS),
    Case("rex-weak", True, {"weak": ["rex-weak >=1.0.0"]}),
    Case("rex-none", False, None),
    Case("rex-none-bz", True, None),
    Case("rex-empty", False, {}),
)


@pytest.fixture(scope="module")
def channel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packages of CASES in <channel>/noarch."""
    root = tmp_path_factory.mktemp("rex")
    (root / "chan" / "noarch").mkdir(parents=True)
    for case in CASES:
        path = build_package(
            root, name=case.name, tar_bz2=case.tar_bz2, run_exports=case.run_exports
        )
        shutil.copy(path, root / "chan" / "noarch" / path.name)
    return root / "chan"


def ours(channel: Path) -> SubdirIndex:
    records = {}
    for path in sorted((channel / "noarch").glob("*.*")):
        if path.name.endswith((".conda", ".tar.bz2")):
            with path.open("rb") as stream:
                records[path.name] = package_record(read_package(stream, path.name))
    return build_subdir_index("noarch", records)


def rattler_index(channel: Path, target: Path) -> Path:
    from rattler.index import index_fs  # py-rattler is a [dev] requirement, never optional

    shutil.copytree(channel, target)
    result = index_fs(target, write_zst=False, write_shards=True)
    if inspect.isawaitable(result):
        asyncio.run(result)
    return target / "noarch"


def test_records_carry_run_exports_as_rattler_index_writes_them(
    channel: Path, tmp_path: Path
) -> None:
    mine = ours(channel)
    theirs_dir = rattler_index(channel, tmp_path / "rattler")
    theirs = json.loads((theirs_dir / "repodata.json").read_text())
    doc = json.loads(mine.repodata_json)

    for section in ("packages", "packages.conda"):
        assert doc[section].keys() == theirs[section].keys()
        for filename, record in doc[section].items():
            their = dict(theirs[section][filename])
            their.pop("indexed_timestamp")  # when they indexed it
            case = next(c for c in CASES if filename.startswith(c.name + "-1"))
            if filename.endswith(".tar.bz2") and case.run_exports is not None:
                # rattler-index reads info/run_exports.json from .conda files only; the
                # record form is the same, and we give .tar.bz2 files theirs too.
                assert "run_exports" not in their
                assert record["run_exports"] == case.run_exports
                their["run_exports"] = case.run_exports
            assert record == their, filename
    full = doc["packages.conda"]["rex-full-1.0.0-h0_0.conda"]
    assert full["run_exports"] == ALL_KEYS
    assert doc["packages.conda"]["rex-empty-1.0.0-h0_0.conda"]["run_exports"] == {}
    assert "run_exports" not in doc["packages.conda"]["rex-none-1.0.0-h0_0.conda"]

    # Shard records: the same, digests as bytes.
    their_index = decode_shard_index((theirs_dir / "repodata_shards.msgpack.zst").read_bytes())
    my_index = decode_shard_index(mine.shard_index)
    assert my_index["shards"].keys() == their_index["shards"].keys()
    for name, digest in my_index["shards"].items():
        my_shard = decode_shard(mine.shards[digest.hex()])
        their_digest = their_index["shards"][name].hex()
        their_shard = decode_shard(
            (theirs_dir / "shards" / f"{their_digest}.msgpack.zst").read_bytes()
        )
        for section in ("packages", "packages.conda"):
            for filename, record in my_shard[section].items():
                their = dict(their_shard[section][filename])
                their.pop("indexed_timestamp")
                if "run_exports" in record and "run_exports" not in their:
                    assert filename.endswith(".tar.bz2")
                    their["run_exports"] = record["run_exports"]
                assert record == their, filename


def test_run_exports_json_is_what_conda_index_writes(channel: Path) -> None:
    mine = ours(channel)
    # conda-index 0.13 (--run-exports) over these packages, byte for byte: compact JSON,
    # keys sorted, every package with an entry ({} when none).
    assert mine.run_exports_json == FIXTURE.read_bytes().rstrip(b"\n")
    assert zstandard.ZstdDecompressor().decompress(mine.run_exports_json_zst) == (
        mine.run_exports_json
    )
    assert (RUN_EXPORTS_JSON, RUN_EXPORTS_JSON_ZST) == ("run_exports.json", "run_exports.json.zst")


def test_run_exports_json_parses_as_rattler_reads_it(channel: Path) -> None:
    """rattler's SubdirRunExportsJson: every entry's run_exports maps known keys to lists."""
    doc = json.loads(ours(channel).run_exports_json)
    assert set(doc) == {"info", "packages", "packages.conda"}
    assert doc["info"] == {"subdir": "noarch", "version": 1}
    for section in ("packages", "packages.conda"):
        for entry in doc[section].values():
            assert set(entry) == {"run_exports"}
            assert set(entry["run_exports"]) <= set(ALL_KEYS)
            assert all(isinstance(v, list) and v for v in entry["run_exports"].values())


def test_unknown_keys_and_empty_lists_are_dropped_as_rattler_does(tmp_path: Path) -> None:
    odd = {"weak": ["a"], "strong": [], "x_future": ["q"]}
    path = build_package(tmp_path, name="odd", run_exports=odd)
    (tmp_path / "chan" / "noarch").mkdir(parents=True)
    shutil.copy(path, tmp_path / "chan" / "noarch" / path.name)
    theirs_dir = rattler_index(tmp_path / "chan", tmp_path / "rattler")
    their = json.loads((theirs_dir / "repodata.json").read_text())["packages.conda"][path.name]
    with path.open("rb") as stream:
        mine = package_record(read_package(stream, path.name))
    assert mine["run_exports"] == their["run_exports"] == {"weak": ["a"]}


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b'["weak"]',
        b'{"weak": "a"}',
        b'{"weak": [1]}',
        b'{"strong": {"a": 1}}',
        b'{"weak": ["a"], "weak": ["b"]}',
        json.dumps({"weak": ["x" * 1000] * (MAX_RUN_EXPORTS_BYTES // 1000 + 1)}).encode(),
    ],
)
def test_a_run_exports_json_clients_cannot_read_is_refused(tmp_path: Path, content: bytes) -> None:
    """rattler refuses to index such a package; dropping it would tell builds "none"."""
    path = edit_info(build_package(tmp_path), add(file_member("info/run_exports.json", content)))
    with path.open("rb") as stream, pytest.raises(PackageRejected) as caught:
        read_package(stream, path.name)
    assert caught.value.code == INVALID_RUN_EXPORTS
