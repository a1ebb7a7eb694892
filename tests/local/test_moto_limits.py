"""The local stack's moto stays bounded in memory over many DynamoDB transactions, and a
cancelled transaction still changes nothing (infra/local/moto_limits.py)."""

from __future__ import annotations

import tracemalloc
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from infra.local import moto_limits
from infra.local.resources import REGION
from rillet.adapters import schema
from tests import fakes

# Unique: moto's backend is shared with any other mock in the process (the e2e stack).
TABLE = f"memory-bench-{uuid.uuid4().hex[:8]}"
PAYLOAD = "x" * 1024
TRANSACTIONS = 600


@pytest.fixture
def ddb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    fakes.aws_environment(monkeypatch)
    moto_limits.install()
    monkeypatch.setattr(moto_limits, "STREAM_RECORDS_KEPT", 200)
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(**schema.table_definition(TABLE))
        yield client
        client.delete_table(TableName=TABLE)


def put(pk: str, sk: str, **extra: str) -> dict[str, Any]:
    item = {"pk": {"S": pk}, "sk": {"S": sk}, "blob": {"S": PAYLOAD}}
    item.update({k: {"S": v} for k, v in extra.items()})
    return {"Put": {"TableName": TABLE, "Item": item}}


def item(client: Any, pk: str, sk: str) -> dict[str, Any] | None:
    got = client.get_item(TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": sk}})
    return got.get("Item")


def _transactions(client: Any, start: int, count: int) -> None:
    for n in range(start, start + count):
        client.transact_write_items(
            TransactItems=[
                put(**schema.package_key("c", str(n % 7), str(n % 50)), n=str(n)),
                put(**schema.subdir_key("c", str(n % 5)), n=str(n)),
            ]
        )


def test_memory_stays_bounded_over_many_transactions(ddb: Any) -> None:
    for i in range(50):  # a small table, as a session's channels and packages make it
        ddb.put_item(
            TableName=TABLE, Item=put(**schema.package_key("c", str(i % 7), str(i)))["Put"]["Item"]
        )
    tracemalloc.start()
    try:
        # The first round fills the table's stream to what it keeps ...
        _transactions(ddb, 0, TRANSACTIONS // 2)
        filled, _ = tracemalloc.get_traced_memory()
        # ... after which more transactions must not need more memory.
        _transactions(ddb, TRANSACTIONS // 2, TRANSACTIONS // 2)
        current, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    growth_mb = (current - filled) / 2**20
    print(f"{TRANSACTIONS // 2} more transactions: {growth_mb:+.2f} MB")
    # Measured: about +0.5 MB here. Unpatched moto keeps every Item it ever made,
    # including its copy of the whole table (and stream) before each transaction:
    # about +300 MB for these 300 transactions, growing quadratically.
    assert growth_mb < 5


def test_a_cancelled_transaction_changes_nothing(ddb: Any) -> None:
    ddb.put_item(TableName=TABLE, Item=put("A", "1", v="old")["Put"]["Item"])
    update = {
        "Update": {
            "TableName": TABLE,
            "Key": {"pk": {"S": "A"}, "sk": {"S": "1"}},
            "UpdateExpression": "SET v = :v",
            "ExpressionAttributeValues": {":v": {"S": "new"}},
        }
    }
    failing = put("B", "1")
    failing["Put"]["ConditionExpression"] = "attribute_exists(pk)"
    with pytest.raises(ClientError) as caught:
        ddb.transact_write_items(TransactItems=[update, put("C", "1"), failing])
    assert caught.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert item(ddb, "A", "1")["v"] == {"S": "old"}  # type: ignore[index]
    assert item(ddb, "C", "1") is None
    assert item(ddb, "B", "1") is None
    ddb.transact_write_items(TransactItems=[update, put("C", "1")])
    assert item(ddb, "A", "1")["v"] == {"S": "new"}  # type: ignore[index]
    assert item(ddb, "C", "1") is not None


def test_stream_keeps_its_latest_records_in_order(ddb: Any) -> None:
    for n in range(500):
        ddb.put_item(TableName=TABLE, Item=put("S", str(n))["Put"]["Item"])
    # moto does not implement DescribeStream: read its shard directly.
    shard = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].tables[TABLE].stream_shard
    assert shard is not None
    records = shard.get(shard.starting_sequence_number, 1000)
    assert len(records) == 200
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequence == sorted(sequence) and len(set(sequence)) == 200
    assert records[-1]["dynamodb"]["Keys"]["sk"] == {"S": "499"}
