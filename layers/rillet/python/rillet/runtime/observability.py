"""Structured JSON logs for every function (Powertools Logger), and Rillet's own metrics.

Metrics are CloudWatch embedded-metric-format lines on stdout: CloudWatch Logs turns
them into metrics, so no function needs cloudwatch:PutMetricData. The names below are
the contract with the alarms in ``infra/aws/monitoring.py``.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Final, TextIO

from aws_lambda_powertools import Logger

logger = Logger(service="rillet")

METRICS_NAMESPACE: Final = "Rillet"
STAGE_DIMENSION: Final = "Stage"
# Bytes the CloudFront KeyValueStore holds (DescribeKeyValueStore's TotalSizeInBytes),
# published by edge_sync; alarmed before the store's 5 MB limit.
EDGE_STORE_BYTES: Final = "EdgeStoreBytes"
EDGE_STORE_ITEMS: Final = "EdgeStoreItems"


def put_metric(
    name: str,
    value: float,
    *,
    stage: str,
    unit: str = "None",
    out: TextIO | None = None,
    now_ms: int | None = None,
) -> None:
    """One metric, dimensioned by ``Stage`` only (the alarms match dimensions exactly)."""
    document = {
        "_aws": {
            "Timestamp": int(time.time() * 1000) if now_ms is None else now_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": METRICS_NAMESPACE,
                    "Dimensions": [[STAGE_DIMENSION]],
                    "Metrics": [{"Name": name, "Unit": unit}],
                }
            ],
        },
        STAGE_DIMENSION: stage,
        name: value,
    }
    # Straight to stdout, not through the logger: with the JSON log format Lambda passes
    # raw stdout lines on unchanged, and CloudWatch only extracts top-level EMF documents.
    stream = out or sys.stdout
    stream.write(json.dumps(document, separators=(",", ":")) + "\n")
    stream.flush()


def put_edge_store_bytes(size: int, *, stage: str, out: TextIO | None = None) -> None:
    put_metric(EDGE_STORE_BYTES, size, stage=stage, unit="Bytes", out=out)


def put_edge_store_size(size: int, items: int, *, stage: str, out: TextIO | None = None) -> None:
    """What edge_sync reports after every write to the store (bytes alarmed, items shown)."""
    put_edge_store_bytes(size, stage=stage, out=out)
    put_metric(EDGE_STORE_ITEMS, items, stage=stage, unit="Count", out=out)
