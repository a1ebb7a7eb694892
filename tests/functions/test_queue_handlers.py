"""The queue-triggered handlers, driven with Lambda-shaped SQS events on moto."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local.pump import LambdaContext
from infra.local.resources import REGION, Resources, provision
from rillet.core.layout import staging_key
from rillet.core.models import Upload
from rillet.runtime import wiring
from rillet.runtime.settings import Settings
from tests import fakes
from tests.packages import build_package

ADMIN = "rlt_admin_queue_handler_tests_0001"


@pytest.fixture
def container(monkeypatch: pytest.MonkeyPatch) -> Iterator[wiring.Container]:
    fakes.aws_environment(monkeypatch)
    with mock_aws():
        names = Resources.unique("qh")
        p = provision(boto3.session.Session(region_name=REGION), names)
        c = wiring.Container(Settings.from_env(p.environment("http://127.0.0.1:1", ADMIN)))
        wiring.reset(c)
        c.services.channels.create(c.authenticate(f"Bearer {ADMIN}"), {"name": "qh"})
        yield c
        wiring.reset()


def sqs_record(body: str, message_id: str, group: str | None = None) -> dict[str, Any]:
    attributes = {"MessageGroupId": group, "SequenceNumber": message_id} if group else {}
    return {
        "messageId": message_id,
        "receiptHandle": message_id,
        "body": body,
        "attributes": attributes,
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:q",
        "awsRegion": REGION,
    }


def s3_event(key: str) -> str:
    return json.dumps(
        {
            "Records": [
                {
                    "eventName": "ObjectCreated:Put",
                    "s3": {"bucket": {"name": "b"}, "object": {"key": key.replace("/", "%2F")}},
                }
            ]
        }
    )


def stage(c: wiring.Container, path: Path, upload_id: str) -> str:
    data = path.read_bytes()
    c.catalog.put_upload(
        Upload(
            upload_id,
            "qh",
            path.name,
            hashlib.sha256(data).hexdigest(),
            len(data),
            "admin",
            "t",
            expires_at=c.clock.epoch() + 900,
            incarnation=c.catalog.get_channel("qh").incarnation,  # as request_upload binds it
        )
    )
    key = staging_key(upload_id)
    c.staging.put(key, data, content_type="application/octet-stream", cache_control="no-store")
    return key


def test_validate_reports_only_the_failed_record(
    container: wiring.Container, tmp_path: Path
) -> None:
    from functions.validate.handler import lambda_handler

    good = stage(container, build_package(tmp_path, "qgood", "1.0"), "u1")
    event = {
        "Records": [
            sqs_record(s3_event(good), "m1"),
            sqs_record("this is not json", "m2"),
            sqs_record(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"}), "m3"),
        ]
    }
    result = lambda_handler(event, LambdaContext("validate"))
    assert result["batchItemFailures"] == [{"itemIdentifier": "m2"}]
    assert container.catalog.get_upload("u1").status.value == "published"
    # The same event again (at-least-once delivery) changes nothing.
    again = lambda_handler(
        {"Records": [sqs_record(s3_event(good), "m4")]}, LambdaContext("validate")
    )
    assert again["batchItemFailures"] == []
    assert container.catalog.subdir_state("qh", "noarch").change_seq == 1


def test_reindex_batch_for_one_subdir_covers_every_change(
    container: wiring.Container, tmp_path: Path
) -> None:
    from functions.reindex.handler import lambda_handler

    for i in range(3):
        key = stage(container, build_package(tmp_path, "qburst", f"1.{i}"), f"b{i}")
        container.services.ingest.ingest_staged(key)
    records = [
        sqs_record(
            json.dumps({"channel": "qh", "subdir": "noarch", "seq": s}), f"r{s}", "qh/noarch"
        )
        for s in (1, 2, 3)
    ]
    result = lambda_handler({"Records": records}, LambdaContext("reindex"))
    assert result["batchItemFailures"] == []
    state = container.catalog.subdir_state("qh", "noarch")
    assert state.indexed_seq == 3
    with container.channels.open("qh/noarch/repodata.json") as f:
        assert len(json.load(f)["packages.conda"]) == 3
