"""The local stack's event pump: "idle" is exact, and a handler that raises is never silent
(infra/local/pump.py; the local stack's own crash test is tests/e2e/test_pump_crash.py)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local.pump import EventPump, HandlerCrashed, QueuePump
from infra.local.resources import REGION


@pytest.fixture
def sqs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


def _queue(sqs: Any) -> str:
    return str(sqs.create_queue(QueueName=f"pump-{uuid.uuid4().hex[:8]}")["QueueUrl"])


def _wait_idle(pump: EventPump, seconds: float = 20) -> None:
    """What LocalStack.wait_idle does, on these pumps."""
    done = threading.Event()
    while not done.wait(0.01):
        pump.check()
        if pump.idle():
            return
        seconds -= 0.01
        if seconds <= 0:
            raise TimeoutError("not idle")


def test_a_delayed_message_is_not_idle(sqs: Any) -> None:
    url = _queue(sqs)
    handled: list[str] = []

    def handle(event: dict[str, Any], _: Any) -> dict[str, Any]:
        handled.append(event["Records"][0]["body"])
        return {}

    pump = QueuePump(sqs, url, handle, "q")
    events = EventPump([pump], idle_sleep=0.01)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    # Nothing visible and nothing in flight, but a message is queued: not idle.
    assert not events.idle()
    events.start()
    try:
        _wait_idle(events)
    finally:
        events.stop()
    assert handled == ["later"]
    assert events.idle()


def test_idle_waits_for_work_a_handler_queues_for_another(sqs: Any) -> None:
    first, second = _queue(sqs), _queue(sqs)
    release = threading.Event()
    handled: list[str] = []

    def forward(event: dict[str, Any], _: Any) -> dict[str, Any]:
        release.wait(10)  # in flight with its queue already empty
        sqs.send_message(QueueUrl=second, MessageBody=event["Records"][0]["body"] + "+1")
        return {}

    def sink(event: dict[str, Any], _: Any) -> dict[str, Any]:
        handled.append(event["Records"][0]["body"])
        return {}

    a, b = QueuePump(sqs, first, forward, "a"), QueuePump(sqs, second, sink, "b")
    events = EventPump([a, b], idle_sleep=0.01)
    sqs.send_message(QueueUrl=first, MessageBody="m")
    events.start()
    try:
        for _ in range(2000):  # bounded: the pump picks the message up at once
            if a.in_flight:
                break
            threading.Event().wait(0.01)
        assert a.in_flight and b.pending() == 0
        assert not events.idle()  # the work it is about to queue is not done
        release.set()
        _wait_idle(events)
    finally:
        release.set()
        events.stop()
    assert handled == ["m+1"]
    assert a.pending() == b.pending() == 0


def test_a_crash_is_raised_with_its_traceback_and_its_message_stays(sqs: Any) -> None:
    url = _queue(sqs)

    def crashing(event: dict[str, Any], _: Any) -> dict[str, Any]:
        raise ValueError(f"boom on {json.loads(event['Records'][0]['body'])['n']}")

    pump = QueuePump(sqs, url, crashing, "validate")
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": 7}))
    events = EventPump([pump], idle_sleep=0.01)
    events.start()
    try:
        with pytest.raises(HandlerCrashed) as raised:
            _wait_idle(events)
    finally:
        events.stop()
    text = str(raised.value)
    assert "the validate handler raised" in text
    assert "Traceback" in text and "ValueError: boom on 7" in text and "crashing" in text
    assert isinstance(raised.value.__cause__, ValueError)
    # As on Lambda, the batch was not deleted: it comes back after the visibility timeout.
    assert pump.pending() == 1
    events.check()  # each crash is raised once
