"""DynamoDB implementation of the Catalog port (single table, see schema.py)."""

from __future__ import annotations

import json
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from rillet.adapters import schema
from rillet.adapters.errors import error_code, unavailable
from rillet.core.errors import Conflict, NotFound
from rillet.core.models import (
    Channel,
    StoredPackage,
    SubdirContents,
    SubdirState,
    Upload,
    UploadStatus,
    Visibility,
)

_ser = TypeSerializer()
_de = TypeDeserializer()

CLAIMED = "claimed"
PUBLISHED = "published"
# Upload items outlive their URL so that status stays readable for a while.
UPLOAD_RETENTION_SECONDS = 7 * 24 * 3600


def _item(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in data.items() if v is not None}


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _de.deserialize(v) for k, v in item.items()}


def _cancelled_for_condition(exc: ClientError) -> list[bool]:
    reasons = exc.response.get("CancellationReasons") or []
    return [r.get("Code") == "ConditionalCheckFailed" for r in reasons]


class DynamoCatalog:
    def __init__(self, client: Any, table_name: str) -> None:
        self.client = client
        self.table = table_name

    # -- helpers ----------------------------------------------------------------
    def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, operation)(TableName=self.table, **kwargs)
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                raise
            raise unavailable(exc, f"DynamoDB {operation}") from exc
        except BotoCoreError as exc:
            raise unavailable(exc, f"DynamoDB {operation}") from exc

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

    # -- channels ---------------------------------------------------------------
    def create_channel(self, channel: Channel) -> None:
        item = {
            **schema.channel_key(channel.name),
            "kind": "channel",
            "name": channel.name,
            "visibility": channel.visibility.value,
            "owner": channel.owner,
            "description": channel.description,
            "created_at": channel.created_at,
        }
        state = {**schema.subdir_key(channel.name, "noarch"), "change_seq": 0, "indexed_seq": 0}
        try:
            self._transact(
                [
                    {
                        "Put": {
                            "Item": _item(item),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "Item": _item(state),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except ClientError as exc:
            raise Conflict(
                f"a channel named {channel.name} already exists", code="channel-exists"
            ) from exc

    def get_channel(self, name: str) -> Channel:
        item = self._get(schema.channel_key(name))
        if item is None:
            raise NotFound(f"no channel named {name}", code="channel-not-found")
        return Channel(
            name=item["name"],
            visibility=Visibility(item["visibility"]),
            owner=item["owner"],
            description=item.get("description", ""),
            created_at=item.get("created_at", ""),
        )

    # -- uploads ----------------------------------------------------------------
    def put_upload(self, upload: Upload) -> None:
        item = {
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
            schema.TTL_ATTRIBUTE: upload.expires_at + UPLOAD_RETENTION_SECONDS,
        }
        try:
            self._call("put_item", Item=_item(item), ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            raise Conflict(f"upload {upload.id} exists") from exc

    def get_upload(self, upload_id: str) -> Upload:
        item = self._get(schema.upload_key(upload_id))
        if item is None:
            raise NotFound(f"no upload {upload_id}", code="upload-not-found")
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
        )

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
        )

    def claim_package(self, package: StoredPackage) -> None:
        key = schema.package_key(package.channel, package.subdir, package.filename)
        try:
            self._call(
                "update_item",
                Key=_item(key),
                UpdateExpression=(
                    "SET upload_id = :u, #r = :r, sha256 = :h, #st = if_not_exists(#st, :claimed)"
                ),
                ConditionExpression="attribute_not_exists(pk) OR upload_id = :u",
                ExpressionAttributeNames={"#r": "record", "#st": "state"},
                ExpressionAttributeValues=_item(
                    {
                        ":u": package.upload_id,
                        ":r": json.dumps(package.record, sort_keys=True),
                        ":h": package.sha256,
                        ":claimed": CLAIMED,
                    }
                ),
            )
        except ClientError as exc:
            raise Conflict(
                f"{package.subdir}/{package.filename} already exists in channel {package.channel}",
                code="already-exists",
            ) from exc

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
                                "SET indexed_seq = if_not_exists(indexed_seq, :zero)"
                            ),
                            "ExpressionAttributeValues": _item({":one": 1, ":zero": 0}),
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
                ]
            )
        except ClientError as exc:
            failed = _cancelled_for_condition(exc)
            if failed and failed[0]:
                current = self.get_package(c, s, f)
                if current is not None and current.upload_id == package.upload_id:
                    return None  # already published by an earlier delivery
                raise Conflict(
                    f"{s}/{f} already exists in channel {c}", code="already-exists"
                ) from exc
            raise unavailable(exc, "DynamoDB TransactWriteItems") from exc
        return self.subdir_state(c, s).change_seq

    def subdir_contents(self, channel: str, subdir: str) -> SubdirContents:
        records: dict[str, dict[str, Any]] = {}
        removed: set[str] = set()
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
                    sk = raw["sk"]["S"]
                    if sk.startswith("DEL#"):
                        removed.add(sk[4:])
                    elif sk.startswith("PKG#") and raw.get("state", {}).get("S") == PUBLISHED:
                        record = json.loads(raw["record"]["S"])
                        if "indexed_timestamp" in raw:
                            record["indexed_timestamp"] = int(raw["indexed_timestamp"]["N"])
                        records[sk[4:]] = record
        except ClientError as exc:
            raise unavailable(exc, "DynamoDB Query") from exc
        return SubdirContents(records=records, removed=frozenset(removed - records.keys()))

    def subdir_state(self, channel: str, subdir: str) -> SubdirState:
        item = self._get(schema.subdir_key(channel, subdir)) or {}
        return SubdirState(
            channel=channel,
            subdir=subdir,
            change_seq=int(item.get("change_seq", 0)),
            indexed_seq=int(item.get("indexed_seq", 0)),
        )

    def mark_indexed(self, channel: str, subdir: str, seq: int) -> None:
        try:
            self._call(
                "update_item",
                Key=_item(schema.subdir_key(channel, subdir)),
                UpdateExpression="SET indexed_seq = :s",
                ConditionExpression="attribute_not_exists(indexed_seq) OR indexed_seq < :s",
                ExpressionAttributeValues=_item({":s": seq}),
            )
        except ClientError:
            return  # a newer index already covers more: never go backwards
