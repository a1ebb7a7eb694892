"""core.records: the repodata record of real packages."""

from __future__ import annotations

import asyncio
import inspect
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from rillet.core.package import PackageFacts, read_package
from rillet.core.records import package_record
from tests.core.conftest import RUN_EXPORTS, BuiltPackages
from tests.core.package_factory import build_package, edit_index


def facts_of(path: Path) -> PackageFacts:
    with path.open("rb") as stream:
        return read_package(stream, path.name)


@pytest.mark.parametrize("which", ["conda", "tar_bz2", "linux_conda", "linux_tar_bz2"])
def test_record_of_a_real_package(built: BuiltPackages, which: str) -> None:
    path: Path = getattr(built, which)
    facts = facts_of(path)

    record = package_record(facts)

    assert list(record) == sorted(record)
    assert json.loads(json.dumps(record, allow_nan=False)) == record
    assert record["md5"] == facts.md5
    assert record["sha256"] == facts.sha256
    assert record["size"] == path.stat().st_size
    assert record["name"] == "demo"
    assert record["version"] == "1.0.0"
    assert record["depends"] == ["python >=3.8"]
    assert record["constrains"] == ["other <2"]
    assert record["license"] == "MIT"
    assert record["timestamp"] == facts.index["timestamp"]
    # Everything index.json says is in the record, and nothing else but the byte facts
    # and the package's info/run_exports.json.
    assert set(record) == set(facts.index) | {"md5", "sha256", "size", "run_exports"}
    assert record["run_exports"] == RUN_EXPORTS
    assert "indexed_timestamp" not in record


def test_record_matches_rattlers_indexer(built: BuiltPackages, tmp_path: Path) -> None:
    from rattler.index import index_fs  # py-rattler is a [dev] requirement, never optional

    packages = [built.conda, built.linux_conda, built.tar_bz2, built.linux_tar_bz2]
    for path in packages:
        subdir = facts_of(path).index["subdir"]
        (tmp_path / subdir).mkdir(exist_ok=True)
        shutil.copy(path, tmp_path / subdir / path.name)
    result = index_fs(tmp_path, write_zst=False, write_shards=False)
    if inspect.isawaitable(result):
        asyncio.run(result)

    for path in packages:
        facts = facts_of(path)
        repodata = json.loads((tmp_path / facts.index["subdir"] / "repodata.json").read_text())
        section = "packages.conda" if path.name.endswith(".conda") else "packages"
        theirs = dict(repodata[section][path.name])
        theirs.pop("indexed_timestamp", None)
        ours = package_record(facts)
        if path.name.endswith(".tar.bz2"):
            # rattler-index reads info/run_exports.json only from .conda files; we read
            # it from both formats (see test_run_exports.py).
            assert "run_exports" not in theirs
            assert ours.pop("run_exports") == RUN_EXPORTS
        assert ours == theirs


def test_depends_defaults_to_empty_and_unknown_keys_stay(tmp_path: Path) -> None:
    def change(index: dict[str, Any]) -> None:
        del index["depends"]
        index["x_custom"] = {"nested": [1, "two", None]}

    facts = facts_of(edit_index(build_package(tmp_path), change))
    record = package_record(facts)
    assert record["depends"] == []
    assert record["x_custom"] == {"nested": [1, "two", None]}


def test_service_owned_keys_are_not_taken_from_the_package(tmp_path: Path) -> None:
    def change(index: dict[str, Any]) -> None:
        index["indexed_timestamp"] = 1
        index["run_exports"] = {"weak": ["x"]}
        index["sha256"] = "0" * 64
        index["size"] = 1

    path = edit_index(build_package(tmp_path), change)
    record = package_record(facts_of(path))
    assert "indexed_timestamp" not in record
    assert record["run_exports"] is None  # the package has no info/run_exports.json
    assert record["size"] == path.stat().st_size
    assert record["sha256"] != "0" * 64


def test_the_record_is_a_copy(built: BuiltPackages) -> None:
    facts = facts_of(built.linux_conda)
    record = package_record(facts)
    record["depends"].append("evil")
    assert facts.index["depends"] == ["python >=3.8"]
    assert package_record(facts)["depends"] == ["python >=3.8"]
