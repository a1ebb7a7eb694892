"""Authority is checked when the file arrives, not only when the URL is handed out.

A presigned URL is requested, the uploader loses the right to upload (removed from
the channel, key revoked), then the bytes are PUT: validation refuses them with
``uploader-no-longer-authorized`` and the channel's index never lists the package.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Api
from tests.e2e.rattler_client import query
from tests.packages import build_package

pytestmark = pytest.mark.e2e

CHANNEL = "authz-chan"


@pytest.fixture(scope="module")
def tokens(api: Api) -> dict[str, str]:
    found = {name: api.create_user(name) for name in ("authz-owner", "authz-dev", "authz-ci")}
    api.create_channel(CHANNEL, token=found["authz-owner"])
    for user in ("authz-dev", "authz-ci"):
        api.add_member(CHANNEL, user, "maintainer", found["authz-owner"])
    return found


def ticket(api: Api, path: Path, token: str) -> dict[str, Any]:
    data = path.read_bytes()
    body = {"filename": path.name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    r = api.call("POST", f"/api/v1/channels/{CHANNEL}/uploads", body, token)
    assert r.status_code == 201, r.text
    return dict(r.json())


def put(issued: dict[str, Any], path: Path) -> None:
    r = requests.put(issued["url"], data=path.read_bytes(), headers=issued["headers"], timeout=60)
    assert r.status_code == 200, r.text


def assert_not_published(api: Api, path: Path, owner: str, cache: Path) -> None:
    api.stack.wait_idle()
    r = api.call("GET", f"/api/v1/channels/{CHANNEL}/packages", token=owner)
    assert path.name not in [p["filename"] for p in r.json()["packages"]]
    name = path.name.rsplit("-", 2)[0]
    assert query(f"{api.stack.url}/{CHANNEL}", [name], cache, sharded=True) == {}


def test_member_removed_between_presign_and_put(
    api: Api, tokens: dict[str, str], pkg_dir: Path, tmp_path: Path
) -> None:
    owner = tokens["authz-owner"]
    pkg = build_package(pkg_dir / "authz", "gonedev", "1.0")
    issued = ticket(api, pkg, tokens["authz-dev"])
    r = api.call("DELETE", f"/api/v1/channels/{CHANNEL}/members/authz-dev", token=owner)
    assert r.status_code == 200, r.text
    put(issued, pkg)
    status = api.wait_final(CHANNEL, issued["id"], token=owner)
    assert (status["status"], status["reason"]) == ("rejected", "uploader-no-longer-authorized")
    assert_not_published(api, pkg, owner, tmp_path)


def test_key_revoked_between_presign_and_put(
    api: Api, tokens: dict[str, str], pkg_dir: Path, tmp_path: Path
) -> None:
    owner, ci = tokens["authz-owner"], tokens["authz-ci"]
    r = api.call("POST", "/api/v1/users/me/keys", {"scope": "upload"}, ci)
    assert r.status_code == 201, r.text
    key = r.json()
    pkg = build_package(pkg_dir / "authz", "revokedci", "1.0")
    issued = ticket(api, pkg, key["secret"])
    assert api.call("DELETE", f"/api/v1/users/me/keys/{key['id']}", token=ci).status_code == 200
    put(issued, pkg)
    status = api.wait_final(CHANNEL, issued["id"], token=owner)
    assert (status["status"], status["reason"]) == ("rejected", "uploader-no-longer-authorized")
    assert_not_published(api, pkg, owner, tmp_path)
    # The same user's other key, still valid, publishes as before.
    again = ticket(api, pkg, ci)
    put(again, pkg)
    assert api.wait_final(CHANNEL, again["id"], token=owner)["status"] == "published"
