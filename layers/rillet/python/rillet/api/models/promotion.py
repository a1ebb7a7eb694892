"""Promotion: POST /api/v1/channels/{channel}/copy."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from rillet.api.models._base import RequestModel, ResponseModel
from rillet.core.promotion import MAX_COPY_FILES

# Names, subdirs, filenames and digests are checked by the domain (core/promotion.py),
# which answers with the same codes as before the models existed.


class CopyFileRef(RequestModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
    subdir: str = Field(examples=["noarch"])
    filename: str = Field(examples=["alpha-1.0-h0_0.conda"])
    sha256: str = Field(description="the file's sha256, hex", examples=["45" * 32])


class CopyRequest(RequestModel):
    """Copy exact files (same bytes, same record) from ``from`` into this channel."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "from": "mychan-dev",
                    "files": [
                        {
                            "subdir": "noarch",
                            "filename": "alpha-1.0-h0_0.conda",
                            "sha256": "45" * 32,
                        }
                    ],
                }
            ]
        },
    )
    source: str = Field(alias="from", description="the channel to copy from")
    files: list[CopyFileRef] = Field(min_length=1, max_length=MAX_COPY_FILES)

    def wire(self) -> dict[str, object]:
        """The body as sent (what the service parses)."""
        return self.model_dump(by_alias=True)


class CopiedFile(ResponseModel):
    subdir: str
    filename: str
    sha256: str
    status: Literal["copied", "present"] = Field(
        description="present: the destination already had these bytes"
    )


class CopyResult(ResponseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: str = Field(alias="from")
    to: str
    files: list[CopiedFile]
