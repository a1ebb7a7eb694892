"""The local stack's S3 endpoint enforces what S3 enforces on a presigned PUT."""

from __future__ import annotations

import base64
import hashlib
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.auth
import botocore.crt.auth
import pytest
import requests
from botocore.config import Config

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

    def presign(body: dict[str, object]) -> tuple[dict[str, object], dict[str, Any]]:
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


def _presigner(api: Api) -> Any:
    """A client that signs exactly as the API's presigner does, for the local endpoint."""
    config = Config(signature_version="s3v4", s3={"addressing_style": "path"})
    return api.stack.session.client("s3", endpoint_url=f"{api.stack.url}/_s3", config=config)


def _object(api: Api, bucket: str, key: str) -> bytes | None:
    s3 = api.stack.session.client("s3")
    try:
        return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None


@pytest.mark.e2e
def test_unsigned_put_cannot_overwrite_a_channel_index(api: Api) -> None:
    assert api.stack.provisioned is not None
    names = api.stack.provisioned.names
    api.create_channel("presign-victim")
    key = "presign-victim/noarch/repodata.json"
    api.stack.session.client("s3").put_object(
        Bucket=names.channels_bucket, Key=key, Body=b'{"packages": {}}'
    )
    now = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    # Made-up signature parameters are no signature at all.
    made_up = f"?X-Amz-Date={now}&X-Amz-Expires=900&X-Amz-Signature=00"
    for bucket, target in ((names.channels_bucket, key), (names.staging_bucket, "uploads/x")):
        for query in ("", made_up):
            url = f"{api.stack.url}/_s3/{bucket}/{target}{query}"
            r = requests.put(url, data=b"evil", timeout=10)
            assert r.status_code == 403, r.text
    assert _object(api, names.channels_bucket, key) == b'{"packages": {}}'
    assert _object(api, names.staging_bucket, "uploads/x") is None


@pytest.mark.e2e
def test_tampered_presigned_put_is_refused_and_writes_nothing(api: Api) -> None:
    assert api.stack.provisioned is not None
    staging = api.stack.provisioned.names.staging_bucket
    api.create_channel("presign-tamper")
    body = {"filename": "x-1.0-0.conda", "sha256": SHA, "size": 7}
    ticket = api.call("POST", "/api/v1/channels/presign-tamper/uploads", body).json()
    url, headers = ticket["url"], ticket["headers"]
    key = url.split("?", 1)[0].split(f"/_s3/{staging}/", 1)[1]
    other = "uploads/" + "0" * 32
    signature = url.rsplit("X-Amz-Signature=", 1)[1]
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    tampered = {
        "other key": (url.replace(key, other), headers),
        "other signature": (url.replace(signature, flipped), headers),
        "longer lifetime": (url.replace("X-Amz-Expires=900", "X-Amz-Expires=3600"), headers),
        "other content type": (url, {**headers, "Content-Type": "text/plain"}),
        "no signature": (url.replace(f"&X-Amz-Signature={signature}", ""), headers),
    }
    for name, (bad_url, bad_headers) in tampered.items():
        r = requests.put(bad_url, data=b"payload", headers=bad_headers, timeout=10)
        assert r.status_code == 403, (name, r.text)
    assert _object(api, staging, key) is None
    assert _object(api, staging, other) is None
    # The untouched ticket still works: the refusals above were about the changes.
    assert requests.put(url, data=b"payload", headers=headers, timeout=10).status_code == 200
    # The bytes arrived: validation takes them in (and, not being a package, refuses them;
    # it also deletes the staged object, so the status is what a test can wait for).
    upload = f"/api/v1/channels/presign-tamper/uploads/{ticket['id']}"
    deadline = time.monotonic() + 30
    status = api.call("GET", upload).json()
    while status["status"] in ("pending", "validating") and time.monotonic() < deadline:
        time.sleep(0.05)
        status = api.call("GET", upload).json()
    assert status["status"] == "rejected" and status["reason"] != "upload-expired", status


@pytest.mark.e2e
def test_expired_presigned_put_is_refused(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    assert api.stack.provisioned is not None
    staging = api.stack.provisioned.names.staging_bucket
    key = "uploads/" + "e" * 32
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    # Both signers (botocore's own and the CRT one, used when awscrt is installed).
    for signer in (botocore.auth, botocore.crt.auth):
        monkeypatch.setattr(signer, "get_current_datetime", lambda **_: an_hour_ago)
    url = _presigner(api).generate_presigned_url(
        "put_object", Params={"Bucket": staging, "Key": key}, ExpiresIn=900, HttpMethod="PUT"
    )
    monkeypatch.undo()
    r = requests.put(url, data=b"late", timeout=10)
    assert r.status_code == 403 and "expired" in r.text
    assert _object(api, staging, key) is None


@pytest.mark.e2e
def test_only_staging_uploads_are_writable_even_when_signed(api: Api) -> None:
    assert api.stack.provisioned is not None
    names = api.stack.provisioned.names
    signer = _presigner(api)
    targets = [
        (names.channels_bucket, "pub/noarch/repodata.json"),
        (names.staging_bucket, "elsewhere/x"),
    ]
    for bucket, key in targets:
        url = signer.generate_presigned_url(
            "put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=900, HttpMethod="PUT"
        )
        r = requests.put(url, data=b"evil", timeout=10)
        assert r.status_code == 403 and "AccessDenied" in r.text, (bucket, key, r.text)
        assert _object(api, bucket, key) is None
    good = signer.generate_presigned_url(
        "put_object",
        Params={"Bucket": names.staging_bucket, "Key": "uploads/" + "a" * 32},
        ExpiresIn=900,
        HttpMethod="PUT",
    )
    assert requests.put(good, data=b"fine", timeout=10).status_code == 200
