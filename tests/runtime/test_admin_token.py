"""A rotated admin token takes effect in a warm container within ADMIN_TOKEN_MAX_AGE_S.

The api function reads the token from Secrets Manager (moto here) and keeps it in
memory; the container's clock is injected, so the test moves time instead of waiting.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from rillet.adapters import schema
from rillet.adapters.secrets import RETRY_AFTER_S, CachedSecret
from rillet.core.errors import Unauthenticated, Unavailable
from rillet.runtime import wiring
from rillet.runtime.settings import Settings
from tests import fakes

REGION = "us-east-1"
OLD = "A" * 48  # the shape the stack generates: 48 letters and digits
NEW = "B" * 48


class ManualClock(wiring.Clock):
    def __init__(self) -> None:
        self.t = 1_790_000_000.0

    def now_ms(self) -> int:
        return int(self.t * 1000)

    def epoch(self) -> int:
        return int(self.t)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    fakes.aws_environment(monkeypatch)
    with mock_aws():
        # Tokens other than the admin token are looked up as API keys. Unique names: a
        # mock already running in this process (other suites) shares its state with ours.
        table = f"admin-token-{secrets.token_hex(4)}"
        boto3.client("dynamodb", region_name=REGION).create_table(**schema.table_definition(table))
        yield boto3.client("secretsmanager", region_name=REGION), table


def _container(table: str, secret_arn: str, clock: ManualClock) -> wiring.Container:
    settings = Settings(
        table_name=table,
        channels_bucket="c",
        staging_bucket="s",
        reindex_queue_url="q",
        public_url="https://conda.example.com",
        admin_token_secret=secret_arn,
    )
    return wiring.Container(settings, clock=clock)


def _is_admin(container: wiring.Container, token: str) -> bool:
    try:
        principal = container.authenticate(f"Bearer {token}")
    except Unauthenticated:
        return False
    return principal is not None and principal.superuser


def test_a_rotated_admin_token_is_used_after_the_max_age(aws: tuple[Any, str]) -> None:
    client, table = aws
    arn = client.create_secret(Name=f"admin-{secrets.token_hex(4)}", SecretString=OLD)["ARN"]
    clock = ManualClock()
    container = _container(table, arn, clock)
    assert container.admin_token == OLD

    client.put_secret_value(SecretId=arn, SecretString=NEW)
    clock.t += wiring.ADMIN_TOKEN_MAX_AGE_S - 1
    assert container.admin_token == OLD  # still within the stated time

    clock.t += 1
    assert _is_admin(container, NEW)
    assert not _is_admin(container, OLD)  # the old token stops working, no redeploy


class FlakySecrets:
    """A Secrets Manager client whose reads fail while ``down`` is set."""

    def __init__(self, value: str) -> None:
        self.value, self.down, self.reads = value, False, 0

    def get_secret_value(self, SecretId: str) -> dict[str, str]:
        self.reads += 1
        if self.down:
            raise ClientError({"Error": {"Code": "InternalServiceError"}}, "GetSecretValue")
        return {"SecretString": self.value}


def test_a_failed_refresh_keeps_the_last_token_and_retries_soon() -> None:
    client, clock = FlakySecrets(OLD), ManualClock()
    secret = CachedSecret(client, "admin", max_age_s=300, now_s=lambda: clock.t)
    assert secret.get() == OLD

    client.down, client.value = True, NEW
    clock.t += 300
    assert secret.get() == OLD  # an outage is not a 503 on every authenticated request
    reads = client.reads
    clock.t += RETRY_AFTER_S - 1
    assert secret.get() == OLD and client.reads == reads  # no read storm while it is down

    client.down = False
    clock.t += 1
    assert secret.get() == NEW


def test_without_any_value_the_read_is_unavailable(aws: tuple[Any, str]) -> None:
    container = _container(
        aws[1], "arn:aws:secretsmanager:us-east-1:123456789012:secret:gone", ManualClock()
    )
    with pytest.raises(Unavailable):
        _ = container.admin_token
