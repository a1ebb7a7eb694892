"""Presigned PUTs bind the URL to the announced bytes (moto checks nothing, so we look at
what is signed), and the local stack's S3 endpoint enforces what S3 would."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlparse

import boto3
from botocore.config import Config

from rillet.adapters.s3 import S3Presigner

SHA = hashlib.sha256(b"payload").hexdigest()


def presign(expires: int = 900) -> tuple[str, dict[str, str]]:
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
        endpoint_url="http://127.0.0.1:9/_s3",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    return S3Presigner(client, "staging").presign_put(
        "uploads/abc",
        size=7,
        sha256_hex=SHA,
        content_type="application/octet-stream",
        expires_in=expires,
    )


def test_url_signs_length_type_and_checksum() -> None:
    url, headers = presign()
    query = parse_qs(urlparse(url).query)
    signed = set(query["X-Amz-SignedHeaders"][0].split(";"))
    assert {"content-length", "content-type", "x-amz-checksum-sha256", "host"} <= signed
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["900"]
    assert urlparse(url).path == "/_s3/staging/uploads/abc"
    assert headers == {
        "Content-Type": "application/octet-stream",
        "Content-Length": "7",
        "x-amz-checksum-sha256": base64.b64encode(bytes.fromhex(SHA)).decode(),
    }
