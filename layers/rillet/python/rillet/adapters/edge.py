"""The edge's view of access data: CloudFront KeyValueStore writes, and a DynamoDB
read view with the same keys for the local stack.

Keys and values are those ``rillet.core.access`` (and ``infra/edge``) read:
``c:<channel>`` -> ``private`` (private channels only), ``r:<channel>:<token sha256>`` -> expiry,
``t:<token sha256>`` -> expiry of a known read-capable token (0 = none),
``u:<token sha256>`` -> ``<expiry>:<user>`` for a key not limited to channels, and
``m:<channel>:<user>`` -> role per membership: such keys read through their user's
memberships, so they cost one entry per key plus one per membership, not one per
key x membership. Channel-limited keys keep per-key ``r:`` grants (GRANT items).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from rillet.adapters import schema
from rillet.adapters.dynamodb import DynamoTable
from rillet.adapters.errors import error_code, unavailable
from rillet.core import access

_KVS_BATCH = 50  # UpdateKeys accepts at most 50 puts + deletes per call
# CloudFront KeyValueStore's limit for the whole store (keys + values); past it every
# write fails, edge_sync's stream stalls and no change reaches the edge.
KVS_MAX_BYTES = 5 * 1024 * 1024
# Told the store's size after every write: (total bytes, item count). The runtime
# publishes it as the metric infra/aws/monitoring alarms on before the 5 MB limit.
SizeObserver = Callable[[int, int], None]


def entry_bytes(entries: Mapping[str, str]) -> int:
    """What entries cost against the store's 5 MB: UTF-8 bytes of keys and values."""
    return sum(len(k.encode()) + len(v.encode()) for k, v in entries.items())


def entries_for_item(item: Mapping[str, Any] | None) -> dict[str, str]:
    """The edge entries a table item stands for (empty for items the edge ignores)."""
    if not item:
        return {}
    pk, sk = str(item.get(schema.PK, "")), str(item.get(schema.SK, ""))
    if schema.CHANNEL.parse(pk, sk) is not None:
        # Public channels have no entry: the read rule forwards an unknown channel, and the
        # store stays small (5 MB for everything).
        if item.get("visibility") == "public":
            return {}
        return {access.visibility_key(str(item["name"])): str(item["visibility"])}
    if (member := schema.MEMBER.parse(pk, sk)) is not None:
        role = str(item.get("role") or "member")
        return {access.member_key(member["channel"], member["user"]): role}
    if (grant := schema.GRANT.parse(pk, sk)) is not None:
        until = str(int(item.get("expires_at") or 0))
        return {access.grant_key(grant["channel"], grant["token_hash"]): until}
    # Only API keys read; minted trusted-publishing tokens are upload-only.
    token = schema.TOKEN.parse(pk, sk)
    if (
        token is not None
        and item.get("kind") == "api"
        and not item.get("revoked")
        and not item.get("suspended")  # a suspended user's keys read nothing
    ):
        token_hash, expiry = token["token_hash"], item.get("expires_at")
        entries = {access.token_key(token_hash): str(int(expiry or 0))}
        if item.get("channels") is None and item.get("user"):
            # Not limited to channels: reads wherever its user is a member (m: entries).
            entries[access.user_key(token_hash)] = access.user_value(expiry, str(item["user"]))
        return entries
    return {}


def changes(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> tuple[dict[str, str], list[str]]:
    """(puts, deletes) that bring the edge from ``old`` to ``new`` for one item."""
    before, after = entries_for_item(old), entries_for_item(new)
    puts = {k: v for k, v in after.items() if before.get(k) != v}
    deletes = [k for k in before if k not in after]
    if _is_channel(old) and new is None:
        # A deleted private channel keeps its 'private' entry (a tombstone): whatever of its
        # files a racing write leaves behind stays unreadable. Re-creating the name as
        # public removes it (below); as private, it is rewritten.
        deletes = [k for k in deletes if not k.startswith("c:")]
    if _is_channel(new) and new is not None and new.get("visibility") == "public":
        key = access.visibility_key(str(new["name"]))
        if key not in deletes:
            deletes.append(key)  # a flip, or a tombstone from an earlier life of the name
    return puts, deletes


def _is_channel(item: Mapping[str, Any] | None) -> bool:
    if not item:
        return False
    return (
        schema.CHANNEL.parse(str(item.get(schema.PK, "")), str(item.get(schema.SK, ""))) is not None
    )


class KvsEdgeStore:
    """Writes to the CloudFront KeyValueStore (needs awscrt for SigV4A)."""

    def __init__(self, client: Any, kvs_arn: str, on_size: SizeObserver | None = None) -> None:
        self.client = client
        self.arn = kvs_arn
        self.on_size = on_size

    def mirror(self, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[str]:
        """Bring the store in step with one changed table item; return the keys touched."""
        puts, deletes = changes(old, new)
        if puts or deletes:
            self.apply(puts, deletes)
        return sorted([*puts, *deletes])

    def apply(self, puts: Mapping[str, str], deletes: list[str]) -> None:
        # Only delete what is there: a public channel's delete of its (maybe absent) entry
        # must not fail the batch and stall the stream.
        deletes = [k for k in deletes if self._exists(k)]
        items = [("put", k, v) for k, v in puts.items()] + [("del", k, "") for k in deletes]
        for start in range(0, len(items), _KVS_BATCH):
            self._update(items[start : start + _KVS_BATCH])

    def _exists(self, key: str) -> bool:
        try:
            self.client.get_key(KvsARN=self.arn, Key=key)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return False
            raise unavailable(exc, "KeyValueStore GetKey") from exc
        except BotoCoreError as exc:
            raise unavailable(exc, "KeyValueStore GetKey") from exc
        return True

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
                result = self.client.update_keys(**args)
                if self.on_size is not None and "TotalSizeInBytes" in result:
                    self.on_size(int(result["TotalSizeInBytes"]), int(result.get("ItemCount", 0)))
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
        elif kind == "m":
            channel, _, user = rest.partition(":")
            item = self._get(schema.member_key(channel, user))
        elif kind == "r":
            channel, _, token_hash = rest.partition(":")
            item = self._get(schema.grant_key(channel, token_hash))
        elif kind in ("t", "u"):
            item = self._get(schema.token_key(rest))
        else:
            return None
        return entries_for_item(item).get(key)
