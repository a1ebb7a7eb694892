"""Presigned uploads: /api/v1/channels/{channel}/uploads*."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from rillet.api.models._base import Reason, RequestModel, ResponseModel
from rillet.api.models.common import EpochSeconds, Subdir

# "validated": a release member, checked and held until its release commits.
Status = Literal["pending", "validating", "validated", "published", "rejected"]


class UploadRequest(RequestModel):
    """Announce one file; PUT exactly those bytes to the answer's ``url``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "filename": "beta-1.0-h0_0.conda",
                    "sha256": "9f" * 32,
                    "size": 1234,
                    "subdir": "linux-64",
                    "force": False,
                }
            ]
        }
    )
    # Well-formedness of filename and sha256 is the domain's (422, its own codes).
    filename: Annotated[
        str,
        Field(json_schema_extra={"pattern": r"^.+\.(conda|tar\.bz2)$"}),
        Reason("invalid-request", message="'filename' and 'sha256' are required strings"),
    ]
    sha256: Annotated[
        str,
        Field(json_schema_extra={"pattern": "^[0-9a-fA-F]{64}$"}),
        Reason("invalid-request", message="'filename' and 'sha256' are required strings"),
    ]
    size: Annotated[
        int,
        Field(gt=0, description="bytes"),
        Reason("invalid-request", message="'size' must be a positive integer (bytes)"),
    ]
    subdir: Subdir | None = None
    force: Annotated[bool, Reason("invalid-request", message="'force' must be a boolean")] = False
    attestation: dict[str, Any] | str | None = Field(
        default=None,
        description="a CEP-27 Sigstore bundle (the JSON object, or its text) for the file; "
        "only with a token minted by trusted publishing; verified when the file arrives",
    )
    release: Annotated[
        str | None,
        Field(description="the id of an open release to add the file to (docs/releases.md)"),
        Reason("invalid-request", message="'release' must be a release id (a string)"),
    ] = None


class UploadTicket(ResponseModel):
    id: str
    method: Literal["PUT"]
    url: str
    headers: dict[str, str] = Field(description="send exactly these with the PUT")
    expires_at: EpochSeconds
    filename: str
    status: Status


class UploadStatus(ResponseModel):
    """``indexed`` once published (true: clients can install it); ``reason`` and
    ``message`` when rejected."""

    id: str
    channel: str
    filename: str
    status: Status
    subdir: str | None = None
    release: str | None = None
    indexed: bool | None = None
    reason: str | None = None
    message: str | None = None
