"""S3 ObjectCreated (staging bucket) -> SQS -> validate and record each upload."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from rillet.core.instrument import span
from rillet.runtime.observability import logger
from rillet.runtime.s3_events import created_keys
from rillet.runtime.settings import QUEUE_MAX_RECEIVES, VALIDATE_MARGIN_MS
from rillet.runtime.wiring import container

processor = BatchProcessor(event_type=EventType.SQS)


def _receive_count(record: SQSRecord) -> int:
    count = str(record.raw_event.get("attributes", {}).get("ApproximateReceiveCount", "1"))
    return int(count) if count.isdigit() else 1


def record_handler(record: SQSRecord, lambda_context: Any = None) -> None:
    body = record.json_body
    context = lambda_context
    # The last delivery before the dead-letter queue must leave the upload final.
    final_attempt = _receive_count(record) >= QUEUE_MAX_RECEIVES

    def out_of_time() -> bool:
        # Refuse rather than be killed by the timeout (which would retry the same work).
        return context is not None and context.get_remaining_time_in_millis() < VALIDATE_MARGIN_MS

    ingest = container().services.ingest
    for key in created_keys(body):
        with span("ingest", key=key) as facts:
            outcome = ingest.ingest_staged(
                key, final_attempt=final_attempt, out_of_time=out_of_time
            )
            facts.update(upload_id=outcome.upload_id, status=outcome.status)
        logger.info("upload processed", extra={"outcome": outcome.__dict__})


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
