"""Batch writes and reads finish what DynamoDB hands back unprocessed, with backoff, and
fail clearly when it keeps doing so (adapters/dynamodb.batch_write / batch_get)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local.resources import REGION
from rillet.adapters import schema
from rillet.adapters.directory import DynamoDirectory
from rillet.adapters.dynamodb import BATCH_ATTEMPTS, _item, batch_get, batch_write
from rillet.core.accounts import Grant
from rillet.core.errors import Unavailable
from tests import fakes

TABLE = f"batch-{uuid.uuid4().hex[:8]}"


class Throttled:
    """A DynamoDB client that, for its first ``times`` batch calls, does only the first
    request of each and hands the rest back unprocessed, as a throttled table does
    (``times=None``: every call, and it does none of them)."""

    def __init__(self, real: Any, times: int | None) -> None:
        self.real = real
        self.times = times
        self.calls: list[int] = []  # how many requests each call carried

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def _throttle(self) -> bool | None:
        if self.times is None:
            return None  # nothing gets through
        if self.times > 0:
            self.times -= 1
            return True
        return False

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        ((table, requests),) = RequestItems.items()
        self.calls.append(len(requests))
        throttle = self._throttle()
        if throttle is None:
            return {"UnprocessedItems": RequestItems}
        if not throttle:
            return dict(self.real.batch_write_item(RequestItems=RequestItems))
        self.real.batch_write_item(RequestItems={table: requests[:1]})
        return {"UnprocessedItems": {table: requests[1:]} if requests[1:] else {}}

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        ((table, request),) = RequestItems.items()
        self.calls.append(len(request["Keys"]))
        throttle = self._throttle()
        if throttle is None:
            return {"Responses": {table: []}, "UnprocessedKeys": RequestItems}
        if not throttle:
            return dict(self.real.batch_get_item(RequestItems=RequestItems))
        first = self.real.batch_get_item(
            RequestItems={table: {**request, "Keys": request["Keys"][:1]}}
        )
        rest = request["Keys"][1:]
        return {
            "Responses": first["Responses"],
            "UnprocessedKeys": {table: {**request, "Keys": rest}} if rest else {},
        }


@pytest.fixture
def ddb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    fakes.aws_environment(monkeypatch)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(**schema.table_definition(TABLE))
        yield client


def grant_items(n: int) -> list[dict[str, Any]]:
    return [
        {"PutRequest": {"Item": _item({**schema.grant_key("chan", f"{i:064x}"), "n": i})}}
        for i in range(n)
    ]


def stored(ddb: Any) -> set[str]:
    pk, _ = schema.GRANT.query(channel="chan")
    found = ddb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
    )["Items"]
    return {i["sk"]["S"] for i in found}


def test_unprocessed_items_are_sent_again_until_written(ddb: Any) -> None:
    client, slept = Throttled(ddb, times=2), list[float]()
    batch_write(client, TABLE, grant_items(30), sleep=slept.append)
    assert stored(ddb) == {f"{i:064x}" for i in range(30)}
    # 25 per call; the first chunk's leftovers twice, then the rest in one go.
    assert client.calls == [25, 24, 23, 5]
    assert slept == [0.05, 0.1]  # exponential backoff between the retries only


def test_items_still_unprocessed_after_bounded_retries_raise_unavailable(ddb: Any) -> None:
    client, slept = Throttled(ddb, times=None), list[float]()
    with pytest.raises(Unavailable, match=r"BatchWriteItem left 3 item\(s\) unprocessed"):
        batch_write(client, TABLE, grant_items(3), sleep=slept.append)
    assert len(client.calls) == BATCH_ATTEMPTS
    assert slept == sorted(slept) and max(slept) <= 1.0  # growing, capped
    assert stored(ddb) == set()


def test_unprocessed_keys_are_read_again(ddb: Any) -> None:
    batch_write(ddb, TABLE, grant_items(5))
    keys = [schema.grant_key("chan", f"{i:064x}") for i in range(5)]
    client, slept = Throttled(ddb, times=3), list[float]()
    got = list(batch_get(client, TABLE, keys, sleep=slept.append))
    assert sorted(int(i["n"]["N"]) for i in got) == [0, 1, 2, 3, 4]
    assert client.calls == [5, 4, 3, 2]
    client = Throttled(ddb, times=None)
    with pytest.raises(Unavailable, match="BatchGetItem left 5 item"):
        list(batch_get(client, TABLE, keys, sleep=lambda _: None))


def test_the_directory_writes_every_grant_through_throttling(
    ddb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("time.sleep", lambda _: None)
    directory = DynamoDirectory(Throttled(ddb, times=4), TABLE)
    grants = [Grant("chan", f"{i:064x}", None, "alice", "k1") for i in range(7)]
    directory.put_grants(grants)
    assert {g.token_hash for g in directory.channel_grants("chan")} == {
        g.token_hash for g in grants
    }
    directory.delete_grants([("chan", g.token_hash) for g in grants])
    assert directory.channel_grants("chan") == []
