"""The promote request's shape and the verdict on one file (pure rules)."""

from __future__ import annotations

from typing import Any

import pytest

from rillet.core.errors import Conflict, InvalidName, InvalidRequest, NotFound, RilletError
from rillet.core.promotion import (
    MAX_COPY_FILES,
    CopyFile,
    DestinationFile,
    SourceFile,
    judge,
    parse_copy_request,
)

SHA = "ab" * 32
OTHER = "cd" * 32
FILE = {"subdir": "noarch", "filename": "pkg-1.0-h0_0.conda", "sha256": SHA}


def test_a_well_formed_request() -> None:
    request = parse_copy_request(
        {
            "from": "mychan-dev",
            "files": [FILE, {**FILE, "subdir": "linux-64", "sha256": SHA.upper()}],
        },
        "mychan",
    )
    assert request.source == "mychan-dev"
    assert request.files == (
        CopyFile("noarch", "pkg-1.0-h0_0.conda", SHA),
        CopyFile("linux-64", "pkg-1.0-h0_0.conda", SHA),  # sha256 in lower case
    )


@pytest.mark.parametrize(
    ("body", "error", "code"),
    [
        (None, InvalidRequest, "invalid-request"),
        ([FILE], InvalidRequest, "invalid-request"),
        ({"files": [FILE]}, InvalidRequest, "invalid-request"),
        ({"from": 7, "files": [FILE]}, InvalidRequest, "invalid-request"),
        ({"from": "Bad Name", "files": [FILE]}, InvalidName, "invalid-name"),
        ({"from": "mychan", "files": [FILE]}, InvalidRequest, "same-channel"),
        ({"from": "dev", "files": []}, InvalidRequest, "invalid-request"),
        ({"from": "dev", "files": FILE}, InvalidRequest, "invalid-request"),
        (
            {"from": "dev", "files": [FILE] * (MAX_COPY_FILES + 1)},
            InvalidRequest,
            "invalid-request",
        ),
        ({"from": "dev", "files": [FILE, FILE]}, InvalidRequest, "invalid-request"),
        ({"from": "dev", "files": [{**FILE, "extra": 1}]}, InvalidRequest, "invalid-request"),
        (
            {"from": "dev", "files": [{"subdir": "noarch", "filename": FILE["filename"]}]},
            InvalidRequest,
            "invalid-request",
        ),
        ({"from": "dev", "files": [{**FILE, "sha256": "xyz"}]}, InvalidName, "invalid-sha256"),
        ({"from": "dev", "files": [{**FILE, "sha256": None}]}, InvalidRequest, "invalid-request"),
        ({"from": "dev", "files": [{**FILE, "subdir": "../x"}]}, InvalidName, "unknown-subdir"),
        (
            {"from": "dev", "files": [{**FILE, "filename": "../../etc/passwd.conda"}]},
            RilletError,
            None,
        ),
        ({"from": "dev", "files": [{**FILE, "filename": "notes.txt"}]}, RilletError, None),
    ],
)
def test_malformed_requests(body: Any, error: type[RilletError], code: str | None) -> None:
    with pytest.raises(error) as info:
        parse_copy_request(body, "mychan")
    if code is not None:
        assert info.value.code == code


FILE_ = CopyFile("noarch", "pkg-1.0-h0_0.conda", SHA)
RECORD = {"name": "pkg", "version": "1.0", "sha256": SHA, "size": 10, "indexed_timestamp": 5}


def verdict_of(source: SourceFile, dest: DestinationFile) -> Any:
    return judge(FILE_, "dev", source, "prod", dest)


def test_a_new_file_is_copied_with_the_sources_record() -> None:
    v = verdict_of(SourceFile(RECORD), DestinationFile(None))
    assert not v.present and not v.removed_before
    # The destination gets its own indexed_timestamp when it publishes the file.
    assert v.record == {k: x for k, x in RECORD.items() if k != "indexed_timestamp"}
    assert v.name == "pkg"


def test_the_same_bytes_already_there_are_present() -> None:
    assert verdict_of(SourceFile(RECORD), DestinationFile(SHA)).present


def test_a_deleted_name_may_come_back_with_the_same_bytes() -> None:
    v = verdict_of(SourceFile(RECORD), DestinationFile(None, removed_sha256=SHA))
    assert v.removed_before and not v.present
    # "" = deleted before the sha256 was kept: allowed, as for uploads.
    assert verdict_of(SourceFile(RECORD), DestinationFile(None, removed_sha256="")).removed_before


@pytest.mark.parametrize(
    ("source", "dest", "error", "code"),
    [
        (SourceFile(None), DestinationFile(None), NotFound, "source-file-not-found"),
        (
            SourceFile({**RECORD, "sha256": OTHER}),
            DestinationFile(None),
            Conflict,
            "source-sha256-mismatch",
        ),
        (SourceFile(RECORD, yanked=True), DestinationFile(None), Conflict, "source-yanked"),
        (SourceFile(RECORD), DestinationFile(OTHER), Conflict, "already-exists"),
        (
            SourceFile(RECORD),
            DestinationFile(None, removed_sha256=OTHER),
            Conflict,
            "already-exists",
        ),
        (
            SourceFile(RECORD),
            DestinationFile(None, spellings=frozenset({"Pkg"})),
            Conflict,
            "name-case-conflict",
        ),
    ],
)
def test_each_refusal(
    source: SourceFile, dest: DestinationFile, error: type[RilletError], code: str
) -> None:
    with pytest.raises(error) as info:
        verdict_of(source, dest)
    assert info.value.code == code
    assert "noarch/pkg-1.0-h0_0.conda" in info.value.message or code == "name-case-conflict"
