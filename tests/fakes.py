"""Test doubles for the container's clock and id source (see runtime.wiring), and
containers over moto."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.local.resources import REGION, Provisioned, Resources, provision
from rillet.adapters.cdn import NoCdn
from rillet.core.accounts import utc_iso
from rillet.runtime import wiring
from rillet.runtime.settings import Settings
from rillet.services.indexing import Indexing


class FixedClock(wiring.Clock):
    """Time stands still at ``ms`` until a test moves it."""

    def __init__(self, ms: int) -> None:
        self.ms = ms

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.ms / 1000, UTC)

    def now_ms(self) -> int:
        return self.ms

    def iso(self) -> str:
        return utc_iso(self.now())

    def epoch(self) -> int:
        return self.ms // 1000


class NamedIds(wiring.Ids):
    """Random ids, unless a test names the next ones (``uploads``, ``publishers``, ...)."""

    def __init__(self) -> None:
        self.uploads: list[str] = []
        self.publishers: list[str] = []
        self.incarnations: list[str] = []
        self.secrets: list[tuple[str, str]] = []

    def upload_id(self) -> str:
        return self.uploads.pop(0) if self.uploads else super().upload_id()

    def publisher_id(self) -> str:
        return self.publishers.pop(0) if self.publishers else super().publisher_id()

    def incarnation(self) -> str:
        return self.incarnations.pop(0) if self.incarnations else super().incarnation()

    def key_secret(self) -> tuple[str, str]:
        return self.secrets.pop(0) if self.secrets else super().key_secret()


def container(
    environment: dict[str, str], session: Any, clock: wiring.Clock, **ports: Any
) -> wiring.Container:
    """A container over provisioned (moto) resources, with these ports replaced."""
    return wiring.Container(
        Settings.from_env(environment),
        clock=clock,
        ids=NamedIds(),
        overrides={"session": session, **ports},
    )


def settings(**changes: Any) -> Settings:
    """Settings that name no real resource, for a container whose ports are all fakes."""
    placeholders: dict[str, Any] = {
        "table_name": "t",
        "channels_bucket": "c",
        "staging_bucket": "s",
        "reindex_queue_url": "q",
        "public_url": "https://conda.example.com",
    }
    return Settings(**{**placeholders, **changes})


def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials and a region in the environment, for boto3 clients moto answers."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)


@contextmanager
def provisioned(
    name: str, clock: wiring.Clock, **ports: Any
) -> Iterator[tuple[Provisioned, wiring.Container]]:
    """Inside moto: the stack's resources under names of their own (another suite's local
    stack may share moto's in-process backend), and a container over them whose CDN
    records its invalidations (a ``NoCdn``), these ports replaced.

    The staging notifications are purged: the services tests run ingest themselves."""
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        p = provision(session, Resources.unique(name))
        session.client("sqs").purge_queue(QueueUrl=p.validate_queue_url)
        environment = p.environment("https://conda.example.com", SERVICES_ADMIN_TOKEN)
        yield p, container(environment, session, clock, **{"cdn": NoCdn(), **ports})


SERVICES_ADMIN_TOKEN = "rlt_admin_services_test_token_0123"


class CallableClock(wiring.Clock):
    """A clock that reads ``now_ms`` from a function (a test's own timeline)."""

    def __init__(self, now_ms: Any) -> None:
        self._now_ms = now_ms

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._now_ms() / 1000, UTC)

    def now_ms(self) -> int:
        return int(self._now_ms())

    def iso(self) -> str:
        return utc_iso(self.now())

    def epoch(self) -> int:
        return self.now_ms() // 1000


def indexing(
    catalog: Any, store: Any, *, settle: Any = None, now_ms: Any = None, clock: Any = None
) -> Indexing:
    """An Indexing service over these ports (``now_ms``: a function of the test's time)."""
    if now_ms is not None:
        clock = CallableClock(now_ms)
    return Indexing(catalog=catalog, store=store, clock=clock or wiring.Clock(), settle=settle)
