"""Reading a table scan back through the key codec (tests only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rillet.adapters import schema


def keys_naming(raw_items: Iterable[dict[str, Any]], value: str) -> list[dict[str, str]]:
    """Keys of the raw (scanned) items one of whose key fields is ``value``, sorted.

    Upload intents are left out (they expire by TTL); a key no item kind spells is
    always in (whatever it is, nothing should have written it)."""
    found = []
    for raw in raw_items:
        key = {schema.PK: raw[schema.PK]["S"], schema.SK: raw[schema.SK]["S"]}
        parsed = schema.parse_key(key[schema.PK], key[schema.SK])
        if parsed is None or (parsed[0] is not schema.UPLOAD and value in parsed[1].values()):
            found.append(key)
    return sorted(found, key=lambda k: (k[schema.PK], k[schema.SK]))
