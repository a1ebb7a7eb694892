"""The staging keys an S3 notification (as delivered through SQS) is about."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event


def created_keys(body: dict[str, Any]) -> list[str]:
    """Keys of the ObjectCreated records; none for the s3:TestEvent sent on configuration."""
    if "Records" not in body:
        return []
    return [
        unquote_plus(record.s3.get_object.key)  # keys arrive URL-encoded
        for record in S3Event(body).records
        if record.event_name.startswith("ObjectCreated")
    ]
