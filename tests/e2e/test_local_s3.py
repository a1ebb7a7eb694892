"""The local stack's S3 endpoint enforces what S3 enforces on a presigned PUT."""

from __future__ import annotations

import base64
import hashlib
import sys
from concurrent.futures import ThreadPoolExecutor

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


@pytest.mark.e2e
def test_concurrent_api_requests_each_get_their_own_answer(api: Api) -> None:
    """The threaded local server runs the API handler one event at a time, as a Lambda
    instance does: parallel presign requests must not read each other's bodies."""
    api.create_channel("presign-parallel")
    bodies = [
        {
            "filename": f"p{i}-1.0-0.conda",
            "sha256": hashlib.sha256(f"payload {i}".encode()).hexdigest(),
            "size": 9 + len(str(i)),
        }
        for i in range(48)
    ]

    def presign(body: dict[str, object]) -> tuple[dict[str, object], dict[str, str]]:
        r = api.call("POST", "/api/v1/channels/presign-parallel/uploads", body)
        assert r.status_code == 201, r.text
        return body, r.json()

    # Switch threads as often as possible, so that interleavings show up in a short run.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(presign, bodies))
    finally:
        sys.setswitchinterval(interval)
    for body, ticket in answers:
        signed = {k.lower(): v for k, v in dict(ticket["headers"]).items()}
        expected = base64.b64encode(bytes.fromhex(str(body["sha256"]))).decode()
        assert signed["x-amz-checksum-sha256"] == expected
        assert ticket["filename"] == body["filename"]
