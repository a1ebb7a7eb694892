"""Rillet's custom metrics are EMF documents the alarms can match exactly."""

from __future__ import annotations

import io
import json

from rillet.runtime import observability as o


def test_edge_store_bytes_is_an_emf_metric_with_only_the_stage_dimension() -> None:
    out = io.StringIO()
    o.put_edge_store_bytes(1234, stage="prod", out=out)
    (line,) = out.getvalue().splitlines()
    doc = json.loads(line)
    (directive,) = doc["_aws"]["CloudWatchMetrics"]
    assert directive == {
        "Namespace": "Rillet",
        "Dimensions": [["Stage"]],  # an extra dimension would be a metric no alarm watches
        "Metrics": [{"Name": "EdgeStoreBytes", "Unit": "Bytes"}],
    }
    assert doc["Stage"] == "prod" and doc["EdgeStoreBytes"] == 1234
    assert isinstance(doc["_aws"]["Timestamp"], int)
