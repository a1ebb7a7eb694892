"""One record the index cannot carry never freezes a subdir (real adapters on moto).

Validation refuses such values now, but records stored before that (or by any other
path) still reach the indexer: it leaves them out, says so, and publishes the rest.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rattler import Channel, PackageName, SparseRepoData

from rillet.core.models import StoredPackage, Upload
from rillet.core.repodata import decode_shard_index
from tests.packages import build_package
from tests.services import test_ingest_and_reindex as base
from tests.services.test_ingest_and_reindex import NOW_MS, World

world = base.world  # the same fixtures: real adapters on moto, one channel "chan"
pkgs = base.pkgs

BAD = "broken-1.0-h0_0.conda"


def _store_bad_record(world: World, field: str, value: Any) -> int:
    """Put a published record straight into the catalog, bypassing validation."""
    record = {
        "name": "broken",
        "version": "1.0",
        "build": "h0_0",
        "build_number": 0,
        "subdir": "noarch",
        "depends": [],
        "md5": "0" * 32,
        "sha256": "1" * 64,
        "size": 1,
        field: value,
    }
    world.catalog.put_upload(
        Upload(
            id="bad-upload",
            channel="chan",
            filename=BAD,
            sha256="1" * 64,
            size=1,
            created_by="test",
            created_at="2026-11-23T00:00:00Z",
            expires_at=NOW_MS // 1000 + 900,
        )
    )
    package = StoredPackage("chan", "noarch", BAD, record, "bad-upload")
    world.catalog.claim_package(package)
    seq = world.catalog.publish_package(package, NOW_MS)
    assert seq is not None
    return seq


def _published(world: World) -> list[str]:
    return sorted(world.json("chan/noarch/repodata.json")["packages.conda"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("extra", 2**64),  # msgpack cannot pack it
        ("extra", "\ud800"),  # a lone surrogate: msgpack cannot encode it
        ("extra", json.loads("[" * 600 + "]" * 600)),  # past msgpack's nesting limit
        ("extra", float("inf")),  # repodata.json cannot carry it
        ("timestamp", 2**62),  # rattler refuses the record, and its shard with it
        ("build_number", "0"),  # rattler and conda refuse it
    ],
    ids=["u64-overflow", "surrogate", "deep", "infinity", "timestamp", "build-number-type"],
)
def test_a_bad_record_is_left_out_and_the_rest_of_the_subdir_indexes(
    world: World, pkgs: Path, tmp_path: Path, field: str, value: Any
) -> None:
    first = build_package(pkgs / "iso-a", "alpha", "1.0")
    assert world.ingest(world.stage("chan", first, "iso-a")).status == "published"
    world.drain_reindex()
    assert _published(world) == [first.name]

    world.queue.request_reindex("chan", "noarch", _store_bad_record(world, field, value))
    later = build_package(pkgs / "iso-b", "beta", "1.0")
    assert world.ingest(world.stage("chan", later, "iso-b")).status == "published"

    results = world.drain_reindex()
    rebuilt = [r for r in results if r.rebuilt]
    assert rebuilt, "the subdir must still be rebuilt"
    assert [f for r in rebuilt for f, _ in r.skipped] == [BAD]
    assert _published(world) == sorted([first.name, later.name])
    state = world.catalog.subdir_state("chan", "noarch")
    assert state.indexed_seq == state.change_seq  # nothing left pending, nothing frozen

    # The owner's full reindex repairs and reports it in the same way.
    full = world.reindex(
        world.catalog, world.channels, "chan", "noarch", state.change_seq, full=True
    )
    assert full.full and [f for f, _ in full.skipped] == [BAD]
    assert _published(world) == sorted([first.name, later.name])
    with world.channels.open("chan/noarch/repodata_shards.msgpack.zst") as f:
        assert "broken" not in decode_shard_index(f.read())["shards"]

    # What was published is readable by a real client.
    repodata = tmp_path / "repodata.json"
    with world.channels.open("chan/noarch/repodata.json") as f:
        repodata.write_bytes(f.read())
    sparse = SparseRepoData(Channel("chan"), "noarch", str(repodata))
    assert [r.file_name for r in sparse.load_records(PackageName("beta"))] == [later.name]
