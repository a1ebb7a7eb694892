"""Channel use cases."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rillet.core.errors import InvalidRequest
from rillet.core.models import NOARCH, Channel, Visibility
from rillet.core.names import validate_channel_name
from rillet.core.ports import Catalog, ObjectStore
from rillet.services.indexing import publish_empty_subdir

MAX_DESCRIPTION = 1000


def parse_visibility(value: Any) -> Visibility:
    try:
        return Visibility(value)
    except ValueError:
        raise InvalidRequest("visibility must be 'public' or 'private'") from None


def create_channel(
    catalog: Catalog,
    store: ObjectStore,
    body: Mapping[str, Any],
    *,
    owner: str,
    now_iso: str,
) -> Channel:
    """Create a channel with an empty, valid ``noarch`` index.

    Raises InvalidName, InvalidRequest, Conflict (name taken).
    """
    name = body.get("name")
    validate_channel_name(name)  # type: ignore[arg-type]
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise InvalidRequest(f"description must be a string of at most {MAX_DESCRIPTION} chars")
    channel = Channel(
        name=str(name),
        visibility=parse_visibility(body.get("visibility", "public")),
        owner=owner,
        description=description,
        created_at=now_iso,
    )
    catalog.create_channel(channel)
    # Written after the item exists: the name is ours, and a retry rewrites the same bytes.
    publish_empty_subdir(store, channel.name, NOARCH)
    return channel
