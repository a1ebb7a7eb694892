"""The edge store (CloudFront KeyValueStore, 5 MB for all keys and values) holds a stated
deployment: measured from the entries edge_sync writes for the items the services write."""

from __future__ import annotations

import hashlib

from rillet.adapters.edge import KVS_MAX_BYTES, entries_for_item, entry_bytes

# The sizing docs/deploy.md states: 1,000 users with 2 read keys each, 2,000 private
# channels, each user a member of 10 of them (10,000 memberships -> 20,000 key grants),
# and any number of public channels. Names are of typical length (12-character channels).
USERS, KEYS_PER_USER, PRIVATE_CHANNELS, CHANNELS_PER_USER = 1_000, 2, 2_000, 10


def _items(users: int, keys: int, private: int, per_user: int, public: int) -> list[dict]:
    items: list[dict] = []
    channels = [f"team-ch{c:05d}" for c in range(private)]
    items += [
        {"pk": f"CHANNEL#{c}", "sk": "CHANNEL", "name": c, "visibility": "private"}
        for c in channels
    ]
    items += [
        {
            "pk": f"CHANNEL#pub{c:05d}",
            "sk": "CHANNEL",
            "name": f"pub{c:05d}",
            "visibility": "public",
        }
        for c in range(public)
    ]
    for u in range(users):
        for k in range(keys):
            digest = hashlib.sha256(f"user{u}-key{k}".encode()).hexdigest()
            items.append({"pk": f"KEY#{digest}", "sk": "KEY", "kind": "api", "expires_at": 0})
            for i in range(per_user):
                channel = channels[(u * per_user + i) % private]
                items.append({"pk": f"GRANT#{channel}", "sk": digest, "expires_at": 1900000000})
    return items


def _store_bytes(items: list[dict]) -> int:
    entries: dict[str, str] = {}
    for item in items:
        entries.update(entries_for_item(item))
    return entry_bytes(entries)


def test_the_stated_deployment_fits_with_room_to_spare() -> None:
    size = _store_bytes(_items(USERS, KEYS_PER_USER, PRIVATE_CHANNELS, CHANNELS_PER_USER, 0))
    print(f"{USERS} users x {KEYS_PER_USER} keys, {PRIVATE_CHANNELS} private channels: {size} B")
    assert size < 0.8 * KVS_MAX_BYTES  # the alarm's threshold (80 %) is not reached


def test_public_channels_cost_nothing() -> None:
    without = _store_bytes(_items(10, 1, 10, 1, 0))
    assert _store_bytes(_items(10, 1, 10, 1, 50_000)) == without


def test_every_user_in_every_channel_does_not_fit() -> None:
    """1,000 users x 2,000 private channels, all members everywhere: 2,000,000 grants of
    ~89 B each, ~180 MB, far past 5 MB (docs/deploy.md says what happens then)."""
    per_grant = _store_bytes(_items(1, 1, 2, 2, 0)) - _store_bytes(_items(1, 1, 2, 1, 0))
    assert 1_000 * 2_000 * per_grant > KVS_MAX_BYTES
