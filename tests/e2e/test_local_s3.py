"""The local stack's S3 endpoint enforces what S3 enforces on a presigned PUT."""

from __future__ import annotations

import hashlib

import pytest
import requests

from tests.e2e.conftest import Api

SHA = hashlib.sha256(b"payload").hexdigest()


@pytest.mark.e2e
def test_local_s3_refuses_other_bytes_and_expired_urls(api: Api) -> None:
    api.create_channel("presign-checks")
    body = {"filename": "x-1.0-0.conda", "sha256": SHA, "size": 7}
    ticket = api.call("POST", "/api/v1/channels/presign-checks/uploads", body).json()
    wrong = requests.put(ticket["url"], data=b"PAYLOAD", headers=ticket["headers"], timeout=10)
    assert wrong.status_code == 400 and "BadDigest" in wrong.text
    missing = requests.put(
        ticket["url"],
        data=b"payload",
        headers={"Content-Type": "application/octet-stream"},
        timeout=10,
    )
    assert missing.status_code == 403
    expired_url = ticket["url"].replace("X-Amz-Expires=900", "X-Amz-Expires=0")
    assert (
        requests.put(
            expired_url, data=b"payload", headers=ticket["headers"], timeout=10
        ).status_code
        == 403
    )
