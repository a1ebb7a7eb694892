"""A Secrets Manager value cached per container for a bounded time.

The api function compares every bearer token with the admin token, so the value is
kept in memory; re-reading it every ``max_age_s`` makes a rotation (put-secret-value)
take effect in every warm container within that time, without a deployment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from rillet.adapters.errors import unavailable

# When a refresh fails the last value is kept and the read is retried this much later:
# a Secrets Manager hiccup must not turn every authenticated request into a 503.
RETRY_AFTER_S = 30.0


class CachedSecret:
    def __init__(
        self, client: Any, secret_id: str, *, max_age_s: float, now_s: Callable[[], float]
    ) -> None:
        self._client = client
        self._secret_id = secret_id
        self._max_age_s = max_age_s
        self._now_s = now_s
        self._value: str | None = None
        self._fresh_until = 0.0

    def get(self) -> str:
        now = self._now_s()
        if self._value is not None and now < self._fresh_until:
            return self._value
        try:
            value = str(self._client.get_secret_value(SecretId=self._secret_id)["SecretString"])
        except (ClientError, BotoCoreError) as exc:
            if self._value is None:
                raise unavailable(exc, "Secrets Manager GetSecretValue") from exc
            self._fresh_until = now + RETRY_AFTER_S
            return self._value
        self._value, self._fresh_until = value, now + self._max_age_s
        return value
