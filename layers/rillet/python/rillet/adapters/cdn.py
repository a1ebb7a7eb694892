"""Invalidate CDN caches when served bytes change or disappear.

Packages and shards are cached as immutable for a year, so an owner's forced
overwrite, a delete, or a deleted channel must purge them from CloudFront, or
clients would keep getting the old bytes (and a private channel's files could
outlive the channel in the cache).
"""

from __future__ import annotations

import uuid
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from rillet.adapters.errors import unavailable


class CloudFrontCdn:
    def __init__(self, client: Any, distribution_id: str) -> None:
        self.client = client
        self.distribution_id = distribution_id

    def invalidate(self, paths: list[str]) -> None:
        if not paths:
            return
        try:
            self.client.create_invalidation(
                DistributionId=self.distribution_id,
                InvalidationBatch={
                    "Paths": {"Quantity": len(paths), "Items": paths},
                    "CallerReference": uuid.uuid4().hex,
                },
            )
        except (ClientError, BotoCoreError) as exc:
            raise unavailable(exc, "CloudFront CreateInvalidation") from exc


class NoCdn:
    """The local stack serves straight from the bucket: nothing is cached."""

    def __init__(self) -> None:
        self.invalidated: list[str] = []

    def invalidate(self, paths: list[str]) -> None:
        self.invalidated.extend(paths)
