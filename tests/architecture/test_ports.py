"""One port owns the channel lifecycle (core/ports.Catalog, adapters/dynamodb.DynamoCatalog)."""

from __future__ import annotations

import inspect

from rillet.adapters import accounts, directory, dynamodb, edge, publishers
from rillet.core import ports

LIFECYCLE = {
    "create_channel",
    "get_channel",
    "list_channels",
    "update_channel",
    "live_incarnation",
    "deleting_channel",
    "begin_delete",
    "finish_delete",
    "delete_channel_records",
}


def _methods(cls: type) -> set[str]:
    return {n for n, _ in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")}


def test_the_catalog_port_and_its_adapter_own_every_channel_lifecycle_step() -> None:
    assert _methods(ports.Catalog) >= LIFECYCLE
    assert _methods(dynamodb.DynamoCatalog) >= LIFECYCLE


def test_no_other_port_or_adapter_offers_a_channel_lifecycle_step() -> None:
    others = [
        cls
        for module in (ports, accounts, directory, dynamodb, edge, publishers)
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module.__name__ and cls not in (ports.Catalog, dynamodb.DynamoCatalog)
    ]
    assert ports.Directory in others and directory.DynamoDirectory in others
    offenders = {cls.__qualname__: LIFECYCLE & _methods(cls) for cls in others}
    assert {k: v for k, v in offenders.items() if v} == {}
