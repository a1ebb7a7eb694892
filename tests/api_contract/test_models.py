"""Request models refuse bad input with today's reason codes and statuses.

Each case is one bad field of a valid body, validated as Powertools does (errors
located under ``body``) and mapped by ``domain_error`` and runtime/http.py's table.
The same cases through the whole handler are in tests/functions (test_api, the sweep).
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from rillet.api import models as m
from rillet.runtime.http import status_for

VALID: dict[type[BaseModel], dict[str, Any]] = {
    m.UserCreate: {"name": "alice"},
    m.UsernameClaim: {"name": "alice"},
    m.KeyCreate: {},
    m.ChannelCreate: {"name": "chan"},
    m.ChannelUpdate: {},
    m.ChannelTransfer: {"owner": "bob"},
    m.ReindexRequest: {},
    m.MemberRole: {"role": "member"},
    m.YankRequest: {"reason": "broken"},
    m.PublisherCreate: {"provider": "github", "owner": "o", "repository": "r", "workflow": "w.yml"},
    m.UploadRequest: {"filename": "alpha-1.0-h0_0.conda", "sha256": "0" * 64, "size": 10},
}
DROP = object()  # the field is left out
CASES: list[tuple[type[BaseModel], str, Any, int, str]] = [
    (m.UserCreate, "name", DROP, 422, "invalid-user-name"),
    (m.UserCreate, "name", 5, 422, "invalid-user-name"),
    (m.UserCreate, "name", "Alice", 422, "invalid-user-name"),
    (m.UsernameClaim, "name", None, 422, "invalid-user-name"),
    (m.KeyCreate, "scope", "superuser", 400, "invalid-request"),
    (m.KeyCreate, "channels", [], 400, "invalid-request"),
    (m.KeyCreate, "channels", "chan", 400, "invalid-request"),
    (m.KeyCreate, "channels", ["c"] * 51, 400, "invalid-request"),
    (m.KeyCreate, "channels", [1], 422, "invalid-name"),
    (m.KeyCreate, "channels", ["Bad!"], 422, "invalid-name"),
    (m.KeyCreate, "expires_in_days", 0, 400, "invalid-request"),
    (m.KeyCreate, "expires_in_days", "7", 400, "invalid-request"),
    (m.KeyCreate, "expires_in_days", True, 400, "invalid-request"),
    (m.KeyCreate, "expires_in_days", None, 400, "invalid-request"),
    (m.KeyCreate, "expires_at", "soon", 400, "invalid-request"),
    (m.KeyCreate, "expires_at", 1.5, 400, "invalid-request"),
    (m.KeyCreate, "description", "x" * 201, 400, "invalid-request"),
    (m.ChannelCreate, "name", DROP, 422, "invalid-name"),
    (m.ChannelCreate, "name", 5, 422, "invalid-name"),
    (m.ChannelCreate, "name", "-x", 422, "invalid-name"),
    (m.ChannelCreate, "visibility", "hidden", 400, "invalid-request"),
    (m.ChannelCreate, "description", 5, 400, "invalid-request"),
    (m.ChannelCreate, "description", "x" * 1001, 400, "invalid-request"),
    (m.ChannelCreate, "logo_url", 5, 400, "invalid-request"),
    (m.ChannelCreate, "logo_url", "https://e.com/" + "x" * 500, 400, "invalid-request"),
    (m.ChannelCreate, "owner", None, 422, "invalid-user-name"),
    (m.ChannelUpdate, "visibility", "secret", 400, "invalid-request"),
    (m.ChannelUpdate, "visibility", None, 400, "invalid-request"),
    (m.ChannelUpdate, "logo_url", 5, 400, "invalid-request"),
    (m.ChannelUpdate, "name", "renamed", 400, "invalid-request"),
    (m.ChannelUpdate, "owner", "bob", 400, "invalid-request"),
    (m.ChannelTransfer, "owner", DROP, 422, "invalid-user-name"),
    (m.ChannelTransfer, "owner", ["bob"], 422, "invalid-user-name"),
    (m.ReindexRequest, "subdir", 5, 400, "invalid-request"),
    (m.ReindexRequest, "subdir", "amiga-68k", 422, "unknown-subdir"),
    (m.MemberRole, "role", DROP, 400, "invalid-request"),
    (m.MemberRole, "role", "boss", 400, "invalid-request"),
    (m.MemberRole, "role", {"a": 1}, 400, "invalid-request"),
    (m.YankRequest, "reason", DROP, 400, "invalid-reason"),
    (m.YankRequest, "reason", "", 400, "invalid-reason"),
    (m.YankRequest, "reason", 5, 400, "invalid-reason"),
    (m.YankRequest, "extra", 1, 400, "invalid-request"),
    (m.PublisherCreate, "provider", "bitbucket", 400, "invalid-request"),
    (m.PublisherCreate, "provider", DROP, 400, "invalid-request"),
    (m.PublisherCreate, "owner", 5, 400, "invalid-request"),
    (m.PublisherCreate, "owner_id", True, 400, "invalid-request"),
    (m.PublisherCreate, "owner_id", 1.5, 400, "invalid-request"),
    (m.PublisherCreate, "name_patterns", "x", 400, "invalid-request"),
    (m.PublisherCreate, "subdirs", [""], 400, "invalid-request"),
    (m.PublisherCreate, "issuer", 5, 400, "invalid-request"),
    (m.UploadRequest, "filename", DROP, 400, "invalid-request"),
    (m.UploadRequest, "sha256", DROP, 400, "invalid-request"),
    (m.UploadRequest, "size", DROP, 400, "invalid-request"),
    (m.UploadRequest, "size", 0, 400, "invalid-request"),
    (m.UploadRequest, "size", "12", 400, "invalid-request"),
    (m.UploadRequest, "size", True, 400, "invalid-request"),
    (m.UploadRequest, "force", "yes", 400, "invalid-request"),
    (m.UploadRequest, "subdir", "amiga-68k", 422, "unknown-subdir"),
]


def refusal(model: type[BaseModel], body: dict[str, Any]) -> tuple[int, str, str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    errors = [{**e, "loc": ("body", *e["loc"])} for e in caught.value.errors()]
    error = m.domain_error(errors, model)
    return status_for(error), error.code, error.message


@pytest.mark.parametrize(
    ("model", "field", "value", "status", "code"),
    CASES,
    ids=[f"{c[0].__name__}.{c[1]}={c[2]!r:.20}" for c in CASES],
)
def test_a_bad_field_keeps_its_reason_code(
    model: type[BaseModel], field: str, value: Any, status: int, code: str
) -> None:
    body = {k: v for k, v in VALID[model].items() if k != field}
    if value is not DROP:
        body[field] = value
    got_status, got_code, message = refusal(model, body)
    assert (got_status, got_code) == (status, code), message
    assert field in message  # people are told which field


@pytest.mark.parametrize("model", list(VALID), ids=lambda model: model.__name__)
def test_the_valid_bodies_pass(model: type[BaseModel]) -> None:
    model.model_validate(VALID[model])


def test_presence_is_kept_for_fields_whose_absence_means_the_callers_own() -> None:
    # channels: null (no limit) is not channels left out (the calling key's channels).
    assert m.KeyCreate.model_validate({"channels": None}).given() == {"channels": None}
    assert m.KeyCreate.model_validate({}).given() == {}
    update = m.ChannelUpdate.model_validate({"description": "d"})
    assert update.given() == {"description": "d"}


def test_the_first_failing_field_decides() -> None:
    status, code, _ = refusal(m.ChannelCreate, {"name": "BAD", "visibility": "hidden"})
    assert (status, code) == (422, "invalid-name")


def test_a_reason_code_has_one_status() -> None:
    from rillet.core.errors import InvalidName

    with pytest.raises(TypeError, match="already"):
        m.Reason("invalid-request", InvalidName)
