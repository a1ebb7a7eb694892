"""Promote exact files from one channel to another (``POST /channels/{dst}/copy``).

Pure rules: the request's shape, and the verdict on each file given what the source
and destination hold. The service reads those facts for every file first and writes
nothing unless every file passes, so a copy is all or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from rillet.core.errors import Conflict, InvalidRequest, NotFound
from rillet.core.names import (
    parse_package_filename,
    require_no_case_conflict,
    validate_channel_name,
    validate_sha256_hex,
    validate_subdir,
)

MAX_COPY_FILES: Final = 100
SOURCE_NOT_FOUND: Final = "source-file-not-found"
SHA256_MISMATCH: Final = "source-sha256-mismatch"  # 409; "sha256-mismatch" is a 422 of uploads
SOURCE_YANKED: Final = "source-yanked"
ALREADY_EXISTS: Final = "already-exists"
SAME_CHANNEL: Final = "same-channel"

# Per-upload facts the destination must not inherit from the source record.
_NOT_COPIED: Final = frozenset({"indexed_timestamp"})


@dataclass(frozen=True)
class CopyFile:
    subdir: str
    filename: str
    sha256: str

    @property
    def path(self) -> str:
        return f"{self.subdir}/{self.filename}"

    def to_json(self) -> dict[str, str]:
        return {"subdir": self.subdir, "filename": self.filename, "sha256": self.sha256}


@dataclass(frozen=True)
class CopyRequest:
    source: str
    files: tuple[CopyFile, ...]


def parse_copy_request(body: Any, destination: str) -> CopyRequest:
    """``{"from": "<channel>", "files": [{"subdir", "filename", "sha256"}, ...]}``.

    Raises InvalidRequest (or InvalidName for a malformed channel, subdir or filename).
    """
    if not isinstance(body, Mapping):
        raise InvalidRequest(
            'send {"from": "<channel>", "files": [{"subdir", "filename", "sha256"}]}'
        )
    source = body.get("from")
    if not isinstance(source, str) or not source:
        raise InvalidRequest("'from' must be the name of the channel to copy from")
    validate_channel_name(source)
    if source == destination:
        raise InvalidRequest("a channel cannot be copied into itself", code=SAME_CHANNEL)
    files = body.get("files")
    if not isinstance(files, list) or not files or len(files) > MAX_COPY_FILES:
        raise InvalidRequest(f"'files' must be a list of 1 to {MAX_COPY_FILES} files")
    parsed: list[CopyFile] = []
    seen: set[tuple[str, str]] = set()
    for i, entry in enumerate(files):
        if not isinstance(entry, Mapping) or set(entry) != {"subdir", "filename", "sha256"}:
            raise InvalidRequest(f"files[{i}] must be exactly {{subdir, filename, sha256}}")
        subdir, filename, sha256 = entry["subdir"], entry["filename"], entry["sha256"]
        if not all(isinstance(v, str) for v in (subdir, filename, sha256)):
            raise InvalidRequest(f"files[{i}]: subdir, filename and sha256 are strings")
        validate_subdir(subdir)
        parse_package_filename(filename)
        validate_sha256_hex(sha256.lower())  # upper case is tolerated, then lowered
        sha256 = sha256.lower()
        if (subdir, filename) in seen:
            raise InvalidRequest(f"files[{i}]: {subdir}/{filename} is named twice")
        seen.add((subdir, filename))
        parsed.append(CopyFile(subdir, filename, sha256))
    return CopyRequest(source, tuple(parsed))


@dataclass(frozen=True)
class SourceFile:
    """What the source channel holds under one filename (published records only)."""

    record: Mapping[str, Any] | None
    yanked: bool = False


@dataclass(frozen=True)
class DestinationFile:
    """What the destination holds under the same subdir and filename."""

    sha256: str | None  # of the record there (published or being published), None: none
    removed_sha256: str | None = None  # the bytes it had when it was deleted ("" unknown)
    spellings: frozenset[str] = frozenset()  # the package name in other case


@dataclass(frozen=True)
class Verdict:
    file: CopyFile
    record: dict[str, Any]  # what the destination will serve: the source's record
    present: bool  # the destination already has these very bytes: nothing to do
    removed_before: bool = False  # the filename was deleted from the destination once

    @property
    def name(self) -> str:
        return str(self.record.get("name", ""))


def judge(
    file: CopyFile,
    source_channel: str,
    source: SourceFile,
    dest_channel: str,
    dest: DestinationFile,
) -> Verdict:
    """The verdict on one file; raises the refusal (NotFound, Conflict) that names it."""
    record = source.record
    if record is None:
        raise NotFound(
            f"{file.path} is not published in channel {source_channel}", code=SOURCE_NOT_FOUND
        )
    if str(record.get("sha256", "")).lower() != file.sha256:
        raise Conflict(
            f"{file.path} in channel {source_channel} has sha256 {record.get('sha256')}, "
            f"not {file.sha256}",
            code=SHA256_MISMATCH,
        )
    if source.yanked:
        raise Conflict(
            f"{file.path} is yanked in channel {source_channel}; unyank it to promote it",
            code=SOURCE_YANKED,
        )
    copied = {k: v for k, v in record.items() if k not in _NOT_COPIED}
    if dest.sha256 is not None:
        if dest.sha256 == file.sha256:
            return Verdict(file, copied, present=True)
        raise Conflict(
            f"{file.path} already exists in channel {dest_channel} with other bytes",
            code=ALREADY_EXISTS,
        )
    if dest.removed_sha256 and dest.removed_sha256 != file.sha256:
        # As for uploads: a deleted filename only ever comes back with the same bytes.
        raise Conflict(
            f"{file.path} was deleted from channel {dest_channel} with other bytes",
            code=ALREADY_EXISTS,
        )
    require_no_case_conflict(str(record.get("name", "")), dest.spellings)
    return Verdict(file, copied, present=False, removed_before=dest.removed_sha256 is not None)
