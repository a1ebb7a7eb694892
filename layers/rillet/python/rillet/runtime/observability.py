"""Structured JSON logs for every function (Powertools Logger)."""

from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger(service="rillet")
