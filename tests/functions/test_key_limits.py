"""A key never creates more power than it has, over the HTTP API (issue 10, item 2).

The attack: a key limited to one channel (admin scope) minted an unrestricted key and,
with it, read every private channel of its user. These tests replay it and check every
other way such a key could reach beyond its channels.
"""

from __future__ import annotations

from typing import Any

from tests.functions.conftest import Client, Packages, World
from tests.functions.test_api import assert_error, assert_text_error

KEYS = "/api/v1/users/me/keys"


def key_ids(client: Client) -> set[str]:
    r = client.get(KEYS)
    assert r.status == 200, r
    return {k["id"] for k in r.json()["keys"]}


def channel_names(client: Client) -> set[str]:
    r = client.get("/api/v1/channels")
    assert r.status == 200, r
    return {c["name"] for c in r.json()["channels"]}


def test_channel_limited_admin_key_cannot_mint_a_wider_key(world: World) -> None:
    alice = world.user("alice")
    for name in ("mine", "secret", "other"):
        alice.create_channel(name, "private")
    _, limited = alice.create_key(scope="admin", channels=["mine"])
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"scope": "admin", "channels": None}, "key-channels-too-broad"),  # unrestricted
        ({"scope": "read", "channels": None}, "key-channels-too-broad"),
        ({"scope": "admin", "channels": ["mine", "secret"]}, "key-channels-too-broad"),
        ({"scope": "read", "channels": ["secret"]}, "key-channels-too-broad"),
    ]
    before = key_ids(alice)
    for body, code in refusals:
        assert_error(limited.post(KEYS, body), 403, code)
    assert key_ids(alice) == before  # nothing was created
    # Left out, the channels are the creating key's own: never wider.
    r = limited.post(KEYS, {"scope": "read"})
    assert r.status == 201, r
    assert r.json()["channels"] == ["mine"]
    child = Client(r.json()["secret"], "alice")
    assert child.get("/api/v1/channels/mine").status == 200
    assert_error(child.get("/api/v1/channels/secret"), 404, "channel-not-found")
    # Explicitly the same channels (or fewer) is fine.
    assert limited.post(KEYS, {"scope": "upload", "channels": ["mine"]}).status == 201


def test_channel_limited_key_sees_no_private_channel_outside_its_set(
    world: World, pkgs: Packages
) -> None:
    alice = world.user("alice")
    alice.create_channel("mine", "private")
    alice.create_channel("secret", "private")
    alice.create_channel("open", "public")
    assert alice.upload("secret", pkgs.alpha).status == 201
    ticket = alice.post(
        "/api/v1/channels/secret/uploads",
        {"filename": pkgs.beta.name, "sha256": "0" * 64, "size": 10},
    )
    assert ticket.status == 201, ticket
    _, limited = alice.create_key(scope="admin", channels=["mine"])
    assert channel_names(alice) == {"mine", "secret", "open"}
    assert channel_names(limited) == {"mine", "open"}  # public channels stay public
    upload_id = ticket.json()["id"]
    for path in (
        "/api/v1/channels/secret",
        "/api/v1/channels/secret/packages",
        "/api/v1/channels/secret/members",
        "/api/v1/channels/secret/audit",
        "/api/v1/channels/secret/publishers",
        f"/api/v1/channels/secret/uploads/{upload_id}",
    ):
        assert_error(limited.get(path), 404, "channel-not-found")
    # Upload clients get 403 there, as anyone without upload rights does.
    assert_text_error(limited.upload("secret", pkgs.alpha2), 403, "forbidden")
    assert limited.get("/api/v1/channels/mine/audit").status == 200


def test_expiring_key_cannot_mint_a_key_that_outlives_it(world: World) -> None:
    alice = world.user("alice")
    _, short = alice.create_key(scope="admin", expires_in_days=1)
    expires_at = short.get(KEYS).json()["keys"]
    own = next(k for k in expires_at if k["description"] == "")["expires_at"]
    assert_error(
        short.post(KEYS, {"scope": "read"} | {"expires_at": None}), 403, "key-expiry-too-late"
    )
    assert_error(short.post(KEYS, {"expires_in_days": 30}), 403, "key-expiry-too-late")
    assert_error(short.post(KEYS, {"expires_at": own + 1}), 403, "key-expiry-too-late")
    # Left out, the expiry is the creating key's own; the same or earlier is fine.
    r = short.post(KEYS, {"scope": "read"})
    assert r.status == 201, r
    assert r.json()["expires_at"] == own
    assert short.post(KEYS, {"expires_at": own - 3600}).status == 201
    world.clock.advance(86400 + 10)
    assert_error(Client(r.json()["secret"]).get("/api/v1/users/me"), 401, "unauthenticated")


def test_lower_scope_is_fine_higher_is_not(world: World) -> None:
    alice = world.user("alice")
    _, admin = alice.create_key(scope="admin", channels=["x"])
    for scope in ("read", "upload", "admin"):
        assert admin.post(KEYS, {"scope": scope}).status == 201
    _, uploader = alice.create_key(scope="upload")
    # Only admin-scoped keys manage keys at all (unchanged).
    assert_error(uploader.post(KEYS, {"scope": "read"}), 403, "forbidden")


def test_restricted_key_lists_and_revokes_only_keys_within_its_limits(world: World) -> None:
    alice = world.user("alice")
    first = alice.get("/api/v1/users/me").json()["key"]  # admin, unrestricted, no expiry
    wide_id, wide = alice.create_key(scope="admin", channels=["a", "b"])
    narrow_id, _ = alice.create_key(scope="read", channels=["a"])
    other_id, _ = alice.create_key(scope="read", channels=["b"])
    expiring_id, _ = alice.create_key(scope="read", channels=["a"], expires_in_days=3)
    limited_id, limited = alice.create_key(scope="admin", channels=["a"])
    # The unrestricted key sees every key of its user.
    assert key_ids(alice) == {first, wide_id, narrow_id, other_id, expiring_id, limited_id}
    assert key_ids(wide) == {wide_id, narrow_id, other_id, expiring_id, limited_id}
    # Limited to channel "a": itself and keys it could have made, nothing broader.
    assert key_ids(limited) == {narrow_id, expiring_id, limited_id}
    for hidden in (first, wide_id, other_id):
        assert_error(limited.delete(f"{KEYS}/{hidden}"), 404, "key-not-found")
    assert alice.get("/api/v1/users/me").status == 200
    assert wide.get("/api/v1/users/me").status == 200
    assert limited.delete(f"{KEYS}/{narrow_id}").status == 200
    # An expiring admin key does not see (or revoke) keys that outlive it.
    _, short = alice.create_key(scope="admin", expires_in_days=1)
    assert expiring_id not in key_ids(short) and first not in key_ids(short)
    assert_error(short.delete(f"{KEYS}/{first}"), 404, "key-not-found")
    # A key may always revoke itself.
    assert limited.delete(f"{KEYS}/{limited_id}").status == 200
    assert_error(limited.get("/api/v1/users/me"), 401, "unauthenticated")


def test_channel_limited_key_creates_channels_only_in_its_set(world: World) -> None:
    alice = world.user("alice")
    _, limited = alice.create_key(scope="admin", channels=["mine"])
    r = limited.post("/api/v1/channels", {"name": "squat", "visibility": "private"})
    assert_error(r, 403, "channel-outside-key")
    assert "squat" not in channel_names(alice)
    assert limited.create_channel("mine", "private")["name"] == "mine"
    assert "mine" in channel_names(limited)


def test_operator_stays_all_powerful(world: World) -> None:
    alice = world.user("alice")
    _, limited = alice.create_key(scope="admin", channels=["mine"])
    limited.create_channel("mine", "private")
    alice.create_channel("secret", "private")
    assert {"mine", "secret"} <= channel_names(world.operator)
    assert world.operator.get("/api/v1/channels/secret/audit").status == 200
    r = world.operator.post("/api/v1/channels", {"name": "ops", "owner": "alice"})
    assert r.status == 201, r
