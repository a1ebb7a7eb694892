"""DynamoDB stream -> CloudFront KeyValueStore: channel visibility, read grants, tokens.

The viewer-request function decides private reads from that store alone, so
every change to those items is mirrored here within seconds.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
)

from rillet.runtime.observability import logger
from rillet.runtime.wiring import container

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    stream = record.dynamodb
    old = stream.old_image if stream else None
    new = stream.new_image if stream else None
    touched = container().edge_store.mirror(old, new)
    if touched:
        logger.info("edge sync", extra={"keys": touched})


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
