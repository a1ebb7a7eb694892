"""DynamoDB implementation of the Catalog port (single table, see schema.py)."""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from rillet.adapters import schema
from rillet.adapters.errors import error_code, unavailable
from rillet.core.accounts import Member, utc_iso
from rillet.core.errors import Conflict, InvalidName, InvalidRequest, NotFound, Unavailable
from rillet.core.models import (
    LEGACY_INCARNATION,
    Channel,
    PendingChange,
    StoredPackage,
    SubdirContents,
    SubdirState,
    Upload,
    UploadStatus,
    Visibility,
    Yank,
)
from rillet.core.names import (
    case_variant,
    case_variant_prefixes,
    parse_package_filename,
    validate_subdir,
)
from rillet.core.releases import Member as ReleaseMember
from rillet.core.releases import MemberConflict, Release, ReleaseStatus, member_key

_ser = TypeSerializer()
_de = TypeDeserializer()

CLAIMED = "claimed"
PUBLISHED = "published"
# A channel item's ``lifecycle``: absent while live; "deleting" while a delete removes its
# files and records (the name can be neither used nor re-created); "deleted" once done:
# a tombstone that reads as a private channel at the edge (leftovers stay unreadable) and
# that a new creation of the name replaces. TTL removes tombstones after a day.
DELETING = "deleting"
DELETED = "deleted"
TOMBSTONE_RETENTION_SECONDS = 24 * 3600


def _record_of(raw: dict[str, Any]) -> dict[str, Any]:
    """The repodata record of a raw package item, with its indexed_timestamp."""
    record: dict[str, Any] = json.loads(raw["record"]["S"])
    if "indexed_timestamp" in raw:
        record["indexed_timestamp"] = int(raw["indexed_timestamp"]["N"])
    return record


def _take(
    raw: dict[str, Any],
    records: dict[str, dict[str, Any]],
    removed: set[str],
    yanked: set[str],
) -> None:
    """Sort one raw item of a packages partition into published records, removed and
    yanked filenames (claimed records are not published yet)."""
    pk, sk = raw[schema.PK]["S"], raw[schema.SK]["S"]
    gone = schema.REMOVED.parse(pk, sk)
    if gone is not None:
        removed.add(gone["filename"])
        return
    package = schema.PACKAGE.parse(pk, sk)
    if package is not None and raw.get("state", {}).get("S") == PUBLISHED:
        records[package["filename"]] = _record_of(raw)
        if "yanked_reason" in raw:
            yanked.add(package["filename"])


def _yank_of(item: dict[str, Any]) -> Yank | None:
    """The yank of a (plain) package item, if it is yanked."""
    if "yanked_reason" not in item:
        return None
    return Yank(
        str(item["yanked_reason"]), str(item.get("yanked_by", "")), str(item.get("yanked_at", ""))
    )


def _bump_counter(channel: str, subdir: str, now_ms: int) -> dict[str, Any]:
    """The transaction step that counts one more change of the subdir."""
    return {
        "Update": {
            "Key": _item(schema.subdir_key(channel, subdir)),
            "UpdateExpression": (
                "ADD change_seq :one SET indexed_seq = if_not_exists(indexed_seq, :zero), "
                "changed_at = :now"
            ),
            "ExpressionAttributeValues": _item({":one": 1, ":zero": 0, ":now": now_ms}),
        }
    }


def _change_item(channel: str, subdir: str, filename: str, mark: str) -> dict[str, Any]:
    return _item({**schema.change_key(channel, subdir, filename), "kind": "change", "mark": mark})


# Upload items outlive their URL so that status stays readable for a while.
UPLOAD_RETENTION_SECONDS = 7 * 24 * 3600
# Release items likewise: an expired or failed release still says so for a week.
RELEASE_RETENTION_SECONDS = 7 * 24 * 3600


def _item(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in data.items() if v is not None}


def _upload_item(upload: Upload) -> dict[str, Any]:
    return _item(
        {
            **schema.upload_key(upload.id),
            "kind": "upload",
            "id": upload.id,
            "channel": upload.channel,
            "filename": upload.filename,
            "sha256": upload.sha256,
            "size": upload.size,
            "subdir": upload.subdir,
            "created_by": upload.created_by,
            "created_at": upload.created_at,
            "expires_at": upload.expires_at,
            "status": upload.status.value,
            "force": upload.force,
            "key_id": upload.key_id or None,
            "key_hash": upload.key_hash or None,
            "incarnation": upload.incarnation,
            "release": upload.release or None,
            "attestation": upload.attestation,
            schema.TTL_ATTRIBUTE: upload.expires_at + UPLOAD_RETENTION_SECONDS,
        }
    )


def _upload_of(item: dict[str, Any]) -> Upload:
    return Upload(
        id=item["id"],
        channel=item["channel"],
        filename=item["filename"],
        sha256=item["sha256"],
        size=int(item["size"]),
        created_by=item.get("created_by", ""),
        created_at=item.get("created_at", ""),
        expires_at=int(item["expires_at"]),
        status=UploadStatus(item["status"]),
        subdir=item.get("subdir"),
        reason=item.get("reason"),
        message=item.get("message"),
        force=bool(item.get("force", False)),
        key_id=item.get("key_id", ""),
        key_hash=item.get("key_hash", ""),
        incarnation=str(item.get("incarnation", LEGACY_INCARNATION)),
        release=str(item.get("release", "")),
        attestation=item.get("attestation"),
    )


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _de.deserialize(v) for k, v in item.items()}


def _cancelled_for_condition(exc: ClientError) -> list[bool]:
    reasons = exc.response.get("CancellationReasons") or []
    return [r.get("Code") == "ConditionalCheckFailed" for r in reasons]


def member_puts(member: Member) -> list[dict[str, Any]]:
    attrs = {
        "channel": member.channel,
        "user": member.user,
        "role": member.role.value,
        "added_by": member.added_by,
        "added_at": member.added_at,
    }
    return [
        {
            "Put": {
                "Item": _item(
                    {**schema.member_key(member.channel, member.user), "kind": "member", **attrs}
                )
            }
        },
        {
            "Put": {
                "Item": _item(
                    {
                        **schema.membership_key(member.user, member.channel),
                        "kind": "memberof",
                        **attrs,
                    }
                )
            }
        },
    ]


def live_channel_condition(
    incarnation: str | None,
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(expression, names, values): the channel item exists, is live and is ``incarnation``."""
    expr = "attribute_exists(pk) AND attribute_not_exists(#lifecycle)"
    names = {"#lifecycle": "lifecycle"}
    values: dict[str, Any] = {}
    if incarnation == LEGACY_INCARNATION:
        expr += " AND attribute_not_exists(incarnation)"
    elif incarnation is not None:
        expr += " AND incarnation = :incarnation"
        values[":incarnation"] = incarnation
    return expr, names, values


def channel_check(channel: str, incarnation: str | None) -> dict[str, Any]:
    """A transaction item that holds only while ``channel`` is live as ``incarnation``."""
    expr, names, values = live_channel_condition(incarnation)
    check: dict[str, Any] = {
        "Key": _item(schema.channel_key(channel)),
        "ConditionExpression": expr,
        "ExpressionAttributeNames": names,
    }
    if values:
        check["ExpressionAttributeValues"] = _item(values)
    return {"ConditionCheck": check}


def channel_from_item(item: dict[str, Any]) -> Channel:
    return Channel(
        name=item["name"],
        visibility=Visibility(item["visibility"]),
        owner=item["owner"],
        description=item.get("description", ""),
        created_at=item.get("created_at", ""),
        logo_url=item.get("logo_url", ""),
        incarnation=str(item.get("incarnation", LEGACY_INCARNATION)),
    )


# BatchWriteItem / BatchGetItem may hand back part of a request unprocessed (throttling,
# size): send that part again with exponential backoff, a bounded number of times.
BATCH_WRITE_LIMIT = 25
BATCH_GET_LIMIT = 100
BATCH_ATTEMPTS = 8
_BACKOFF_BASE_S = 0.05
_BACKOFF_CAP_S = 1.0
Sleep = Callable[[float], None]


def _drain(
    send: Callable[[dict[str, Any]], dict[str, Any]],
    request: dict[str, Any],
    leftover: str,
    what: str,
    sleep: Sleep | None,
) -> Iterator[dict[str, Any]]:
    """Send ``request``, then whatever each response names under ``leftover``, until
    nothing is left; yield every response. Raises Unavailable when items are still
    unprocessed after ``BATCH_ATTEMPTS`` sends (the caller's retry starts over safely:
    puts and deletes by key are idempotent)."""
    pending = request
    for attempt in range(BATCH_ATTEMPTS):
        if attempt:
            (sleep or time.sleep)(min(_BACKOFF_BASE_S * 2 ** (attempt - 1), _BACKOFF_CAP_S))
        try:
            response = send(pending)
        except (ClientError, BotoCoreError) as exc:
            raise unavailable(exc, f"DynamoDB {what}") from exc
        yield response
        pending = response.get(leftover) or {}
        if not pending:
            return
    count = sum(len(v["Keys"]) if isinstance(v, dict) else len(v) for v in pending.values())
    raise Unavailable(
        f"DynamoDB {what} left {count} item(s) unprocessed after {BATCH_ATTEMPTS} attempts"
    )


def batch_write(
    client: Any, table: str, requests: list[dict[str, Any]], *, sleep: Sleep | None = None
) -> None:
    """Every PutRequest / DeleteRequest in ``requests``, 25 per call, retrying the
    unprocessed ones. Raises Unavailable."""
    for start in range(0, len(requests), BATCH_WRITE_LIMIT):
        chunk = {table: requests[start : start + BATCH_WRITE_LIMIT]}
        for _ in _drain(
            lambda r: client.batch_write_item(RequestItems=r),
            chunk,
            "UnprocessedItems",
            "BatchWriteItem",
            sleep,
        ):
            pass


def batch_get(
    client: Any, table: str, keys: list[dict[str, str]], *, sleep: Sleep | None = None
) -> Iterator[dict[str, Any]]:
    """The raw items at ``keys`` (consistent reads, 100 per call, missing keys skipped),
    retrying unprocessed keys. Raises Unavailable."""
    for start in range(0, len(keys), BATCH_GET_LIMIT):
        chunk = {
            table: {
                "Keys": [_item(k) for k in keys[start : start + BATCH_GET_LIMIT]],
                "ConsistentRead": True,
            }
        }
        for response in _drain(
            lambda r: client.batch_get_item(RequestItems=r),
            chunk,
            "UnprocessedKeys",
            "BatchGetItem",
            sleep,
        ):
            yield from response.get("Responses", {}).get(table, [])


class DynamoTable:
    """The table and the few primitives every DynamoDB adapter builds on."""

    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table = table_name

    def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, operation)(TableName=self.table, **kwargs)
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise
            raise unavailable(exc, f"DynamoDB {operation}") from exc
        except BotoCoreError as exc:
            raise unavailable(exc, f"DynamoDB {operation}") from exc

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        batch_write(self.client, self.table, requests)

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        response = self._call("get_item", Key=_item(key), ConsistentRead=True)
        item = response.get("Item")
        return _plain(item) if item else None

    def _transact(self, items: list[dict[str, Any]]) -> None:
        for entry in items:
            next(iter(entry.values()))["TableName"] = self.table
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if error_code(exc) == "TransactionCanceledException":
                raise
            raise unavailable(exc, "DynamoDB TransactWriteItems") from exc

    def _query(
        self, pk: str, sk_prefix: str, start_after: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of ``pk`` whose sort key starts with ``sk_prefix``, in order."""
        # DynamoDB refuses begins_with with an empty prefix: then take the whole partition.
        condition = "pk = :pk AND begins_with(sk, :prefix)" if sk_prefix else "pk = :pk"
        values = {":pk": pk, ":prefix": sk_prefix} if sk_prefix else {":pk": pk}
        paginator = self.client.get_paginator("query")
        kwargs: dict[str, Any] = {}
        if start_after is not None:
            condition = "pk = :pk AND sk > :after"
            values = {":pk": pk, ":after": sk_prefix + start_after}
        try:
            for page in paginator.paginate(
                TableName=self.table,
                KeyConditionExpression=condition,
                ExpressionAttributeValues=_item(values),
                ConsistentRead=True,
                **kwargs,
            ):
                for raw in page.get("Items", []):
                    item = _plain(raw)
                    if str(item["sk"]).startswith(sk_prefix):
                        yield item
        except ClientError as exc:
            raise unavailable(exc, "DynamoDB Query") from exc


class DynamoCatalog(DynamoTable):
    # -- channels ---------------------------------------------------------------
    def create_channel(self, channel: Channel, owner: Member | None = None) -> None:
        item = {
            **schema.channel_key(channel.name),
            "kind": "channel",
            "name": channel.name,
            "visibility": channel.visibility.value,
            "owner": channel.owner,
            "description": channel.description,
            "logo_url": channel.logo_url,
            "created_at": channel.created_at,
            "incarnation": channel.incarnation,
            **schema.channels_gsi(channel.name),
            "owner_count": 1 if owner else 0,
        }
        state = {
            **schema.subdir_key(channel.name, "noarch"),
            "change_seq": 0,
            "indexed_seq": 0,
            "sigs_backfilled": True,  # a new channel has no file from before `.sigs` existed
        }
        try:
            self._transact(
                [
                    {
                        "Put": {
                            "Item": _item(item),
                            # A tombstone gives way; a channel being deleted does not.
                            "ConditionExpression": "attribute_not_exists(pk) OR #lc = :deleted",
                            "ExpressionAttributeNames": {"#lc": "lifecycle"},
                            "ExpressionAttributeValues": _item({":deleted": DELETED}),
                        }
                    },
                    # Fresh counters for a fresh incarnation, whatever an old one left.
                    {"Put": {"Item": _item(state)}},
                    *(member_puts(owner) if owner else []),
                ]
            )
        except ClientError as exc:
            raise Conflict(
                f"a channel named {channel.name} already exists", code="channel-exists"
            ) from exc

    def get_channel(self, name: str) -> Channel:
        item = self._get(schema.channel_key(name))
        if item is None or item.get("lifecycle"):
            raise NotFound(f"no channel named {name}", code="channel-not-found")
        return channel_from_item(item)

    def live_incarnation(self, name: str) -> str | None:
        """The incarnation of the live channel ``name``; None when absent or being deleted."""
        item = self._get(schema.channel_key(name))
        if item is None or item.get("lifecycle"):
            return None
        return str(item.get("incarnation", LEGACY_INCARNATION))

    def deleting_channel(self, name: str) -> tuple[str, int] | None:
        """(incarnation, since epoch s) of a delete of ``name`` that has not finished."""
        item = self._get(schema.channel_key(name))
        if item is None or item.get("lifecycle") != DELETING:
            return None
        return (
            str(item.get("incarnation", LEGACY_INCARNATION)),
            int(item.get("deleting_since", 0)),
        )

    def begin_delete(self, name: str, incarnation: str, now: int) -> None:
        """Mark the channel as being deleted: from now on nothing publishes or indexes into it,
        nobody can re-create it, and it is no longer listed. Raises NotFound."""
        expr, names, values = live_channel_condition(incarnation)
        try:
            self._call(
                "update_item",
                Key=_item(schema.channel_key(name)),
                UpdateExpression=f"SET #lifecycle = :deleting, deleting_since = :now "
                f"REMOVE {schema.GSI1_PK}, {schema.GSI1_SK}",
                ConditionExpression=expr,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=_item({**values, ":deleting": DELETING, ":now": now}),
            )
        except ClientError as exc:
            raise NotFound(f"no channel named {name}", code="channel-not-found") from exc

    def finish_delete(self, name: str, incarnation: str, now: int) -> None:
        """Replace the item of a channel being deleted with its tombstone: the name is free."""
        tombstone = {
            **schema.channel_key(name),
            "kind": "channel",
            "name": name,
            # The edge reads a tombstone as a private channel nobody has a grant for.
            "visibility": "private",
            "owner": "",
            "lifecycle": DELETED,
            "incarnation": incarnation,
            "deleted_at": now,
            schema.TTL_ATTRIBUTE: now + TOMBSTONE_RETENTION_SECONDS,
        }
        with contextlib.suppress(ClientError):  # another delete finished it already
            self._call(
                "put_item",
                Item=_item(tombstone),
                ConditionExpression="#lc = :deleting AND "
                + (
                    "attribute_not_exists(incarnation)"
                    if incarnation == LEGACY_INCARNATION
                    else "incarnation = :inc"
                ),
                ExpressionAttributeNames={"#lc": "lifecycle"},
                ExpressionAttributeValues=_item(
                    {":deleting": DELETING}
                    | ({} if incarnation == LEGACY_INCARNATION else {":inc": incarnation})
                ),
            )

    def list_channels(self) -> Iterator[Channel]:
        paginator = self.client.get_paginator("query")
        try:
            for page in paginator.paginate(
                TableName=self.table,
                IndexName=schema.GSI1,
                KeyConditionExpression="gsi1pk = :p",
                ExpressionAttributeValues=_item({":p": schema.CHANNELS_GSI_PK}),
            ):
                for raw in page.get("Items", []):
                    yield channel_from_item(_plain(raw))
        except (ClientError, BotoCoreError) as exc:
            raise unavailable(exc, "DynamoDB Query") from exc

    def update_channel(self, channel: Channel) -> None:
        live, names, values = live_channel_condition(channel.incarnation)
        try:
            self._call(
                "update_item",
                Key=_item(schema.channel_key(channel.name)),
                UpdateExpression="SET description = :d, logo_url = :l, visibility = :v, #o = :o",
                ConditionExpression=live,
                ExpressionAttributeNames={"#o": "owner", **names},
                ExpressionAttributeValues=_item(
                    {
                        ":d": channel.description,
                        ":l": channel.logo_url,
                        ":v": channel.visibility.value,
                        ":o": channel.owner,
                        **values,
                    }
                ),
            )
        except ClientError as exc:
            raise NotFound(f"no channel named {channel.name}", code="channel-not-found") from exc

    def delete_channel_records(self, channel: str, incarnation: str) -> int:
        """Everything of ``channel`` but its item (which the caller turns into a tombstone)."""
        keys: list[dict[str, Any]] = []
        subdirs = self._query(*schema.SUBDIR.query(channel=channel))
        for subdir in [schema.SUBDIR.decode(i[schema.PK], i[schema.SK])["subdir"] for i in subdirs]:
            for pk in (schema.packages_pk(channel, subdir), schema.changes_pk(channel, subdir)):
                keys += [schema.item_key(i) for i in self._query(pk, "")]
        for member in self._query(*schema.MEMBER.query(channel=channel)):
            user = schema.MEMBER.decode(member[schema.PK], member[schema.SK])["user"]
            keys.append(schema.membership_key(user, channel))
        # Trusted publishers are also found by claim through a lookup item outside the
        # channel's partition: it must go too, or a channel re-created under this name
        # would inherit a stranger's publisher.
        publishers = self._query(*schema.PUBLISHER.query(channel=channel))
        keys += [json.loads(i["ref"]) for i in publishers]
        for pk in (
            schema.grants_pk(channel),
            schema.audit_pk(channel, incarnation),
            schema.CHANNEL.partition(channel=channel),
        ):
            # The channel item itself stays: the name is freed only when everything else
            # that belonged to it is gone.
            keys += [
                schema.item_key(i)
                for i in self._query(pk, "")
                if schema.CHANNEL.parse(i[schema.PK], i[schema.SK]) is None
            ]
        self._batch_write([{"DeleteRequest": {"Key": _item(k)}} for k in keys])
        return len(keys)

    # -- uploads ----------------------------------------------------------------
    def put_upload(self, upload: Upload) -> None:
        try:
            self._call(
                "put_item",
                Item=_upload_item(upload),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            raise Conflict(f"upload {upload.id} exists") from exc

    def get_upload(self, upload_id: str) -> Upload:
        item = self._get(schema.upload_key(upload_id))
        if item is None:
            raise NotFound(f"no upload {upload_id}", code="upload-not-found")
        return _upload_of(item)

    def start_validation(self, upload_id: str) -> bool:
        try:
            self._call(
                "update_item",
                Key=_item(schema.upload_key(upload_id)),
                UpdateExpression="SET #s = :validating",
                ConditionExpression="#s IN (:pending, :validating)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=_item(
                    {":validating": "validating", ":pending": "pending"}
                ),
            )
        except ClientError:
            return False
        return True

    def reject_upload(
        self, upload_id: str, reason: str, message: str, subdir: str | None = None
    ) -> None:
        names = {"#s": "status"}
        values: dict[str, Any] = {
            ":rejected": "rejected",
            ":published": "published",
            ":reason": reason,
            ":message": message,
        }
        update = "SET #s = :rejected, reason = :reason, message = :message"
        if subdir:
            update += ", subdir = :subdir"
            values[":subdir"] = subdir
        try:
            # A published upload is never demoted by a late duplicate delivery.
            self._call(
                "update_item",
                Key=_item(schema.upload_key(upload_id)),
                UpdateExpression=update,
                ConditionExpression="attribute_exists(pk) AND #s <> :published",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=_item(values),
            )
        except ClientError:
            return

    # -- packages ---------------------------------------------------------------
    def get_package(self, channel: str, subdir: str, filename: str) -> StoredPackage | None:
        item = self._get(schema.package_key(channel, subdir, filename))
        if item is None:
            return None
        return StoredPackage(
            channel=channel,
            subdir=subdir,
            filename=filename,
            record=json.loads(item["record"]),
            upload_id=item.get("upload_id", ""),
            yank=_yank_of(item),
        )

    def _channel_write(self, package: StoredPackage, update: dict[str, Any]) -> None:
        """One conditional update of a package item, held to the package's channel
        incarnation when it names one. Raises ClientError (first failed condition: the
        package's) or NotFound/Conflict when the channel is gone or was re-created."""
        if package.incarnation is None:
            self._call("update_item", **update)
            return
        try:
            self._transact(
                [{"Update": update}, channel_check(package.channel, package.incarnation)]
            )
        except ClientError as exc:
            failed = _cancelled_for_condition(exc)
            if len(failed) > 1 and failed[1]:
                raise self.channel_changed(package.channel) from exc
            if failed and failed[0]:
                raise
            raise unavailable(exc, "DynamoDB TransactWriteItems") from exc

    def channel_changed(self, channel: str) -> NotFound | Conflict:
        """The error for a write into an incarnation of ``channel`` that is no longer live."""
        if self.live_incarnation(channel) is None:
            return NotFound(f"channel {channel} no longer exists", code="channel-not-found")
        return Conflict(
            f"channel {channel} was deleted and re-created since this was issued",
            code="channel-replaced",
        )

    def claim_package(self, package: StoredPackage) -> None:
        key = schema.package_key(package.channel, package.subdir, package.filename)
        try:
            self._channel_write(
                package,
                {
                    "Key": _item(key),
                    "UpdateExpression": (
                        "SET upload_id = :u, #r = :r, sha256 = :h, "
                        "#st = if_not_exists(#st, :claimed)"
                    ),
                    "ConditionExpression": "attribute_not_exists(pk) OR upload_id = :u",
                    "ExpressionAttributeNames": {"#r": "record", "#st": "state"},
                    "ExpressionAttributeValues": _item(
                        {
                            ":u": package.upload_id,
                            ":r": json.dumps(package.record, sort_keys=True),
                            ":h": package.sha256,
                            ":claimed": CLAIMED,
                        }
                    ),
                },
            )
        except ClientError as exc:
            raise Conflict(
                f"{package.subdir}/{package.filename} already exists in channel {package.channel}",
                code="already-exists",
            ) from exc

    def release_claim(self, package: StoredPackage) -> None:
        key = schema.package_key(package.channel, package.subdir, package.filename)
        # A record published meanwhile, or another upload's, stays: only ours goes.
        with contextlib.suppress(ClientError):  # only a failed condition reaches here
            self._call(
                "delete_item",
                Key=_item(key),
                ConditionExpression="upload_id = :u AND #st = :claimed",
                ExpressionAttributeNames={"#st": "state"},
                ExpressionAttributeValues=_item({":u": package.upload_id, ":claimed": CLAIMED}),
            )

    def package_spellings(self, channel: str, subdir: str, name: str) -> set[str]:
        # One range read per letter, each empty unless a mixed-case record exists (names
        # are refused with upper case now, so only records from before that rule match).
        pk = schema.packages_pk(channel, subdir)
        found: set[str] = set()
        for prefix in case_variant_prefixes(name.lower()):
            for item in self._query(pk, schema.PACKAGE.sort_key(filename=prefix)):
                filename = schema.PACKAGE.decode(item[schema.PK], item[schema.SK])["filename"]
                spelling = case_variant(filename, name)
                if spelling is not None:
                    found.add(spelling)
        return found

    def publish_package(self, package: StoredPackage, now_ms: int) -> int | None:
        c, s, f = package.channel, package.subdir, package.filename
        try:
            self._transact(
                [
                    {
                        "Update": {
                            "Key": _item(schema.package_key(c, s, f)),
                            "UpdateExpression": (
                                "SET #st = :published, "
                                "indexed_timestamp = if_not_exists(indexed_timestamp, :now)"
                            ),
                            "ConditionExpression": "upload_id = :u AND #st = :claimed",
                            "ExpressionAttributeNames": {"#st": "state"},
                            "ExpressionAttributeValues": _item(
                                {
                                    ":published": PUBLISHED,
                                    ":claimed": CLAIMED,
                                    ":u": package.upload_id,
                                    ":now": now_ms,
                                }
                            ),
                        }
                    },
                    {
                        "Update": {
                            "Key": _item(schema.subdir_key(c, s)),
                            "UpdateExpression": (
                                "ADD change_seq :one "
                                "SET indexed_seq = if_not_exists(indexed_seq, :zero), "
                                "changed_at = :now"
                            ),
                            "ExpressionAttributeValues": _item(
                                {":one": 1, ":zero": 0, ":now": now_ms}
                            ),
                        }
                    },
                    {
                        "Update": {
                            "Key": _item(schema.upload_key(package.upload_id)),
                            "UpdateExpression": "SET #s = :published, subdir = :sd",
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": _item(
                                {":published": "published", ":sd": s}
                            ),
                        }
                    },
                    # A filename published again is no longer "removed".
                    {"Delete": {"Key": _item(schema.removed_key(c, s, f))}},
                    {"Put": {"Item": _change_item(c, s, f, package.upload_id)}},
                    # Never into another incarnation of the channel (nor a deleted one).
                    *([channel_check(c, package.incarnation)] if package.incarnation else []),
                ]
            )
        except ClientError as exc:
            failed = _cancelled_for_condition(exc)
            if len(failed) > 5 and failed[5]:
                raise self.channel_changed(c) from exc
            if failed and failed[0]:
                current = self.get_package(c, s, f)
                if current is not None and current.upload_id == package.upload_id:
                    return None  # already published by an earlier delivery
                raise Conflict(
                    f"{s}/{f} already exists in channel {c}", code="already-exists"
                ) from exc
            raise unavailable(exc, "DynamoDB TransactWriteItems") from exc
        return self.subdir_state(c, s).change_seq

    def replace_package(self, package: StoredPackage, previous_upload_id: str) -> None:
        key = schema.package_key(package.channel, package.subdir, package.filename)
        try:
            self._channel_write(
                package,
                {
                    "Key": _item(key),
                    # A replacement is a new artifact: it gets its own indexed_timestamp.
                    "UpdateExpression": (
                        "SET upload_id = :u, #r = :r, sha256 = :h, #st = :claimed "
                        "REMOVE indexed_timestamp"
                    ),
                    "ConditionExpression": "upload_id = :prev",
                    "ExpressionAttributeNames": {"#r": "record", "#st": "state"},
                    "ExpressionAttributeValues": _item(
                        {
                            ":u": package.upload_id,
                            ":prev": previous_upload_id,
                            ":r": json.dumps(package.record, sort_keys=True),
                            ":h": package.sha256,
                            ":claimed": CLAIMED,
                        }
                    ),
                },
            )
        except ClientError as exc:
            raise Conflict(
                f"{package.subdir}/{package.filename} changed during the overwrite; retry",
                code="write-conflict",
            ) from exc

    def removed_sha256(self, channel: str, subdir: str, filename: str) -> str | None:
        item = self._get(schema.removed_key(channel, subdir, filename))
        return str(item.get("sha256", "")) if item else None

    def remove_package(
        self, channel: str, subdir: str, filename: str, incarnation: str | None = None
    ) -> int:
        mark = secrets.token_hex(8)
        now_ms = int(time.time() * 1000)
        current = self.get_package(channel, subdir, filename)
        removed = {**schema.removed_key(channel, subdir, filename), "kind": "removed"}
        if current is not None:
            removed["sha256"] = current.sha256
        try:
            self._transact(
                [
                    {
                        "Delete": {
                            "Key": _item(schema.package_key(channel, subdir, filename)),
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {"Put": {"Item": _item(removed)}},
                    {"Put": {"Item": _change_item(channel, subdir, filename, mark)}},
                    {
                        "Update": {
                            "Key": _item(schema.subdir_key(channel, subdir)),
                            "UpdateExpression": (
                                "ADD change_seq :one "
                                "SET indexed_seq = if_not_exists(indexed_seq, :zero), "
                                "changed_at = :now"
                            ),
                            "ExpressionAttributeValues": _item(
                                {":one": 1, ":zero": 0, ":now": now_ms}
                            ),
                        }
                    },
                    *([channel_check(channel, incarnation)] if incarnation else []),
                ]
            )
        except ClientError as exc:
            failed = _cancelled_for_condition(exc)
            if len(failed) > 4 and failed[4]:
                raise self.channel_changed(channel) from exc
            if error_code(exc) == "TransactionCanceledException":
                raise NotFound(
                    f"no package {subdir}/{filename} in channel {channel}", code="package-not-found"
                ) from exc
            raise unavailable(exc, "DynamoDB TransactWriteItems") from exc
        return self.subdir_state(channel, subdir).change_seq

    def yank_package(
        self, channel: str, subdir: str, filename: str, yank: Yank, now_ms: int
    ) -> int | None:
        return self._set_yank(channel, subdir, filename, yank, now_ms)

    def unyank_package(self, channel: str, subdir: str, filename: str, now_ms: int) -> int | None:
        return self._set_yank(channel, subdir, filename, None, now_ms)

    def _set_yank(
        self, channel: str, subdir: str, filename: str, yank: Yank | None, now_ms: int
    ) -> int | None:
        """Yank (or with None unyank) a published file, as one change of the subdir."""
        if yank is not None:
            update = "SET yanked_reason = :r, yanked_by = :b, yanked_at = :a"
            condition = "#st = :published AND attribute_not_exists(yanked_reason)"
            values = {":published": PUBLISHED, ":r": yank.reason, ":b": yank.by, ":a": yank.at}
        else:
            update = "REMOVE yanked_reason, yanked_by, yanked_at"
            condition = "#st = :published AND attribute_exists(yanked_reason)"
            values = {":published": PUBLISHED}
        try:
            self._transact(
                [
                    {
                        "Update": {
                            "Key": _item(schema.package_key(channel, subdir, filename)),
                            "UpdateExpression": update,
                            "ConditionExpression": condition,
                            "ExpressionAttributeNames": {"#st": "state"},
                            "ExpressionAttributeValues": _item(values),
                        }
                    },
                    {
                        "Put": {
                            "Item": _change_item(channel, subdir, filename, secrets.token_hex(8))
                        }
                    },
                    _bump_counter(channel, subdir, now_ms),
                ]
            )
        except ClientError as exc:
            failed = _cancelled_for_condition(exc)
            if not (failed and failed[0]):
                raise unavailable(exc, "DynamoDB TransactWriteItems") from exc
            item = self._get(schema.package_key(channel, subdir, filename))
            if item is None or item.get("state") != PUBLISHED:
                raise NotFound(
                    f"no package {subdir}/{filename} in channel {channel}", code="package-not-found"
                ) from exc
            return None  # already in the asked state: no change, no rebuild
        return self.subdir_state(channel, subdir).change_seq

    def subdirs(self, channel: str) -> list[str]:
        items = self._query(*schema.SUBDIR.query(channel=channel))
        return sorted(schema.SUBDIR.decode(i[schema.PK], i[schema.SK])["subdir"] for i in items)

    def list_packages(
        self, channel: str, subdir: str | None, name: str | None, limit: int, cursor: str | None
    ) -> tuple[list[StoredPackage], str | None]:
        # Cursor: "<subdir>/<last filename>", opaque to clients.
        subdirs = [subdir] if subdir else self.subdirs(channel)
        start_subdir, _, after = (cursor or "").partition("/")
        if cursor is not None and not _valid_package_cursor(start_subdir, after):
            # Only cursors we handed out: anything else would reach DynamoDB as a key.
            raise InvalidRequest("invalid cursor")
        out: list[StoredPackage] = []
        for sd in subdirs:
            if start_subdir and sd < start_subdir:
                continue
            start = after if sd == start_subdir else None
            pk, prefix = schema.PACKAGE.query(channel=channel, subdir=sd)
            for item in self._query(pk, prefix, start_after=start):
                if item.get("state") != PUBLISHED:
                    continue
                record = json.loads(item["record"])
                if name and record.get("name", "").lower() != name.lower():
                    continue
                if "indexed_timestamp" in item:
                    record["indexed_timestamp"] = int(item["indexed_timestamp"])
                filename = schema.PACKAGE.decode(pk, item[schema.SK])["filename"]
                out.append(
                    StoredPackage(
                        channel,
                        sd,
                        filename,
                        record,
                        item.get("upload_id", ""),
                        yank=_yank_of(item),
                    )
                )
                if len(out) == limit:
                    return out, f"{sd}/{filename}"
        return out, None

    def subdir_contents(self, channel: str, subdir: str) -> SubdirContents:
        records: dict[str, dict[str, Any]] = {}
        removed: set[str] = set()
        yanked: set[str] = set()
        paginator = self.client.get_paginator("query")
        try:
            pages = paginator.paginate(
                TableName=self.table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": schema.packages_pk(channel, subdir)}},
                ConsistentRead=True,
            )
            for page in pages:
                for raw in page.get("Items", []):
                    _take(raw, records, removed, yanked)
        except ClientError as exc:
            raise unavailable(exc, "DynamoDB Query") from exc
        # A yanked file is served (its record) and listed as removed.
        return SubdirContents(records, frozenset((removed - records.keys()) | yanked))

    def pending_changes(self, channel: str, subdir: str) -> list[PendingChange]:
        return [
            PendingChange(
                schema.CHANGE.decode(i[schema.PK], i[schema.SK])["filename"], str(i["mark"])
            )
            for i in self._query(*schema.CHANGE.query(channel=channel, subdir=subdir))
        ]

    def changed_contents(
        self, channel: str, subdir: str, filenames: Iterable[str]
    ) -> SubdirContents:
        """The published records and removed marks of just ``filenames``."""
        keys = []
        for f in sorted(set(filenames)):
            keys += [schema.package_key(channel, subdir, f), schema.removed_key(channel, subdir, f)]
        records: dict[str, dict[str, Any]] = {}
        removed: set[str] = set()
        yanked: set[str] = set()
        for raw in self._batch_get(keys):
            _take(raw, records, removed, yanked)
        return SubdirContents(records, frozenset((removed - records.keys()) | yanked))

    def change_indexed(self, channel: str, subdir: str, filename: str, mark: str) -> bool:
        item = self._get(schema.change_key(channel, subdir, filename))
        return item is None or item.get("mark") != mark

    def clear_changes(self, channel: str, subdir: str, changes: Iterable[PendingChange]) -> None:
        for change in changes:
            # Only the change that was indexed: a newer one (another mark) must stay.
            with contextlib.suppress(ClientError):
                self._call(
                    "delete_item",
                    Key=_item(schema.change_key(channel, subdir, change.filename)),
                    ConditionExpression="mark = :m",
                    ExpressionAttributeValues=_item({":m": change.mark}),
                )

    def _batch_get(self, keys: list[dict[str, str]]) -> Iterator[dict[str, Any]]:
        return batch_get(self.client, self.table, keys)

    def subdir_state(self, channel: str, subdir: str) -> SubdirState:
        item = self._get(schema.subdir_key(channel, subdir)) or {}
        return SubdirState(
            channel=channel,
            subdir=subdir,
            change_seq=int(item.get("change_seq", 0)),
            indexed_seq=int(item.get("indexed_seq", 0)),
            changed_at_ms=int(item.get("changed_at", 0)),
            indexed_at_ms=int(item.get("indexed_at", 0)),
            sigs_backfilled=item.get("sigs_backfilled") is True,
        )

    def mark_indexed(
        self, channel: str, subdir: str, seq: int, now_ms: int, incarnation: str | None = None
    ) -> None:
        update = {
            "Key": _item(schema.subdir_key(channel, subdir)),
            "UpdateExpression": "SET indexed_seq = :s, indexed_at = :now",
            # Never creates the item: a deleted channel's counters must not come back.
            "ConditionExpression": (
                "attribute_exists(pk) AND (attribute_not_exists(indexed_seq) OR indexed_seq <= :s)"
            ),
            "ExpressionAttributeValues": _item({":s": seq, ":now": now_ms}),
        }
        try:
            if incarnation is None:
                self._call("update_item", **update)
            else:
                # Only the incarnation that was indexed: another one's counters are its own.
                self._transact([{"Update": update}, channel_check(channel, incarnation)])
        except ClientError:
            return  # a newer index already covers more (never go backwards), or stale

    def mark_sigs_backfilled(self, channel: str, subdir: str, incarnation: str) -> None:
        update = {
            "Key": _item(schema.subdir_key(channel, subdir)),
            "UpdateExpression": "SET sigs_backfilled = :t",
            "ConditionExpression": "attribute_exists(pk)",  # a deleted channel's stays gone
            "ExpressionAttributeValues": _item({":t": True}),
        }
        try:
            self._transact([{"Update": update}, channel_check(channel, incarnation)])
        except ClientError:
            return  # the channel went meanwhile: nothing of it to remember

    # -- releases (core/releases.py) ---------------------------------------------
    def create_release(self, release: Release) -> None:
        item = {
            **schema.release_key(release.id),
            "kind": "release",
            "id": release.id,
            "channel": release.channel,
            "incarnation": release.incarnation,
            "creator": release.creator,
            "created_by": release.created_by,
            "created_at": release.created_at,
            "expires_at": release.expires_at,
            "status": release.status.value,
            "description": release.description,
            "files": dict(release.files),
            schema.TTL_ATTRIBUTE: release.expires_at + RELEASE_RETENTION_SECONDS,
        }
        try:
            self._call("put_item", Item=_item(item), ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            raise Conflict(f"release {release.id} exists") from exc

    def get_release(self, release_id: str) -> Release:
        item = self._get(schema.release_key(release_id))
        if item is None:
            raise NotFound(f"no release {release_id}", code="release-not-found")
        return Release(
            id=str(item["id"]),
            channel=str(item["channel"]),
            incarnation=str(item.get("incarnation", LEGACY_INCARNATION)),
            creator=str(item["creator"]),
            created_by=str(item.get("created_by", "")),
            created_at=str(item.get("created_at", "")),
            expires_at=int(item["expires_at"]),
            status=ReleaseStatus(item["status"]),
            description=str(item.get("description", "")),
            files={str(k): str(v) for k, v in (item.get("files") or {}).items()},
            reason=str(item.get("reason", "")),
            message=str(item.get("message", "")),
            committed_at=str(item.get("committed_at", "")),
            commit_started=int(item.get("commit_started", 0)),
        )

    def add_release_upload(self, upload: Upload, max_files: int, now: int) -> None:
        key = member_key(upload.subdir or "", upload.filename)
        try:
            self._transact(
                [
                    {
                        "Put": {
                            "Item": _upload_item(upload),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "Key": _item(schema.release_key(upload.release)),
                            "UpdateExpression": "SET #files.#k = :u",
                            # Open, unexpired, not full, no such file yet: two presigns
                            # racing for the last place or one filename cannot both win.
                            "ConditionExpression": (
                                "#st = :open AND expires_at > :now AND channel = :c "
                                "AND size(#files) < :max AND attribute_not_exists(#files.#k)"
                            ),
                            "ExpressionAttributeNames": {
                                "#files": "files",
                                "#k": key,
                                "#st": "status",
                            },
                            "ExpressionAttributeValues": _item(
                                {
                                    ":u": upload.id,
                                    ":open": ReleaseStatus.OPEN.value,
                                    ":now": now,
                                    ":c": upload.channel,
                                    ":max": max_files,
                                }
                            ),
                        }
                    },
                ]
            )
        except ClientError as exc:
            raise Conflict(
                f"release {upload.release} changed; cannot add {key}", code="release-changed"
            ) from exc

    def hold_upload(
        self,
        upload_id: str,
        subdir: str,
        record: dict[str, Any],
        publisher: dict[str, Any] | None,
    ) -> bool:
        try:
            self._call(
                "update_item",
                Key=_item(schema.upload_key(upload_id)),
                UpdateExpression="SET #s = :validated, subdir = :sd, held_record = :r"
                + (", held_publisher = :p" if publisher is not None else ""),
                ConditionExpression="#s IN (:pending, :validating)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=_item(
                    {
                        ":validated": UploadStatus.VALIDATED.value,
                        ":pending": UploadStatus.PENDING.value,
                        ":validating": UploadStatus.VALIDATING.value,
                        ":sd": subdir,
                        ":r": json.dumps(record, sort_keys=True),
                        ":p": json.dumps(publisher, sort_keys=True) if publisher else None,
                    }
                ),
            )
        except ClientError:
            return False
        return True

    def release_members(self, release: Release) -> list[ReleaseMember]:
        keys = [schema.upload_key(u) for u in sorted(set(release.files.values()))]
        members = []
        for raw in self._batch_get(keys):
            item = _plain(raw)
            upload = _upload_of(item)
            if upload.release != release.id:
                continue  # never another release's upload, whatever the map says
            record = json.loads(item["held_record"]) if "held_record" in item else None
            publisher = json.loads(item["held_publisher"]) if "held_publisher" in item else None
            members.append(ReleaseMember(upload, record, publisher))
        return members

    def begin_commit(self, release_id: str, files: int, now: int, lease_seconds: int) -> bool:
        try:
            self._call(
                "update_item",
                Key=_item(schema.release_key(release_id)),
                UpdateExpression="SET #st = :committing, commit_started = :now",
                # One commit at a time; one killed mid-way is taken over after its lease.
                # Exactly the files the commit judged: one added meanwhile is not left out.
                ConditionExpression=(
                    "size(#files) = :n AND ((#st = :open AND expires_at > :now) "
                    "OR (#st = :committing AND commit_started < :stale))"
                ),
                ExpressionAttributeNames={"#st": "status", "#files": "files"},
                ExpressionAttributeValues=_item(
                    {
                        ":committing": ReleaseStatus.COMMITTING.value,
                        ":open": ReleaseStatus.OPEN.value,
                        ":now": now,
                        ":stale": now - lease_seconds,
                        ":n": files,
                    }
                ),
            )
        except ClientError:
            return False
        return True

    def close_release(
        self,
        release_id: str,
        status: ReleaseStatus,
        reason: str,
        message: str,
        expect: Iterable[ReleaseStatus],
    ) -> bool:
        expected = [s.value for s in expect]
        names = {f":e{i}": v for i, v in enumerate(expected)}
        try:
            self._call(
                "update_item",
                Key=_item(schema.release_key(release_id)),
                UpdateExpression="SET #st = :st, reason = :r, message = :m",
                ConditionExpression=f"#st IN ({', '.join(names)})",
                ExpressionAttributeNames={"#st": "status"},
                ExpressionAttributeValues=_item(
                    {":st": status.value, ":r": reason, ":m": message, **names}
                ),
            )
        except ClientError:
            return False
        return True

    def publish_release(self, release: Release, packages: list[StoredPackage], now_ms: int) -> None:
        items: list[dict[str, Any]] = []
        for p in packages:
            items.append(
                {
                    "Update": {
                        "Key": _item(schema.package_key(p.channel, p.subdir, p.filename)),
                        "UpdateExpression": (
                            "SET #st = :published, "
                            "indexed_timestamp = if_not_exists(indexed_timestamp, :now)"
                        ),
                        "ConditionExpression": "upload_id = :u AND #st = :claimed",
                        "ExpressionAttributeNames": {"#st": "state"},
                        "ExpressionAttributeValues": _item(
                            {
                                ":published": PUBLISHED,
                                ":claimed": CLAIMED,
                                ":u": p.upload_id,
                                ":now": now_ms,
                            }
                        ),
                    }
                }
            )
        # The marks and one count per subdir in the same transaction: a rebuild that reads
        # the counter after the commit reads every mark of it.
        items += [
            {"Put": {"Item": _change_item(p.channel, p.subdir, p.filename, p.upload_id)}}
            for p in packages
        ]
        items += [
            _bump_counter(release.channel, s, now_ms) for s in sorted({p.subdir for p in packages})
        ]
        items.append(
            {
                "Update": {
                    "Key": _item(schema.release_key(release.id)),
                    "UpdateExpression": "SET #st = :committed, committed_at = :at",
                    "ConditionExpression": "#st = :committing",
                    "ExpressionAttributeNames": {"#st": "status"},
                    "ExpressionAttributeValues": _item(
                        {
                            ":committed": ReleaseStatus.COMMITTED.value,
                            ":committing": ReleaseStatus.COMMITTING.value,
                            ":at": utc_iso(datetime.fromtimestamp(now_ms / 1000, UTC)),
                        }
                    ),
                }
            }
        )
        items.append(channel_check(release.channel, release.incarnation))
        try:
            self._transact(items)
        except ClientError as exc:
            failed = _cancelled_for_condition(exc)
            if len(failed) == len(items) and failed[-1]:
                raise self.channel_changed(release.channel) from exc
            for p, bad in zip(packages, failed, strict=False):
                if bad:
                    raise MemberConflict(
                        f"{p.subdir}/{p.filename} was published by another upload meanwhile; "
                        "nothing of the release is published",
                        member_key(p.subdir, p.filename),
                    ) from exc
            if len(failed) == len(items) and failed[-2]:
                raise Conflict(
                    f"release {release.id} is no longer being committed", code="release-changed"
                ) from exc
            raise unavailable(exc, "DynamoDB TransactWriteItems") from exc

    def finish_release_uploads(self, members: Iterable[ReleaseMember]) -> None:
        for m in members:
            # After the commit: the release item says committed; these follow (idempotent).
            with contextlib.suppress(ClientError):
                self._call(
                    "update_item",
                    Key=_item(schema.upload_key(m.upload.id)),
                    UpdateExpression="SET #s = :published",
                    ConditionExpression="#s = :validated",
                    ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues=_item(
                        {
                            ":published": UploadStatus.PUBLISHED.value,
                            ":validated": UploadStatus.VALIDATED.value,
                        }
                    ),
                )
            if m.upload.subdir:
                # A filename published again is no longer "removed" (the record already
                # wins over the mark in every index; this tidies the mark away).
                self._call(
                    "delete_item",
                    Key=_item(
                        schema.removed_key(m.upload.channel, m.upload.subdir, m.upload.filename)
                    ),
                )

    def reject_release_uploads(self, upload_ids: Iterable[str], reason: str, message: str) -> None:
        """Members of a release that will never commit: rejected unless already final."""
        for upload_id in upload_ids:
            with contextlib.suppress(ClientError):
                self._call(
                    "update_item",
                    Key=_item(schema.upload_key(upload_id)),
                    UpdateExpression="SET #s = :rejected, reason = :r, message = :m",
                    ConditionExpression="#s IN (:pending, :validating, :validated)",
                    ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues=_item(
                        {
                            ":rejected": UploadStatus.REJECTED.value,
                            ":pending": UploadStatus.PENDING.value,
                            ":validating": UploadStatus.VALIDATING.value,
                            ":validated": UploadStatus.VALIDATED.value,
                            ":r": reason,
                            ":m": message,
                        }
                    ),
                )


def _valid_package_cursor(subdir: str, filename: str) -> bool:
    try:
        validate_subdir(subdir)
        parse_package_filename(filename)
    except InvalidName:
        return False
    return True
