"""Incremental index updates give the files a full rebuild gives, rendering only what changed."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping
from typing import Any

import pytest
import zstandard

from rillet.core.errors import InvalidRequest
from rillet.core.repodata import (
    SubdirIndex,
    build_subdir_index,
    decode_shard,
    decode_shard_index,
    empty_subdir_index,
    update_subdir_index,
)

SUBDIR = "linux-64"
# "Gamma" and "gamma" share a shard (CEP 16 lower-cases names).
NAMES = ("alpha", "beta", "Gamma", "gamma", "delta-lib", "eps")


def record(name: str, version: str, build_number: int, ext: str, stamp: int) -> tuple[str, dict]:
    filename = f"{name}-{version}-h{build_number}_{build_number}{ext}"
    digest_seed = f"{filename}:{stamp}".encode()
    rec = {
        "name": name,
        "version": version,
        "build": f"h{build_number}_{build_number}",
        "build_number": build_number,
        "depends": [f"{NAMES[stamp % len(NAMES)].lower()} >=1"],
        "md5": hashlib.md5(digest_seed).hexdigest(),
        "sha256": hashlib.sha256(digest_seed).hexdigest(),
        "size": 1000 + stamp % 977,
        "subdir": SUBDIR,
        "timestamp": 1_760_000_000_000 + stamp,
        "indexed_timestamp": 1_790_000_000_000 + stamp * 1000,
        "run_exports": {"weak": [f"{name} >={version}"], "strong_constrains": ["z"]},
        "extra": {"z": stamp, "a": [{"y": 1, "x": 2}]},
    }
    # Packages with run_exports, without (None), and records from before they were read.
    if stamp % 3 == 1:
        rec["run_exports"] = None
    elif stamp % 3 == 2:
        del rec["run_exports"]
    return filename, rec


def shards_of(index: SubdirIndex, store: Mapping[str, bytes]) -> dict[str, dict[str, Any]]:
    """Every shard the index points at, decoded, from the shards published so far."""
    listed = decode_shard_index(index.shard_index)["shards"]
    return {name: decode_shard(store[digest.hex()]) for name, digest in listed.items()}


def test_random_changes_give_the_bytes_of_a_full_rebuild() -> None:
    rng = random.Random(20261201)
    records: dict[str, dict[str, Any]] = {}  # every file served, yanked ones included
    removed: set[str] = set()  # as the catalog keeps it: removed and not published again
    yanked: set[str] = set()  # served, but listed as removed in the index
    current = empty_subdir_index(SUBDIR)
    store: dict[str, bytes] = dict(current.shards)
    stamp = 0
    unyanked = 0
    for step in range(160):
        changes: dict[str, dict[str, Any] | None] = {}
        for _ in range(rng.choice((1, 1, 1, 2, 5))):
            stamp += 1
            op = rng.random()
            if op < 0.45 or not records:  # a new file
                name = rng.choice(NAMES)
                filename, rec = record(
                    name,
                    f"{rng.randint(1, 4)}.{rng.randint(0, 3)}",
                    rng.randint(0, 2),
                    rng.choice((".conda", ".tar.bz2")),
                    stamp,
                )
                records[filename] = rec
                removed.discard(filename)
                changes[filename] = rec
            elif op < 0.65:  # forced overwrite: same filename, other bytes
                filename = rng.choice(sorted(records))
                old = records[filename]
                _, rec = record(
                    old["name"],
                    old["version"],
                    old["build_number"],
                    ".conda" if filename.endswith(".conda") else ".tar.bz2",
                    stamp,
                )
                records[filename] = rec
                changes[filename] = rec
            elif op < 0.75:  # delete (a yanked file too)
                filename = rng.choice(sorted(records))
                del records[filename]
                yanked.discard(filename)
                removed.add(filename)
                changes[filename] = None
            elif op < 0.85:  # yank: the record stays, the filename is listed as removed
                filename = rng.choice(sorted(records))
                yanked.add(filename)
                changes[filename] = records[filename]
            elif op < 0.92 and yanked:  # unyank
                filename = rng.choice(sorted(yanked))
                yanked.discard(filename)
                unyanked += 1
                changes[filename] = records[filename]
            elif removed:  # the same filename published again
                filename = rng.choice(sorted(removed))
                name, version, build = (
                    filename.rsplit(".", 1)[0].removesuffix(".tar").rsplit("-", 2)
                )
                _, rec = record(
                    name,
                    version,
                    int(build.split("_")[1]),
                    ".conda" if filename.endswith(".conda") else ".tar.bz2",
                    stamp,
                )
                records[filename] = rec
                removed.discard(filename)
                changes[filename] = rec

        updated = update_subdir_index(
            SUBDIR,
            current.repodata_json,
            current.shard_index,
            current.run_exports_json,
            changes,
            (removed | yanked) & changes.keys(),
        )
        full = build_subdir_index(SUBDIR, records, removed | yanked)
        assert updated.repodata_json == full.repodata_json, step
        assert zstandard.ZstdDecompressor().decompress(updated.repodata_json_zst) == (
            full.repodata_json
        )
        assert updated.run_exports_json == full.run_exports_json, step
        assert zstandard.ZstdDecompressor().decompress(updated.run_exports_json_zst) == (
            full.run_exports_json
        )
        doc = json.loads(full.repodata_json)
        served = {**doc["packages"], **doc["packages.conda"]}
        assert served.keys() == records.keys() - yanked
        assert set(doc.get("removed", [])) == removed | yanked
        entries = json.loads(full.run_exports_json)
        entries = {**entries["packages"], **entries["packages.conda"]}
        # Yanked files stay downloadable, so they keep their entry; unknown ones have none.
        assert entries.keys() == {f for f, r in records.items() if "run_exports" in r}
        # Only the shards of the changed names are rendered; the others are reused.
        touched = {f.rsplit("-", 2)[0].lower() for f in changes}
        assert len(updated.shards) <= len(touched)
        store.update(updated.shards)
        full_index = decode_shard_index(full.shard_index)
        updated_index = decode_shard_index(updated.shard_index)
        assert updated_index["shards"] == full_index["shards"], step
        assert list(updated_index["shards"]) == sorted(updated_index["shards"])
        assert shards_of(updated, store) == shards_of(full, full.shards)
        # created_at never moves back (a full rebuild forgets deleted records' times).
        assert updated_index["info"]["created_at"] >= full_index["info"].get("created_at", "")
        if not any(v is None for v in changes.values()) and not removed:
            assert updated.shard_index == full.shard_index
        current = updated
    # the walk did exercise every kind of change
    assert len(records) > 20 and removed and yanked and unyanked


def test_one_change_renders_one_shard_among_many() -> None:
    records = dict(record(f"pkg{i}", "1.0", 0, ".conda", i) for i in range(200))
    before = build_subdir_index(SUBDIR, records)
    filename, rec = record("pkg7", "2.0", 0, ".conda", 999)
    after = update_subdir_index(
        SUBDIR, before.repodata_json, before.shard_index, before.run_exports_json, {filename: rec}
    )
    records[filename] = rec
    assert after.repodata_json == build_subdir_index(SUBDIR, records).repodata_json
    assert after.shard_index == build_subdir_index(SUBDIR, records).shard_index
    (only,) = after.shards.values()
    assert {r["version"] for r in decode_shard(only)["packages.conda"].values()} == {"1.0", "2.0"}


def test_deleting_the_last_file_of_a_name_keeps_a_removed_shard() -> None:
    filename, rec = record("solo", "1.0", 0, ".conda", 1)
    before = build_subdir_index(SUBDIR, {filename: rec})
    after = update_subdir_index(
        SUBDIR,
        before.repodata_json,
        before.shard_index,
        before.run_exports_json,
        {filename: None},
        {filename},
    )
    assert json.loads(after.repodata_json)["removed"] == [filename]
    (shard,) = after.shards.values()
    assert decode_shard(shard) == {"packages": {}, "packages.conda": {}, "removed": [filename]}
    # A change that leaves nothing under a name (no record, not removed) drops its shard.
    gone = update_subdir_index(
        SUBDIR, before.repodata_json, before.shard_index, before.run_exports_json, {filename: None}
    )
    assert decode_shard_index(gone.shard_index)["shards"] == {}
    assert gone.shards == {}


@pytest.mark.parametrize(
    ("repodata_json", "shard_index", "run_exports_json", "code"),
    [
        (b"not json", None, None, "invalid-repodata"),
        (b"[]", None, None, "invalid-repodata"),
        (
            b'{"info":{"subdir":"osx-64"},"packages":{},"packages.conda":{}}',
            None,
            None,
            "invalid-repodata",
        ),
        (None, b"garbage", None, "invalid-shard-index"),
        (None, empty_subdir_index("noarch").shard_index, None, "invalid-shard-index"),
        (None, None, b"not json", "invalid-run-exports-json"),
        (None, None, empty_subdir_index("noarch").run_exports_json, "invalid-run-exports-json"),
        (
            None,
            None,
            b'{"info":{"subdir":"linux-64","version":1},"packages":{},'
            b'"packages.conda":{"a-1-h_0.conda":{"run_exports":{"weak":"a"}}}}',
            "invalid-run-exports-json",
        ),
    ],
)
def test_an_unusable_published_index_is_refused(
    repodata_json: bytes | None,
    shard_index: bytes | None,
    run_exports_json: bytes | None,
    code: str,
) -> None:
    empty = empty_subdir_index(SUBDIR)
    filename, rec = record("x", "1.0", 0, ".conda", 1)
    with pytest.raises(InvalidRequest) as info:
        update_subdir_index(
            SUBDIR,
            repodata_json if repodata_json is not None else empty.repodata_json,
            shard_index if shard_index is not None else empty.shard_index,
            run_exports_json if run_exports_json is not None else empty.run_exports_json,
            {filename: rec},
        )
    assert info.value.code == code
