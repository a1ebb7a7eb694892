"""Keep moto's memory bounded over a long local session (issue 10, item 9).

Three moto behaviours grew a long-running local stack to gigabytes:

- Every moto model object ever created (each DynamoDB ``Item``, each S3 ``FakeKey`` with
  its bytes, each stream record, each SQS message ...) is appended to its class's
  ``instances_tracked`` list, for moto's dashboard, and never dropped until the mock is
  reset: every overwritten item, every rewritten repodata.json stays in memory. Here the
  lists hold their objects weakly, so only live objects are kept (and listed).
- ``transact_write_items`` deep-copies every table it touches before each transaction, so
  that it can swap the copy back on failure. Each copy is the whole table *including* its
  stream shard, so one transaction costs O(table + stream) memory and CPU, and the
  allocator keeps the peaks. (It also loses other threads' writes made meanwhile when it
  rolls back.) Here a transaction keeps an undo log of only the items it names.
- A table's stream shard keeps every record ever written (each with full old and new
  images): DynamoDB keeps 24 hours, moto forever. Here the shard keeps the last
  ``STREAM_RECORDS_KEPT`` records; sequence numbers stay monotonic.

``install()`` patches moto's classes for the process; the local stack calls it on start.
"""

from __future__ import annotations

import contextlib
import copy
import threading
import weakref
from collections.abc import Iterator
from typing import Any, Final, cast

from moto.core.common_models import BaseModel
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import StreamShard, Table

STREAM_RECORDS_KEPT: Final = 5_000

_local = threading.local()
_installed = False


class _WeakTracker:
    """What moto reads of ``instances_tracked`` (append, iterate), holding nothing alive."""

    def __init__(self) -> None:
        self._live: weakref.WeakSet[Any] = weakref.WeakSet()

    def append(self, instance: Any) -> None:
        # A class without weak references is simply not listed.
        with contextlib.suppress(TypeError):
            self._live.add(instance)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._live))

    def __len__(self) -> int:
        return len(self._live)


def _tracked_new(cls: Any, *args: Any, **kwargs: Any) -> Any:
    instance = super(BaseModel, cls).__new__(cls)
    tracker = cls.__dict__.get("instances_tracked")
    if not isinstance(tracker, _WeakTracker):
        # moto's reset puts plain lists back; replace them again lazily.
        tracker = _WeakTracker()
        cls.instances_tracked = tracker
    tracker.append(instance)
    return instance


def _table_deepcopy(self: Table, memo: dict[int, Any]) -> Table:
    if getattr(_local, "in_transaction", False):
        return self  # the transaction's undo log below replaces moto's table copy
    clone = cast(Table, self.__class__.__new__(self.__class__))
    memo[id(self)] = clone
    for name, value in self.__dict__.items():
        setattr(clone, name, copy.deepcopy(value, memo))
    return clone


def _target(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> Any:
    table = backend.tables.get(op.get("TableName", ""))
    if table is None:
        return None
    source = op["Item"] if op_type == "Put" else op.get("Key", {})
    if table.hash_key_attr not in source:
        return None
    hash_value = DynamoType(source[table.hash_key_attr])
    range_value = None
    if table.range_key_attr is not None:
        if table.range_key_attr not in source:
            return None
        range_value = DynamoType(source[table.range_key_attr])
    return table, hash_value, range_value


def _undo_log(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[Any]:
    log = []
    for entry in transact_items:
        if len(entry) != 1:
            continue  # moto refuses it before writing anything
        op_type, op = next(iter(entry.items()))
        target = _target(backend, op_type, op)
        if target is None:
            continue
        table, hash_value, range_value = target
        # Deep: update_item changes the stored Item in place.
        before = copy.deepcopy(table.get_item(hash_value, range_value))
        shard = table.stream_shard
        written = shard.starting_sequence_number + len(shard.items) if shard else 0
        log.append((table, hash_value, range_value, before, written))
    return log


def _restore(log: list[Any]) -> None:
    for table, hash_value, range_value, before, written in reversed(log):
        if range_value is not None:
            bucket = table.items[hash_value]
            if before is None:
                bucket.pop(range_value, None)
            else:
                bucket[range_value] = before
        elif before is None:
            table.items.pop(hash_value, None)
        else:
            table.items[hash_value] = before
        shard = table.stream_shard
        if shard is not None:
            # A cancelled transaction leaves no stream records.
            del shard.items[max(written - shard.starting_sequence_number, 0) :]


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    original_transaction = DynamoDBBackend.transact_write_items
    original_add = StreamShard.add

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        log = _undo_log(self, transact_items)
        _local.in_transaction = True
        try:
            original_transaction(self, transact_items)
        except Exception:
            _restore(log)
            raise
        finally:
            _local.in_transaction = False

    def add(self: StreamShard, old: Any, new: Any) -> None:
        original_add(self, old, new)
        excess = len(self.items) - STREAM_RECORDS_KEPT
        if excess > 0:
            del self.items[:excess]
            self.starting_sequence_number += excess

    BaseModel.__new__ = _tracked_new  # type: ignore[method-assign]
    Table.__deepcopy__ = _table_deepcopy  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    StreamShard.add = add  # type: ignore[method-assign]
