"""StageConfig: every deployment choice, read once from CDK context (cdk.json or ``-c``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs

from rillet.runtime import settings

_STAGE = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
_KVS_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_REMOVAL = {"retain": RemovalPolicy.RETAIN, "destroy": RemovalPolicy.DESTROY}
T = TypeVar("T")


class ConfigError(ValueError):
    """A context value is missing, malformed or inconsistent with another."""


@dataclass(frozen=True)
class StageConfig:
    stage: str = "prod"
    # Both or neither: CloudFront needs an ACM certificate in us-east-1 for the name.
    domain_name: str | None = None
    certificate_arn: str | None = None
    max_package_bytes: int = settings.DEFAULT_MAX_PACKAGE_BYTES
    log_retention_days: int = 90
    # retain: buckets, table and secret survive `cdk destroy`, and the table keeps its
    # deletion protection. destroy is for throwaway stages.
    removal: str = "retain"
    tracing: bool = True
    alarm_email: str | None = None
    # Reserved concurrency of the queue consumers (0: none reserved). It keeps a burst of
    # uploads or rebuilds from taking the account's concurrency from the api function,
    # and caps the load they put on DynamoDB, S3 and the edge store.
    validate_concurrency: int = 10
    reindex_concurrency: int = 4
    edge_sync_concurrency: int = 2
    # The edge store's name; by default <stack>-<region>-edge. Only to keep the store of a
    # stage deployed before names carried the region (docs/deploy.md, Upgrading).
    edge_store_name: str | None = None
    # The web app's build (`make web`), relative to the repository root or absolute.
    web_dist: str = "web/dist"

    def __post_init__(self) -> None:
        if not _STAGE.match(self.stage):
            raise ConfigError(f"stage must match {_STAGE.pattern}, got {self.stage!r}")
        if bool(self.domain_name) != bool(self.certificate_arn):
            raise ConfigError("domain_name and certificate_arn go together")
        if self.certificate_arn and ":us-east-1:" not in self.certificate_arn:
            raise ConfigError("CloudFront only accepts ACM certificates from us-east-1")
        if self.removal not in _REMOVAL:
            raise ConfigError(f"removal must be one of {sorted(_REMOVAL)}, got {self.removal!r}")
        if self.max_package_bytes <= 0:
            raise ConfigError("max_package_bytes must be positive")
        if self.log_retention_days not in _RETENTION:
            raise ConfigError(f"log_retention_days must be one of {sorted(_RETENTION)}")
        for key in ("validate_concurrency", "reindex_concurrency"):
            # The SQS trigger's maximum concurrency (set to the same) is at least 2.
            if getattr(self, key) < 0 or getattr(self, key) == 1:
                raise ConfigError(f"{key} must be 0 (none reserved) or at least 2")
        if self.edge_sync_concurrency < 0:
            raise ConfigError("edge_sync_concurrency must be 0 (none reserved) or more")
        if self.edge_store_name is not None and not _KVS_NAME.match(self.edge_store_name):
            raise ConfigError(f"edge_store_name must match {_KVS_NAME.pattern}")

    @property
    def removal_policy(self) -> RemovalPolicy:
        return _REMOVAL[self.removal]

    @property
    def retain(self) -> bool:
        return self.removal == "retain"

    @property
    def log_retention(self) -> logs.RetentionDays:
        return _RETENTION[self.log_retention_days]

    @classmethod
    def from_context(cls, get: Callable[[str], Any]) -> StageConfig:
        """``get`` is ``app.node.try_get_context``; values from ``-c`` arrive as strings."""
        d = cls()
        return cls(
            stage=_value(get, "stage", str, d.stage),
            domain_name=_value(get, "domain_name", str, None),
            certificate_arn=_value(get, "certificate_arn", str, None),
            max_package_bytes=_value(get, "max_package_bytes", int, d.max_package_bytes),
            log_retention_days=_value(get, "log_retention_days", int, d.log_retention_days),
            removal=_value(get, "removal", str, d.removal),
            tracing=_value(get, "tracing", _boolean, d.tracing),
            alarm_email=_value(get, "alarm_email", str, None),
            validate_concurrency=_value(get, "validate_concurrency", int, d.validate_concurrency),
            reindex_concurrency=_value(get, "reindex_concurrency", int, d.reindex_concurrency),
            edge_sync_concurrency=_value(
                get, "edge_sync_concurrency", int, d.edge_sync_concurrency
            ),
            edge_store_name=_value(get, "edge_store_name", str, None),
            web_dist=_value(get, "web_dist", str, d.web_dist),
        )


def _value(get: Callable[[str], Any], key: str, parse: Callable[[Any], T], default: T) -> T:
    raw = get(key)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except ValueError as exc:
        raise ConfigError(f"context {key}: {exc}") from None


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"true", "1", "yes"}:
        return True
    if text in {"false", "0", "no"}:
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


# CloudWatch Logs accepts only these periods (days); jsii enums carry names, not numbers.
_RETENTION: dict[int, logs.RetentionDays] = {
    days: getattr(logs.RetentionDays, name)
    for days, name in (
        (1, "ONE_DAY"),
        (3, "THREE_DAYS"),
        (5, "FIVE_DAYS"),
        (7, "ONE_WEEK"),
        (14, "TWO_WEEKS"),
        (30, "ONE_MONTH"),
        (60, "TWO_MONTHS"),
        (90, "THREE_MONTHS"),
        (120, "FOUR_MONTHS"),
        (150, "FIVE_MONTHS"),
        (180, "SIX_MONTHS"),
        (365, "ONE_YEAR"),
        (400, "THIRTEEN_MONTHS"),
        (545, "EIGHTEEN_MONTHS"),
        (731, "TWO_YEARS"),
        (1827, "FIVE_YEARS"),
        (3653, "TEN_YEARS"),
    )
}
