"""Packages: listing, the prefix-compatible upload and delete, yank, the channel audit log."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from rillet.api import request
from rillet.core.errors import PayloadTooLarge
from rillet.runtime import http
from rillet.runtime.prefix_upload import parse_upload_request
from rillet.runtime.settings import API_VALIDATION_MARGIN_MS
from rillet.runtime.wiring import container
from rillet.services.packages import PackageQuery, PackageUpload

router = Router()  # type: ignore[no-untyped-call]


@router.get("/api/v1/channels/<channel>/packages")
def list_packages(channel: str) -> Response[str]:
    query = PackageQuery(
        subdir=request.query(router, "subdir"),
        name=request.query(router, "name"),
        limit=request.int_query(router, "limit", 100),
        cursor=request.query(router, "cursor"),
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


@router.post("/api/v1/upload/<channel>")
def prefix_upload(channel: str) -> Response[str]:
    c = container()
    raw = http.raw_body(router)
    if len(raw) > c.settings.max_api_body_bytes:
        raise PayloadTooLarge(http.too_large_message(c.settings.max_api_body_bytes, channel))
    parsed = parse_upload_request(router.current_event.headers, raw)
    published = c.services.packages.upload(
        request.caller(router),
        channel,
        PackageUpload(parsed.filename, parsed.body, parsed.sha256),
        force=request.query(router, "force") == "true",
        out_of_time=request.out_of_time(router, API_VALIDATION_MARGIN_MS),
    )
    return http.text_response(201, f"published {published.subdir}/{published.filename}")


@router.delete("/api/v1/delete/<channel>/<subdir>/<filename>")
def delete_package(channel: str, subdir: str, filename: str) -> Response[str]:
    container().services.packages.delete(request.caller(router), channel, subdir, filename)
    return http.json_response(200, {"deleted": f"{channel}/{subdir}/{filename}"})


@router.post("/api/v1/channels/<channel>/packages/<subdir>/<filename>/yank")
def yank_package(channel: str, subdir: str, filename: str) -> Response[str]:
    outcome = container().services.packages.yank(
        request.caller(router), channel, (subdir, filename), request.body(router)
    )
    return http.json_response(200, outcome.to_json())


@router.post("/api/v1/channels/<channel>/packages/<subdir>/<filename>/unyank")
def unyank_package(channel: str, subdir: str, filename: str) -> Response[str]:
    outcome = container().services.packages.unyank(
        request.caller(router), channel, (subdir, filename)
    )
    return http.json_response(200, outcome.to_json())


@router.get("/api/v1/channels/<channel>/audit")
def read_audit(channel: str) -> Response[str]:
    events, cursor = container().services.packages.read_audit(
        request.caller(router),
        channel,
        limit=request.int_query(router, "limit", 100),
        cursor=request.query(router, "cursor"),
    )
    return http.json_response(200, {"events": [e.to_json() for e in events], "cursor": cursor})
