"""DynamoDB side of sign-in accounts: provider subjects, username claims, suspension,
member search and the account audit log (the ``Accounts`` port).

Items (keys in schema.py): SUB (a signed-in identity -> its username once chosen),
USER (+ sub, suspended, and the username index attributes), ACCOUNT_AUDIT.

Search uses the sparse ``gsi1``: only users who signed in and chose a name, and are
not suspended, carry ``schema.username_gsi``; a prefix query reads at most one page of
that shard (never a scan).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterable
from typing import Any, Final

from botocore.exceptions import ClientError

from rillet.adapters import schema
from rillet.adapters.dynamodb import DynamoTable, _cancelled_for_condition, _item, _plain
from rillet.core.accounts import AuditEvent, User
from rillet.core.errors import Conflict, InvalidRequest, NotFound

ACCOUNT_AUDIT_PK: Final = schema.account_audit_pk()


class DynamoAccounts(DynamoTable):
    # -- provider subjects ------------------------------------------------------
    def sign_in(self, sub: str, now_iso: str) -> tuple[str | None, bool]:
        """(username or None, first sight of this subject)."""
        item = self._get(schema.sub_key(sub))
        if item is not None:
            return item.get("user"), False
        try:
            self._call(
                "put_item",
                Item=_item(
                    {**schema.sub_key(sub), "kind": "sub", "sub": sub, "created_at": now_iso}
                ),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError:  # a concurrent first request won: read its answer
            again = self._get(schema.sub_key(sub)) or {}
            return again.get("user"), False
        return None, True

    def claim_name(self, sub: str, user: User) -> None:
        """Bind ``sub`` to a new user ``user.name``, atomically; raises Conflict."""
        user_item = {
            **schema.user_key(user.name),
            "kind": "user",
            **user.to_json(),
            "sub": sub,
            "suspended": False,
            **schema.username_gsi(user.name),
        }
        try:
            self._transact(
                [
                    {
                        "Put": {
                            "Item": _item(user_item),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "Key": _item(schema.sub_key(sub)),
                            "UpdateExpression": "SET #u = :n",
                            "ConditionExpression": (
                                "attribute_exists(pk) AND attribute_not_exists(#u)"
                            ),
                            "ExpressionAttributeNames": {"#u": "user"},
                            "ExpressionAttributeValues": _item({":n": user.name}),
                        }
                    },
                ]
            )
        except ClientError as exc:
            failed = _cancelled_for_condition(exc)
            if failed and failed[0]:
                raise Conflict(f"the username {user.name} is taken", code="username-taken") from exc
            raise Conflict("a username was already chosen", code="username-chosen") from exc

    # -- users' state -----------------------------------------------------------
    def user_state(self, name: str) -> dict[str, Any]:
        item = self._get(schema.user_key(name))
        if item is None:
            raise NotFound(f"no user named {name}", code="user-not-found")
        return item

    def is_suspended(self, name: str) -> bool:
        item = self._get(schema.user_key(name))
        return bool(item and item.get("suspended"))

    def set_suspended(self, name: str, suspended: bool) -> None:
        """Suspended users leave the search index; reinstated signed-in users return to it."""
        state = self.user_state(name)
        if suspended:
            expression = "SET suspended = :s REMOVE #g, #gs"
            values: dict[str, Any] = {":s": True}
        elif state.get("sub"):
            expression = "SET suspended = :s, #g = :g, #gs = :n"
            values = {":s": False, ":g": schema.username_shard(name), ":n": name}
        else:
            expression = "SET suspended = :s"
            values = {":s": False}
        names = {"#g": schema.GSI1_PK, "#gs": schema.GSI1_SK}
        used = {k: v for k, v in names.items() if k in expression}
        self._call(
            "update_item",
            Key=_item(schema.user_key(name)),
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames=used,
            ExpressionAttributeValues=_item(values),
        )

    def set_keys_suspended(
        self, user: str, keys: Iterable[tuple[str, str]], suspended: bool
    ) -> None:
        """Flag each (key id, token hash): the auth item (API + edge) and the listing item."""
        for key_id, token_hash in keys:
            for key in (schema.token_key(token_hash), schema.user_key_ref(user, key_id)):
                try:
                    self._call(
                        "update_item",
                        Key=_item(key),
                        UpdateExpression="SET suspended = :s",
                        # Revoked keys have no auth item any more: never recreate one.
                        ConditionExpression="attribute_exists(pk)",
                        ExpressionAttributeValues=_item({":s": suspended}),
                    )
                except ClientError:
                    continue

    # -- search -----------------------------------------------------------------
    def search(self, prefix: str, limit: int) -> list[str]:
        response = self._call(
            "query",
            IndexName=schema.GSI1,
            KeyConditionExpression="gsi1pk = :p AND begins_with(gsi1sk, :q)",
            ExpressionAttributeValues=_item({":p": schema.username_shard(prefix), ":q": prefix}),
            Limit=limit,
        )
        return [str(_plain(i)["gsi1sk"]) for i in response.get("Items", [])]

    # -- audit ------------------------------------------------------------------
    def append_event(self, event: AuditEvent) -> None:
        item = {
            schema.PK: ACCOUNT_AUDIT_PK,
            schema.SK: schema.audit_sk(event.at, secrets.token_hex(4)),
            "kind": "audit",
            "at": event.at,
            "actor": event.actor,
            "action": event.action,
            "details": json.dumps(dict(event.details), sort_keys=True),
        }
        self._call("put_item", Item=_item(item), ConditionExpression="attribute_not_exists(pk)")

    def list_events(self, limit: int, cursor: str | None) -> tuple[list[AuditEvent], str | None]:
        kwargs: dict[str, Any] = {}
        if cursor:
            try:
                start = json.loads(base64.urlsafe_b64decode(cursor))
                if not isinstance(start, dict) or start.get("pk") != {"S": ACCOUNT_AUDIT_PK}:
                    raise ValueError(cursor)
            except ValueError:
                raise InvalidRequest("invalid cursor", code="invalid-cursor") from None
            kwargs["ExclusiveStartKey"] = start
        response = self._call(
            "query",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=_item({":pk": ACCOUNT_AUDIT_PK}),
            ScanIndexForward=False,  # newest first
            Limit=limit,
            **kwargs,
        )
        events = [
            AuditEvent("", i["at"], i["actor"], i["action"], json.loads(i["details"]))
            for i in map(_plain, response.get("Items", []))
        ]
        last = response.get("LastEvaluatedKey")
        next_cursor = base64.urlsafe_b64encode(json.dumps(last).encode()).decode() if last else None
        return events, next_cursor
