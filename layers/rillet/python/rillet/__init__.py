"""Rillet: serverless conda channel hosting on AWS."""

__version__ = "0.1.0"
