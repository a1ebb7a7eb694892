"""Packages: listing, delete, yank/unyank, and the plain-text prefix upload."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from rillet.api.models._base import Reason, RequestModel, ResponseModel
from rillet.api.models.common import Cursor, IsoTime
from rillet.core.models import MAX_YANK_REASON


class YankRequest(RequestModel):
    """Why solvers should stop choosing the file: one line of plain text (trimmed)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "segfaults on start; use 2.0.1"}]},
    )
    # Length after trimming and the character rules are the domain's (same code).
    reason: Annotated[
        str,
        Field(min_length=1, json_schema_extra={"maxLength": MAX_YANK_REASON}),
        Reason("invalid-reason", message="'reason' must be a non-empty string"),
    ]


class Yank(ResponseModel):
    reason: str
    by: str
    at: IsoTime


class PackageFile(ResponseModel):
    """The repodata record (``info/index.json`` plus md5, sha256, size) of a published
    file, with ``subdir``, ``filename`` and ``yanked``. Other index.json keys are kept.

    ``run_exports``: null, the package has none; absent: published before they were read.
    """

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "subdir": "noarch",
                    "filename": "alpha-1.0-h0_0.conda",
                    "name": "alpha",
                    "version": "1.0",
                    "build": "h0_0",
                    "build_number": 0,
                    "depends": [],
                    "license": "MIT",
                    "noarch": "generic",
                    "md5": "b1" * 16,
                    "sha256": "45" * 32,
                    "size": 1039,
                    "timestamp": 1767323045000,
                    "indexed_timestamp": 1790000023000,
                    "run_exports": {"weak": ["alpha >=1.0,<2"]},
                    "yanked": None,
                }
            ]
        },
    )
    subdir: str
    filename: str
    yanked: Yank | None = Field(description="null: offered to solvers")
    name: str
    version: str
    build: str
    md5: str
    sha256: str
    size: int
    depends: list[str] = Field(default_factory=list)
    build_number: int | None = None
    run_exports: dict[str, list[str]] | None = None
    indexed_timestamp: int | None = Field(default=None, description="epoch ms")
    # Provenance (services/provenance.py): null for files from before upload intents.
    uploaded_by: str | None = Field(default=None, description="the uploading user or key")
    uploaded_at: IsoTime | None = None
    publisher: dict[str, Any] | None = Field(
        default=None, description="the trusted publisher that minted the upload's token"
    )


class PackageList(ResponseModel):
    packages: list[PackageFile]
    cursor: Cursor


class PackageDeleted(ResponseModel):
    deleted: str = Field(examples=["mychan/noarch/alpha-1.0-h0_0.conda"])


class YankResult(ResponseModel):
    """``changed``: false when the file already was in the asked state."""

    subdir: str
    filename: str
    sha256: str
    yanked: Yank | None
    changed: bool


# The prefix-compatible upload takes multipart or raw package bytes and answers text.
PREFIX_UPLOAD_BODY: dict[str, Any] = {
    "description": "one package: multipart (a part `file` with `x-file-name` and "
    "`x-file-sha256` headers, an optional `attestation` part) or, for older clients, the "
    "raw bytes with `X-File-Name` and `X-File-Sha256` request headers",
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "contentMediaType": "application/octet-stream"},
                    "attestation": {"type": "string"},
                },
                "required": ["file"],
            }
        },
        "application/octet-stream": {
            "schema": {"type": "string", "contentMediaType": "application/octet-stream"}
        },
    },
}
