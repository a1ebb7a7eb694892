"""The HTTP API, route by route: status codes, reason codes and bodies.

Requests go through ``functions.api.handler.lambda_handler`` as API Gateway
HTTP API v2 events (see conftest); AWS is moto.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from functions.api.handler import app
from rillet.adapters import schema
from rillet.core.tokens import token_hash
from rillet.runtime.settings import MAX_API_BODY_BYTES, MAX_PACKAGE_BYTES
from tests.functions.conftest import (
    ADMIN_TOKEN,
    Client,
    Packages,
    Reply,
    Team,
    World,
    invoke,
)
from tests.table_items import keys_naming

# Requests captured from the real upload clients (old raw body, current multipart).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upload"
T = TypeVar("T")


def assert_error(r: Reply, status: int, code: str) -> dict[str, Any]:
    """A JSON error: exactly ``error`` (the reason code) and a human ``message``."""
    assert r.status == status, r
    body = r.json()
    assert set(body) == {"error", "message"}, body
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"], body
    if status == 401:
        assert r.headers.get("www-authenticate", "").startswith("Bearer"), r.headers
    return body


def assert_text_error(r: Reply, status: int, code: str) -> str:
    """An error of the upload endpoint: plain text the clients print, starting with the code."""
    assert r.status == status, r
    assert r.content_type.startswith("text/plain"), r
    assert r.text.startswith(f"{code}: "), r
    assert len(r.text) > len(code) + 2
    if status == 401:
        assert r.headers.get("www-authenticate", "").startswith("Bearer"), r.headers
    return r.text


def each(cases: Iterable[T], check: Callable[[T], object]) -> None:
    """Run ``check`` on every case and report all that fail (one setup, many cases)."""
    failures = []
    for case in cases:
        try:
            check(case)
        except AssertionError as exc:
            failures.append(f"{case!r}: {exc}")
    assert not failures, "\n".join(failures)


def listing(client: Client, channel: str, **query: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/channels/{channel}/packages", query=query or None)
    assert r.status == 200, r
    body: dict[str, Any] = r.json()
    return body


def filenames(client: Client, channel: str, **query: str) -> list[str]:
    return [p["filename"] for p in listing(client, channel, **query)["packages"]]


def audit_actions(client: Client, channel: str) -> list[str]:
    r = client.get(f"/api/v1/channels/{channel}/audit")
    assert r.status == 200, r
    return [e["action"] for e in r.json()["events"]]


# -- users ----------------------------------------------------------------------------------
def test_operator_creates_user_with_one_time_key(world: World) -> None:
    r = world.operator.post("/api/v1/users", {"name": "alice"})
    assert r.status == 201, r
    body = r.json()
    assert body["name"] == "alice"
    assert body["created_by"] == "admin"
    key = body["key"]
    assert re.fullmatch(r"rillet-key-[A-Za-z0-9]{43}", key["secret"]), key["secret"]
    assert key["scope"] == "admin"
    assert key["user"] == "alice"
    assert token_hash(key["secret"]) not in r.text
    # The secret works at once.
    me = Client(key["secret"]).get("/api/v1/users/me")
    assert me.status == 200, me
    assert me.json()["name"] == "alice"


def test_only_the_operator_creates_users(world: World) -> None:
    alice = world.user("alice")
    assert_error(alice.post("/api/v1/users", {"name": "mallory"}), 403, "forbidden")
    assert_error(world.anonymous.post("/api/v1/users", {"name": "mallory"}), 401, "unauthenticated")


def test_duplicate_user_is_a_conflict(world: World) -> None:
    world.user("alice")
    assert_error(world.operator.post("/api/v1/users", {"name": "alice"}), 409, "user-exists")


def test_invalid_or_reserved_user_name(world: World) -> None:
    names = ["admin", "root", "me", "anonymous", "Alice", "-x", "x-", "a" * 40, "a b", "", None, 7]
    each(
        names,
        lambda name: assert_error(
            world.operator.post("/api/v1/users", {"name": name}), 422, "invalid-user-name"
        ),
    )
    assert_error(world.operator.post("/api/v1/users", {}), 422, "invalid-user-name")


# -- keys -----------------------------------------------------------------------------------
def test_create_key_with_scope_channels_and_expiry(world: World) -> None:
    alice = world.user("alice")
    r = alice.post(
        "/api/v1/users/me/keys",
        {
            "scope": "upload",
            "channels": ["chan", "other"],
            "expires_in_days": 7,
            "description": "ci",
        },
    )
    assert r.status == 201, r
    key = r.json()
    assert re.fullmatch(r"rillet-key-[A-Za-z0-9]{43}", key["secret"]), key["secret"]
    assert key["scope"] == "upload"
    assert key["channels"] == ["chan", "other"]
    assert key["description"] == "ci"
    assert key["user"] == "alice"
    assert key["revoked"] is False
    assert key["expires_at"] is not None
    assert 7 * 86400 - 60 < key["expires_at"] - world.clock.t <= 7 * 86400
    me = Client(key["secret"]).get("/api/v1/users/me").json()
    assert me == {
        "name": "alice",
        "superuser": False,
        "key": key["id"],
        "scope": "upload",
        "channels": ["chan", "other"],
    }


def test_invalid_key_requests(world: World) -> None:
    alice = world.user("alice")
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"scope": "superuser"}, 400, "invalid-request"),
        ({"channels": []}, 400, "invalid-request"),
        ({"channels": "chan"}, 400, "invalid-request"),
        ({"channels": ["api"]}, 422, "invalid-name"),
        ({"expires_in_days": 0}, 400, "invalid-request"),
        ({"expires_in_days": "7"}, 400, "invalid-request"),
        ({"expires_at": 1}, 400, "invalid-request"),
        ({"description": "x" * 201}, 400, "invalid-request"),
    ]
    each(cases, lambda c: assert_error(alice.post("/api/v1/users/me/keys", c[0]), c[1], c[2]))
    assert [k["id"] for k in alice.get("/api/v1/users/me/keys").json()["keys"]] == [
        alice.get("/api/v1/users/me").json()["key"]
    ]


def test_key_listing_never_shows_secrets_or_hashes(world: World) -> None:
    alice = world.user("alice")
    first_id = alice.get("/api/v1/users/me").json()["key"]
    second_id, second = alice.create_key(scope="read")
    r = alice.get("/api/v1/users/me/keys")
    assert r.status == 200, r
    keys = r.json()["keys"]
    assert {k["id"] for k in keys} == {first_id, second_id}
    for key in keys:
        assert not {"secret", "token_hash", "hash"} & set(key), key
    for token in (alice.token, second.token):
        assert token is not None
        assert token not in r.text
        assert token_hash(token) not in r.text
    assert "rillet-key-" not in r.text


def test_revoked_key_is_refused_at_once(world: World) -> None:
    alice = world.user("alice")
    key_id, extra = alice.create_key(scope="read")
    assert extra.get("/api/v1/users/me").status == 200
    r = alice.delete(f"/api/v1/users/me/keys/{key_id}")
    assert r.status == 200, r
    assert r.json()["revoked"] is True
    assert_error(extra.get("/api/v1/users/me"), 401, "unauthenticated")
    assert_error(extra.get("/api/v1/channels"), 401, "unauthenticated")
    listed = {k["id"]: k for k in alice.get("/api/v1/users/me/keys").json()["keys"]}
    assert listed[key_id]["revoked"] is True
    # The caller's own key is untouched.
    assert alice.get("/api/v1/users/me").status == 200


def test_revoking_unknown_or_foreign_key_is_not_found(world: World) -> None:
    alice, bob = world.user("alice"), world.user("bob")
    bob_key = bob.get("/api/v1/users/me").json()["key"]
    assert_error(alice.delete(f"/api/v1/users/me/keys/{bob_key}"), 404, "key-not-found")
    assert_error(alice.delete("/api/v1/users/me/keys/key_nope"), 404, "key-not-found")
    assert bob.get("/api/v1/users/me").status == 200


def test_expired_key_is_refused(world: World) -> None:
    alice = world.user("alice")
    _, short = alice.create_key(scope="read", expires_in_days=1)
    assert short.get("/api/v1/users/me").status == 200
    world.clock.advance(86400 + 10)
    assert_error(short.get("/api/v1/users/me"), 401, "unauthenticated")
    assert alice.get("/api/v1/users/me").status == 200  # no expiry on the first key


def test_read_scoped_key_cannot_create_channels_or_keys(world: World) -> None:
    alice = world.user("alice")
    _, reader = alice.create_key(scope="read")
    _, uploader = alice.create_key(scope="upload")
    for limited in (reader, uploader):
        assert_error(limited.post("/api/v1/channels", {"name": "chan"}), 403, "forbidden")
        assert_error(limited.post("/api/v1/users/me/keys", {"scope": "admin"}), 403, "forbidden")
        assert_error(limited.get("/api/v1/users/me/keys"), 403, "forbidden")
    assert_error(world.anonymous.post("/api/v1/users/me/keys", {}), 401, "unauthenticated")


def test_bad_credentials_are_401(world: World) -> None:
    def check(authorization: str) -> None:
        r = invoke("GET", "/api/v1/users/me", headers={"authorization": authorization})
        assert_error(r, 401, "unauthenticated")

    each(
        [
            "Bearer short",
            "Bearer rlt_" + "x" * 40,
            "Bearer rillet-key-" + "x" * 43,
            "Token abc",
            f"Bearer {ADMIN_TOKEN}x",
            "Basic !!!",
        ],
        check,
    )


# Routes that need a credential, each with a body that breaks its model.
MALFORMED: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/api/v1/channels", {"name": "newchan", "visibility": 5}),
    ("PATCH", "/api/v1/channels/chan", {"visibility": ["public"]}),
    ("PUT", "/api/v1/channels/chan/members/carol", {"role": 7}),
    ("POST", "/api/v1/users/me/keys", {"scope": {"a": 1}}),
    ("POST", "/api/v1/channels/chan/uploads", {"filename": 1, "sha256": 2, "size": "x"}),
]


def test_a_malformed_body_from_an_anonymous_caller_is_401_not_400(world: World, team: Team) -> None:
    """Who calls is settled before what they sent: the malformed body does not get a
    400 that tells a caller without a credential about the route's model."""
    unknown = Client("rillet-key-" + "x" * 43)

    def check(case: tuple[str, str, dict[str, Any]]) -> None:
        method, path, body = case
        assert_error(world.anonymous.call(method, path, body), 401, "unauthenticated")
        assert_error(unknown.call(method, path, body), 401, "unauthenticated")
        assert_error(team.owner.call(method, path, body), 400, "invalid-request")

    each(MALFORMED, check)
    # Choosing a username needs a sign-in session: the same answer as for a good body.
    for body in ({"name": 5}, {"name": "mallory"}):
        assert_error(world.anonymous.post("/api/v1/users/me", body), 401, "session-required")


def test_basic_auth_with_token_as_password(world: World) -> None:
    import base64

    alice = world.user("alice")
    basic = base64.b64encode(f"anything:{alice.token}".encode()).decode()
    r = invoke("GET", "/api/v1/users/me", headers={"authorization": f"Basic {basic}"})
    assert r.status == 200, r
    assert r.json()["name"] == "alice"


def test_whoami(world: World) -> None:
    op = world.operator.get("/api/v1/users/me")
    assert op.status == 200, op
    assert op.json() == {
        "name": "admin",
        "superuser": True,
        "key": None,
        "scope": None,
        "channels": None,
    }
    alice = world.user("alice").get("/api/v1/users/me").json()
    assert alice["name"] == "alice" and alice["superuser"] is False
    assert alice["scope"] == "admin" and alice["key"].startswith("key_")
    assert_error(world.anonymous.get("/api/v1/users/me"), 401, "unauthenticated")


# -- channels -------------------------------------------------------------------------------
def test_create_channel_makes_the_caller_owner(world: World) -> None:
    alice = world.user("alice")
    r = alice.post(
        "/api/v1/channels", {"name": "chan", "description": "tools", "visibility": "private"}
    )
    assert r.status == 201, r
    body = r.json()
    assert (body["name"], body["owner"], body["visibility"], body["description"]) == (
        "chan",
        "alice",
        "private",
        "tools",
    )
    got = alice.get("/api/v1/channels/chan")
    assert got.status == 200, got
    assert got.json()["role"] == "owner"
    members = alice.get("/api/v1/channels/chan/members").json()["members"]
    assert [(m["user"], m["role"]) for m in members] == [("alice", "owner")]
    # An empty, valid noarch index exists from the start.
    assert "chan/noarch/repodata.json" in world.channel_keys("chan")


def test_channel_is_public_by_default(world: World) -> None:
    r = world.user("alice").post("/api/v1/channels", {"name": "chan"})
    assert r.status == 201, r
    assert r.json()["visibility"] == "public"
    assert world.anonymous.get("/api/v1/channels/chan").json()["role"] is None


def test_reserved_and_bad_channel_names(world: World) -> None:
    alice = world.user("alice")
    names = [
        "api",
        "t",
        "_s3",
        "noarch",
        "Chan",
        "-chan",
        "chan-",
        "a" * 51,
        "a/b",
        "a.b",
        "",
        None,
        3,
    ]
    each(
        names,
        lambda name: assert_error(
            alice.post("/api/v1/channels", {"name": name}), 422, "invalid-name"
        ),
    )
    assert alice.get("/api/v1/channels").json()["channels"] == []


def test_duplicate_channel_is_a_conflict(world: World) -> None:
    alice, bob = world.user("alice"), world.user("bob")
    alice.create_channel("chan")
    assert_error(bob.post("/api/v1/channels", {"name": "chan"}), 409, "channel-exists")
    assert alice.get("/api/v1/channels/chan").json()["owner"] == "alice"


def test_create_channel_needs_a_token(world: World) -> None:
    r = world.anonymous.post("/api/v1/channels", {"name": "chan"})
    assert_error(r, 401, "unauthenticated")


def test_invalid_channel_fields(world: World) -> None:
    alice = world.user("alice")
    for body in (
        {"name": "chan", "visibility": "hidden"},
        {"name": "chan", "logo_url": "http://example.com/logo.png"},
        {"name": "chan", "description": 5},
    ):
        assert_error(alice.post("/api/v1/channels", body), 400, "invalid-request")


def test_operator_creates_channel_for_a_user(world: World) -> None:
    world.user("alice")
    bob = world.user("bob")
    r = world.operator.post("/api/v1/channels", {"name": "chan", "owner": "alice"})
    assert r.status == 201, r
    assert r.json()["owner"] == "alice"
    members = world.operator.get("/api/v1/channels/chan/members").json()["members"]
    assert [(m["user"], m["role"]) for m in members] == [("alice", "owner")]
    assert_error(
        world.operator.post("/api/v1/channels", {"name": "other", "owner": "nobody"}),
        404,
        "user-not-found",
    )
    assert_error(bob.post("/api/v1/channels", {"name": "mine", "owner": "alice"}), 403, "forbidden")


def test_get_channel_visibility_rules(world: World, team: Team) -> None:
    team.add_private()
    # A private channel is invisible to outsiders: the same answer as a missing one.
    hidden = assert_error(team.stranger.get("/api/v1/channels/priv"), 404, "channel-not-found")
    missing = assert_error(team.stranger.get("/api/v1/channels/nope"), 404, "channel-not-found")
    assert hidden["message"].replace("priv", "X") == missing["message"].replace("nope", "X")
    assert_error(world.anonymous.get("/api/v1/channels/priv"), 401, "unauthenticated")
    for client, role in (
        (team.owner, "owner"),
        (team.maintainer, "maintainer"),
        (team.member, "member"),
    ):
        r = client.get("/api/v1/channels/priv")
        assert r.status == 200, r
        assert r.json()["role"] == role
    assert world.operator.get("/api/v1/channels/priv").status == 200
    public = team.stranger.get("/api/v1/channels/chan")
    assert public.status == 200 and public.json()["role"] is None
    assert world.anonymous.get("/api/v1/channels/chan").status == 200


def test_list_channels_shows_public_and_mine(world: World) -> None:
    alice, bob = world.user("alice"), world.user("bob")
    alice.create_channel("a-public")
    alice.create_channel("a-private", "private")
    bob.create_channel("b-private", "private")
    bob.create_channel("b-public")
    alice.set_member("a-private", "bob", "member")
    alice.create_channel("a-secret", "private")

    def names(client: Client) -> set[str]:
        r = client.get("/api/v1/channels")
        assert r.status == 200, r
        return {c["name"] for c in r.json()["channels"]}

    assert names(world.anonymous) == {"a-public", "b-public"}
    assert names(bob) == {"a-public", "b-public", "b-private", "a-private"}
    assert names(alice) == {"a-public", "b-public", "a-private", "a-secret"}
    assert names(world.operator) == {"a-public", "b-public", "a-private", "b-private", "a-secret"}
    _, bob_for_a = bob.create_key(scope="read", channels=["a-public"])
    assert names(bob_for_a) == {"a-public", "b-public"}


def test_list_channels_gives_the_callers_role_on_each(world: World) -> None:
    """The home page's "Your channels" says owner, maintainer or member from the list."""
    alice, bob = world.user("alice"), world.user("bob")
    alice.create_channel("a-public")
    alice.create_channel("a-private", "private")
    alice.create_channel("a-tools")
    bob.create_channel("b-public")
    alice.set_member("a-private", "bob", "member")
    alice.set_member("a-tools", "bob", "maintainer")

    def roles(client: Client) -> dict[str, str | None]:
        r = client.get("/api/v1/channels")
        assert r.status == 200, r
        return {c["name"]: c["role"] for c in r.json()["channels"]}

    assert roles(bob) == {
        "a-public": None,
        "a-private": "member",
        "a-tools": "maintainer",
        "b-public": "owner",
    }
    assert roles(alice) == {
        "a-public": "owner",
        "a-private": "owner",
        "a-tools": "owner",
        "b-public": None,
    }
    assert set(roles(world.anonymous).values()) == {None}
    assert set(roles(world.operator).values()) == {None}
    # The same role as the channel's own answer gives.
    for name, role in roles(bob).items():
        assert bob.get(f"/api/v1/channels/{name}").json()["role"] == role


def test_update_channel_by_owner(world: World, team: Team) -> None:
    r = team.owner.patch(
        "/api/v1/channels/chan",
        {
            "description": "our tools",
            "logo_url": "https://example.com/logo.png",
            "visibility": "private",
        },
    )
    assert r.status == 200, r
    body = r.json()
    assert (body["description"], body["logo_url"], body["visibility"]) == (
        "our tools",
        "https://example.com/logo.png",
        "private",
    )
    again = team.member.get("/api/v1/channels/chan").json()
    assert (again["description"], again["logo_url"], again["visibility"]) == (
        "our tools",
        "https://example.com/logo.png",
        "private",
    )
    # Now private: outsiders no longer see it.
    assert_error(team.stranger.get("/api/v1/channels/chan"), 404, "channel-not-found")
    assert_error(world.anonymous.get("/api/v1/channels/chan"), 401, "unauthenticated")
    # Partial updates keep the rest; an empty logo URL clears it.
    r = team.owner.patch("/api/v1/channels/chan", {"logo_url": ""})
    assert r.status == 200, r
    assert (r.json()["logo_url"], r.json()["description"]) == ("", "our tools")


def test_update_channel_refused_below_owner(world: World, team: Team) -> None:
    for client in (team.maintainer, team.member, team.stranger):
        r = client.patch("/api/v1/channels/chan", {"description": "mine now"})
        assert_error(r, 403, "forbidden")
    r = world.anonymous.patch("/api/v1/channels/chan", {"description": "mine now"})
    assert_error(r, 401, "unauthenticated")
    _, reader = team.owner.create_key(scope="read")
    assert_error(reader.patch("/api/v1/channels/chan", {"description": "x"}), 403, "forbidden")
    assert team.owner.get("/api/v1/channels/chan").json()["description"] == ""


def test_update_channel_rejects_bad_fields(team: Team) -> None:
    bodies: list[dict[str, Any]] = [
        {"logo_url": "http://example.com/logo.png"},
        {"logo_url": "javascript:alert(1)"},
        {"logo_url": "https://"},
        {"logo_url": "https://example.com/" + "x" * 500},
        {"logo_url": 5},
        {"visibility": "secret"},
        {"description": "x" * 1001},
        {"name": "renamed"},
        {"owner": "bob"},
    ]
    each(
        bodies,
        lambda body: assert_error(
            team.owner.patch("/api/v1/channels/chan", body), 400, "invalid-request"
        ),
    )
    unchanged = team.owner.get("/api/v1/channels/chan").json()
    assert (unchanged["logo_url"], unchanged["visibility"], unchanged["owner"]) == (
        "",
        "public",
        "alice",
    )


def test_transfer_ownership(world: World, team: Team) -> None:
    r = team.owner.post("/api/v1/channels/chan/transfer", {"owner": "bob"})
    assert r.status == 200, r
    assert r.json()["owner"] == "bob"
    roles = {
        m["user"]: m["role"]
        for m in team.maintainer.get("/api/v1/channels/chan/members").json()["members"]
    }
    assert roles == {"alice": "maintainer", "bob": "owner", "carol": "member"}
    assert team.owner.get("/api/v1/channels/chan").json()["owner"] == "bob"
    # The former owner is a maintainer now; the new owner has the owner's powers.
    assert_error(team.owner.patch("/api/v1/channels/chan", {"description": "x"}), 403, "forbidden")
    assert team.maintainer.patch("/api/v1/channels/chan", {"description": "x"}).status == 200
    assert "channel.transfer" in audit_actions(team.maintainer, "chan")


def test_transfer_refusals(world: World, team: Team) -> None:
    r = team.maintainer.post("/api/v1/channels/chan/transfer", {"owner": "bob"})
    assert_error(r, 403, "forbidden")
    r = team.owner.post("/api/v1/channels/chan/transfer", {"owner": "nobody"})
    assert_error(r, 404, "user-not-found")
    r = team.owner.post("/api/v1/channels/chan/transfer", {"owner": "Not A Name"})
    assert_error(r, 422, "invalid-user-name")
    r = world.anonymous.post("/api/v1/channels/chan/transfer", {"owner": "bob"})
    assert_error(r, 401, "unauthenticated")
    assert team.owner.get("/api/v1/channels/chan").json()["owner"] == "alice"


def test_delete_channel_frees_the_name_and_removes_files(
    world: World, team: Team, pkgs: Packages
) -> None:
    team.owner.create_channel("chan-two")  # shares the prefix "chan": must survive
    assert team.owner.upload("chan", pkgs.alpha).status == 201
    assert team.owner.upload("chan", pkgs.beta).status == 201
    assert team.owner.upload("chan-two", pkgs.alpha).status == 201
    assert f"chan/noarch/{pkgs.alpha.name}" in world.channel_keys("chan")
    before_two = world.channel_keys("chan-two")

    for client in (team.maintainer, team.member, team.stranger):
        assert_error(client.delete("/api/v1/channels/chan"), 403, "forbidden")
    assert_error(world.anonymous.delete("/api/v1/channels/chan"), 401, "unauthenticated")

    r = team.owner.delete("/api/v1/channels/chan")
    assert r.status == 200, r
    assert r.json()["deleted"] == "chan"
    assert world.channel_keys("chan") == []
    assert world.channel_keys("chan-two") == before_two
    assert_error(team.owner.get("/api/v1/channels/chan"), 404, "channel-not-found")
    assert "chan" not in {c["name"] for c in team.owner.get("/api/v1/channels").json()["channels"]}

    # The name is free again, for anyone, and nothing of the old channel comes back.
    fresh = team.stranger.create_channel("chan")
    assert fresh["owner"] == "dave"
    assert filenames(team.stranger, "chan") == []
    members = team.stranger.get("/api/v1/channels/chan/members").json()["members"]
    assert [(m["user"], m["role"]) for m in members] == [("dave", "owner")]
    assert audit_actions(team.stranger, "chan") == []
    assert_error(team.owner.get("/api/v1/channels/chan/members"), 403, "forbidden")
    assert team.stranger.upload("chan", pkgs.alpha).status == 201


def test_delete_channel_leaves_no_records(world: World, team: Team, pkgs: Packages) -> None:
    publisher = {
        "provider": "github",
        "owner": "octo-org",
        "repository": "widgets",
        "workflow": "release.yml",
    }
    r = team.owner.post("/api/v1/channels/chan/publishers", publisher)
    assert r.status == 201, r
    assert team.owner.upload("chan", pkgs.alpha).status == 201
    assert team.owner.delete(f"/api/v1/delete/chan/noarch/{pkgs.alpha.name}").status == 200
    assert team.owner.upload("chan", pkgs.beta).status == 201
    assert team.owner.delete("/api/v1/channels/chan").status == 200

    # Nothing keyed by the old channel may survive: a later channel of the same name,
    # perhaps someone else's, must not inherit members, grants, records or publishers.
    ddb = world.session.client("dynamodb")
    items = ddb.scan(TableName=world.provisioned.names.table)["Items"]
    # Only the channel's tombstone: private at the edge, re-creatable, removed by TTL.
    assert keys_naming(items, "chan") == [schema.channel_key("chan")]
    (tomb,) = [i for i in items if i["pk"]["S"] == schema.channel_key("chan")["pk"]]
    assert tomb["lifecycle"]["S"] == "deleted" and tomb["visibility"]["S"] == "private"
    assert "ttl" in tomb and "gsi1pk" not in tomb and "owner_count" not in tomb
    assert team.owner.get("/api/v1/channels/chan").status == 404
    # The name is someone else's now: the old channel's publisher is not theirs.
    team.stranger.create_channel("chan")
    r = team.stranger.get("/api/v1/channels/chan/publishers")
    assert r.status == 200, r
    assert r.json()["publishers"] == []


def test_delete_missing_channel(world: World) -> None:
    alice = world.user("alice")
    assert_error(alice.delete("/api/v1/channels/nope"), 404, "channel-not-found")


def test_channel_keeps_at_least_one_owner(world: World, team: Team) -> None:
    r = team.owner.delete("/api/v1/channels/chan/members/alice")
    assert_error(r, 409, "last-owner")
    r = team.owner.put("/api/v1/channels/chan/members/alice", {"role": "maintainer"})
    assert_error(r, 409, "last-owner")
    assert team.owner.get("/api/v1/channels/chan").json()["role"] == "owner"
    # With a second owner, the first may step down or leave.
    team.owner.set_member("chan", "bob", "owner")
    r = team.owner.put("/api/v1/channels/chan/members/alice", {"role": "maintainer"})
    assert r.status == 200, r
    assert_error(team.maintainer.delete("/api/v1/channels/chan/members/bob"), 409, "last-owner")
    r = team.maintainer.delete("/api/v1/channels/chan/members/alice")
    assert r.status == 200, r
    roles = {
        m["user"]: m["role"]
        for m in team.maintainer.get("/api/v1/channels/chan/members").json()["members"]
    }
    assert roles == {"bob": "owner", "carol": "member"}


# -- members --------------------------------------------------------------------------------
def test_members_put_get_delete_by_owner(world: World, team: Team) -> None:
    team.add_private()
    r = team.owner.put("/api/v1/channels/priv/members/dave", {"role": "member"})
    assert r.status == 200, r
    assert (r.json()["user"], r.json()["role"], r.json()["added_by"]) == ("dave", "member", "alice")
    assert team.stranger.get("/api/v1/channels/priv").status == 200
    r = team.owner.get("/api/v1/channels/priv/members")
    assert r.status == 200, r
    assert [(m["user"], m["role"]) for m in r.json()["members"]] == [
        ("bob", "maintainer"),
        ("carol", "member"),
        ("dave", "member"),
        ("alice", "owner"),
    ]
    # Change a role.
    r = team.owner.put("/api/v1/channels/priv/members/dave", {"role": "maintainer"})
    assert r.status == 200, r
    assert team.stranger.get("/api/v1/channels/priv").json()["role"] == "maintainer"
    # Remove: the channel is hidden again.
    r = team.owner.delete("/api/v1/channels/priv/members/dave")
    assert r.status == 200, r
    assert r.json() == {"removed": "dave"}
    assert_error(team.stranger.get("/api/v1/channels/priv"), 404, "channel-not-found")
    actions = audit_actions(team.owner, "priv")
    assert actions[:3] == ["member.remove", "member.change", "member.add"]


def test_maintainer_lists_but_cannot_manage_members(world: World, team: Team) -> None:
    assert team.maintainer.get("/api/v1/channels/chan/members").status == 200
    r = team.maintainer.put("/api/v1/channels/chan/members/dave", {"role": "member"})
    assert_error(r, 403, "forbidden")
    r = team.maintainer.put("/api/v1/channels/chan/members/bob", {"role": "owner"})
    assert_error(r, 403, "forbidden")
    assert_error(team.maintainer.delete("/api/v1/channels/chan/members/carol"), 403, "forbidden")
    assert_error(team.member.get("/api/v1/channels/chan/members"), 403, "forbidden")
    assert_error(
        team.member.put("/api/v1/channels/chan/members/dave", {"role": "member"}), 403, "forbidden"
    )
    assert_error(world.anonymous.get("/api/v1/channels/chan/members"), 401, "unauthenticated")
    roles = {
        m["user"]: m["role"]
        for m in team.owner.get("/api/v1/channels/chan/members").json()["members"]
    }
    assert roles == {"alice": "owner", "bob": "maintainer", "carol": "member"}


def test_member_errors(world: World, team: Team) -> None:
    r = team.owner.put("/api/v1/channels/chan/members/nobody", {"role": "member"})
    assert_error(r, 404, "user-not-found")
    r = team.owner.put("/api/v1/channels/chan/members/dave", {"role": "admin"})
    assert_error(r, 400, "invalid-request")
    r = team.owner.put("/api/v1/channels/chan/members/dave", {})
    assert_error(r, 400, "invalid-request")
    r = team.owner.delete("/api/v1/channels/chan/members/dave")
    assert_error(r, 404, "member-not-found")
    r = team.owner.put("/api/v1/channels/nope/members/dave", {"role": "member"})
    assert_error(r, 404, "channel-not-found")


# -- packages listing -----------------------------------------------------------------------
@pytest.fixture
def stocked(team: Team, pkgs: Packages) -> Team:
    for path in (pkgs.alpha, pkgs.alpha2, pkgs.beta, pkgs.beta11, pkgs.gamma):
        r = team.owner.upload("chan", path)
        assert r.status == 201, r
    return team


def test_list_packages_filters_and_pages(world: World, stocked: Team, pkgs: Packages) -> None:
    body = listing(world.anonymous, "chan")
    assert body["cursor"] is None
    by_name = {p["filename"]: p for p in body["packages"]}
    assert set(by_name) == {
        p.name for p in (pkgs.alpha, pkgs.alpha2, pkgs.beta, pkgs.beta11, pkgs.gamma)
    }
    alpha = by_name[pkgs.alpha.name]
    assert (alpha["subdir"], alpha["name"], alpha["version"], alpha["build"]) == (
        "noarch",
        "alpha",
        "1.0",
        "h0_0",
    )
    assert alpha["sha256"] == hashlib.sha256(pkgs.alpha.read_bytes()).hexdigest()
    assert alpha["size"] == pkgs.alpha.stat().st_size
    assert by_name[pkgs.beta.name]["subdir"] == "linux-64"
    # Filters.
    assert sorted(filenames(world.anonymous, "chan", subdir="linux-64")) == sorted(
        [pkgs.beta.name, pkgs.beta11.name]
    )
    assert sorted(filenames(world.anonymous, "chan", name="alpha")) == sorted(
        [pkgs.alpha.name, pkgs.alpha2.name]
    )
    assert filenames(world.anonymous, "chan", subdir="noarch", name="beta") == []
    assert filenames(world.anonymous, "chan", subdir="noarch", name="gamma") == [pkgs.gamma.name]
    assert filenames(world.anonymous, "chan", subdir="osx-arm64") == []
    assert filenames(world.anonymous, "chan", name="nothing") == []
    # Errors.
    r = world.anonymous.get("/api/v1/channels/chan/packages", query={"limit": "ten"})
    assert_error(r, 400, "invalid-request")
    r = world.anonymous.get("/api/v1/channels/chan/packages", query={"subdir": "amiga-68k"})
    assert_error(r, 422, "unknown-subdir")
    assert_error(world.anonymous.get("/api/v1/channels/nope/packages"), 404, "channel-not-found")
    # Pages.
    every = filenames(world.anonymous, "chan")
    assert len(every) == 5
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = listing(world.anonymous, "chan", **query)
        assert len(page["packages"]) <= 2
        seen += [p["filename"] for p in page["packages"]]
        cursor = page["cursor"]
        if cursor is None:
            break
    assert cursor is None
    assert sorted(seen) == sorted(every)
    assert len(seen) == len(set(seen))
    # A filter and a page size together.
    first = listing(world.anonymous, "chan", subdir="linux-64", limit="1")
    assert len(first["packages"]) == 1 and first["cursor"]
    rest = listing(world.anonymous, "chan", subdir="linux-64", limit="1", cursor=first["cursor"])
    both = [p["filename"] for p in first["packages"] + rest["packages"]]
    assert sorted(both) == sorted([pkgs.beta.name, pkgs.beta11.name])
    # Out-of-range limits are clamped, not refused.
    assert len(listing(world.anonymous, "chan", limit="0")["packages"]) == 1
    assert len(listing(world.anonymous, "chan", limit="100000")["packages"]) == 5


def test_list_packages_of_private_channel(world: World, team: Team, pkgs: Packages) -> None:
    team.add_private()
    assert team.owner.upload("priv", pkgs.alpha).status == 201
    assert filenames(team.member, "priv") == [pkgs.alpha.name]
    assert filenames(world.operator, "priv") == [pkgs.alpha.name]
    assert_error(world.anonymous.get("/api/v1/channels/priv/packages"), 401, "unauthenticated")
    assert_error(team.stranger.get("/api/v1/channels/priv/packages"), 404, "channel-not-found")
    _, elsewhere = team.member.create_key(scope="read", channels=["chan"])
    assert_error(elsewhere.get("/api/v1/channels/priv/packages"), 404, "channel-not-found")


# -- audit ----------------------------------------------------------------------------------
def test_audit_newest_first(world: World, team: Team, pkgs: Packages) -> None:
    assert team.owner.upload("chan", pkgs.alpha).status == 201
    team.owner.set_member("chan", "dave", "member")
    assert team.owner.patch("/api/v1/channels/chan", {"visibility": "private"}).status == 200
    r = team.maintainer.delete(f"/api/v1/delete/chan/noarch/{pkgs.alpha.name}")
    assert r.status == 200, r

    r = team.owner.get("/api/v1/channels/chan/audit")
    assert r.status == 200, r
    events = r.json()["events"]
    assert [e["action"] for e in events] == [
        "package.delete",
        "channel.visibility",
        "member.add",  # dave
        "package.upload",
        "member.add",  # carol (team fixture)
        "member.add",  # bob (team fixture)
    ]
    times = [e["at"] for e in events]
    assert times == sorted(times, reverse=True) and len(set(times)) == len(times)
    delete, visibility, dave, upload = events[:4]
    assert delete["actor"] == "bob"
    assert delete["details"]["filename"] == pkgs.alpha.name
    assert delete["details"]["subdir"] == "noarch"
    assert visibility["actor"] == "alice"
    assert visibility["details"]["visibility"] == {"from": "public", "to": "private"}
    assert dave["details"]["user"] == "dave" and dave["details"]["role"] == "member"
    assert upload["actor"] == "alice"
    assert upload["details"]["filename"] == pkgs.alpha.name
    assert upload["details"]["sha256"] == hashlib.sha256(pkgs.alpha.read_bytes()).hexdigest()
    assert r.json()["cursor"] is None


def test_audit_pagination(world: World, team: Team) -> None:
    for i in range(3):
        assert team.owner.patch("/api/v1/channels/chan", {"description": f"d{i}"}).status == 200
    every = team.owner.get("/api/v1/channels/chan/audit").json()["events"]
    assert len(every) == 5
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(10):
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        r = team.owner.get("/api/v1/channels/chan/audit", query=query)
        assert r.status == 200, r
        page = r.json()
        assert len(page["events"]) <= 2
        seen += page["events"]
        cursor = page["cursor"]
        if cursor is None:
            break
    assert seen == every
    r = team.owner.get("/api/v1/channels/chan/audit", query={"cursor": "not-a-cursor"})
    assert_error(r, 400, "invalid-request")


def test_audit_order_holds_within_one_second(world: World, team: Team, pkgs: Packages) -> None:
    # Several events per second, some of them on a whole second: the order must still
    # be by time (a whole-second ISO time has no fraction, "…:05Z", and must not sort
    # after "…:05.300000Z").
    world.clock.step = 0.1
    assert team.owner.upload("chan", pkgs.alpha).status == 201
    for i in range(8):
        assert team.owner.patch("/api/v1/channels/chan", {"description": f"d{i}"}).status == 200
    assert team.owner.upload("chan", pkgs.alpha2).status == 201
    events = team.owner.get("/api/v1/channels/chan/audit").json()["events"]
    assert len(events) == 12
    times = [datetime.fromisoformat(e["at"].replace("Z", "+00:00")) for e in events]
    assert times == sorted(times, reverse=True), [e["at"] for e in events]
    assert events[0]["action"] == "package.upload"
    assert events[0]["details"]["filename"] == pkgs.alpha2.name
    assert [e["details"]["description"]["to"] for e in events[1:9]] == [
        f"d{i}" for i in reversed(range(8))
    ]


def test_audit_is_for_owners(world: World, team: Team) -> None:
    for client in (team.maintainer, team.member, team.stranger):
        assert_error(client.get("/api/v1/channels/chan/audit"), 403, "forbidden")
    assert_error(world.anonymous.get("/api/v1/channels/chan/audit"), 401, "unauthenticated")
    assert world.operator.get("/api/v1/channels/chan/audit").status == 200


# -- delete a package -----------------------------------------------------------------------
def test_maintainer_deletes_a_package(world: World, team: Team, pkgs: Packages) -> None:
    assert team.owner.upload("chan", pkgs.alpha).status == 201
    key = f"chan/noarch/{pkgs.alpha.name}"
    assert key in world.channel_keys("chan")
    r = team.maintainer.delete(f"/api/v1/delete/chan/noarch/{pkgs.alpha.name}")
    assert r.status == 200, r
    assert r.json() == {"deleted": key}
    assert pkgs.alpha.name not in filenames(world.anonymous, "chan")
    assert key not in world.channel_keys("chan")
    assert_error(
        team.maintainer.delete(f"/api/v1/delete/chan/noarch/{pkgs.alpha.name}"),
        404,
        "package-not-found",
    )


def test_delete_package_refusals(world: World, team: Team, pkgs: Packages) -> None:
    assert team.owner.upload("chan", pkgs.alpha).status == 201
    path = f"/api/v1/delete/chan/noarch/{pkgs.alpha.name}"
    assert_error(team.member.delete(path), 403, "forbidden")
    assert_error(team.stranger.delete(path), 403, "forbidden")
    assert_error(world.anonymous.delete(path), 401, "unauthenticated")
    _, uploader = team.owner.create_key(scope="upload")
    assert_error(uploader.delete(path), 403, "forbidden")
    assert pkgs.alpha.name in filenames(world.anonymous, "chan")
    r = team.owner.delete("/api/v1/delete/chan/noarch/missing-1.0-h0_0.conda")
    assert_error(r, 404, "package-not-found")
    r = team.owner.delete(f"/api/v1/delete/chan/linux-64/{pkgs.alpha.name}")
    assert_error(r, 404, "package-not-found")
    r = team.owner.delete(f"/api/v1/delete/chan/amiga-68k/{pkgs.alpha.name}")
    assert_error(r, 422, "unknown-subdir")
    r = team.owner.delete(f"/api/v1/delete/nope/noarch/{pkgs.alpha.name}")
    assert_error(r, 404, "channel-not-found")


# -- yank a package -------------------------------------------------------------------------
def yank_path(filename: str, subdir: str = "noarch", channel: str = "chan") -> str:
    return f"/api/v1/channels/{channel}/packages/{subdir}/{filename}/yank"


def test_maintainer_yanks_and_unyanks_a_package(world: World, team: Team, pkgs: Packages) -> None:
    assert team.owner.upload("chan", pkgs.alpha).status == 201
    assert team.owner.upload("chan", pkgs.alpha2).status == 201
    key = f"chan/noarch/{pkgs.alpha2.name}"
    sha = hashlib.sha256(pkgs.alpha2.read_bytes()).hexdigest()

    r = team.maintainer.post(yank_path(pkgs.alpha2.name), {"reason": "  broken on py3.13  "})
    assert r.status == 200, r
    body = r.json()
    assert body["changed"] is True
    assert (body["subdir"], body["filename"], body["sha256"]) == ("noarch", pkgs.alpha2.name, sha)
    assert body["yanked"]["reason"] == "broken on py3.13"
    assert body["yanked"]["by"] == "bob"
    assert datetime.fromisoformat(body["yanked"]["at"])
    # Still listed and still served: lock files keep installing it.
    by_name = {p["filename"]: p for p in listing(world.anonymous, "chan")["packages"]}
    assert by_name[pkgs.alpha2.name]["yanked"] == body["yanked"]
    assert by_name[pkgs.alpha.name]["yanked"] is None
    assert world.object(key) == pkgs.alpha2.read_bytes()

    # Twice: 200, nothing changes (the first reason stays), no second audit event.
    again = team.owner.post(yank_path(pkgs.alpha2.name), {"reason": "another reason"})
    assert again.status == 200, again
    assert again.json()["changed"] is False
    assert again.json()["yanked"] == body["yanked"]

    r = team.maintainer.post(yank_path(pkgs.alpha2.name).removesuffix("yank") + "unyank")
    assert r.status == 200, r
    assert r.json()["changed"] is True and r.json()["yanked"] is None
    assert listing(world.anonymous, "chan", name="alpha")["packages"][1]["yanked"] is None
    # Unyanking a file that is not yanked is a no-op.
    r = team.maintainer.post(yank_path(pkgs.alpha.name).removesuffix("yank") + "unyank")
    assert r.status == 200 and r.json()["changed"] is False, r

    events = team.owner.get("/api/v1/channels/chan/audit").json()["events"]
    yanks = [e for e in events if e["action"] in ("package.yank", "package.unyank")]
    assert [(e["action"], e["actor"]) for e in yanks] == [
        ("package.unyank", "bob"),
        ("package.yank", "bob"),
    ]
    assert yanks[1]["details"] == {
        "subdir": "noarch",
        "filename": pkgs.alpha2.name,
        "sha256": sha,
        "reason": "broken on py3.13",
    }
    # Deleting stays available, yanked or not.
    assert team.maintainer.post(yank_path(pkgs.alpha2.name), {"reason": "x"}).status == 200
    assert team.maintainer.delete(f"/api/v1/delete/{key}").status == 200
    assert pkgs.alpha2.name not in filenames(world.anonymous, "chan")
    assert_error(
        team.owner.post(yank_path(pkgs.alpha2.name), {"reason": "x"}), 404, "package-not-found"
    )


def test_yank_refusals(world: World, team: Team, pkgs: Packages) -> None:
    assert team.owner.upload("chan", pkgs.alpha).status == 201
    path = yank_path(pkgs.alpha.name)
    unyank = path.removesuffix("yank") + "unyank"
    ok = {"reason": "bad build"}
    for caller in (team.member, team.stranger):
        assert_error(caller.post(path, ok), 403, "forbidden")
        assert_error(caller.post(unyank), 403, "forbidden")
    assert_error(world.anonymous.post(path, ok), 401, "unauthenticated")
    _, reader = team.owner.create_key(scope="read")
    assert_error(reader.post(path, ok), 403, "forbidden")
    _, elsewhere = team.owner.create_key(scope="upload", channels=["other"])
    assert_error(elsewhere.post(path, ok), 403, "forbidden")
    # The reason: required, bounded, one line of plain text.
    for body in (
        {},
        {"reason": ""},
        {"reason": "   "},
        {"reason": 5},
        {"reason": None},
        {"reason": "x" * 301},
        {"reason": "line one\nline two"},
        {"reason": "\u202eevil"},  # a bidi override
        {"reason": "zero\u200bwidth"},
        {"reason": "esc \u001b[31m"},
    ):
        r = team.owner.post(path, body)
        assert_error(r, 400, "invalid-reason")
    assert_error(team.owner.post(path, {"reason": "x", "extra": 1}), 400, "invalid-request")
    assert_error(team.owner.post(path, body=b"not json"), 400, "invalid-request")
    assert_error(team.owner.post(path, ["x"]), 400, "invalid-request")
    # Nothing was yanked by any of that.
    assert [p["yanked"] for p in listing(world.anonymous, "chan")["packages"]] == [None]
    # Unknown files, subdirs and channels.
    missing = yank_path("missing-1.0-h0_0.conda")
    assert_error(team.owner.post(missing, ok), 404, "package-not-found")
    assert_error(team.owner.post(missing.removesuffix("yank") + "unyank"), 404, "package-not-found")
    assert_error(
        team.owner.post(yank_path(pkgs.alpha.name, "linux-64"), ok), 404, "package-not-found"
    )
    assert_error(
        team.owner.post(yank_path(pkgs.alpha.name, "amiga-68k"), ok), 422, "unknown-subdir"
    )
    assert_error(
        team.owner.post(yank_path(pkgs.alpha.name, channel="nope"), ok), 404, "channel-not-found"
    )
    # An upload-scoped key (a release key) may yank; an owner's exact reason is kept.
    _, uploader = team.owner.create_key(scope="upload")
    r = uploader.post(path, {"reason": "Ünïcode réason, fine"})
    assert r.status == 200 and r.json()["yanked"]["reason"] == "Ünïcode réason, fine", r


def test_deleted_filename_comes_back_only_with_the_same_bytes(
    world: World, team: Team, pkgs: Packages
) -> None:
    assert team.owner.upload("chan", pkgs.alpha).status == 201
    path = f"/api/v1/delete/chan/noarch/{pkgs.alpha.name}"
    assert team.maintainer.delete(path).status == 200
    # Clients may still hold the old record: other bytes under that name need an owner.
    r = team.maintainer.upload("chan", pkgs.alpha_again)
    assert_text_error(r, 409, "already-exists")
    r = team.maintainer.upload("chan", pkgs.alpha_again, force=True)
    assert_text_error(r, 403, "forbidden")
    assert filenames(world.anonymous, "chan") == []
    assert team.maintainer.upload("chan", pkgs.alpha).status == 201
    assert world.object(f"chan/noarch/{pkgs.alpha.name}") == pkgs.alpha.read_bytes()
    assert team.maintainer.delete(path).status == 200
    assert team.owner.upload("chan", pkgs.alpha_again, force=True).status == 201
    [record] = listing(world.anonymous, "chan")["packages"]
    assert record["sha256"] == hashlib.sha256(pkgs.alpha_again.read_bytes()).hexdigest()


# -- the prefix.dev-compatible upload -------------------------------------------------------
def test_multipart_upload(world: World, team: Team, pkgs: Packages) -> None:
    r = team.owner.upload("chan", pkgs.alpha)
    assert r.status == 201, r
    assert r.content_type.startswith("text/plain")
    assert pkgs.alpha.name in r.text
    assert world.object(f"chan/noarch/{pkgs.alpha.name}") == pkgs.alpha.read_bytes()
    assert filenames(world.anonymous, "chan") == [pkgs.alpha.name]
    upload = next(
        e
        for e in team.owner.get("/api/v1/channels/chan/audit").json()["events"]
        if e["action"] == "package.upload"
    )
    assert upload["actor"] == "alice" and upload["details"]["via"] == "api"


def test_multipart_upload_with_attestation_part(world: World, team: Team, pkgs: Packages) -> None:
    # Issue 14: an attestation is verified, and only a minted token has a publisher to
    # bind it to (tests/e2e/test_attestations.py has the accepted case).
    r = team.owner.upload("chan", pkgs.beta11, attestation='{"mediaType": "bundle"}')
    assert_text_error(r, 422, "attestation-needs-trusted-publisher")
    assert filenames(world.anonymous, "chan") == []


def test_legacy_raw_upload(world: World, team: Team, pkgs: Packages) -> None:
    r = team.maintainer.upload("chan", pkgs.beta, legacy=True)
    assert r.status == 201, r
    assert world.object(f"chan/linux-64/{pkgs.beta.name}") == pkgs.beta.read_bytes()
    r = team.maintainer.upload("chan", pkgs.gamma, legacy=True)
    assert r.status == 201, r
    assert sorted(filenames(world.anonymous, "chan")) == sorted([pkgs.beta.name, pkgs.gamma.name])


def test_duplicate_upload_is_409(world: World, team: Team, pkgs: Packages) -> None:
    team.owner.create_channel("chan-legacy")
    team.owner.set_member("chan-legacy", "bob", "maintainer")
    for channel, legacy in (("chan", False), ("chan-legacy", True)):
        _check_duplicate(world, team, pkgs, channel, legacy)


def _check_duplicate(world: World, team: Team, pkgs: Packages, channel: str, legacy: bool) -> None:
    assert team.owner.upload(channel, pkgs.alpha, legacy=legacy).status == 201
    assert_text_error(team.owner.upload(channel, pkgs.alpha, legacy=legacy), 409, "already-exists")
    # Other bytes under the same name too.
    r = team.maintainer.upload(channel, pkgs.alpha_again, legacy=legacy)
    assert_text_error(r, 409, "already-exists")
    assert world.object(f"{channel}/noarch/{pkgs.alpha.name}") == pkgs.alpha.read_bytes()


def test_force_by_owner_replaces(world: World, team: Team, pkgs: Packages) -> None:
    assert team.owner.upload("chan", pkgs.alpha).status == 201
    r = team.owner.upload("chan", pkgs.alpha_again, force=True)
    assert r.status == 201, r
    new_sha = hashlib.sha256(pkgs.alpha_again.read_bytes()).hexdigest()
    assert world.object(f"chan/noarch/{pkgs.alpha.name}") == pkgs.alpha_again.read_bytes()
    [record] = listing(world.anonymous, "chan")["packages"]
    assert record["sha256"] == new_sha
    events = team.owner.get("/api/v1/channels/chan/audit").json()["events"]
    overwrite = events[0]
    assert overwrite["action"] == "package.overwrite"
    assert overwrite["actor"] == "alice"
    assert overwrite["details"]["sha256"] == new_sha
    assert (
        overwrite["details"]["previous_sha256"]
        == hashlib.sha256(pkgs.alpha.read_bytes()).hexdigest()
    )


def test_force_on_a_new_file_is_a_plain_upload(world: World, team: Team, pkgs: Packages) -> None:
    r = team.owner.upload("chan", pkgs.alpha, force=True)
    assert r.status == 201, r
    assert audit_actions(team.owner, "chan")[0] == "package.upload"


def test_force_by_maintainer_is_403(world: World, team: Team, pkgs: Packages) -> None:
    assert team.owner.upload("chan", pkgs.alpha).status == 201
    assert_text_error(
        team.maintainer.upload("chan", pkgs.alpha_again, force=True), 403, "forbidden"
    )
    _, uploader = team.owner.create_key(scope="upload")  # the owner, but an upload-only key
    assert_text_error(uploader.upload("chan", pkgs.alpha_again, force=True), 403, "forbidden")
    assert world.object(f"chan/noarch/{pkgs.alpha.name}") == pkgs.alpha.read_bytes()


def test_sha256_mismatch_is_422(world: World, team: Team, pkgs: Packages) -> None:
    for legacy in (False, True):
        r = team.owner.upload("chan", pkgs.alpha, sha256="0" * 64, legacy=legacy)
        assert_text_error(r, 422, "sha256-mismatch")
    assert filenames(world.anonymous, "chan") == []
    assert f"chan/noarch/{pkgs.alpha.name}" not in world.channel_keys("chan")


def test_upper_case_sha256_is_accepted(world: World, team: Team, pkgs: Packages) -> None:
    digest = hashlib.sha256(pkgs.alpha.read_bytes()).hexdigest().upper()
    assert team.owner.upload("chan", pkgs.alpha, sha256=digest).status == 201


def test_non_package_is_422(world: World, team: Team, pkgs: Packages, tmp_path: Path) -> None:
    readme = tmp_path / "readme.txt"
    readme.write_text("not a package\n")
    assert_text_error(team.owner.upload("chan", readme), 422, "unknown-extension")
    # A package under a name that does not match its contents.
    r = team.owner.upload("chan", pkgs.alpha, filename="alpha-9.9-h0_0.conda")
    assert_text_error(r, 422, "filename-mismatch")
    # Bytes that are not a package under a package name.
    r = team.owner.upload("chan", readme, filename="fake-1.0-h0_0.conda")
    assert_text_error(r, 422, "not-a-zip")
    r = team.owner.upload("chan", readme, filename="fake-1.0-h0_0.tar.bz2")
    assert_text_error(r, 422, "not-a-bzip2-tar")
    assert filenames(world.anonymous, "chan") == []
    stored = world.channel_keys("chan")
    assert not [k for k in stored if k.startswith(("chan/noarch/alpha", "chan/noarch/fake"))]


def test_body_over_the_api_limit_is_413(world: World, team: Team, pkgs: Packages) -> None:
    size = pkgs.alpha.stat().st_size
    world.setenv(MAX_API_BODY_BYTES, str(size // 2))
    for legacy in (False, True):
        text = assert_text_error(
            team.owner.upload("chan", pkgs.alpha, legacy=legacy), 413, "payload-too-large"
        )
        assert "/api/v1/channels/chan/uploads" in text  # where large packages go instead
        assert str(size // 2) in text
    assert filenames(world.anonymous, "chan") == []


def test_package_over_the_size_limit_is_413(world: World, team: Team, pkgs: Packages) -> None:
    world.setenv(MAX_PACKAGE_BYTES, str(pkgs.alpha.stat().st_size - 1))
    assert_text_error(team.owner.upload("chan", pkgs.alpha), 413, "too-large")


def test_upload_without_token_is_401(world: World, team: Team, pkgs: Packages) -> None:
    r = world.anonymous.upload("chan", pkgs.alpha)
    assert_text_error(r, 401, "unauthenticated")
    r = Client("rlt_" + "n" * 43).upload("chan", pkgs.alpha)
    assert_text_error(r, 401, "unauthenticated")
    assert filenames(world.anonymous, "chan") == []


def test_upload_refusals_are_plain_text(world: World, team: Team, pkgs: Packages) -> None:
    team.add_private()
    assert_text_error(team.member.upload("chan", pkgs.alpha), 403, "forbidden")
    assert_text_error(team.stranger.upload("chan", pkgs.alpha), 403, "forbidden")
    assert_text_error(team.stranger.upload("priv", pkgs.alpha), 403, "forbidden")
    _, reader = team.owner.create_key(scope="read")
    assert_text_error(reader.upload("chan", pkgs.alpha), 403, "forbidden")
    _, elsewhere = team.owner.create_key(scope="upload", channels=["priv"])
    assert_text_error(elsewhere.upload("chan", pkgs.alpha), 403, "forbidden")
    assert_text_error(team.owner.upload("nope", pkgs.alpha), 404, "channel-not-found")
    assert filenames(world.anonymous, "chan") == []
    # The right key works.
    assert elsewhere.upload("priv", pkgs.alpha).status == 201


def test_upload_scoped_key_of_maintainer_uploads(world: World, team: Team, pkgs: Packages) -> None:
    _, uploader = team.maintainer.create_key(scope="upload", channels=["chan"])
    assert uploader.upload("chan", pkgs.gamma).status == 201


def test_malformed_upload_requests_are_400(world: World, team: Team, pkgs: Packages) -> None:
    auth = team.owner.auth()
    # Multipart without a 'file' part.
    boundary = "a" * 16
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--{boundary}--\r\n'
    ).encode()
    r = invoke(
        "POST",
        "/api/v1/upload/chan",
        headers={**auth, "content-type": f"multipart/form-data; boundary={boundary}"},
        body=body,
    )
    assert_text_error(r, 400, "invalid-request")
    # A raw body without X-File-Name.
    r = invoke(
        "POST",
        "/api/v1/upload/chan",
        headers={**auth, "content-type": "application/octet-stream"},
        body=pkgs.alpha.read_bytes(),
    )
    assert_text_error(r, 400, "invalid-request")


def test_namespaced_channel_upload_gets_a_plain_text_answer(
    world: World, team: Team, pkgs: Packages
) -> None:
    # rattler-build >= 0.74 publish sends "owner/name" unescaped (spec §2.1); every
    # answer under /api/v1/upload/ is shown to the user, so it must be plain text.
    r = team.owner.upload("alice/chan", pkgs.alpha)
    assert r.status in (403, 404, 422), r
    assert r.content_type.startswith("text/plain"), r


@pytest.mark.parametrize("fixture", ["legacy-raw-apikey-noarch", "multipart-apikey-noarch"])
def test_captured_client_requests_are_accepted(world: World, fixture: str) -> None:
    # Requests captured from rattler-build 0.35.9 (raw body) and rattler_upload 0.10.0
    # (multipart), replayed byte for byte with our own key.
    request = json.loads((FIXTURES / f"{fixture}.request.json").read_text())
    body = (FIXTURES / f"{fixture}.body.bin").read_bytes()
    assert len(body) == request["body_len"]
    channel = request["target"].rsplit("/", 1)[-1]
    assert channel == "my-channel"
    alice = world.user("alice")
    alice.create_channel(channel)
    headers = [(k, v) for k, v in request["headers"] if k.lower() != "authorization"]
    headers.append(("authorization", f"Bearer {alice.token}"))
    r = invoke(request["method"], request["target"], headers=headers, body=body)
    assert r.status == 201, r
    [record] = listing(alice, channel)["packages"]
    assert record["filename"] == "probe-pkg-0.1.0-h0_0.conda"
    # Both captures carry the same package: the raw one's body is the file itself.
    package = (FIXTURES / "legacy-raw-apikey-noarch.body.bin").read_bytes()
    assert record["sha256"] == hashlib.sha256(package).hexdigest()
    # The same request again: 409, which --skip-existing relies on.
    again = invoke(request["method"], request["target"], headers=headers, body=body)
    assert_text_error(again, 409, "already-exists")


# -- trusted publishing through the API -----------------------------------------------------
GITHUB = "https://token.actions.githubusercontent.com"
PUBLISHER = {
    "provider": "github",
    "owner": "octo-org",
    "repository": "widgets",
    "workflow": "release.yml",
}


@pytest.fixture(scope="module")
def signing_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def oidc(world: World, signing_key: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., bytes]:
    """Sign GitHub-shaped ID tokens that the API's key source accepts."""
    import jwt

    class Keys:
        def key(self, issuer: str, kid: str) -> Any:
            assert (issuer, kid) == (GITHUB, "k1")
            return signing_key.public_key()

    world.use_ports(jwks=Keys())
    counter = iter(range(1000))

    def sign(**overrides: Any) -> bytes:
        now = int(world.clock.t)
        claims = {
            "iss": GITHUB,
            "aud": "conda.example.com",
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": f"jti-{next(counter)}",
            "sub": "repo:octo-org/widgets:ref:refs/heads/main",
            "repository": "octo-org/widgets",
            "repository_owner": "octo-org",
            "repository_owner_id": "4242",
            "workflow_ref": "octo-org/widgets/.github/workflows/release.yml@refs/heads/main",
            "event_name": "push",
            "ref": "refs/heads/main",
            "sha": "0" * 40,
            "run_id": "1",
            **overrides,
        }
        token = jwt.encode(claims, signing_key, algorithm="RS256", headers={"kid": "k1"})
        return json.dumps({"token": token}).encode()

    return sign


def mint(body: bytes) -> Reply:
    return invoke(
        "POST", "/api/oidc/mint_token", headers={"content-type": "application/json"}, body=body
    )


def test_trusted_publishing_mint_then_upload(
    world: World, team: Team, pkgs: Packages, oidc: Callable[..., bytes]
) -> None:
    assert team.owner.post("/api/v1/channels/chan/publishers", PUBLISHER).status == 201
    body = oidc()
    r = mint(body)
    assert r.status == 200, r
    assert r.content_type.startswith("text/plain")
    token = r.text
    assert re.fullmatch(r"rillet-tp-[A-Za-z0-9]{43}", token), token
    minted = Client(token)
    r = minted.upload("chan", pkgs.alpha)
    assert r.status == 201, r
    assert audit_actions(team.owner, "chan")[0] == "package.upload"
    upload = team.owner.get("/api/v1/channels/chan/audit").json()["events"][0]
    assert upload["details"]["via"] == "trusted-publishing"
    # Upload-only: no force, no delete, no management.
    assert_text_error(minted.upload("chan", pkgs.alpha_again, force=True), 403, "forbidden")
    r = minted.delete(f"/api/v1/delete/chan/noarch/{pkgs.alpha.name}")
    assert_error(r, 403, "forbidden")
    assert_error(minted.get("/api/v1/channels/chan/members"), 403, "forbidden")
    # Never a key: no create, list or revoke.
    owner_key = team.owner.get("/api/v1/users/me").json()["key"]
    assert_error(minted.post("/api/v1/users/me/keys", {"scope": "read"}), 403, "forbidden")
    assert_error(minted.get("/api/v1/users/me/keys"), 403, "forbidden")
    assert_error(minted.delete(f"/api/v1/users/me/keys/{owner_key}"), 403, "forbidden")
    # The same ID token twice is a replay.
    assert_text_error(mint(body), 409, "reused-token")


def test_a_minted_token_dies_with_its_channel_incarnation(
    world: World, team: Team, pkgs: Packages, oidc: Callable[..., bytes]
) -> None:
    """Minted for chan; chan is deleted and a stranger creates a channel of that name."""
    assert team.owner.post("/api/v1/channels/chan/publishers", PUBLISHER).status == 201
    r = mint(oidc())
    assert r.status == 200, r
    minted = Client(r.text)
    assert team.owner.delete("/api/v1/channels/chan").status == 200
    team.stranger.create_channel("chan")
    # The delete took the publisher, so the token is dead on both paths (the incarnation
    # check behind it is proven in tests/services/test_channel_lifecycle.py).
    assert_text_error(minted.upload("chan", pkgs.alpha), 401, "unauthenticated")
    intent = {"filename": pkgs.alpha.name, "sha256": "0" * 64, "size": 10}
    r = minted.post("/api/v1/channels/chan/uploads", intent)
    assert_error(r, 401, "unauthenticated")
    assert team.stranger.get("/api/v1/channels/chan/packages").json()["packages"] == []
    assert audit_actions(team.stranger, "chan") == []


def test_mint_refusals_are_plain_text(world: World, team: Team, oidc: Callable[..., bytes]) -> None:
    assert_text_error(mint(oidc()), 403, "invalid-publisher")  # no publisher yet
    assert team.owner.post("/api/v1/channels/chan/publishers", PUBLISHER).status == 201
    assert_text_error(mint(b"{}"), 400, "invalid-payload")
    assert_text_error(mint(oidc(aud="prefix.dev")), 401, "invalid-token")
    r = mint(oidc(workflow_ref="octo-org/widgets/.github/workflows/other.yml@refs/heads/main"))
    assert_text_error(r, 403, "invalid-publisher")
    assert_text_error(mint(oidc(event_name="pull_request_target")), 403, "invalid-publisher")


def test_publisher_of_a_deleted_channel_is_gone(
    world: World, team: Team, pkgs: Packages, oidc: Callable[..., bytes]
) -> None:
    # The same repository publishes to two channels; one of them is deleted and its
    # name taken by someone else, who configured no publisher.
    team.owner.create_channel("chan-b")
    for channel in ("chan", "chan-b"):
        r = team.owner.post(f"/api/v1/channels/{channel}/publishers", PUBLISHER)
        assert r.status == 201, r
    assert team.owner.delete("/api/v1/channels/chan").status == 200
    team.stranger.create_channel("chan")
    r = mint(oidc())
    assert r.status == 200, r  # the live channel's publisher still works
    minted = Client(r.text)
    assert minted.upload("chan-b", pkgs.alpha).status == 201
    assert_text_error(minted.upload("chan", pkgs.alpha), 403, "forbidden")


def _minted_for(team: Team, oidc: Callable[..., bytes], **limits: Any) -> tuple[Client, str]:
    r = team.owner.post("/api/v1/channels/chan/publishers", {**PUBLISHER, **limits})
    assert r.status == 201, r
    minted = mint(oidc())
    assert minted.status == 200, minted
    return Client(minted.text), r.json()["id"]


def test_minted_token_presigns_only_within_its_publisher_limits(
    world: World, team: Team, pkgs: Packages, oidc: Callable[..., bytes]
) -> None:
    minted, _ = _minted_for(team, oidc, name_patterns=["alpha"], subdirs=["noarch"])
    r = minted.post("/api/v1/channels/chan/uploads", _ticket_body(pkgs.gamma))
    assert_error(r, 403, "outside-publisher-limits")
    r = minted.post("/api/v1/channels/chan/uploads", _ticket_body(pkgs.alpha, subdir="linux-64"))
    assert_error(r, 403, "outside-publisher-limits")
    # The same rule on the prefix endpoint, judged from the package itself.
    assert_text_error(minted.upload("chan", pkgs.beta), 403, "outside-publisher-limits")
    r = minted.post("/api/v1/channels/chan/uploads", _ticket_body(pkgs.alpha))
    assert r.status == 201, r  # without a subdir, validation judges the real one
    status = minted.get(f"/api/v1/channels/chan/uploads/{r.json()['id']}")
    assert status.status == 200 and status.json()["status"] == "pending", status


def test_minted_token_stops_working_when_its_publisher_is_removed(
    world: World, team: Team, pkgs: Packages, oidc: Callable[..., bytes]
) -> None:
    minted, publisher_id = _minted_for(team, oidc)
    assert minted.upload("chan", pkgs.alpha).status == 201
    r = team.owner.delete(f"/api/v1/channels/chan/publishers/{publisher_id}")
    assert r.status == 200, r
    assert_text_error(minted.upload("chan", pkgs.alpha2), 401, "unauthenticated")
    r = minted.post("/api/v1/channels/chan/uploads", _ticket_body(pkgs.alpha2))
    assert_error(r, 401, "unauthenticated")
    assert filenames(team.owner, "chan") == [pkgs.alpha.name]


def test_prefix_upload_by_minted_token_audits_its_publisher(
    world: World, team: Team, pkgs: Packages, oidc: Callable[..., bytes]
) -> None:
    minted, publisher_id = _minted_for(team, oidc)
    assert minted.upload("chan", pkgs.alpha).status == 201
    event = team.owner.get("/api/v1/channels/chan/audit").json()["events"][0]
    assert event["action"] == "package.upload" and event["actor"] == "github:octo-org/widgets"
    assert event["details"]["publisher"] == {
        "id": publisher_id,
        "provider": "github",
        "repository": "octo-org/widgets",
        "workflow": "release.yml",
    }


def test_minted_token_is_worth_no_more_than_no_token_except_for_uploads(
    world: World, team: Team, pkgs: Packages, oidc: Callable[..., bytes]
) -> None:
    """Every route with a minted token: uploads and their status, else what anyone gets."""
    _, publisher_id = _minted_for(team, oidc)
    team.add_private("priv")
    assert team.owner.post("/api/v1/channels/priv/publishers", PUBLISHER).status == 201
    minted_both = Client(mint(oidc()).text)  # a token for chan and priv
    key_id, _ = team.owner.create_key()
    mine = minted_both.post("/api/v1/channels/priv/uploads", _ticket_body(pkgs.alpha))
    assert mine.status == 201, mine
    theirs = team.owner.post("/api/v1/channels/priv/uploads", _ticket_body(pkgs.gamma))
    uploads_allowed = {
        ("post", "/api/v1/upload/{channel}"),
        ("post", "/api/v1/channels/{channel}/uploads"),
        ("get", "/api/v1/channels/{channel}/uploads/{upload_id}"),
        # Releases are the presigned path's (a minted token's own; tests/services/test_releases).
        ("post", "/api/v1/channels/{channel}/releases"),
        ("get", "/api/v1/channels/{channel}/releases/{release_id}"),
        ("post", "/api/v1/channels/{channel}/releases/{release_id}/commit"),
        ("delete", "/api/v1/channels/{channel}/releases/{release_id}"),
    }
    bodies: dict[str, Any] = {
        "/api/v1/users": {"name": "eve"},
        "/api/v1/users/me/keys": {"scope": "admin"},
        "/api/v1/channels": {"name": "minted-chan"},
        "/api/v1/channels/{channel}": {"visibility": "public", "description": "pwned"},
        "/api/v1/channels/{channel}/transfer": {"owner": "dave"},
        "/api/v1/channels/{channel}/members/{user}": {"role": "owner"},
        "/api/v1/channels/{channel}/publishers": {**PUBLISHER, "repository": "evil"},
        "/api/v1/channels/{channel}/uploads": _ticket_body(pkgs.alpha2),
    }
    params = {
        "user": "dave",
        "name": "dave",
        "key_id": key_id,
        "publisher_id": publisher_id,
        "subdir": "noarch",
        "filename": pkgs.alpha.name,
    }
    before = {
        c: (
            team.owner.get(f"/api/v1/channels/{c}").json(),
            team.owner.get(f"/api/v1/channels/{c}/members").json(),
            team.owner.get(f"/api/v1/channels/{c}/publishers").json(),
        )
        for c in ("chan", "priv")
    }

    def call(client: Client, method: str, template: str, channel: str) -> Reply:
        upload_id = (mine if client is minted_both else theirs).json()["id"]
        path = template.format(channel=channel, upload_id=upload_id, **params)
        if template == "/api/v1/upload/{channel}":
            return client.upload(channel, pkgs.alpha2)
        body = bodies.get(template, {}) if method in ("post", "put", "patch") else None
        if body is None:
            return client.call(method.upper(), path)
        return client.call(method.upper(), path, body)

    def check(case: tuple[str, str, str]) -> None:
        method, template, channel = case
        if (method, template) in uploads_allowed or template == "/api/oidc/mint_token":
            return
        r = call(minted_both, method, template, channel)
        if (method, template) == ("get", "/api/v1/users/me"):
            assert r.json()["scope"] == "upload"  # it may describe itself
            return
        if (method, template) == ("get", "/api/v1/channels"):
            anyone = world.anonymous.get(template).json()["channels"]
            assert all(c in anyone for c in r.json()["channels"]), r
            return
        anonymous = call(world.anonymous, method, template, channel)
        assert 400 <= r.status < 500 or (r.status, r.body) == (anonymous.status, anonymous.body), (
            r,
            anonymous,
        )

    each([(m, t, c) for m, t in sorted(_routes()) for c in ("chan", "priv")], check)
    after = {
        c: (
            team.owner.get(f"/api/v1/channels/{c}").json(),
            team.owner.get(f"/api/v1/channels/{c}/members").json(),
            team.owner.get(f"/api/v1/channels/{c}/publishers").json(),
        )
        for c in ("chan", "priv")
    }
    assert after == before
    assert any(
        k["id"] == key_id and not k["revoked"]
        for k in team.owner.get("/api/v1/users/me/keys").json()["keys"]
    )
    # What it may do: its own upload's status, not another's.
    r = minted_both.get(f"/api/v1/channels/priv/uploads/{mine.json()['id']}")
    assert r.status == 200 and r.json()["status"] == "pending", r
    r = minted_both.get(f"/api/v1/channels/priv/uploads/{theirs.json()['id']}")
    assert_error(r, 404, "not-found")


def test_publishers_are_managed_by_owners(world: World, team: Team) -> None:
    r = team.owner.post("/api/v1/channels/chan/publishers", PUBLISHER)
    assert r.status == 201, r
    publisher_id = r.json()["id"]
    for client in (team.maintainer, team.member, team.stranger):
        assert_error(client.get("/api/v1/channels/chan/publishers"), 403, "forbidden")
        r = client.post("/api/v1/channels/chan/publishers", PUBLISHER)
        assert_error(r, 403, "forbidden")
        r = client.delete(f"/api/v1/channels/chan/publishers/{publisher_id}")
        assert_error(r, 403, "forbidden")
    r = team.owner.post("/api/v1/channels/chan/publishers", {**PUBLISHER, "provider": "x"})
    assert_error(r, 400, "invalid-request")
    [listed] = team.owner.get("/api/v1/channels/chan/publishers").json()["publishers"]
    assert listed["id"] == publisher_id and listed["created_by"] == "alice"
    r = team.owner.delete(f"/api/v1/channels/chan/publishers/{publisher_id}")
    assert r.status == 200 and r.json() == {"removed": publisher_id}
    r = team.owner.delete(f"/api/v1/channels/chan/publishers/{publisher_id}")
    assert_error(r, 404, "publisher-not-found")
    assert audit_actions(team.owner, "chan")[:2] == ["publisher.remove", "publisher.add"]


# -- presigned uploads ----------------------------------------------------------------------
def _ticket_body(path: Path, **extra: Any) -> dict[str, Any]:
    data = path.read_bytes()
    return {
        "filename": path.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        **extra,
    }


def test_presigned_upload_request(world: World, team: Team, pkgs: Packages) -> None:
    team.add_private()
    r = team.maintainer.post("/api/v1/channels/chan/uploads", _ticket_body(pkgs.alpha))
    assert r.status == 201, r
    ticket = r.json()
    assert ticket["method"] == "PUT"
    assert ticket["filename"] == pkgs.alpha.name
    assert ticket["status"] == "pending"
    assert ticket["url"].startswith("https://conda.example.com/_s3/")
    assert ticket["headers"]
    status = team.maintainer.get(f"/api/v1/channels/chan/uploads/{ticket['id']}")
    assert status.status == 200, status
    assert status.json()["status"] == "pending"
    # Upload ids are per channel, and a private channel's stay hidden.
    r = team.maintainer.get(f"/api/v1/channels/priv/uploads/{ticket['id']}")
    assert_error(r, 404, "not-found")
    assert_error(team.maintainer.get("/api/v1/channels/chan/uploads/nope"), 404, "upload-not-found")


def test_presigned_upload_validation(world: World, team: Team, pkgs: Packages) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"filename": None}, 400, "invalid-request"),
        ({"sha256": None}, 400, "invalid-request"),
        ({"size": None}, 400, "invalid-request"),
        ({"size": 0}, 400, "invalid-request"),
        ({"size": "12"}, 400, "invalid-request"),
        ({"force": "yes"}, 400, "invalid-request"),
        ({"filename": "readme.txt"}, 422, "unknown-extension"),
        ({"filename": "nodashes.conda"}, 422, "invalid-filename"),
        ({"filename": "../x-1-0.conda"}, 422, "invalid-filename"),
        ({"sha256": "xyz"}, 422, "invalid-sha256"),
        ({"subdir": "amiga-68k"}, 422, "unknown-subdir"),
        ({"size": 10**12}, 413, "too-large"),
    ]

    def check(case: tuple[dict[str, Any], int, str]) -> None:
        change, status, code = case
        body = {k: v for k, v in {**_ticket_body(pkgs.alpha), **change}.items() if v is not None}
        assert_error(team.owner.post("/api/v1/channels/chan/uploads", body), status, code)

    each(cases, check)


def test_presigned_upload_permissions(world: World, team: Team, pkgs: Packages) -> None:
    body = _ticket_body(pkgs.alpha)
    assert_error(
        world.anonymous.post("/api/v1/channels/chan/uploads", body), 401, "unauthenticated"
    )
    assert_error(team.member.post("/api/v1/channels/chan/uploads", body), 403, "forbidden")
    r = team.maintainer.post("/api/v1/channels/chan/uploads", {**body, "force": True})
    assert_error(r, 403, "forbidden")
    r = team.owner.post("/api/v1/channels/chan/uploads", {**body, "force": True})
    assert r.status == 201, r
    assert_error(team.owner.post("/api/v1/channels/nope/uploads", body), 404, "channel-not-found")


def test_presigned_duplicate_with_subdir_is_409(world: World, team: Team, pkgs: Packages) -> None:
    assert team.owner.upload("chan", pkgs.alpha).status == 201
    body = _ticket_body(pkgs.alpha, subdir="noarch")
    r = team.maintainer.post("/api/v1/channels/chan/uploads", body)
    assert_error(r, 409, "already-exists")
    r = team.owner.post("/api/v1/channels/chan/uploads", {**body, "force": True})
    assert r.status == 201, r
    # Without the subdir the duplicate can only be found after the PUT.
    r = team.maintainer.post("/api/v1/channels/chan/uploads", _ticket_body(pkgs.alpha))
    assert r.status == 201, r


# -- general --------------------------------------------------------------------------------
def test_unknown_route_is_json_404(world: World) -> None:
    routes = [
        ("GET", "/api/nope"),
        ("GET", "/api/v1"),
        ("PUT", "/api/v1/users/me"),  # POST claims a username (issue 12)
        ("GET", "/api/v2/channels"),
    ]
    each(routes, lambda route: assert_error(world.operator.call(*route), 404, "no-route"))


def _routes() -> set[tuple[str, str]]:
    routes = app._static_routes + app._dynamic_routes
    out = set()
    for route in routes:
        methods = route.method if isinstance(route.method, (list, tuple)) else [route.method]
        for method in methods:
            out.add((method.lower(), re.sub(r"<(\w+)>", r"{\1}", route.path)))
    return out


def test_openapi_lists_every_route(world: World) -> None:
    r = world.anonymous.get("/api/openapi.json")
    assert r.status == 200, r
    doc = json.loads(r.text)
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"]
    documented = {(m, path) for path, ops in doc["paths"].items() for m in ops}
    expected = _routes()
    assert len(expected) >= 20
    assert expected <= documented, sorted(expected - documented)
    for ops in doc["paths"].values():
        for op in ops.values():
            for param in op.get("parameters", []):
                assert param["in"] in ("path", "query", "header", "cookie"), param


def test_malformed_json_body_is_400(world: World) -> None:
    alice = world.user("alice")

    def check(raw: bytes) -> None:
        for client, path in ((world.operator, "/api/v1/users"), (alice, "/api/v1/channels")):
            r = client.call("POST", path, headers={"content-type": "application/json"}, body=raw)
            assert_error(r, 400, "invalid-request")

    each([b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"', b"null"], check)


def test_package_files_say_who_uploaded_them_and_when(
    world: World, team: Team, pkgs: Packages, oidc: Callable[..., bytes]
) -> None:
    """The package page's "uploaded by": a user, or the trusted publisher with its
    repository and workflow; and the upload time (services/provenance.py)."""
    assert team.owner.upload("chan", pkgs.alpha).status == 201
    minted, publisher_id = _minted_for(team, oidc)
    assert minted.upload("chan", pkgs.beta).status == 201
    by_name = {p["filename"]: p for p in listing(world.anonymous, "chan")["packages"]}
    mine, ci = by_name[pkgs.alpha.name], by_name[pkgs.beta.name]
    assert mine["uploaded_by"] == "alice"
    assert mine["publisher"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", mine["uploaded_at"])
    assert ci["uploaded_by"] == "github:octo-org/widgets"
    assert ci["publisher"] == {
        "id": publisher_id,
        "provider": "github",
        "repository": "octo-org/widgets",
        "workflow": "release.yml",
    }
