"""Trusted publishers and the OIDC replay guard in DynamoDB.

Items (keys in schema.py): PUBLISHER (the owner's view, in the channel's partition),
PUBLISHER_LOOKUP (the same, found by claim) and JTI (a used token id, ttl).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any
from urllib.parse import urlparse

from botocore.exceptions import ClientError

from rillet.adapters import schema
from rillet.adapters.dynamodb import DynamoTable, _item, channel_check
from rillet.core.errors import NotFound
from rillet.core.oidc import Publisher


def _lookup_pk(provider: str, issuer: str, lookup: str) -> str:
    return schema.publisher_lookup_pk(provider, urlparse(issuer).netloc, lookup)


def _from_item(item: dict[str, Any]) -> Publisher:
    data = json.loads(item["publisher"])
    data["name_patterns"] = tuple(data.get("name_patterns") or ())
    data["subdirs"] = tuple(data.get("subdirs") or ())
    data["last_used_at"] = item.get("last_used_at", "")
    return Publisher(**data)


class DynamoPublishers(DynamoTable):
    def put(self, publisher: Publisher, incarnation: str | None = None) -> None:
        """Raises NotFound unless the channel is live (as ``incarnation``, when given):
        a publisher added while its channel was deleted must not outlive it."""
        data = {k: v for k, v in publisher.__dict__.items() if k != "last_used_at"}
        body = json.dumps(data, sort_keys=True)
        own = schema.publisher_key(publisher.channel, publisher.id)
        found = schema.publisher_lookup_key(
            publisher.provider,
            urlparse(publisher.issuer).netloc,
            publisher.lookup,
            publisher.channel,
            publisher.id,
        )
        try:
            self._transact(
                [
                    {
                        "Put": {
                            "Item": _item(
                                {
                                    **own,
                                    "kind": "publisher",
                                    "publisher": body,
                                    "ref": json.dumps(found),
                                }
                            ),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": {"Item": _item({**found, "kind": "publisher-ref", "publisher": body})}},
                    channel_check(publisher.channel, incarnation),
                ]
            )
        except ClientError as exc:
            failed = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
            if len(failed) > 2 and failed[2] == "ConditionalCheckFailed":
                raise NotFound(
                    f"no channel named {publisher.channel}", code="channel-not-found"
                ) from exc
            raise

    def for_channel(self, channel: str) -> list[Publisher]:
        return [_from_item(i) for i in self._query(*schema.PUBLISHER.query(channel=channel))]

    def get(self, channel: str, publisher_id: str) -> Publisher | None:
        """The channel's publisher as it is now (None once removed)."""
        item = self._get(schema.publisher_key(channel, publisher_id))
        return _from_item(item) if item is not None else None

    def delete(self, channel: str, publisher_id: str) -> Publisher:
        own = schema.publisher_key(channel, publisher_id)
        item = self._get(own)
        if item is None:
            raise NotFound(
                f"no publisher {publisher_id} on channel {channel}", code="publisher-not-found"
            )
        self._transact(
            [{"Delete": {"Key": _item(own)}}, {"Delete": {"Key": _item(json.loads(item["ref"]))}}]
        )
        return _from_item(item)

    def candidates(self, provider: str, issuer: str, lookup: str) -> list[Publisher]:
        found = []
        for ref in self._query(_lookup_pk(provider, issuer, lookup), ""):
            # The owner's item is the truth: a lookup entry whose publisher is gone (removed
            # mid-way, or its channel deleted and the name taken again) grants nothing.
            found_at = schema.PUBLISHER_LOOKUP.decode(ref[schema.PK], ref[schema.SK])
            own = self._get(schema.publisher_key(found_at["channel"], found_at["publisher_id"]))
            if own is not None:
                found.append(_from_item(own))
        return [p for p in found if p.issuer == issuer]

    def touch(self, publisher: Publisher, now_iso: str) -> None:
        """Note the last use; a publisher removed since it matched is left alone."""
        # Only ConditionalCheckFailed reaches here as a ClientError (the rest is Unavailable).
        with contextlib.suppress(ClientError):
            self._call(
                "update_item",
                Key=_item(schema.publisher_key(publisher.channel, publisher.id)),
                UpdateExpression="SET last_used_at = :t",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=_item({":t": now_iso}),
            )

    def remember_jti(self, issuer: str, jti: str, expires_at: int, now: int) -> bool:
        """Atomically record a used token id; False if it was seen before (a replay)."""
        try:
            self._call(
                "put_item",
                Item=_item(
                    {
                        **schema.jti_key(issuer, jti),
                        "kind": "jti",
                        schema.TTL_ATTRIBUTE: expires_at,
                        "expires_at": expires_at,
                    }
                ),
                # TTL deletion is lazy: an expired record still present must not block.
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                ExpressionAttributeValues=_item({":now": now}),
            )
        except ClientError:
            return False
        return True
