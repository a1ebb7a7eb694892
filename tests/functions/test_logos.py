"""Owners upload a channel logo: PNG, JPEG or WebP by magic bytes, small, stored in the
channels bucket at a content-addressed path the CDN serves, named by logo_url."""

from __future__ import annotations

import os

import pytest

from rillet.core.logos import LOGO_CACHE_CONTROL, MAX_LOGO_BYTES
from rillet.runtime import settings
from tests.functions.conftest import Client, Reply, Team, World

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64


def put_logo(client: Client, data: bytes, channel: str = "chan") -> Reply:
    return client.call(
        "PUT",
        f"/api/v1/channels/{channel}/logo",
        headers={"content-type": "application/octet-stream"},
        body=data,
    )


@pytest.mark.parametrize(
    ("data", "ext", "content_type"),
    [(PNG, "png", "image/png"), (JPEG, "jpg", "image/jpeg"), (WEBP, "webp", "image/webp")],
)
def test_owner_uploads_a_logo_served_at_its_own_immutable_path(
    world: World, team: Team, data: bytes, ext: str, content_type: str
) -> None:
    r = put_logo(team.owner, data)
    assert r.status == 200, r
    url = r.json()["logo_url"]
    # Under the deployment's own URL: the CDN serves the channels bucket's _logos/.
    assert url.startswith(os.environ[settings.PUBLIC_URL].rstrip("/") + "/_logos/chan/")
    assert url.endswith(f".{ext}")
    assert team.owner.get("/api/v1/channels/chan").json()["logo_url"] == url
    key = url.split("/", 3)[3]
    s3 = world.session.client("s3")
    obj = s3.get_object(Bucket=world.provisioned.names.channels_bucket, Key=key)
    assert obj["Body"].read() == data
    assert obj["ContentType"] == content_type
    assert obj["CacheControl"] == LOGO_CACHE_CONTROL
    events = team.owner.get("/api/v1/channels/chan/audit").json()["events"]
    assert events[0]["action"] == "channel.update"
    assert events[0]["details"]["logo_url"]["to"] == url


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            400,
            "logo-unsupported-type",
        ),
        (b"<html><script>alert(1)</script></html>", 400, "logo-unsupported-type"),
        (b"GIF89a" + b"\x00" * 32, 400, "logo-unsupported-type"),
        (b"", 400, "logo-empty"),
        (PNG + b"\x00" * MAX_LOGO_BYTES, 413, "logo-too-large"),
    ],
)
def test_anything_but_a_small_png_jpeg_or_webp_is_refused_and_changes_nothing(
    world: World, team: Team, data: bytes, status: int, code: str
) -> None:
    r = put_logo(team.owner, data)
    assert r.status == status, r
    assert r.json()["error"] == code
    assert team.owner.get("/api/v1/channels/chan").json()["logo_url"] in ("", None)
    listed = world.session.client("s3").list_objects_v2(
        Bucket=world.provisioned.names.channels_bucket, Prefix="_logos/"
    )
    assert listed.get("KeyCount", 0) == 0


def test_only_owners_change_the_logo(world: World, team: Team) -> None:
    assert put_logo(team.maintainer, PNG).status == 403
    assert put_logo(team.member, PNG).status == 403
    assert put_logo(world.anonymous, PNG).status == 401
    assert put_logo(team.owner, PNG, channel="nosuch").status == 404
    assert team.owner.get("/api/v1/channels/chan").json()["logo_url"] in ("", None)
