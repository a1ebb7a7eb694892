"""A handler that crashes under the local stack fails the waiting test at once, with the
handler's traceback, instead of timing out (infra/local/pump.py, LocalStack.wait_idle)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.local.pump import HandlerCrashed
from infra.local.server import LocalStack

pytestmark = pytest.mark.e2e


def test_a_crashing_handler_fails_wait_idle_with_its_traceback(stack: LocalStack) -> None:
    stack.wait_idle()
    assert stack.provisioned is not None
    sqs = stack.session.client("sqs")
    queue = stack.provisioned.validate_queue_url
    receipts: list[str] = []
    pump = stack.validate_pump
    real = pump.handler

    def crashing(event: dict[str, Any], context: Any) -> dict[str, Any]:
        receipts.extend(r["receiptHandle"] for r in event["Records"])
        raise RuntimeError("injected crash in " + context.function_name)

    pump.handler = crashing
    try:
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"Records": []}))
        # A long timeout: only the crash can end the wait this early.
        with pytest.raises(HandlerCrashed) as raised:
            stack.wait_idle(timeout=120)
    finally:
        pump.handler = real
        for receipt in receipts:  # the crashed message must not reach the real handler
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=receipt)
    assert "RuntimeError: injected crash in validate" in str(raised.value)
    assert "Traceback" in str(raised.value)
    stack.wait_idle()
