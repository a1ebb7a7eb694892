"""GET /api/openapi.json is a valid OpenAPI 3.1 document that describes every route."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from functions.api.handler import app

ROOT = Path(__file__).resolve().parents[2]
METHODS = ("get", "post", "put", "patch", "delete")
PLAIN_TEXT = ("/api/v1/upload/", "/api/oidc/")
# The body schema of every route that takes a JSON body (canonical names, AREAS.md).
BODIES = {
    ("post", "/api/v1/users"): "UserCreate",
    ("post", "/api/v1/users/me"): "UsernameClaim",
    ("post", "/api/v1/users/me/keys"): "KeyCreate",
    ("post", "/api/v1/channels"): "ChannelCreate",
    ("patch", "/api/v1/channels/{channel}"): "ChannelUpdate",
    ("post", "/api/v1/channels/{channel}/transfer"): "ChannelTransfer",
    ("post", "/api/v1/channels/{channel}/reindex"): "ReindexRequest",
    ("put", "/api/v1/channels/{channel}/members/{user}"): "MemberRole",
    ("post", "/api/v1/channels/{channel}/packages/{subdir}/{filename}/yank"): "YankRequest",
    ("post", "/api/v1/channels/{channel}/publishers"): "PublisherCreate",
    ("post", "/api/v1/channels/{channel}/uploads"): "UploadRequest",
    ("post", "/api/v1/channels/{channel}/copy"): "CopyRequest",
    ("post", "/api/v1/channels/{channel}/releases"): "ReleaseOpen",
}
# Refusals that carry more than Error: a refused commit names every file's status.
DETAILED_REFUSALS = {
    ("post", "/api/v1/channels/{channel}/releases/{release_id}/commit", 409): "ReleaseRefusal",
}
CANONICAL = {
    *BODIES.values(),
    *[
        "Channel",
        "ChannelList",
        "Member",
        "MemberList",
        "ApiKey",
        "ApiKeyCreated",
        "KeyList",
        "Me",
        "UserCreated",
        "UserSearch",
        "PackageFile",
        "PackageList",
        "Publisher",
        "PublisherList",
        "UploadTicket",
        "UploadStatus",
        "AuditEvent",
        "AuditPage",
        "PublicConfig",
        "Error",
    ],
}
# Routes anyone may call without a credential at all.
NO_CREDENTIAL = {("get", "/api/v1/config"), ("get", "/api/openapi.json")}
NO_CREDENTIAL_NEEDED = {("post", "/api/oidc/mint_token")}  # the CI's OIDC token is the body


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): op
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def app_routes() -> set[tuple[str, str]]:
    found = {
        (r.method.lower(), re.sub(r"<([^>]+)>", r"{\1}", r.path))
        for r in app._static_routes + app._dynamic_routes
    }
    assert len(found) > 20, found  # the resolver's internals still look as expected
    return found


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_the_validator_is_not_a_rubber_stamp(document: dict[str, Any]) -> None:
    broken = {**document, "paths": {"/x": {"get": {"responses": {"200": {"content": 5}}}}}}
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_every_route_is_described(document: dict[str, Any]) -> None:
    assert app_routes() == set(operations(document))


def test_the_canonical_schemas_are_there(document: dict[str, Any]) -> None:
    assert set(document["components"]["schemas"]) >= CANONICAL


def test_request_bodies(document: dict[str, Any]) -> None:
    for key, op in operations(document).items():
        content = op.get("requestBody", {}).get("content", {})
        if key in BODIES:
            schema = content["application/json"]["schema"]
            assert schema == {"$ref": f"#/components/schemas/{BODIES[key]}"}, key
            assert op["requestBody"]["required"] is True, key
        elif key == ("post", "/api/v1/upload/{channel}"):
            assert {"multipart/form-data", "application/octet-stream"} <= set(content)
        elif key == ("put", "/api/v1/channels/{channel}/logo"):
            assert {"image/png", "image/jpeg", "image/webp"} == set(content)
        elif key == ("post", "/api/oidc/mint_token"):
            assert "token" in content["application/json"]["schema"]["properties"]
        else:
            assert not content, f"{key} reads no body but documents one"


def _schemas(response: dict[str, Any]) -> dict[str, Any]:
    return {ct: c.get("schema") for ct, c in response.get("content", {}).items()}


def test_success_and_error_responses(document: dict[str, Any]) -> None:
    for (method, path), op in operations(document).items():
        responses = {int(code): r for code, r in op["responses"].items()}
        success = [c for c in responses if 200 <= c < 300]
        errors = [c for c in responses if c >= 400]
        assert len(success) == 1, (method, path, responses)
        assert 503 in errors, (method, path)
        if op["security"] or op.get("parameters") or op.get("requestBody"):
            assert any(400 <= c < 500 for c in errors), (method, path)
        if {"bearer": []} in op["security"]:
            assert 401 in errors, (method, path)
        plain = path.startswith(PLAIN_TEXT)
        for code in errors:
            schemas = _schemas(responses[code])
            if plain:
                assert set(schemas) == {"text/plain"}, (method, path, code)
            else:
                name = DETAILED_REFUSALS.get((method, path, code), "Error")
                assert schemas == {"application/json": {"$ref": f"#/components/schemas/{name}"}}
        (ok,) = (responses[c] for c in success)
        schemas = _schemas(ok)
        assert set(schemas) == ({"text/plain"} if plain else {"application/json"}), (method, path)
        assert all(schemas.values()), (method, path)
        assert "HTTPValidationError" not in str(op), (method, path)  # refusals are Error


def test_security(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["basic"] == {**schemes["basic"], "type": "http", "scheme": "basic"}
    for key, op in operations(document).items():
        assert "security" in op, key
        if key in NO_CREDENTIAL | NO_CREDENTIAL_NEEDED:
            assert op["security"] == [], key
        else:
            assert {"bearer": []} in op["security"] and {"basic": []} in op["security"], key


def test_every_operation_has_a_tag_and_a_summary(document: dict[str, Any]) -> None:
    tags = {t["name"] for t in document["tags"]}
    for key, op in operations(document).items():
        assert op.get("tags") and set(op["tags"]) <= tags, key
        assert op.get("summary") and not op["summary"].startswith(key[0].upper()), key


def test_examples_are_given_for_request_bodies(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in BODIES.values():
        assert schemas[name].get("examples"), name


# -- docs/api.md ----------------------------------------------------------------------
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE)` \| `([^`]+)` \| [^|]+ \| ([^|]+) \|$")


def documented_routes() -> dict[tuple[str, str], str]:
    """Every route row of docs/api.md's tables: (method, path) -> its success column."""
    rows: dict[tuple[str, str], str] = {}
    for line in (ROOT / "docs" / "api.md").read_text().splitlines():
        match = ROW.match(line.strip())
        if match:
            method, path, success = match.groups()
            rows[(method.lower(), path.split("?")[0])] = success.strip()
    return rows


def test_docs_api_md_lists_exactly_the_documents_routes(document: dict[str, Any]) -> None:
    ops = operations(document)
    rows = documented_routes()
    assert set(rows) == set(ops), {
        "only in docs/api.md": sorted(set(rows) - set(ops)),
        "only in the document": sorted(set(ops) - set(rows)),
    }
    for key, success in rows.items():
        responses = ops[key]["responses"]
        (status,) = (c for c in responses if c.startswith("2"))
        plain = "text/plain" in responses[status].get("content", {})
        expected = f"{status}, plain text" if plain else status
        assert success == expected, (key, success, expected)
