"""S3 ObjectCreated (staging bucket) -> SQS -> validate and record each upload."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from rillet.runtime.observability import logger
from rillet.runtime.wiring import container
from rillet.services.ingest import ingest_staged

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    body = record.json_body
    if "Records" not in body:  # s3:TestEvent sent when the notification is configured
        return
    c = container()
    for s3_record in S3Event(body).records:
        if not s3_record.event_name.startswith("ObjectCreated"):
            continue
        outcome = ingest_staged(
            c.catalog,
            c.staging,
            c.channels,
            c.reindex_queue,
            c.audit,
            c.cdn,
            directory=c.directory,
            publishers=c.publishers,
            key=unquote_plus(s3_record.s3.get_object.key),  # keys arrive URL-encoded
            limits=c.settings.limits,
            now_ms=c.clock.now_ms(),
            commit_ms=c.clock.now_ms,
        )
        logger.info("upload processed", extra={"outcome": outcome.__dict__})


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
