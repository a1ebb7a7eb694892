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


# The validate DLQ: validation that died on every delivery ------------------------------
def test_a_dead_letter_ends_its_validating_upload_once(
    container: wiring.Container, tmp_path: Path
) -> None:
    from functions.validate_dead.handler import lambda_handler
    from rillet.services.ingest import ABANDONED_MESSAGE

    key = stage(container, build_package(tmp_path, "qdead", "1.0"), "d1")
    container.catalog.start_validation("d1")  # then the invocation was killed, five times
    done = stage(container, build_package(tmp_path, "qdone", "1.0"), "d2")
    container.catalog.reject_upload("d2", "checksum-mismatch", "the sha256 differs")
    event = {"Records": [sqs_record(s3_event(key), "m1"), sqs_record(s3_event(done), "m2")]}

    assert lambda_handler(event, LambdaContext("validate_dead"))["batchItemFailures"] == []
    upload = container.catalog.get_upload("d1")
    assert (upload.status, upload.reason) == (UploadStatus.REJECTED, VALIDATION_FAILED)
    assert upload.message == ABANDONED_MESSAGE
    assert container.staging.head(key) is None and container.staging.head(done) is None
    # A final upload keeps its own reason.
    assert container.catalog.get_upload("d2").reason == "checksum-mismatch"

    # Replays, an unknown upload and the configuration test event change nothing.
    stray = "uploads/nobody-asked"
    replay = {
        "Records": [
            sqs_record(s3_event(key), "m3"),
            sqs_record(s3_event(stray), "m4"),
            sqs_record(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"}), "m5"),
        ]
    }
    assert lambda_handler(replay, LambdaContext("validate_dead"))["batchItemFailures"] == []
    upload = container.catalog.get_upload("d1")
    assert (upload.status, upload.reason, upload.message) == (
        UploadStatus.REJECTED,
        VALIDATION_FAILED,
        ABANDONED_MESSAGE,
    )


def test_a_dead_letter_never_demotes_a_published_upload(
    container: wiring.Container, tmp_path: Path
) -> None:
    from functions.validate.handler import lambda_handler as validate
    from functions.validate_dead.handler import lambda_handler as validate_dead

    key = stage(container, build_package(tmp_path, "qpub", "1.0"), "p1")
    assert validate(delivery(key, "m1", 1), LambdaContext("validate"))["batchItemFailures"] == []
    result = validate_dead(delivery(key, "m2", 1), LambdaContext("validate_dead"))
    assert result["batchItemFailures"] == []
    assert container.catalog.get_upload("p1").status is UploadStatus.PUBLISHED


def test_validation_killed_on_every_delivery_ends_rejected_through_the_dlq(
    container: wiring.Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local pumps as the local stack runs them: moto moves the message to the DLQ."""
    import functions.validate.handler as validate
    from functions.validate_dead.handler import lambda_handler as validate_dead

    key = stage(container, build_package(tmp_path, "qkilled", "1.0"), "k1")

    real = container.services.ingest

    class Killed:
        """The validator as a timeout leaves it; the dead-letter consumer is the real one."""

        abandon_staged = staticmethod(real.abandon_staged)

        def ingest_staged(self, *_: Any, **kw: Any) -> Any:
            container.catalog.start_validation("k1")
            raise TimeoutError("Task timed out after 300.00 seconds")  # never reaches a reject

    wiring.reset(container.with_services(ingest=Killed()))
    sqs = boto3.client("sqs", region_name=REGION)
    # Resources.unique("qh"): table qh-<suffix>, queue qh-validate-<suffix>, DLQ ...-dlq.
    suffix = container.settings.table_name.removeprefix("qh-")
    queue = sqs.get_queue_url(QueueName=f"qh-validate-{suffix}")["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName=f"qh-validate-{suffix}-dlq")["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"VisibilityTimeout": "0"})
    sqs.send_message(QueueUrl=queue, MessageBody=s3_event(key))
    work = QueuePump(sqs, queue, validate.lambda_handler, "validate")
    dead = QueuePump(sqs, dlq, validate_dead, "validate_dead")

    for _ in range(QUEUE_MAX_RECEIVES + 1):
        work.poll_once()
    assert work.invocations == QUEUE_MAX_RECEIVES  # then the message moved on
    assert container.catalog.get_upload("k1").status is UploadStatus.VALIDATING
    while dead.poll_once():  # moto may move a copy more than once: replays are harmless
        pass
    assert dead.invocations >= 1
    upload = container.catalog.get_upload("k1")
    assert (upload.status, upload.reason) == (UploadStatus.REJECTED, VALIDATION_FAILED)
    assert container.staging.head(key) is None
    assert work.pending() == 0 and dead.pending() == 0
