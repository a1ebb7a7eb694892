"""Request and response models of every API route (one module per resource).

The schema names are the OpenAPI document's (web/ generates its types from them):
field names are the JSON field names of the wire format, which does not change.
"""

from rillet.api.models._base import Error, Reason, RequestModel, ResponseModel, domain_error
from rillet.api.models.channels import (
    Channel,
    ChannelCreate,
    ChannelDeleted,
    ChannelList,
    ChannelTransfer,
    ChannelUpdate,
    ReindexQueued,
    ReindexRequest,
)
from rillet.api.models.members import Member, MemberList, MemberRemoved, MemberRole
from rillet.api.models.packages import (
    PackageDeleted,
    PackageFile,
    PackageList,
    Yank,
    YankRequest,
    YankResult,
)
from rillet.api.models.publishers import (
    MintRequest,
    Publisher,
    PublisherCreate,
    PublisherList,
    PublisherRemoved,
)
from rillet.api.models.uploads import UploadRequest, UploadStatus, UploadTicket
from rillet.api.models.users import (
    ApiKey,
    ApiKeyCreated,
    AuditEvent,
    AuditPage,
    KeyCreate,
    KeyList,
    Me,
    PublicConfig,
    PublicOidc,
    UserCreate,
    UserCreated,
    UsernameClaim,
    UserSearch,
    UserSuspension,
)

__all__ = [
    "ApiKey",
    "ApiKeyCreated",
    "AuditEvent",
    "AuditPage",
    "Channel",
    "ChannelCreate",
    "ChannelDeleted",
    "ChannelList",
    "ChannelTransfer",
    "ChannelUpdate",
    "Error",
    "KeyCreate",
    "KeyList",
    "Me",
    "Member",
    "MemberList",
    "MemberRemoved",
    "MemberRole",
    "MintRequest",
    "PackageDeleted",
    "PackageFile",
    "PackageList",
    "PublicConfig",
    "PublicOidc",
    "Publisher",
    "PublisherCreate",
    "PublisherList",
    "PublisherRemoved",
    "Reason",
    "ReindexQueued",
    "ReindexRequest",
    "RequestModel",
    "ResponseModel",
    "UploadRequest",
    "UploadStatus",
    "UploadTicket",
    "UserCreate",
    "UserCreated",
    "UserSearch",
    "UserSuspension",
    "UsernameClaim",
    "Yank",
    "YankRequest",
    "YankResult",
    "domain_error",
]
