"""Turn botocore errors into domain errors, once."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from rillet.core.errors import Unavailable


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def unavailable(exc: ClientError | BotoCoreError, what: str) -> Unavailable:
    """Anything we do not handle explicitly is treated as transient: the caller retries."""
    detail = error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
    return Unavailable(f"{what} failed ({detail})")
