"""S3 implementations of ObjectStore and Presigner."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

from botocore.exceptions import BotoCoreError, ClientError

from rillet.adapters.errors import error_code, unavailable
from rillet.core.errors import Conflict, NotFound
from rillet.core.ports import ObjectInfo
from rillet.core.repodata import IMMUTABLE_CACHE_CONTROL

_MISSING = {"NoSuchKey", "404", "NotFound"}
_PRECONDITION = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}


def _quote(etag: str) -> str:
    return etag if etag.startswith('"') else f'"{etag}"'


class S3ObjectStore:
    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def open(self, key: str) -> BinaryIO:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) in _MISSING:
                raise NotFound(f"no object {key}") from exc
            raise unavailable(exc, "S3 GetObject") from exc
        return cast(BinaryIO, response["Body"])

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str,
        cache_control: str,
        if_absent: bool = False,
        if_match: str | None = None,
    ) -> bool:
        args: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "Body": body,
            "ContentType": content_type,
            "CacheControl": cache_control,
        }
        if if_absent or if_match == "":
            args["IfNoneMatch"] = "*"
        elif if_match:
            args["IfMatch"] = _quote(if_match)
        try:
            self.client.put_object(**args)
        except ClientError as exc:
            if error_code(exc) in _PRECONDITION:
                if if_absent:
                    return False
                raise Conflict(f"{key} changed during the write", code="write-conflict") from exc
            raise unavailable(exc, "S3 PutObject") from exc
        except BotoCoreError as exc:
            raise unavailable(exc, "S3 PutObject") from exc
        return True

    def copy_from(self, source: Any, source_key: str, key: str, *, sha256: str) -> None:
        # Managed copy: server-side, multipart above 5 GB. Packages are immutable.
        try:
            self.client.copy(
                {"Bucket": source.bucket, "Key": source_key},
                self.bucket,
                key,
                ExtraArgs={
                    "ContentType": "application/octet-stream",
                    "CacheControl": IMMUTABLE_CACHE_CONTROL,
                    "Metadata": {"sha256": sha256},
                    "MetadataDirective": "REPLACE",
                },
            )
        except ClientError as exc:
            if error_code(exc) in _MISSING:
                raise NotFound(f"no object {source_key}") from exc
            raise unavailable(exc, "S3 CopyObject") from exc

    def head(self, key: str) -> ObjectInfo | None:
        try:
            response = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) in _MISSING:
                return None
            raise unavailable(exc, "S3 HeadObject") from exc
        return ObjectInfo(
            key=key,
            size=int(response["ContentLength"]),
            etag=str(response["ETag"]).strip('"'),
            cache_control=response.get("CacheControl"),
            content_type=response.get("ContentType"),
        )

    def read(self, key: str) -> tuple[bytes, str] | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            body = response["Body"].read()
        except ClientError as exc:
            if error_code(exc) in _MISSING:
                return None
            raise unavailable(exc, "S3 GetObject") from exc
        except BotoCoreError as exc:
            raise unavailable(exc, "S3 GetObject") from exc
        return body, str(response["ETag"]).strip('"')

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            raise unavailable(exc, "S3 DeleteObject") from exc

    def keys(self, prefix: str) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield item["Key"]
        except ClientError as exc:
            raise unavailable(exc, "S3 ListObjectsV2") from exc

    def delete_prefix(self, prefix: str) -> int:
        count = 0
        batch: list[dict[str, str]] = []
        for key in self.keys(prefix):
            batch.append({"Key": key})
            if len(batch) == 1000:
                count += self._delete_batch(batch)
                batch = []
        if batch:
            count += self._delete_batch(batch)
        return count

    def _delete_batch(self, batch: list[dict[str, str]]) -> int:
        try:
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
        except ClientError as exc:
            raise unavailable(exc, "S3 DeleteObjects") from exc
        return len(batch)


class S3Presigner:
    """Presigned PUTs that sign the length, type and SHA-256 of the announced bytes.

    S3 refuses a body whose x-amz-checksum-sha256 does not match, so the URL
    can only ever deliver the file the uploader announced.
    """

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def presign_put(
        self, key: str, *, size: int, sha256_hex: str, content_type: str, expires_in: int
    ) -> tuple[str, dict[str, str]]:
        checksum = base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii")
        url = self.client.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ContentLength": size,
                "ContentType": content_type,
                "ChecksumSHA256": checksum,
            },
            ExpiresIn=expires_in,
            HttpMethod="PUT",
        )
        headers = {
            "Content-Type": content_type,
            "Content-Length": str(size),
            "x-amz-checksum-sha256": checksum,
        }
        return url, headers
