"""Release transactions: open, read, commit (all or nothing), abort."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from rillet.api import request
from rillet.api.models import openapi as oa
from rillet.api.models.releases import Release, ReleaseOpen, ReleaseRefusal
from rillet.runtime import http
from rillet.runtime.wiring import container

router = Router()  # type: ignore[no-untyped-call]


def _commit_responses() -> dict[int, Any]:
    out = oa.responses(200, Release, 401, 403, 404)
    out[409] = {
        "description": "not committed: still validating, a file was refused (the release "
        "failed), a filename was taken meanwhile, expired, or a commit in progress",
        "content": {oa.JSON: {"model": ReleaseRefusal}},
    }
    return out


@router.post(
    "/api/v1/channels/<channel>/releases",
    summary="Open a release: files uploaded into it publish together or not at all",
    tags=["uploads"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(201, Release, 400, 401, 403, 404),
)
def open_release(channel: str, body: ReleaseOpen) -> Response[str]:
    opened = container().services.releases.open(request.caller(router), channel, body.given())
    return http.json_response(201, opened)


@router.get(
    "/api/v1/channels/<channel>/releases/<release_id>",
    summary="A release and the status of each of its files",
    tags=["uploads"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(200, Release, 401, 403, 404),
)
def release_status(channel: str, release_id: str) -> Response[str]:
    found = container().services.releases.status(request.caller(router), channel, release_id)
    return http.json_response(200, found)


@router.post(
    "/api/v1/channels/<channel>/releases/<release_id>/commit",
    summary="Publish every file of the release at once, or none",
    tags=["uploads"],
    security=oa.AUTHENTICATED,
    responses=_commit_responses(),
)
def commit_release(channel: str, release_id: str) -> Response[str]:
    outcome = container().services.releases.commit(request.caller(router), channel, release_id)
    return http.json_response(outcome.http_status, outcome.to_json())


@router.delete(
    "/api/v1/channels/<channel>/releases/<release_id>",
    summary="Abort an open release (nothing of it is published)",
    tags=["uploads"],
    security=oa.AUTHENTICATED,
    responses=oa.responses(200, Release, 401, 403, 404, 409),
)
def abort_release(channel: str, release_id: str) -> Response[str]:
    aborted = container().services.releases.abort(request.caller(router), channel, release_id)
    return http.json_response(200, aborted)
