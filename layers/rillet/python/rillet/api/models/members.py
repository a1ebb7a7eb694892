"""Channel members: /api/v1/channels/{channel}/members*."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict

from rillet.api.models._base import Reason, RequestModel, ResponseModel
from rillet.api.models.common import IsoTime, Role


class MemberRole(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"role": "maintainer"}]})
    role: Annotated[
        Role, Reason("invalid-request", message="role must be one of: owner, maintainer, member")
    ]


class Member(ResponseModel):
    user: str
    role: Role
    added_by: str
    added_at: IsoTime


class MemberList(ResponseModel):
    """Sorted by role, then user."""

    members: list[Member]


class MemberRemoved(ResponseModel):
    removed: str
