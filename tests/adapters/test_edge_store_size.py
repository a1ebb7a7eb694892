"""The edge store (CloudFront KeyValueStore, 5 MB for all keys and values) holds a stated
deployment: measured from the entries edge_sync writes for the items the services write."""

from __future__ import annotations

import hashlib

from rillet.adapters import schema
from rillet.adapters.edge import KVS_MAX_BYTES, entries_for_item, entry_bytes
from rillet.core.accounts import ApiKey, grants_for
from rillet.core.policy import Scope

# The sizing docs/deploy.md states: 1,000 users with 2 read keys each, 2,000 private
# channels, each user a member of 10 of them (10,000 memberships), and any number of
# public channels. Names are of typical length (12-character channels, 8-character users).
USERS, KEYS_PER_USER, PRIVATE_CHANNELS, CHANNELS_PER_USER = 1_000, 2, 2_000, 10


def _items(
    users: int, keys: int, private: int, per_user: int, public: int, *, limited: bool = False
) -> list[dict]:
    """The table items: channels, memberships, keys and the GRANT items services write
    (``grants_for``). ``limited``: every key is limited to its user's channels."""
    items: list[dict] = []
    channels = [f"team-ch{c:05d}" for c in range(private)]
    items += [{**schema.channel_key(c), "name": c, "visibility": "private"} for c in channels]
    items += [
        {
            **schema.channel_key(f"pub{c:05d}"),
            "name": f"pub{c:05d}",
            "visibility": "public",
        }
        for c in range(public)
    ]
    for u in range(users):
        user = f"user{u:04d}"
        mine = [channels[(u * per_user + i) % private] for i in range(per_user)]
        for c in mine:
            items.append({**schema.member_key(c, user), "role": "member"})
            items.append({**schema.membership_key(user, c), "role": "member"})
        for k in range(keys):
            digest = hashlib.sha256(f"{user}-key{k}".encode()).hexdigest()
            scope = sorted(mine) if limited else None
            item = {**schema.token_key(digest), "kind": "api", "user": user}
            items.append({**item, "expires_at": 0, "channels": scope})
            key = ApiKey(
                f"k{k}", user, digest, Scope.READ, "", frozenset(mine) if limited else None
            )
            items += [
                {**schema.grant_key(g.channel, g.token_hash), "expires_at": 1900000000}
                for g in grants_for([key], mine, 0)
            ]
    return items


def _store_bytes(items: list[dict]) -> int:
    entries: dict[str, str] = {}
    for item in items:
        entries.update(entries_for_item(item))
    return entry_bytes(entries)


STATED = (USERS, KEYS_PER_USER, PRIVATE_CHANNELS, CHANNELS_PER_USER, 0)


def test_the_stated_deployment_fits_with_room_to_spare() -> None:
    size = _store_bytes(_items(*STATED))
    print(f"{USERS} users x {KEYS_PER_USER} keys, {PRIVATE_CHANNELS} private channels: {size} B")
    assert size < 0.15 * KVS_MAX_BYTES  # ~0.62 MB (per key: ~2.2 MB): far below 80 %


def test_grants_per_user_cost_less_than_grants_per_key() -> None:
    """The same deployment with every key limited to channels needs a grant per key x
    membership (the layout before grants per user): per user is several times smaller."""
    per_user, per_key = _store_bytes(_items(*STATED)), _store_bytes(_items(*STATED, limited=True))
    print(f"per user and channel: {per_user} B, per key and channel: {per_key} B")
    assert per_key > 1.5 * per_user


def test_more_keys_cost_one_entry_each_not_one_per_membership() -> None:
    one = _store_bytes(_items(10, 1, 100, 10, 0))
    two = _store_bytes(_items(10, 2, 100, 10, 0))
    per_key = (two - one) / 10
    assert per_key < 250  # t: + u: of one key, whatever its user's memberships


def test_public_channels_cost_nothing() -> None:
    without = _store_bytes(_items(10, 1, 10, 1, 0))
    assert _store_bytes(_items(10, 1, 10, 1, 50_000)) == without


def test_every_user_in_every_channel_does_not_fit() -> None:
    """1,000 users x 2,000 private channels, all members everywhere: 2,000,000 memberships
    of ~30 B each, ~60 MB, far past 5 MB (docs/deploy.md says what happens then)."""
    per_membership = _store_bytes(_items(1, 1, 2, 2, 0)) - _store_bytes(_items(1, 1, 2, 1, 0))
    assert 1_000 * 2_000 * per_membership > KVS_MAX_BYTES
