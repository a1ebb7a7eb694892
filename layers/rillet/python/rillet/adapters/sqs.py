"""SQS implementation of the ReindexQueue port (FIFO, one group per subdir)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from rillet.adapters.errors import unavailable
from rillet.core.layout import reindex_group


def reindex_message(
    channel: str, subdir: str, seq: int, *, full: bool = False, incarnation: str | None = None
) -> str:
    # Deterministic body: the queue's content-based deduplication drops exact repeats.
    body: dict[str, Any] = {"channel": channel, "subdir": subdir, "seq": seq}
    if full:
        body["full"] = True
    if incarnation is not None:
        body["incarnation"] = incarnation
    return json.dumps(body, sort_keys=True)


class SqsReindexQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self.client = client
        self.queue_url = queue_url

    def request_reindex(
        self,
        channel: str,
        subdir: str,
        seq: int,
        *,
        full: bool = False,
        incarnation: str | None = None,
    ) -> None:
        try:
            self.client.send_message(
                QueueUrl=self.queue_url,
                MessageBody=reindex_message(
                    channel, subdir, seq, full=full, incarnation=incarnation
                ),
                MessageGroupId=reindex_group(channel, subdir),
            )
        except (ClientError, BotoCoreError) as exc:
            raise unavailable(exc, "SQS SendMessage") from exc
