"""StageConfig reads CDK context (strings from `-c`, JSON values from cdk.json)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import RemovalPolicy

from infra.aws.config import ConfigError, StageConfig
from rillet.runtime import settings

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc"


def _config(**context: Any) -> StageConfig:
    return StageConfig.from_context(context.get)


def test_production_defaults() -> None:
    config = _config()
    assert config.stage == "prod"
    assert config.removal_policy == RemovalPolicy.RETAIN and config.retain
    assert config.tracing is True
    assert config.max_package_bytes == settings.DEFAULT_MAX_PACKAGE_BYTES
    assert config.domain_name is None


def test_cli_strings_are_parsed() -> None:
    config = _config(
        stage="dev",
        removal="destroy",
        tracing="false",
        max_package_bytes="5000000",
        log_retention_days="14",
    )
    assert (config.stage, config.retain, config.tracing) == ("dev", False, False)
    assert config.max_package_bytes == 5_000_000
    assert config.removal_policy == RemovalPolicy.DESTROY


@pytest.mark.parametrize(
    "context",
    [
        {"stage": "Prod"},  # stack and secret names are lower case
        {"domain_name": "conda.example.org"},  # a name without a certificate
        {"certificate_arn": CERT},
        {"domain_name": "c.example.org", "certificate_arn": CERT.replace("us-east-1", "eu-west-1")},
        {"removal": "snapshot"},
        {"tracing": "maybe"},
        {"max_package_bytes": "0"},
        {"max_package_bytes": "lots"},
        {"log_retention_days": "10"},  # not a period CloudWatch Logs offers
        {"reindex_concurrency": "1"},  # an SQS trigger's maximum concurrency is at least 2
        {"validate_concurrency": "-1"},
        {"edge_sync_concurrency": "many"},
        {"edge_store_name": "rillet prod"},  # CloudFront allows letters, digits, - and _
    ],
)
def test_bad_context_is_refused(context: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        _config(**context)


def test_custom_domain_with_a_us_east_1_certificate() -> None:
    config = _config(domain_name="conda.example.org", certificate_arn=CERT)
    assert config.domain_name == "conda.example.org"


def test_reserved_concurrency_of_the_queue_consumers() -> None:
    defaults = _config()
    assert (
        defaults.validate_concurrency,
        defaults.reindex_concurrency,
        defaults.edge_sync_concurrency,
    ) == (10, 4, 2)
    config = _config(validate_concurrency="0", reindex_concurrency="8", edge_sync_concurrency="1")
    assert (config.validate_concurrency, config.reindex_concurrency) == (0, 8)
    assert config.edge_sync_concurrency == 1


def test_an_existing_edge_store_name_can_be_kept() -> None:
    assert _config().edge_store_name is None  # <stack>-<region>-edge
    kept = _config(edge_store_name="RilletprodCdnEdgeStoreE7F082F1")
    assert kept.edge_store_name == "RilletprodCdnEdgeStoreE7F082F1"
