"""Benchmarks: speed and scale on the local stack, next to the anchors (see README.md).

Never imported by the application or the tests; run with ``make bench`` or
``python -m bench.<scenario>``.
"""
