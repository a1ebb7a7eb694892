"""The validate handler's last delivery ends the upload, and the local pump says which it is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, BinaryIO

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from moto import mock_aws

from infra.local.pump import LambdaContext, QueuePump
from infra.local.resources import REGION
from rillet.core.models import UploadStatus
from rillet.runtime import wiring
from rillet.runtime.settings import QUEUE_MAX_RECEIVES
from rillet.services.ingest import VALIDATION_FAILED
from tests.functions import test_queue_handlers as base
from tests.functions.test_queue_handlers import s3_event, sqs_record, stage
from tests.packages import build_package

container = base.container  # the same fixture: resources on moto, a channel "qh"


def delivery(key: str, message_id: str, receive_count: int) -> dict[str, Any]:
    record = sqs_record(s3_event(key), message_id)
    record["attributes"] = {"ApproximateReceiveCount": str(receive_count)}
    return {"Records": [record]}


def test_the_last_delivery_rejects_instead_of_leaving_it_validating(
    container: wiring.Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.validate.handler import lambda_handler

    key = stage(container, build_package(tmp_path, "qflaky", "1.0"), "f1")

    def broken_open(_: str) -> BinaryIO:
        raise ConnectionResetError("the staging bucket went away")

    monkeypatch.setattr(container.staging, "open", broken_open)
    with pytest.raises(BatchProcessingError):  # the whole batch failed: the queue retries it
        lambda_handler(delivery(key, "m1", 1), LambdaContext("validate"))
    assert container.catalog.get_upload("f1").status is UploadStatus.VALIDATING

    last = lambda_handler(delivery(key, "m2", QUEUE_MAX_RECEIVES), LambdaContext("validate"))
    assert last["batchItemFailures"] == []  # nothing left for the dead-letter queue
    upload = container.catalog.get_upload("f1")
    assert (upload.status, upload.reason) == (UploadStatus.REJECTED, VALIDATION_FAILED)


def test_validation_that_would_outlive_the_invocation_is_refused(
    container: wiring.Container, tmp_path: Path
) -> None:
    from functions.validate.handler import lambda_handler

    class AlmostOutOfTime(LambdaContext):
        def get_remaining_time_in_millis(self) -> int:
            return 1_000

    key = stage(container, build_package(tmp_path, "qslow", "1.0"), "s1")
    result = lambda_handler(delivery(key, "m1", 1), AlmostOutOfTime("validate"))
    assert result["batchItemFailures"] == []
    upload = container.catalog.get_upload("s1")
    assert (upload.status, upload.reason) == (UploadStatus.REJECTED, "validation-time-limit")


def test_the_local_pump_passes_the_receive_count() -> None:
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="pump-count", Attributes={"VisibilityTimeout": "0"})[
            "QueueUrl"
        ]
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"x": 1}))
        seen: list[str] = []

        def failing(event: dict[str, Any], _: Any) -> dict[str, Any]:
            record = event["Records"][0]
            seen.append(record["attributes"]["ApproximateReceiveCount"])
            return {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}

        pump = QueuePump(sqs, url, failing, "validate")
        assert pump.poll_once() == 1
        assert pump.poll_once() == 1
        assert seen == ["1", "2"]
