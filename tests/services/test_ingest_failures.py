"""No upload stays ``validating``: every failure ends rejected, or retried, then final.

Real adapters on moto; the failures are real (an index.json the table cannot hold) or a
dependency that fails the way a network does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

import pytest

from rillet.core.errors import InvalidRequest, Unavailable
from rillet.core.models import UploadStatus
from rillet.services.ingest import VALIDATION_FAILED
from tests.core.package_factory import edit_index
from tests.packages import build_package
from tests.services import test_ingest_and_reindex as base
from tests.services.test_ingest_and_reindex import World

world = base.world  # the same fixtures: real adapters on moto, one channel "chan"
pkgs = base.pkgs


class FailingOpen:
    """A staging store whose reads fail with ``error`` (everything else is the real one)."""

    def __init__(self, inner: Any, error: Exception) -> None:
        self._inner = inner
        self._error = error

    def open(self, key: str) -> BinaryIO:
        raise self._error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def ingest(world: World, key: str, *, staging: Any = None, final_attempt: bool = False) -> Any:
    c = world.c.with_ports(staging=staging) if staging is not None else world.c
    return c.services.ingest.ingest_staged(key, final_attempt=final_attempt)


def test_an_index_json_too_large_for_the_table_is_rejected_not_stuck(
    world: World, pkgs: Path
) -> None:
    # ~500 kB of index.json: under the old 2 MiB JSON cap, over DynamoDB's 400 kB item.
    path = build_package(pkgs / "huge-index", "hugeidx", "1.0")
    path = edit_index(path, lambda index: index.__setitem__("padding", ["x" * 1000] * 500))
    key = world.stage("chan", path, "huge1")
    outcome = ingest(world, key)
    assert (outcome.status, outcome.reason) == ("rejected", "metadata-too-large")
    upload = world.catalog.get_upload("huge1")
    assert upload.status is UploadStatus.REJECTED and upload.reason == "metadata-too-large"
    assert world.catalog.get_package("chan", "noarch", path.name) is None


@pytest.mark.parametrize(
    "error",
    [ConnectionResetError("peer went away"), Unavailable("s3 read failed"), RuntimeError("bug")],
    ids=["network", "unavailable", "unexpected"],
)
def test_a_transient_failure_is_retried_then_final(
    world: World, pkgs: Path, error: Exception
) -> None:
    path = build_package(pkgs / "flaky", "flaky", "1.0")
    key = world.stage("chan", path, "flaky1")
    failing = FailingOpen(world.staging, error)
    with pytest.raises(type(error)):
        ingest(world, key, staging=failing)  # the queue delivers it again
    assert world.catalog.get_upload("flaky1").status is UploadStatus.VALIDATING

    outcome = ingest(world, key, staging=failing, final_attempt=True)
    assert (outcome.status, outcome.reason) == ("rejected", VALIDATION_FAILED)
    upload = world.catalog.get_upload("flaky1")
    assert upload.status is UploadStatus.REJECTED and upload.reason == VALIDATION_FAILED
    assert upload.message and "try again" in upload.message
    assert world.staging.head(key) is None


def test_a_permanent_failure_is_rejected_at_once(world: World, pkgs: Path) -> None:
    path = build_package(pkgs / "perm", "perm", "1.0")
    key = world.stage("chan", path, "perm1")
    outcome = ingest(world, key, staging=FailingOpen(world.staging, InvalidRequest("bad")))
    assert (outcome.status, outcome.reason) == ("rejected", VALIDATION_FAILED)
    assert world.catalog.get_upload("perm1").status is UploadStatus.REJECTED


def test_a_retry_that_succeeds_publishes(world: World, pkgs: Path) -> None:
    path = build_package(pkgs / "retry", "retry", "1.0")
    key = world.stage("chan", path, "retry1")
    with pytest.raises(ConnectionResetError):
        ingest(world, key, staging=FailingOpen(world.staging, ConnectionResetError()))
    assert ingest(world, key).status == "published"
    assert world.catalog.get_upload("retry1").status is UploadStatus.PUBLISHED
