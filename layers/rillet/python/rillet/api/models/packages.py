"""Packages: listing, delete, yank/unyank, and the plain-text prefix upload."""

from __future__ import annotations

from typing import Annotated, Any, Literal

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


class Attestation(ResponseModel):
    """A verified CEP-27 Sigstore attestation: who signed the file, from which source.

    Read from the signing certificate (Fulcio's extensions), which was checked against
    the trusted publisher that minted the upload's token.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "provider": "github",
                    "issuer": "https://token.actions.githubusercontent.com",
                    "identity": "https://github.com/acme/alpha/.github/workflows/release.yml"
                    "@refs/tags/v1.0",
                    "repository": "acme/alpha",
                    "workflow": ".github/workflows/release.yml",
                    "ref": "refs/tags/v1.0",
                    "commit": "193b5bd7d3985809503963ae400594ea16df31cf",
                    "run": "https://github.com/acme/alpha/actions/runs/17377272645/attempts/1",
                    "target_channel": "https://conda.example.org/mychan",
                    "log_index": 456061810,
                    "integrated_time": "2026-11-30T12:00:00Z",
                    "sigs": "mychan/noarch/alpha-1.0-h0_0.conda.sigs",
                }
            ]
        },
    )
    provider: Literal["github", "gitlab", "google"]
    issuer: str = Field(description="the OIDC issuer the certificate names")
    identity: str = Field(description="the certificate's subject: workflow URI or email")
    repository: str | None = Field(description="owner/repository or group/project")
    workflow: str | None = Field(description="the workflow or CI config file path")
    ref: str | None = Field(description="the git ref the workflow ran for")
    commit: str | None = Field(description="the source commit")
    run: str | None = Field(description="the CI run that signed")
    target_channel: str = Field(description="the CEP-27 predicate's targetChannel")
    log_index: int | None = Field(description="the transparency log entry")
    integrated_time: IsoTime | None = Field(description="when the log took the entry")
    sigs: str = Field(description="the path of the file's attestations (a JSON array)")


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
    attestations_sha256: str | None = Field(
        default=None, description="sha256 of the file's .sigs document, when attested"
    )
    attestation: Attestation | None = Field(default=None, description="null: not attested")


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
