"""Packages: listing, the prefix-compatible upload and delete, yank, the channel audit log."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from rillet.api import models as m
from rillet.api import request
from rillet.api.models import openapi as oa
from rillet.api.models.packages import PREFIX_UPLOAD_BODY
from rillet.core.errors import PayloadTooLarge
from rillet.runtime import http
from rillet.runtime.prefix_upload import parse_upload_request
from rillet.runtime.settings import API_VALIDATION_MARGIN_MS
from rillet.runtime.wiring import container
from rillet.services.packages import PackageQuery, PackageUpload

router = Router()  # type: ignore[no-untyped-call]


@router.get(
    "/api/v1/channels/<channel>/packages",
    summary="List published packages",
    tags=["packages"],
    security=oa.OPTIONAL_AUTH,
    responses=oa.responses(200, m.PackageList, 400, 401, 403, 404, 422),
)
def list_packages(
    channel: str,
    subdir: oa.SubdirQuery = None,
    name: oa.NameQuery = None,
    limit: oa.Limit = None,
    cursor: oa.PageCursor = None,
) -> Response[str]:
    query = PackageQuery(
        subdir=subdir,
        name=name,
        limit=100 if limit is None else limit,
        cursor=cursor,
    )
    services = container().services
    found, cursor = services.packages.list_packages(request.caller(router), channel, query)
    # Who and when, for the package page (services/provenance.py).
    origin = services.provenance.of(found)
    body = {
        "packages": [
            {
                "subdir": s.subdir,
                "filename": s.filename,
                **s.record,
                "yanked": s.yank.to_json() if s.yank else None,
                **origin[(s.subdir, s.filename)],
            }
            for s in found
        ],
        "cursor": cursor,
    }
    return http.json_response(200, body)


@router.post(
    "/api/v1/upload/<channel>",
    summary="Upload one package (prefix.dev's protocol; plain-text answers)",
    tags=["packages"],
    security=oa.AUTHENTICATED,
    openapi_extensions={"requestBody": PREFIX_UPLOAD_BODY},
    responses=oa.text_responses(
        201, "published <subdir>/<filename>", 400, 401, 403, 404, 409, 413, 422
    ),
)
def prefix_upload(channel: str, force: oa.Force = None) -> Response[str]:
    c = container()
    raw = http.raw_body(router)
    if len(raw) > c.settings.max_api_body_bytes:
        raise PayloadTooLarge(http.too_large_message(c.settings.max_api_body_bytes, channel))
    parsed = parse_upload_request(router.current_event.headers, raw)
    published = c.services.packages.upload(
        request.caller(router),
        channel,
        PackageUpload(parsed.filename, parsed.body, parsed.sha256, parsed.attestation),
        force=force == "true",
        out_of_time=request.out_of_time(router, API_VALIDATION_MARGIN_MS),
    )
    return http.text_response(201, f"published {published.subdir}/{published.filename}")


@router.delete(
    "/api/v1/delete/<channel>/<subdir>/<filename>",
    summary="Delete a package",
    tags=["packages"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(200, m.PackageDeleted, 401, 403, 404, 409, 422),
)
def delete_package(channel: str, subdir: str, filename: str) -> Response[str]:
    container().services.packages.delete(request.caller(router), channel, subdir, filename)
    return http.json_response(200, {"deleted": f"{channel}/{subdir}/{filename}"})


@router.post(
    "/api/v1/channels/<channel>/packages/<subdir>/<filename>/yank",
    summary="Yank a package: still served, no longer solved to",
    tags=["packages"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(200, m.YankResult, 400, 401, 403, 404, 409, 422),
)
def yank_package(channel: str, subdir: str, filename: str, body: m.YankRequest) -> Response[str]:
    outcome = container().services.packages.yank(
        request.caller(router), channel, (subdir, filename), body.given()
    )
    return http.json_response(200, outcome.to_json())


@router.post(
    "/api/v1/channels/<channel>/packages/<subdir>/<filename>/unyank",
    summary="Unyank a package",
    tags=["packages"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(200, m.YankResult, 401, 403, 404, 409, 422),
)
def unyank_package(channel: str, subdir: str, filename: str) -> Response[str]:
    outcome = container().services.packages.unyank(
        request.caller(router), channel, (subdir, filename)
    )
    return http.json_response(200, outcome.to_json())


@router.get(
    "/api/v1/channels/<channel>/audit",
    summary="Read the channel's audit log",
    tags=["audit"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(200, m.AuditPage, 400, 401, 403, 404),
)
def read_audit(channel: str, limit: oa.Limit = None, cursor: oa.PageCursor = None) -> Response[str]:
    events, cursor = container().services.packages.read_audit(
        request.caller(router),
        channel,
        limit=100 if limit is None else limit,
        cursor=cursor,
    )
    return http.json_response(200, {"events": [e.to_json() for e in events], "cursor": cursor})
