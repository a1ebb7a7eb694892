"""The edge store stays in step with DynamoDB: real service calls -> the table's stream
-> functions/edge_sync -> a key-value store, compared with what the read rule needs."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from infra.local.pump import LambdaContext
from infra.local.resources import REGION, Resources, provision
from rillet.adapters import schema
from rillet.adapters.edge import KvsEdgeStore, changes, entries_for_item
from rillet.core.access import decide_read
from rillet.core.policy import Role
from rillet.runtime import wiring
from rillet.runtime.observability import put_edge_store_size
from rillet.runtime.settings import Settings
from tests import fakes
from tests.fakes import FixedClock, NamedIds


class MemoryStore:
    """A KeyValueStore stand-in that records what edge_sync writes."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def mirror(self, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[str]:
        puts, deletes = changes(old, new)
        self.data.update(puts)
        for key in deletes:
            self.data.pop(key, None)
        return sorted([*puts, *deletes])

    def get(self, key: str) -> str | None:
        return self.data.get(key)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[wiring.Container, MemoryStore, Any]]:
    fakes.aws_environment(monkeypatch)
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        names = Resources.unique("edge")
        p = provision(session, names)
        settings = Settings.from_env(
            p.environment("http://127.0.0.1:1", "rlt_admin_edge_test_token_1234")
        )
        store = MemoryStore()
        container = wiring.Container(
            settings, clock=FixedClock(1000), ids=NamedIds(), overrides={"edge_store": store}
        )
        wiring.reset(container)
        yield container, store, session
        wiring.reset()


class StreamEmulator:
    """NEW_AND_OLD_IMAGES stream records from table snapshots (moto's stream API is
    not available with this botocore), delivered to edge_sync like the Lambda trigger."""

    def __init__(self, session: Any, table: str) -> None:
        self.ddb = session.client("dynamodb")
        self.table = table
        self.seen: dict[tuple[str, str], dict[str, Any]] = {}
        self.seq = 0

    def snapshot(self) -> dict[tuple[str, str], dict[str, Any]]:
        items = {}
        for page in self.ddb.get_paginator("scan").paginate(TableName=self.table):
            for item in page["Items"]:
                items[(item["pk"]["S"], item["sk"]["S"])] = item
        return items

    def pump(self) -> None:
        from functions.edge_sync.handler import lambda_handler

        now = self.snapshot()
        records = []
        for key in sorted(set(now) | set(self.seen)):
            old, new = self.seen.get(key), now.get(key)
            if old == new:
                continue
            self.seq += 1
            name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
            change: dict[str, Any] = {
                "Keys": {"pk": {"S": key[0]}, "sk": {"S": key[1]}},
                "SequenceNumber": str(self.seq),
                "SizeBytes": 100,
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            }
            if old is not None:
                change["OldImage"] = old
            if new is not None:
                change["NewImage"] = new
            records.append(
                {
                    "eventID": str(self.seq),
                    "eventName": name,
                    "eventSource": "aws:dynamodb",
                    "awsRegion": REGION,
                    "dynamodb": change,
                }
            )
        self.seen = now
        result = lambda_handler({"Records": records}, LambdaContext("edge_sync"))
        assert result["batchItemFailures"] == []


ADMIN = "Bearer rlt_admin_edge_test_token_1234"


def users(container: wiring.Container, *names: str) -> list[str]:
    """The operator creates these users; the n-th one's key is ``key_k<n>``."""
    admin = container.authenticate(ADMIN)
    assert admin is not None
    tokens = []
    for n, name in enumerate(names, 1):
        container.ids.secrets.append((chr(ord("a") + n - 1) * 43, f"k{n}"))  # type: ignore[attr-defined]
        tokens.append(container.services.keys.create_user(admin, {"name": name})[2])
    return tokens


def test_store_follows_channels_members_and_keys(env: Any) -> None:
    container, store, session = env
    stream = StreamEmulator(session, container.settings.table_name)
    ann_token, bob_token = users(container, "ann", "bob")
    ann = container.authenticate(f"Bearer {ann_token}")
    container.services.channels.create(ann, {"name": "vault", "visibility": "private"})
    container.services.members.set_role(ann, "vault", "bob", Role.MEMBER)
    stream.pump()

    def status(token: str | None) -> int:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return decide_read("/vault/noarch/repodata.json", headers, store, now=100).status

    assert store.get("c:vault") == "private"
    assert (status(ann_token), status(bob_token), status(None)) == (200, 200, 401)

    bob = container.authenticate(f"Bearer {bob_token}")
    container.services.keys.revoke_key(bob, "key_k2")
    stream.pump()
    assert status(bob_token) == 401  # a revoked token is unknown to the edge

    container.services.members.remove(ann, "vault", "bob")
    container.services.channels.update(ann, "vault", {"visibility": "public"})
    stream.pump()
    # A public channel has no entry at all: the store holds private channels only.
    assert store.get("c:vault") is None and status(None) == 200
    # The edge store and the table view the local stack reads agree on every key.
    for key, value in store.data.items():
        assert container.edge_view.get(key) == value, key


def test_grants_are_per_user_and_channel_except_for_channel_limited_keys(env: Any) -> None:
    """Two keys of bob read vault through one membership entry (no per-key grant); his
    key limited to another channel keeps per-key grants and is not widened by it."""
    container, store, session = env
    stream = StreamEmulator(session, container.settings.table_name)
    ann_token, bob_token = users(container, "ann", "bob")
    ann, bob = (container.authenticate(f"Bearer {t}") for t in (ann_token, bob_token))
    for name in ("vault", "other"):
        container.services.channels.create(ann, {"name": name, "visibility": "private"})
        container.services.members.set_role(ann, name, "bob", Role.MEMBER)
    container.ids.secrets.extend([("c" * 43, "k3"), ("d" * 43, "k4")])
    _, second = container.services.keys.create_key(bob, {})
    _, limited = container.services.keys.create_key(bob, {"channels": ["other"]})
    stream.pump()

    def status(token: str, channel: str = "vault") -> int:
        headers = {"authorization": f"Bearer {token}"}
        return decide_read(f"/{channel}/noarch/repodata.json", headers, store, now=100).status

    grants = sorted(k for k in store.data if k.startswith("r:"))
    assert grants == [f"r:other:{hashlib.sha256(limited.encode()).hexdigest()}"]
    assert store.get("m:vault:bob") == "member" and store.get("m:other:bob") == "member"
    assert (status(bob_token), status(second), status(limited, "other")) == (200, 200, 200)
    assert status(limited) == 403  # limited to 'other': bob's membership of vault is not its

    container.services.members.remove(ann, "vault", "bob")
    stream.pump()
    assert store.get("m:vault:bob") is None
    assert (status(bob_token), status(second)) == (403, 403)
    assert status(bob_token, "other") == 200

    container.services.identity.suspend_user(container.authenticate(ADMIN), "bob")
    stream.pump()
    assert [status(t, "other") for t in (bob_token, second, limited)] == [401, 401, 401]
    for key, value in store.data.items():
        assert container.edge_view.get(key) == value, key


def test_entries_for_items() -> None:
    h = hashlib.sha256(b"x").hexdigest()
    assert entries_for_item({**schema.channel_key("a"), "name": "a", "visibility": "private"}) == {
        "c:a": "private"
    }
    assert entries_for_item({**schema.grant_key("a", h), "expires_at": 0}) == {f"r:a:{h}": "0"}
    assert entries_for_item({**schema.token_key(h), "kind": "api", "expires_at": 99}) == {
        f"t:{h}": "99"
    }
    # Minted upload tokens and revoked keys never read.
    assert entries_for_item({**schema.token_key(h), "kind": "minted"}) == {}
    assert entries_for_item({**schema.token_key(h), "kind": "api", "revoked": True}) == {}
    # Per user and channel: a key not limited to channels names its user (u:), and each
    # membership is one entry (m:); a channel-limited key has no u: (it reads via r:).
    key = {**schema.token_key(h), "kind": "api", "user": "bob", "expires_at": 99}
    assert entries_for_item(key) == {f"t:{h}": "99", f"u:{h}": "99:bob"}
    assert entries_for_item({**key, "channels": ["a"]}) == {f"t:{h}": "99"}
    assert entries_for_item({**key, "suspended": True}) == {}
    assert entries_for_item({**schema.member_key("a", "b"), "role": "owner"}) == {"m:a:b": "owner"}
    assert entries_for_item({**schema.membership_key("b", "a"), "role": "owner"}) == {}
    assert changes({**schema.grant_key("a", h), "expires_at": 0}, None) == ({}, [f"r:a:{h}"])


def test_public_channels_have_no_entry_and_deleted_private_ones_stay_private() -> None:
    def channel(visibility: str) -> dict[str, str]:
        return {**schema.channel_key("a"), "name": "a", "visibility": visibility}

    assert entries_for_item(channel("public")) == {}
    assert changes(None, channel("public")) == ({}, ["c:a"])  # clears any tombstone
    assert changes(None, channel("private")) == ({"c:a": "private"}, [])
    assert changes(channel("private"), channel("public")) == ({}, ["c:a"])
    assert changes(channel("public"), channel("private")) == ({"c:a": "private"}, [])
    # Deleted: the entry stays, so files a racing write leaves behind are never public.
    assert changes(channel("private"), None) == ({}, [])
    assert changes(channel("public"), None) == ({}, [])


def test_kvs_writes_use_the_store_etag(capsys: pytest.CaptureFixture[str]) -> None:
    client = boto3.client(
        "cloudfront-keyvaluestore",
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    arn = "arn:aws:cloudfront::123456789012:key-value-store/abc"
    sizes: list[tuple[int, int]] = []
    store = KvsEdgeStore(client, arn, on_size=lambda size, items: sizes.append((size, items)))
    with Stubber(client) as stub:
        stub.add_response(
            "get_key",
            {"Key": "c:b", "Value": "private", "ItemCount": 1, "TotalSizeInBytes": 10},
            {"KvsARN": arn, "Key": "c:b"},
        )
        stub.add_client_error(
            "get_key",
            service_error_code="ResourceNotFoundException",
            http_status_code=404,
            expected_params={"KvsARN": arn, "Key": "c:gone"},
        )
        stub.add_response(
            "describe_key_value_store",
            {
                "ETag": "E1",
                "KvsARN": arn,
                "Created": "2026-01-01T00:00:00Z",
                "ItemCount": 0,
                "TotalSizeInBytes": 0,
            },
            {"KvsARN": arn},
        )
        stub.add_response(
            "update_keys",
            {"ETag": "E2", "ItemCount": 1, "TotalSizeInBytes": 10},
            {
                "KvsARN": arn,
                "IfMatch": "E1",
                "Puts": [{"Key": "c:a", "Value": "public"}],
                "Deletes": [{"Key": "c:b"}],
            },
        )
        # "c:gone" is not in the store: deleting it must not fail (nor be sent).
        store.apply({"c:a": "public"}, ["c:b", "c:gone"])
        stub.assert_no_pending_responses()
    # The store's size after the write goes to the observer (the runtime's metric).
    assert sizes == [(10, 1)]


def test_the_edge_store_size_is_the_metric_the_alarm_watches() -> None:
    """Namespace, name and dimensions exactly as infra/aws/monitoring's alarm expects."""
    out = io.StringIO()
    put_edge_store_size(10, 1, stage="prod", out=out)
    docs = [json.loads(line) for line in out.getvalue().splitlines()]
    bytes_doc = next(d for d in docs if "EdgeStoreBytes" in d)
    assert bytes_doc["EdgeStoreBytes"] == 10 and bytes_doc["Stage"] == "prod"
    (directive,) = bytes_doc["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Rillet" and directive["Dimensions"] == [["Stage"]]
    assert any(d.get("EdgeStoreItems") == 1 for d in docs)
