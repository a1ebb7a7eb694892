"""Deliver SQS messages to the handlers the way Lambda's event source mapping does.

What a test must be able to rely on: a handler that raises is never silent (its traceback
is kept and ``EventPump.check`` raises it: ``LocalStack.wait_idle`` fails with it at once),
and "idle" is exact: no pump between receiving and finishing a batch, and no message left
in any queue (moto's own store, counted as it is, delayed and in flight included).
"""

from __future__ import annotations

import hashlib
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from infra.local.resources import REGION

# A Lambda handler: an SQS event and a context in, its partial batch response out.
Handler = Callable[[dict[str, Any], Any], Any]


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


class HandlerCrashed(RuntimeError):
    """A handler raised under the local stack's pump; the message carries its traceback."""


@dataclass(frozen=True)
class Crash:
    function: str
    error: BaseException
    traceback: str


class QueuePump:
    """Polls one queue and invokes one handler with batches, deleting what succeeded.

    A handler that raises leaves its messages on the queue (they come back after the
    visibility timeout, as from Lambda) and its traceback in ``crashes``.
    """

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
        self.crashes: list[Crash] = []
        # From before the receive to after the delete: a batch is never out of sight.
        self.in_flight = False
        self.completed = 0  # batches finished; moves on whenever work may have been queued

    @property
    def busy(self) -> bool:
        return self.in_flight

    def poll_once(self) -> int:
        """One receive + invoke; returns how many messages were handled."""
        self.in_flight = True
        try:
            return self._poll()
        finally:
            self.completed += 1
            self.in_flight = False

    def _poll(self) -> int:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            AttributeNames=["All"],
            WaitTimeSeconds=0,
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        try:
            result = self.handler(sqs_event(messages, self.queue_arn), LambdaContext(self.name))
        except Exception as exc:
            self.crashes.append(Crash(self.name, exc, traceback.format_exc()))
            return len(messages)
        finally:
            self.invocations += 1
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
        """Messages in the queue, visible, in flight or delayed: moto's store, exactly."""
        from moto.sqs.models import sqs_backends

        account, name = self.queue_arn.split(":")[4:6]
        queue = sqs_backends[account][self.queue_arn.split(":")[3]].get_queue(name)
        return len(queue._messages)


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

    def check(self) -> None:
        """Raise the first handler crash (with its traceback) that nobody has seen yet."""
        for pump in self.pumps:
            if pump.crashes:
                crash = pump.crashes.pop(0)
                raise HandlerCrashed(
                    f"the {crash.function} handler raised:\n{crash.traceback}"
                ) from crash.error

    def idle(self) -> bool:
        """Nothing queued and nothing in flight, now: exact, not a count of quiet polls.

        A message queued by a handler is queued before that handler's batch completes,
        so if no batch completed or was in flight while the queues were found empty,
        they were all empty at once.
        """
        before = [(p.in_flight, p.completed) for p in self.pumps]
        if any(in_flight for in_flight, _ in before):
            return False
        if any(p.pending() for p in self.pumps):
            return False
        return [(p.in_flight, p.completed) for p in self.pumps] == before
