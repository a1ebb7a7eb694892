"""Validate DLQ -> end the uploads whose validation died on every delivery.

A timeout, out-of-memory or crash kills the validate invocation before it can reject the
upload; after the queue's retries the S3 notification lands here, and the upload would
otherwise stay ``validating`` forever.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from rillet.runtime.observability import logger
from rillet.runtime.s3_events import created_keys
from rillet.runtime.wiring import container

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    ingest = container().services.ingest
    for key in created_keys(record.json_body):
        outcome = ingest.abandon_staged(key)
        logger.info("dead letter processed", extra={"outcome": outcome.__dict__})


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
