"""Release transactions: /api/v1/channels/{channel}/releases* (docs/releases.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from rillet.api.models._base import RequestModel, ResponseModel
from rillet.api.models.common import EpochSeconds
from rillet.core.releases import MAX_DESCRIPTION

ReleaseState = Literal["open", "committing", "committed", "failed", "expired"]
FileState = Literal["pending", "validating", "validated", "published", "rejected"]


class ReleaseOpen(RequestModel):
    """Open a release; every field is optional (``{}`` is a valid body)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{}, {"description": "beta 1.0 for linux-64 and osx-arm64"}]}
    )
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)


class ReleaseFile(ResponseModel):
    upload_id: str
    subdir: str | None = None
    filename: str
    sha256: str
    status: FileState
    reason: str | None = None
    message: str | None = None
    indexed: bool | None = Field(default=None, description="once committed: in the index yet")


class Release(ResponseModel):
    """``indexed`` once committed (true: every file is in its subdir's index)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "5d41402abc4b2a76b9719d911017c592",
                    "channel": "mychan",
                    "status": "open",
                    "description": "",
                    "created_by": "alice",
                    "created_at": "2026-09-21T12:00:00.000000Z",
                    "expires_at": 1790086400,
                    "files": [],
                }
            ]
        },
    )
    id: str
    channel: str
    status: ReleaseState
    description: str
    created_by: str
    created_at: str
    expires_at: EpochSeconds
    files: list[ReleaseFile]
    reason: str | None = None
    message: str | None = None
    committed_at: str | None = None
    indexed: bool | None = None


class ReleaseRefusal(ResponseModel):
    """A refused commit: the reason code (``error``) and the release with every file."""

    model_config = ConfigDict(extra="forbid")
    error: str = Field(description="the stable reason code", examples=["release-not-ready"])
    message: str
    release: Release
