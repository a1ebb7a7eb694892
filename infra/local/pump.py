"""Deliver SQS messages to the handlers the way Lambda's event source mapping does."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from infra.local.resources import REGION

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    records = []
    for m in messages:
        records.append(
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(m["Body"].encode()).hexdigest(),  # noqa: S324
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


class QueuePump:
    """Polls one queue and invokes one handler with batches, deleting what succeeded."""

    def __init__(
        self, sqs: Any, queue_url: str, handler: Handler, name: str, batch_size: int = 10
    ) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.handler = handler
        self.name = name
        self.batch_size = batch_size
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.invocations = 0
        self.busy = False

    def poll_once(self) -> int:
        """One receive + invoke; returns how many messages were handled."""
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            AttributeNames=["All"],
            WaitTimeSeconds=0,
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        self.busy = True
        try:
            result = self.handler(sqs_event(messages, self.queue_arn), LambdaContext(self.name))
        except Exception:
            return len(messages)
        finally:
            self.invocations += 1
            self.busy = False
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
                ],
            )
        return len(messages)

    def pending(self) -> int:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(
            attrs["ApproximateNumberOfMessagesNotVisible"]
        )


class EventPump:
    """Background threads that keep the queues drained, like Lambda triggers."""

    def __init__(self, pumps: list[QueuePump], idle_sleep: float = 0.05) -> None:
        self.pumps = pumps
        self.idle_sleep = idle_sleep
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for pump in self.pumps:
            thread = threading.Thread(target=self._run, args=(pump,), daemon=True, name=pump.name)
            thread.start()
            self._threads.append(thread)

    def _run(self, pump: QueuePump) -> None:
        while not self._stop.is_set():
            if pump.poll_once() == 0:
                self._stop.wait(self.idle_sleep)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def idle(self) -> bool:
        return all(not p.busy and p.pending() == 0 for p in self.pumps)
