"""Render one subdir's channel index: repodata.json(.zst) and CEP 16 sharded repodata.

Pure and deterministic: the same records give byte-identical files, whatever the
dict insertion order, because every map is key-sorted before serialisation and
the only timestamp (the shard index's ``created_at``) is derived from the
records themselves. Clients are strict about types (see the repodata spec), so
the shapes here are deliberate:

- repodata.json: compact JSON, keys sorted at every level, ``info.subdir``,
  ``packages`` and ``packages.conda`` always present, ``removed`` only when
  non-empty (like rattler-index and the empty-subdir shape in the spec),
  ``repodata_version: 1``; a record carries ``run_exports`` when its package has
  an ``info/run_exports.json`` (as rattler-index writes it, CEP 21).
- shards: one per lower-cased package name, ``packages``, ``packages.conda`` and
  ``removed`` always present, ``sha256``/``md5``/``legacy_bz2_md5`` (and CEP-27's
  ``attestations_sha256``) as msgpack bin, everything else exactly as in
  repodata.json; named by the sha256 of the compressed bytes.
- shard index: ``info`` values all strings, digests as 32-byte bin.
- run_exports.json (CEP 12, as conda-index writes it): ``{"info": {"subdir",
  "version": 1}, "packages": {fn: {"run_exports": {...}}}, "packages.conda": ...}``
  for every file still served, yanked ones included (the file stays
  downloadable and the format is never patched). ``{}`` for a package without
  run_exports; a record that says nothing about them (``run_exports`` absent,
  indexed before they were read) gets no entry, so clients fall back to reading
  the package rather than trust an empty answer.

Fields whose value is ``None`` are left out of both forms (a record's
``run_exports: None`` means "the package has none").

Yanking is "pop + list": a filename given in ``removed`` is dropped from
``packages*`` even if its record is passed in ``records``, and listed in
``removed``, because conda (and older rattler) ignore ``removed`` and would
still offer a record that is merely listed there. A record passed for a
removed filename is a yanked file: it still dates the index and keeps its
run_exports.json entry; a removed filename without a record was deleted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import msgpack
import zstandard

from rillet.core import metadata
from rillet.core.errors import InvalidName, InvalidRequest
from rillet.core.names import (
    normalized_package_name,
    parse_package_filename,
    validate_sha256_hex,
    validate_subdir,
)

REPODATA_JSON: Final = "repodata.json"
REPODATA_JSON_ZST: Final = "repodata.json.zst"
SHARD_INDEX: Final = "repodata_shards.msgpack.zst"
SHARDS_DIR: Final = "shards"
RUN_EXPORTS_JSON: Final = "run_exports.json"
RUN_EXPORTS_JSON_ZST: Final = "run_exports.json.zst"
RUN_EXPORTS_VERSION: Final = 1  # CEP 12 info.version
# The keys of a package's run_exports.json (rattler's RunExportsJson), each a list of strings.
RUN_EXPORTS_KEYS: Final = ("weak", "strong", "noarch", "weak_constrains", "strong_constrains")

# Shards are content-addressed, so they never change once written.
IMMUTABLE_CACHE_CONTROL: Final = "public, max-age=31536000, immutable"
# repodata*.json and the shard index are mutable pointers; keep them short-lived.
# Clients may keep them a minute; the CDN (s-maxage) revalidates within seconds, so
# a package is installable through the CDN soon after its rebuild, with no paid
# invalidation per rebuild (a revalidation is one conditional GET to the bucket).
INDEX_CACHE_CONTROL: Final = "public, max-age=60, s-maxage=5"

SHARDS_BASE_URL: Final = f"./{SHARDS_DIR}/"

# zstd levels. Shards and the index use the zstd default, like both reference
# indexers. repodata.json.zst is only read by fallback clients, but it is written
# before the shard index, so its time is on every upload's path to installable.
# Measured on 10k synthetic records (3.5 MB of JSON): level 3 takes 23 ms for
# 754 kB, 9 takes 128 ms for 756 kB, 16 takes 1.1 s for 635 kB, 19 takes 3.4 s
# for 627 kB (the sha256/md5 hex digits are incompressible either way). The high
# levels only pay for small files. Derived from the input only, so output stays
# deterministic. Stay below 20: conda derives a window limit from its
# decompression caps.
SHARD_ZSTD_LEVEL: Final = 3
REPODATA_ZSTD_LEVELS: Final[tuple[tuple[int, int], ...]] = (
    (128 << 10, 19),  # up to ~250 records: under 100 ms (500 kB took 370 ms)
)
REPODATA_ZSTD_LEVEL_LARGE: Final = 3

# Decompression caps for the decoders (conda's limits for shard and index).
MAX_SHARD_BYTES: Final = 16 * 1024 * 1024
MAX_SHARD_INDEX_BYTES: Final = 128 * 1024 * 1024
_READ_CHUNK: Final = 1024 * 1024

# attestations_sha256 (CEP-27): rattler reads it as it reads sha256 (hex / shard bytes).
_HEX_FIELDS: Final[Mapping[str, int]] = {
    "sha256": 32,
    "md5": 16,
    "legacy_bz2_md5": 16,
    "attestations_sha256": 32,
}
# Record keys the service keeps for its own API, never written into the index.
_SERVICE_ONLY: Final = frozenset({"attestation"})
_HEX_RE: Final[Mapping[int, re.Pattern[str]]] = {
    n: re.compile(f"^[0-9a-f]{{{2 * n}}}$") for n in set(_HEX_FIELDS.values())
}
_REQUIRED_FIELDS: Final = ("name", "version", "build", "build_number")
_SCALAR_TYPES: Final = frozenset({str, int, float, bool, type(None)})

# rattler's rule: a timestamp above the last second of year 9999 is in ms.
_MAX_SECONDS_TIMESTAMP: Final = 253_402_300_799
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SubdirIndex:
    """All index files of one subdir, ready to upload (shards first, index last)."""

    subdir: str
    repodata_json: bytes
    repodata_json_zst: bytes
    shard_index: bytes
    # lower-case hex sha256 of the compressed shard bytes -> compressed shard bytes
    shards: Mapping[str, bytes]
    run_exports_json: bytes
    run_exports_json_zst: bytes
    # filename -> why its record was left out: one unrepresentable record (e.g. stored
    # before validation refused such values) must not keep the rest of the subdir unpublished
    skipped: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def shard_key(self, digest_hex: str) -> str:
        """Key of a shard relative to the subdir directory (``shards/<hex>.msgpack.zst``)."""
        return f"{SHARDS_DIR}/{validate_sha256_hex(digest_hex)}.msgpack.zst"


def build_subdir_index(
    subdir: str,
    records: Mapping[str, Mapping[str, Any]],
    removed: Iterable[str] = (),
) -> SubdirIndex:
    """Render repodata.json(.zst), the shard index and the shards for ``subdir``.

    ``records`` maps package filename -> repodata record (JSON types, digests as
    lower-case hex). Filenames in ``removed`` are left out of ``packages*`` and
    listed as removed. A record that would produce an index clients reject is left
    out and named in ``skipped``. Raises InvalidName for a bad subdir or removed filename.
    """
    validate_subdir(subdir)
    removed_set = set(removed)
    skipped: dict[str, str] = {}

    json_tar: dict[str, dict[str, Any]] = {}
    json_conda: dict[str, dict[str, Any]] = {}
    # normalised name -> (packages, packages.conda, removed) of its shard
    groups: dict[str, tuple[dict[str, Any], dict[str, Any], list[str]]] = {}
    newest_ms: int | None = None
    run_exports: dict[str, dict[str, Any]] = {}  # filename -> run_exports.json entry

    for filename in sorted(records):
        record = records[filename]
        clean = _checked_record(filename, record, skipped)
        if clean is None:
            continue
        # Counted for yanked records too, so a yank never moves created_at back.
        stamp = _record_time_ms(record)
        if stamp is not None and (newest_ms is None or stamp > newest_ms):
            newest_ms = stamp
        entry = _run_exports_entry(record)
        if entry is not None:
            run_exports[filename] = entry
        if filename in removed_set:
            continue  # yanked: still served, so still in run_exports.json
        is_conda = filename.endswith(".conda")
        (json_conda if is_conda else json_tar)[filename] = clean
        name = normalized_package_name(clean["name"])
        group = groups.get(name)
        if group is None:
            group = groups[name] = ({}, {}, [])
        (group[1] if is_conda else group[0])[filename] = _shard_record(clean)

    removed_sorted = sorted(removed_set)
    for filename in removed_sorted:
        name = normalized_package_name(parse_package_filename(filename).name)
        group = groups.get(name)
        if group is None:
            # Still gets a shard, so clients that hold the name see it removed.
            group = groups[name] = ({}, {}, [])
        group[2].append(filename)
    return _render(
        _Parts(
            subdir,
            json_tar,
            json_conda,
            removed_sorted,
            groups,
            {},
            newest_ms,
            run_exports,
            skipped,
        )
    )


def update_subdir_index(
    subdir: str,
    previous_repodata_json: bytes,
    previous_shard_index: bytes,
    previous_run_exports_json: bytes,
    changes: Mapping[str, Mapping[str, Any] | None],
    removed: Iterable[str] = (),
) -> SubdirIndex:
    """The index after ``changes``, starting from the published one.

    ``changes`` maps each changed filename to its record now (published or
    yanked), or to None when it is no longer served; those of them in
    ``removed`` are listed as removed (a record there is a yanked file). Only
    the shards of the changed names are rendered (``shards`` holds just those);
    every other shard keeps its digest, and every other run_exports.json entry
    is taken from the published file. The files are byte-identical to
    ``build_subdir_index`` over the whole subdir, except that ``created_at``
    never moves back when the newest record goes. A changed record clients would
    reject is left out (as if unpublished) and named in ``skipped``. Raises
    InvalidRequest when the previous files are not a valid index of ``subdir``
    (rebuild in full then).
    """
    validate_subdir(subdir)
    skipped: dict[str, str] = {}
    json_tar, json_conda, removed_set = _parse_repodata(subdir, previous_repodata_json)
    index_shards, newest_ms = _parse_shard_index(subdir, previous_shard_index)
    run_exports = _parse_run_exports_json(subdir, previous_run_exports_json)
    removed_now = set(removed)
    touched: set[str] = set()
    for filename in sorted(changes):
        touched.add(normalized_package_name(parse_package_filename(filename).name))
        json_tar.pop(filename, None)
        json_conda.pop(filename, None)
        removed_set.discard(filename)
        run_exports.pop(filename, None)
        record = changes[filename]
        if filename in removed_now:
            removed_set.add(filename)
        if record is None:
            continue
        clean = _checked_record(filename, record, skipped)
        if clean is None:
            continue
        entry = _run_exports_entry(record)
        if entry is not None:
            run_exports[filename] = entry
        stamp = _record_time_ms(record)
        if stamp is not None and (newest_ms is None or stamp > newest_ms):
            newest_ms = stamp
        if filename not in removed_now:
            (json_conda if filename.endswith(".conda") else json_tar)[filename] = clean

    # Regroup only the touched names; inserted in filename order, as the full build does
    # (msgpack keeps insertion order).
    groups: dict[str, tuple[dict[str, Any], dict[str, Any], list[str]]] = {
        name: ({}, {}, []) for name in touched
    }
    for packages, conda in ((json_tar, False), (json_conda, True)):
        hits = [f for f, r in packages.items() if normalized_package_name(r["name"]) in touched]
        for filename in sorted(hits):
            record = packages[filename]
            tar, conda_records, _ = groups[normalized_package_name(record["name"])]
            (conda_records if conda else tar)[filename] = _shard_record(record)
    removed_sorted = sorted(removed_set)
    for filename in removed_sorted:
        name = normalized_package_name(parse_package_filename(filename).name)
        if name in touched:
            groups[name][2].append(filename)
    for name in touched:
        index_shards.pop(name, None)
        if groups[name] == ({}, {}, []):
            del groups[name]  # nothing left under this name: no shard, as in a full build
    return _render(
        _Parts(
            subdir,
            json_tar,
            json_conda,
            removed_sorted,
            groups,
            index_shards,
            newest_ms,
            run_exports,
            skipped,
        )
    )


@dataclass(frozen=True)
class _Parts:
    """A subdir index before serialisation (what a full and an incremental build agree on)."""

    subdir: str
    json_tar: dict[str, Any]
    json_conda: dict[str, Any]
    removed_sorted: list[str]
    groups: Mapping[str, tuple[dict[str, Any], dict[str, Any], list[str]]]
    kept_shards: Mapping[str, bytes]
    newest_ms: int | None
    run_exports: Mapping[str, dict[str, Any]]
    skipped: Mapping[str, str]


def _render(parts: _Parts) -> SubdirIndex:
    """Serialise and compress: ``groups`` are rendered as shards, ``kept_shards`` (name ->
    digest) are referenced as they are; ``run_exports`` (filename -> entry) is
    run_exports.json."""
    subdir, json_tar, json_conda = parts.subdir, parts.json_tar, parts.json_conda
    removed_sorted, groups, kept_shards = parts.removed_sorted, parts.groups, parts.kept_shards
    newest_ms, run_exports, skipped = parts.newest_ms, parts.run_exports, parts.skipped
    repodata: dict[str, Any] = {
        "info": {"subdir": subdir},
        "packages": json_tar,
        "packages.conda": json_conda,
        "repodata_version": 1,
    }
    if removed_sorted:
        repodata["removed"] = removed_sorted
    try:
        repodata_json = json.dumps(
            repodata, separators=(",", ":"), sort_keys=True, allow_nan=False
        ).encode()
    except (TypeError, ValueError) as exc:
        raise InvalidRequest(
            f"a record is not JSON-serialisable: {exc}", code="invalid-record"
        ) from exc

    shard_cctx = zstandard.ZstdCompressor(level=SHARD_ZSTD_LEVEL, write_content_size=True)
    shards: dict[str, bytes] = {}
    all_shards = dict(kept_shards)
    for name in sorted(groups):
        tar, conda, gone = groups[name]
        body = {"packages": tar, "packages.conda": conda, "removed": gone}
        compressed = shard_cctx.compress(_packb(body))
        digest = hashlib.sha256(compressed).digest()
        shards[digest.hex()] = compressed
        all_shards[name] = digest
    index_shards = {name: all_shards[name] for name in sorted(all_shards)}

    # All values are strings: rattler refuses anything else here.
    info: dict[str, str] = {"base_url": "", "shards_base_url": SHARDS_BASE_URL, "subdir": subdir}
    if newest_ms is not None:
        info["created_at"] = _rfc3339_ms(newest_ms)
    info = {key: info[key] for key in sorted(info)}
    shard_index = shard_cctx.compress(_packb({"info": info, "shards": index_shards, "version": 1}))

    run_exports_doc = {
        "info": {"subdir": subdir, "version": RUN_EXPORTS_VERSION},
        "packages": {f: e for f, e in run_exports.items() if not f.endswith(".conda")},
        "packages.conda": {f: e for f, e in run_exports.items() if f.endswith(".conda")},
    }
    # conda-index's json_dumps: compact, keys sorted.
    run_exports_json = json.dumps(run_exports_doc, separators=(",", ":"), sort_keys=True).encode()
    return SubdirIndex(
        subdir=subdir,
        repodata_json=repodata_json,
        repodata_json_zst=_compress_json(repodata_json),
        shard_index=shard_index,
        shards=shards,
        run_exports_json=run_exports_json,
        run_exports_json_zst=_compress_json(run_exports_json),
        skipped=dict(skipped),
    )


def _compress_json(data: bytes) -> bytes:
    cctx = zstandard.ZstdCompressor(level=repodata_zstd_level(len(data)), write_content_size=True)
    return cctx.compress(data)


def empty_subdir_index(subdir: str) -> SubdirIndex:
    """The index of a subdir with no packages (noarch must always exist)."""
    return build_subdir_index(subdir, {})


def repodata_zstd_level(size: int) -> int:
    """The zstd level for a repodata.json of ``size`` bytes (see REPODATA_ZSTD_LEVELS)."""
    for limit, level in REPODATA_ZSTD_LEVELS:
        if size <= limit:
            return level
    return REPODATA_ZSTD_LEVEL_LARGE


def decode_shard_index(data: bytes) -> dict[str, Any]:
    """Decode ``repodata_shards.msgpack.zst``; raise InvalidRequest if it is not one."""
    return _decode(data, MAX_SHARD_INDEX_BYTES, "invalid-shard-index")


def decode_shard(data: bytes) -> dict[str, Any]:
    """Decode one ``shards/<hex>.msgpack.zst``; raise InvalidRequest if it is not one."""
    return _decode(data, MAX_SHARD_BYTES, "invalid-shard")


# -- internals ---------------------------------------------------------------


def _checked_record(
    filename: str, record: Mapping[str, Any], skipped: dict[str, str]
) -> dict[str, Any] | None:
    """The clean record, or None after noting in ``skipped`` why it cannot be indexed."""
    problem = metadata.record_problem(record, none_is_absent=True)
    if problem is not None:
        skipped[filename] = f"{problem.code}: {problem.message}"
        return None
    try:
        return _clean_record(filename, record)
    except (InvalidRequest, InvalidName) as exc:
        skipped[filename] = f"{exc.code}: {exc.message}"
        return None


def _clean_record(filename: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """A key-sorted copy of ``record`` without None values, checked against ``filename``."""
    parsed = parse_package_filename(filename)
    for field in _REQUIRED_FIELDS:
        if record.get(field) is None:
            raise InvalidRequest(f"{filename}: record has no '{field}'", code="invalid-record")
    name, version, build = record["name"], record["version"], record["build"]
    build_number = record["build_number"]
    if not (isinstance(name, str) and isinstance(version, str) and isinstance(build, str)) or (
        isinstance(build_number, bool) or not isinstance(build_number, int)
    ):
        raise InvalidRequest(
            f"{filename}: name, version and build must be strings and build_number an integer",
            code="invalid-record",
        )
    if (parsed.name, parsed.version, parsed.build) != (name, version, build):
        raise InvalidRequest(
            f"{filename}: filename does not match the record's name-version-build",
            code="invalid-record",
        )
    for field, size in _HEX_FIELDS.items():
        value = record.get(field)
        if value is not None and not (isinstance(value, str) and _HEX_RE[size].fullmatch(value)):
            raise InvalidRequest(
                f"{filename}: {field} must be {2 * size} lower-case hex digits",
                code="invalid-record",
            )
    run_exports = record.get("run_exports")
    if run_exports is not None and not _is_run_exports(run_exports):
        # rattler refuses the whole repodata.json over one malformed record.
        raise InvalidRequest(
            f"{filename}: run_exports must map {', '.join(RUN_EXPORTS_KEYS)} to lists of strings",
            code="invalid-record",
        )
    return {
        key: value if type(value) in _SCALAR_TYPES else _canonical(value)
        for key, value in sorted(record.items())
        if value is not None and key not in _SERVICE_ONLY
    }


def _is_run_exports(value: Any) -> bool:
    return isinstance(value, Mapping) and all(
        key in RUN_EXPORTS_KEYS
        and isinstance(specs, list)
        and all(isinstance(spec, str) for spec in specs)
        for key, specs in value.items()
    )


def _run_exports_entry(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The run_exports.json entry of a record (``{}`` for none), or None when unknown.

    A record without the key was stored before run_exports were read: leaving it
    out of run_exports.json lets clients read the package instead.
    """
    if "run_exports" not in record:
        return None
    value = record["run_exports"]
    return {"run_exports": _canonical(value) if value is not None else {}}


def _canonical(value: Any) -> Any:
    """``value`` with every mapping key-sorted (msgpack has no sort_keys); never mutated."""
    if isinstance(value, Mapping):
        return {
            k: v if type(v) in _SCALAR_TYPES else _canonical(v) for k, v in sorted(value.items())
        }
    if isinstance(value, list | tuple):
        return [v if type(v) in _SCALAR_TYPES else _canonical(v) for v in value]
    return value


def _shard_record(clean: dict[str, Any]) -> dict[str, Any]:
    """The shard form of a record: digests as raw bytes, same key order."""
    out = dict(clean)
    for field in _HEX_FIELDS:
        value = out.get(field)
        if value is not None:
            out[field] = bytes.fromhex(value)
    return out


def _record_time_ms(record: Mapping[str, Any]) -> int | None:
    value = record.get("indexed_timestamp")
    if value is None:
        value = record.get("timestamp")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    ms = int(value)
    if ms <= _MAX_SECONDS_TIMESTAMP:
        ms *= 1000
    # Outside 1970..9999 it cannot be formatted; such a record does not date the index.
    return ms if 0 <= ms <= _MAX_SECONDS_TIMESTAMP * 1000 else None


def _parse_repodata(subdir: str, data: bytes) -> tuple[dict[str, Any], dict[str, Any], set[str]]:
    """``packages``, ``packages.conda`` and ``removed`` of a repodata.json we wrote."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest(f"repodata.json is not JSON: {exc}", code="invalid-repodata") from exc
    ok = (
        isinstance(doc, dict)
        and doc.get("info") == {"subdir": subdir}
        and isinstance(doc.get("packages"), dict)
        and isinstance(doc.get("packages.conda"), dict)
        and isinstance(doc.get("removed", []), list)
        and all(
            isinstance(r, dict) and isinstance(r.get("name"), str)
            for r in (*doc["packages"].values(), *doc["packages.conda"].values())
        )
    )
    if not ok:
        raise InvalidRequest(f"not a repodata.json of {subdir}", code="invalid-repodata")
    return doc["packages"], doc["packages.conda"], set(doc.get("removed", []))


def _parse_run_exports_json(subdir: str, data: bytes) -> dict[str, dict[str, Any]]:
    """filename -> entry of a run_exports.json we wrote."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest(
            f"run_exports.json is not JSON: {exc}", code="invalid-run-exports-json"
        ) from exc
    ok = (
        isinstance(doc, dict)
        and doc.get("info") == {"subdir": subdir, "version": RUN_EXPORTS_VERSION}
        and isinstance(doc.get("packages"), dict)
        and isinstance(doc.get("packages.conda"), dict)
        and all(
            isinstance(entry, dict) and _is_run_exports(entry.get("run_exports"))
            for entry in (*doc["packages"].values(), *doc["packages.conda"].values())
        )
    )
    if not ok:
        raise InvalidRequest(f"not a run_exports.json of {subdir}", code="invalid-run-exports-json")
    return {**doc["packages"], **doc["packages.conda"]}


def _parse_shard_index(subdir: str, data: bytes) -> tuple[dict[str, bytes], int | None]:
    """The shard digests by name and ``created_at`` (ms) of a shard index we wrote."""
    doc = decode_shard_index(data)
    info, shards = doc.get("info"), doc.get("shards")
    if (
        not isinstance(info, dict)
        or info.get("subdir") != subdir
        or not isinstance(shards, dict)
        or not all(isinstance(d, bytes) and len(d) == 32 for d in shards.values())
    ):
        raise InvalidRequest(f"not a shard index of {subdir}", code="invalid-shard-index")
    created_at = info.get("created_at")
    if created_at is None:
        return dict(shards), None
    try:
        moment = datetime.strptime(created_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except (TypeError, ValueError) as exc:
        raise InvalidRequest(
            f"shard index created_at {created_at!r}", code="invalid-shard-index"
        ) from exc
    return dict(shards), (moment - _EPOCH) // timedelta(milliseconds=1)


def _rfc3339_ms(ms: int) -> str:
    """``2026-11-23T18:23:34.647Z``: rattler rejects naive, date-only or integer values."""
    seconds, millis = divmod(ms, 1000)
    moment = _EPOCH + timedelta(seconds=seconds)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{millis:03d}Z"


def _packb(obj: Any) -> bytes:
    try:
        packed = msgpack.packb(obj, use_bin_type=True)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidRequest(
            f"a record is not msgpack-serialisable: {exc}", code="invalid-record"
        ) from exc
    assert isinstance(packed, bytes)
    return packed


def _decode(data: bytes, limit: int, code: str) -> dict[str, Any]:
    try:
        dctx = zstandard.ZstdDecompressor()
        # Stream with a cap: a frame header's content size is attacker-controlled.
        with dctx.stream_reader(data, read_across_frames=True) as reader:
            chunks: list[bytes] = []
            total = 0
            while total <= limit:
                chunk = reader.read(min(_READ_CHUNK, limit + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
        if total > limit:
            raise InvalidRequest(f"decompressed size exceeds {limit} bytes", code=code)
        decoded = msgpack.unpackb(b"".join(chunks), raw=False)
    except (zstandard.ZstdError, ValueError, msgpack.UnpackException) as exc:
        raise InvalidRequest(f"not a zstd-compressed msgpack document: {exc}", code=code) from exc
    if not isinstance(decoded, dict):
        raise InvalidRequest("expected a msgpack map at the top level", code=code)
    return decoded
