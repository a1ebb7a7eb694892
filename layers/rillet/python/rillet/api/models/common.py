"""Names and values several resources share, with the reason codes they are refused with."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from rillet.api.models._base import Reason, check
from rillet.core.errors import InvalidName
from rillet.core.names import KNOWN_SUBDIRS

# The rules themselves live in core (accounts.validate_user_name, names.*); these
# patterns document them and refuse the same values with the same codes.
USER_NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9_-]{0,37}[a-z0-9])?$"
CHANNEL_NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9_-]{0,48}[a-z0-9])?$"

UserName = Annotated[
    str,
    Field(
        pattern=USER_NAME_PATTERN,
        description="1-39 characters of a-z 0-9 - _, starting and ending with a letter or "
        "digit; some names are reserved",
        examples=["alice"],
    ),
    Reason(
        "invalid-user-name",
        InvalidName,
        "user names are 1-39 characters of lower-case letters, digits, '-' and '_', "
        "starting and ending with a letter or digit",
    ),
]
ChannelName = Annotated[
    str,
    Field(
        pattern=CHANNEL_NAME_PATTERN,
        description="1-50 characters of a-z 0-9 - _, starting and ending with a letter or "
        "digit; some names are reserved",
        examples=["mychan"],
    ),
    Reason(
        "invalid-name",
        InvalidName,
        "channel names are 1-50 characters of lower-case letters, digits, '-' and '_', "
        "starting and ending with a letter or digit",
    ),
]
# A string (else 400), then a subdir conda clients know (else 422 unknown-subdir).
Subdir = Annotated[
    Annotated[str, Reason("invalid-request", message="a subdir is a string")],
    check(
        "unknown-subdir",
        InvalidName,
        lambda value: value in KNOWN_SUBDIRS,
        "unknown subdir",
    ),
    Field(json_schema_extra={"enum": sorted(KNOWN_SUBDIRS)}, examples=["linux-64"]),
]
Role = Literal["owner", "maintainer", "member"]
Scope = Literal["read", "upload", "admin"]
Visibility = Literal["public", "private"]
IsoTime = Annotated[str, Field(description="ISO 8601 UTC", examples=["2026-09-21T14:13:22Z"])]
EpochSeconds = Annotated[int, Field(description="epoch seconds", examples=[1792592007])]
Cursor = Annotated[
    str | None,
    Field(description="opaque: pass it back for the next page; null: nothing more"),
]
