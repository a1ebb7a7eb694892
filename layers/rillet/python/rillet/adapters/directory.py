"""DynamoDB implementations of the Directory and AuditLog ports."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from rillet.adapters import schema
from rillet.adapters.dynamodb import (
    DynamoTable,
    _item,
    _plain,
    channel_check,
    live_channel_condition,
    member_puts,
)
from rillet.adapters.errors import error_code
from rillet.core.accounts import ApiKey, AuditEvent, Grant, Member, User
from rillet.core.errors import Conflict, InvalidRequest, NotFound
from rillet.core.models import LEGACY_INCARNATION
from rillet.core.policy import Role, Scope


def _key_from_item(item: dict[str, Any]) -> ApiKey:
    channels = item.get("channels")
    limits = item.get("publish_limits")
    return ApiKey(
        key_id=item["key_id"],
        user=item["user"],
        token_hash=item["token_hash"],
        scope=Scope(item["scope"]),
        created_at=item.get("created_at", ""),
        channels=frozenset(channels) if channels is not None else None,
        expires_at=int(item["expires_at"]) if item.get("expires_at") is not None else None,
        description=item.get("description", ""),
        revoked=bool(item.get("revoked", False)),
        kind=item.get("kind", "api"),
        publish_limits=json.loads(limits) if limits else None,
        incarnations=json.loads(item["incarnations"]) if item.get("incarnations") else None,
        suspended=bool(item.get("suspended", False)),
        publisher_identity=json.loads(item["publisher_identity"])
        if item.get("publisher_identity")
        else None,
    )


def _key_attributes(key: ApiKey) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "user": key.user,
        "token_hash": key.token_hash,
        "scope": key.scope.value,
        "created_at": key.created_at,
        "channels": sorted(key.channels) if key.channels is not None else None,
        "expires_at": key.expires_at,
        "description": key.description,
        "revoked": key.revoked,
        "kind": key.kind,
        "publish_limits": json.dumps(key.publish_limits, sort_keys=True)
        if key.publish_limits is not None
        else None,
        "incarnations": json.dumps(dict(key.incarnations), sort_keys=True)
        if key.incarnations is not None
        else None,
        "publisher_identity": json.dumps(dict(key.publisher_identity), sort_keys=True)
        if key.publisher_identity is not None
        else None,
    }


class DynamoDirectory(DynamoTable):
    # -- users ------------------------------------------------------------------
    def create_user(self, user: User) -> None:
        item = {**schema.user_key(user.name), "kind": "user", **user.to_json()}
        try:
            self._call("put_item", Item=_item(item), ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            raise Conflict(f"a user named {user.name} already exists", code="user-exists") from exc

    def get_user(self, name: str) -> User:
        item = self._get(schema.user_key(name))
        if item is None:
            raise NotFound(f"no user named {name}", code="user-not-found")
        return User(
            item["name"],
            item.get("created_at", ""),
            item.get("created_by", ""),
            suspended=bool(item.get("suspended", False)),
        )

    # -- keys -------------------------------------------------------------------
    def put_key(self, key: ApiKey, ttl: int | None = None) -> None:
        attrs = _key_attributes(key)
        auth_item = {**schema.token_key(key.token_hash), **attrs}  # kind: api | minted
        if ttl is not None:
            auth_item[schema.TTL_ATTRIBUTE] = ttl
        items = [
            {"Put": {"Item": _item(auth_item), "ConditionExpression": "attribute_not_exists(pk)"}}
        ]
        if key.kind == "api":
            ref = {**schema.user_key_ref(key.user, key.key_id), "kind": "keyref", **attrs}
            items.append({"Put": {"Item": _item(ref)}})
        try:
            self._transact(items)
        except ClientError as exc:
            raise Conflict("token collision; try again") from exc

    def key_by_hash(self, token_hash: str) -> ApiKey | None:
        item = self._get(schema.token_key(token_hash))
        return _key_from_item(item) if item else None

    def list_keys(self, user: str) -> list[ApiKey]:
        return [_key_from_item(i) for i in self._query(*schema.KEY_REF.query(user=user))]

    def revoke_key(self, user: str, key_id: str) -> ApiKey:
        ref = self._get(schema.user_key_ref(user, key_id))
        if ref is None:
            raise NotFound(f"no key {key_id}", code="key-not-found")
        key = _key_from_item(ref)
        # The auth item goes first: from this moment the API refuses the token.
        self._call("delete_item", Key=_item(schema.token_key(key.token_hash)))
        self._call(
            "update_item",
            Key=_item(schema.user_key_ref(user, key_id)),
            UpdateExpression="SET revoked = :t",
            ExpressionAttributeValues=_item({":t": True}),
        )
        return ApiKey(**{**key.__dict__, "revoked": True})

    # -- members ----------------------------------------------------------------
    def get_role(self, channel: str, user: str) -> Role | None:
        item = self._get(schema.member_key(channel, user))
        return Role(item["role"]) if item else None

    def list_members(self, channel: str) -> list[Member]:
        return [
            Member(
                channel, i["user"], Role(i["role"]), i.get("added_by", ""), i.get("added_at", "")
            )
            for i in self._query(*schema.MEMBER.query(channel=channel))
        ]

    def memberships(self, user: str) -> dict[str, Role]:
        return {
            i["channel"]: Role(i["role"]) for i in self._query(*schema.MEMBERSHIP.query(user=user))
        }

    def put_member(
        self, member: Member, *, expect_role: Role | bool | None = False, owner_delta: int = 0
    ) -> None:
        put, reverse = member_puts(member)
        if expect_role is None:
            put["Put"]["ConditionExpression"] = "attribute_not_exists(pk)"
        elif isinstance(expect_role, Role):
            put["Put"]["ConditionExpression"] = "#r = :expected"
            put["Put"]["ExpressionAttributeNames"] = {"#r": "role"}
            put["Put"]["ExpressionAttributeValues"] = _item({":expected": expect_role.value})
        self._member_transaction(member.channel, [put, reverse], owner_delta)

    def remove_member(
        self, channel: str, user: str, *, expect_role: Role, owner_delta: int = 0
    ) -> None:
        self._member_transaction(
            channel,
            [
                {
                    "Delete": {
                        "Key": _item(schema.member_key(channel, user)),
                        "ConditionExpression": "#r = :expected",
                        "ExpressionAttributeNames": {"#r": "role"},
                        "ExpressionAttributeValues": _item({":expected": expect_role.value}),
                    }
                },
                {"Delete": {"Key": _item(schema.membership_key(user, channel))}},
            ],
            owner_delta,
        )

    def _member_transaction(
        self, channel: str, items: list[dict[str, Any]], owner_delta: int
    ) -> None:
        # The channel's owner count moves in the same transaction as the membership,
        # so two owners demoting each other at once cannot leave the channel ownerless.
        live, names, _ = live_channel_condition(None)  # not into a channel being deleted
        update: dict[str, Any] = {
            "Key": _item(schema.channel_key(channel)),
            "UpdateExpression": "ADD owner_count :d",
            "ConditionExpression": live,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": _item({":d": owner_delta}),
        }
        if owner_delta < 0:
            update["ConditionExpression"] = f"{live} AND owner_count > :one"
            update["ExpressionAttributeValues"] = _item({":d": owner_delta, ":one": 1})
        try:
            self._transact([*items, {"Update": update}])
        except ClientError as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
            if owner_delta < 0 and reasons and reasons[-1] == "ConditionalCheckFailed":
                raise Conflict("a channel must keep at least one owner", code="last-owner") from exc
            raise Conflict("the membership changed meanwhile; retry") from exc

    # -- grants -----------------------------------------------------------------
    def put_grants(self, grants: Iterable[Grant]) -> None:
        requests = []
        for g in grants:
            item: dict[str, Any] = {
                **schema.grant_key(g.channel, g.token_hash),
                "kind": "grant",
                "channel": g.channel,
                "token_hash": g.token_hash,
                "expires_at": g.expires_at or 0,
                "user": g.user,
                "key_id": g.key_id,
            }
            if g.expires_at:
                item[schema.TTL_ATTRIBUTE] = g.expires_at
            requests.append({"PutRequest": {"Item": _item(item)}})
        self._batch_write(requests)

    def delete_grants(self, grants: Iterable[tuple[str, str]]) -> None:
        self._batch_write(
            [{"DeleteRequest": {"Key": _item(schema.grant_key(c, h))}} for c, h in set(grants)]
        )

    def channel_grants(self, channel: str) -> list[Grant]:
        return [
            Grant(
                channel,
                schema.GRANT.decode(i[schema.PK], i[schema.SK])["token_hash"],
                int(i["expires_at"]) or None,
                i.get("user", ""),
                i.get("key_id", ""),
            )
            for i in self._query(*schema.GRANT.query(channel=channel))
        ]


class DynamoAuditLog(DynamoTable):
    """Append-only: events are only ever put with a fresh sort key, never updated."""

    def _incarnation(self, channel: str) -> str | None:
        item = self._get(schema.channel_key(channel))
        if item is None or item.get("lifecycle"):
            return None
        return str(item.get("incarnation", LEGACY_INCARNATION))

    def append(self, event: AuditEvent) -> None:
        """Into the log of the event's channel incarnation (by default the live one), and
        only while that incarnation is live: a late write for a deleted channel is dropped
        rather than landing in the log of a channel re-created under its name."""
        incarnation = event.incarnation or self._incarnation(event.channel)
        if incarnation is None:
            return  # the channel is gone, and its log with it
        item = {
            schema.PK: schema.audit_pk(event.channel, incarnation),
            schema.SK: schema.audit_sk(event.at, secrets.token_hex(4)),
            "kind": "audit",
            "at": event.at,
            "actor": event.actor,
            "action": event.action,
            "details": json.dumps(dict(event.details), sort_keys=True),
        }
        try:
            self._transact(
                [
                    {
                        "Put": {
                            "Item": _item(item),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    channel_check(event.channel, incarnation),
                ]
            )
        except ClientError:
            return  # that incarnation is no longer live (the id collision cannot recur)

    def list(
        self, channel: str, limit: int, cursor: str | None
    ) -> tuple[list[AuditEvent], str | None]:
        incarnation = self._incarnation(channel)
        if incarnation is None:
            return [], None
        pk = schema.audit_pk(channel, incarnation)
        kwargs: dict[str, Any] = {}
        if cursor:
            kwargs["ExclusiveStartKey"] = _audit_cursor(cursor, pk)
        response = self._call(
            "query",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=_item({":pk": pk}),
            ScanIndexForward=False,  # newest first
            Limit=limit,
            **kwargs,
        )
        events = [
            AuditEvent(channel, i["at"], i["actor"], i["action"], json.loads(i["details"]))
            for i in map(_plain, response.get("Items", []))
        ]
        last = response.get("LastEvaluatedKey")
        next_cursor = base64.urlsafe_b64encode(json.dumps(last).encode()).decode() if last else None
        return events, next_cursor


def _audit_cursor(cursor: str, pk: str) -> dict[str, Any]:
    """The start key a cursor we handed out encodes; anything else is the caller's mistake
    (and a key of another partition must never be passed on to the query)."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, RecursionError):  # binascii.Error, UnicodeError, JSONDecodeError
        key = None
    if (
        not isinstance(key, dict)
        or set(key) != {"pk", "sk"}
        or key["pk"] != {"S": pk}
        or not isinstance(key["sk"], dict)
        or set(key["sk"]) != {"S"}
        or not isinstance(key["sk"]["S"], str)
        or not 0 < len(key["sk"]["S"]) <= 200
    ):
        raise InvalidRequest("invalid cursor")
    return key


__all__ = ["DynamoAuditLog", "DynamoDirectory", "error_code"]
