"""A channel deleted and re-created by someone else, through the local stack and py-rattler.

Nothing issued for the old channel (an upload URL handed out before the delete)
reaches the new one, and the new one's index, files and audit log are its own.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import Api
from tests.e2e.rattler_client import query
from tests.packages import build_package

pytestmark = pytest.mark.e2e

CHANNEL = "phoenix"


def test_an_old_upload_url_cannot_publish_into_a_recreated_channel(
    api: Api, pkg_dir: Path, tmp_path: Path
) -> None:
    lena, rex = api.create_user("lena"), api.create_user("rex")
    api.create_channel(CHANNEL, visibility="private", token=lena)
    old = build_package(pkg_dir / "phoenix", "phoenixold", "1.0")
    status = api.wait_final(
        CHANNEL, api.presigned_upload(CHANNEL, old, token=lena)["id"], token=lena
    )
    assert status["status"] == "published", status
    api.stack.wait_idle()
    # Lena asks for one more upload URL, but her PUT arrives only after what follows.
    late = build_package(pkg_dir / "phoenix", "phoenixlate", "1.0")
    data = late.read_bytes()
    intent = {"filename": late.name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    r = api.call("POST", f"/api/v1/channels/{CHANNEL}/uploads", intent, lena)
    assert r.status_code == 201, r.text
    ticket = r.json()

    r = api.call("DELETE", f"/api/v1/channels/{CHANNEL}", token=lena)
    assert r.status_code == 200, r.text
    api.create_channel(CHANNEL, visibility="public", token=rex)

    put = requests.put(ticket["url"], data=data, headers=ticket["headers"], timeout=60)
    assert put.status_code == 200, put.text
    status = api.wait_final(CHANNEL, ticket["id"], token=rex)
    assert (status["status"], status.get("reason")) == ("rejected", "channel-replaced"), status
    api.stack.wait_idle()

    # Rex's channel is empty for a real client, file by file, and in its audit log.
    assert (
        query(f"{api.stack.url}/{CHANNEL}", ["phoenixold", "phoenixlate"], tmp_path, sharded=True)
        == {}
    )
    for path in (old, late):
        r = requests.get(f"{api.stack.url}/{CHANNEL}/noarch/{path.name}", timeout=30)
        assert r.status_code == 404, r.status_code
    r = api.call("GET", f"/api/v1/channels/{CHANNEL}/audit", token=rex)
    assert r.status_code == 200 and r.json()["events"] == [], r.text
