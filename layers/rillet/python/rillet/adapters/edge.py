"""The edge's view of access data: CloudFront KeyValueStore writes, and a DynamoDB
read view with the same keys for the local stack.

Keys and values are those ``rillet.core.access`` (and ``infra/edge``) read:
``c:<channel>`` -> visibility, ``r:<channel>:<token sha256>`` -> expiry,
``t:<token sha256>`` -> expiry of a known read-capable token (0 = none).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from rillet.adapters import schema
from rillet.adapters.dynamodb import DynamoTable
from rillet.adapters.errors import error_code, unavailable
from rillet.core import access

_KVS_BATCH = 50  # UpdateKeys accepts at most 50 puts + deletes per call


def entries_for_item(item: Mapping[str, Any] | None) -> dict[str, str]:
    """The edge entries a table item stands for (empty for items the edge ignores)."""
    if not item:
        return {}
    pk, sk = str(item.get("pk", "")), str(item.get("sk", ""))
    if pk.startswith("CHANNEL#") and sk == "CHANNEL":
        return {access.visibility_key(str(item["name"])): str(item["visibility"])}
    if pk.startswith("GRANT#"):
        return {access.grant_key(pk[len("GRANT#") :], sk): str(int(item.get("expires_at") or 0))}
    # Only API keys read; minted trusted-publishing tokens are upload-only.
    if (
        pk.startswith("KEY#")
        and sk == "KEY"
        and item.get("kind") == "api"
        and not item.get("revoked")
        and not item.get("suspended")  # a suspended user's keys read nothing
    ):
        return {access.token_key(pk[len("KEY#") :]): str(int(item.get("expires_at") or 0))}
    return {}


def changes(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> tuple[dict[str, str], list[str]]:
    """(puts, deletes) that bring the edge from ``old`` to ``new`` for one item."""
    before, after = entries_for_item(old), entries_for_item(new)
    puts = {k: v for k, v in after.items() if before.get(k) != v}
    deletes = [k for k in before if k not in after]
    return puts, deletes


class KvsEdgeStore:
    """Writes to the CloudFront KeyValueStore (needs awscrt for SigV4A)."""

    def __init__(self, client: Any, kvs_arn: str) -> None:
        self.client = client
        self.arn = kvs_arn

    def mirror(self, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[str]:
        """Bring the store in step with one changed table item; return the keys touched."""
        puts, deletes = changes(old, new)
        if puts or deletes:
            self.apply(puts, deletes)
        return sorted([*puts, *deletes])

    def apply(self, puts: Mapping[str, str], deletes: list[str]) -> None:
        items = [("put", k, v) for k, v in puts.items()] + [("del", k, "") for k in deletes]
        for start in range(0, len(items), _KVS_BATCH):
            self._update(items[start : start + _KVS_BATCH])

    def _update(self, batch: list[tuple[str, str, str]]) -> None:
        for attempt in range(5):
            try:
                etag = self.client.describe_key_value_store(KvsARN=self.arn)["ETag"]
                args: dict[str, Any] = {"KvsARN": self.arn, "IfMatch": etag}
                puts = [{"Key": k, "Value": v} for op, k, v in batch if op == "put"]
                deletes = [{"Key": k} for op, k, _ in batch if op == "del"]
                if puts:
                    args["Puts"] = puts
                if deletes:
                    args["Deletes"] = deletes
                self.client.update_keys(**args)
                return
            except ClientError as exc:
                # Another writer moved the store's ETag: read it again and retry.
                if error_code(exc) in ("ConflictException", "PreconditionFailed") and attempt < 4:
                    time.sleep(0.1 * (attempt + 1))
                    continue
                raise unavailable(exc, "KeyValueStore UpdateKeys") from exc
            except BotoCoreError as exc:
                raise unavailable(exc, "KeyValueStore UpdateKeys") from exc


class DynamoEdgeView(DynamoTable):
    """``EdgeData`` read straight from the table: what the KeyValueStore would hold."""

    def get(self, key: str) -> str | None:
        kind, _, rest = key.partition(":")
        if kind == "c":
            item = self._get(schema.channel_key(rest))
        elif kind == "r":
            channel, _, token_hash = rest.partition(":")
            item = self._get(schema.grant_key(channel, token_hash))
        elif kind == "t":
            item = self._get(schema.token_key(rest))
        else:
            return None
        return entries_for_item(item).get(key)
