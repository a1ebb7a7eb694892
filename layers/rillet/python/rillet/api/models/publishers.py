"""Trusted publishers: /api/v1/channels/{channel}/publishers*, /api/oidc/mint_token."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from rillet.api.models._base import Reason, RequestModel, ResponseModel
from rillet.api.models.common import IsoTime

# The per-provider rules (which fields are required, numeric ids, the workflow file
# name, the enabled issuers) are core.oidc.parse_publisher's, with the same code.
_FIELD = r"^[A-Za-z0-9_.\-/ ]{1,200}$"
Text = Annotated[
    str | None,
    Field(json_schema_extra={"pattern": _FIELD, "maxLength": 200}),
    Reason("invalid-request", message="must be a short string"),
]
NumericId = Annotated[
    str | int | None,
    Field(json_schema_extra={"description": "numeric: the provider's id, a string or integer"}),
    Reason("invalid-request", message="must be numeric"),
]
Email = Annotated[
    str | None,
    Field(json_schema_extra={"format": "email", "maxLength": 254}),
    Reason("invalid-request", message="'email' must be an email address"),
]
ShortList = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100)]] | None,
    Field(max_length=50),
    Reason("invalid-request", message="must be a list of at most 50 short strings"),
]


class PublisherCreate(RequestModel):
    """A GitHub (``owner``, ``repository``, ``workflow``; ``owner_id`` advised), GitLab
    (``namespace``, ``project``, ``config_path``; ids advised) or Google (service account
    ``email``; ``sub`` advised) publisher. Optional:
    ``environment``, ``name_patterns`` (fnmatch), ``subdirs``, ``issuer``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "provider": "github",
                    "owner": "octo-org",
                    "owner_id": "4242",
                    "repository": "widgets",
                    "workflow": "release.yml",
                    "environment": "release",
                    "name_patterns": ["widgets*"],
                    "subdirs": ["noarch"],
                }
            ]
        }
    )
    provider: Annotated[
        Literal["github", "gitlab", "google"],
        Reason("invalid-request", message="provider must be 'github', 'gitlab' or 'google'"),
    ]
    owner: Text = None
    owner_id: NumericId = None
    repository: Text = None
    workflow: Text = None
    namespace: Text = None
    namespace_id: NumericId = None
    project: Text = None
    project_id: NumericId = None
    config_path: Text = None
    email: Email = None
    sub: Text = None
    environment: Text = None
    issuer: Annotated[
        str | None, Reason("invalid-request", message="'issuer' must be a string")
    ] = None
    name_patterns: ShortList = None
    subdirs: ShortList = None


class Publisher(ResponseModel):
    """GitHub publishers carry owner, owner_id, repository, workflow; GitLab ones
    namespace, project, config_path, namespace_id, project_id; Google ones email, sub."""

    id: str = Field(examples=["pub_8e65602055ee"])
    channel: str
    provider: Literal["github", "gitlab", "google"]
    issuer: str
    owner: str | None = None
    owner_id: str | None = None
    repository: str | None = None
    workflow: str | None = None
    namespace: str | None = None
    project: str | None = None
    config_path: str | None = None
    namespace_id: str | None = None
    project_id: str | None = None
    email: str | None = None
    sub: str | None = None
    environment: str | None
    name_patterns: list[str]
    subdirs: list[str]
    created_by: str
    created_at: IsoTime
    last_used_at: IsoTime | None


class PublisherList(ResponseModel):
    publishers: list[Publisher]


class PublisherRemoved(ResponseModel):
    removed: str


class MintRequest(RequestModel):
    """The CI's OIDC ID token; answered with the upload token as the whole text body."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"token": "eyJhbGciOi..."}]})
    token: Annotated[str, Field(min_length=1)]
