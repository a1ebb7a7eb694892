"""FIFO reindex queue (group = channel/subdir) -> rebuild the subdir's index."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    SqsFifoPartialProcessor,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from rillet.core.instrument import span
from rillet.runtime.observability import logger
from rillet.runtime.wiring import container, settle_for

processor = SqsFifoPartialProcessor()
__all__ = ["lambda_handler", "settle_for"]  # settle_for: for the benchmarks


def record_handler(record: SQSRecord) -> None:
    body = record.json_body
    c = container()
    # The benchmarks observe every message's outcome here (rillet.core.instrument).
    with span("reindex.message") as facts:
        result = c.services.indexing.reindex(
            str(body["channel"]),
            str(body["subdir"]),
            int(body["seq"]),
            full=body.get("full") is True,
            # Messages queued before incarnations existed carry none: the live one then.
            incarnation=str(body["incarnation"]) if body.get("incarnation") else None,
        )
        facts.update(
            channel=result.channel,
            subdir=result.subdir,
            rebuilt=result.rebuilt,
            indexed_seq=result.indexed_seq,
            objects_written=result.stats.objects_written,
            full=result.full,
            changes=result.changes,
            waited_ms=result.waited_ms,
        )
    logger.info(
        "reindex",
        extra={
            "channel": result.channel,
            "subdir": result.subdir,
            "rebuilt": result.rebuilt,
            "indexed_seq": result.indexed_seq,
            "objects_written": result.stats.objects_written,
            "full": result.full,
            "changes": result.changes,
            "waited_ms": result.waited_ms,
            "stale": result.stale,
            "skipped": len(result.skipped),
            "sigs_backfilled": result.sigs_backfilled,
        },
    )
    for filename, reason in result.skipped:
        # The channel's owners read the audit log: this is how they learn which package
        # the index leaves out, and why (delete or replace it to clear the entry).
        c.services.trail.record(
            result.channel,
            "rillet",
            "package.unindexed",
            {"subdir": result.subdir, "filename": filename, "reason": reason},
        )


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
