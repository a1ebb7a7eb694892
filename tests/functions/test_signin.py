"""Sign-in sessions on the API (handler on moto): first sign-in, username, keys, search,
suspension at the API and the edge, discovery and the account audit log."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from rillet.core import access
from rillet.runtime import settings as s
from rillet.runtime.wiring import container
from tests.functions.conftest import Client, World

ISSUER = "https://idp.example.com/pool-1"
CLIENT_ID = "web-app"
AUDIENCE = "rillet-api"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)

Sign = Callable[..., Client]


@pytest.fixture
def signin(world: World, monkeypatch: pytest.MonkeyPatch) -> Sign:
    """Configure the deployment's identity provider; return a session maker per subject."""
    monkeypatch.setenv(s.SIGNIN_ISSUER, ISSUER)
    monkeypatch.setenv(s.SIGNIN_CLIENT_ID, CLIENT_ID)
    world.setenv(s.SIGNIN_AUDIENCE, AUDIENCE)

    class Keys:
        def key(self, issuer: str, kid: str) -> Any:
            assert (issuer, kid) == (ISSUER, "k1")
            return KEY.public_key()

    world.use_ports(jwks=Keys())

    def session(sub: str, name: str = "", **claims: Any) -> Client:
        now = int(world.clock.t)
        body = {
            "iss": ISSUER,
            "sub": sub,
            "aud": AUDIENCE,
            "client_id": CLIENT_ID,
            "iat": now,
            "exp": now + 600,
            "email": f"{sub}@example.com",
            **claims,
        }
        return Client(jwt.encode(body, KEY, algorithm="RS256", headers={"kid": "k1"}), name)

    return session


def named(signin: Sign, sub: str, name: str) -> Client:
    me = signin(sub, name)
    r = me.post("/api/v1/users/me", {"name": name})
    assert r.status == 201, r
    return me


def edge_status(world: World, channel: str, token: str) -> int:
    decision = access.decide_read(
        f"/{channel}/noarch/repodata.json",
        {"authorization": f"Bearer {token}"},
        container().edge_view,
        int(world.clock.t),
    )
    return decision.status


def test_without_an_identity_provider_sessions_are_refused(world: World) -> None:
    token = jwt.encode({"iss": ISSUER, "sub": "x"}, KEY, algorithm="RS256", headers={"kid": "k1"})
    r = Client(token).get("/api/v1/users/me")
    assert r.status == 401
    assert r.json()["error"] == "sessions-disabled"
    assert world.anonymous.get("/api/v1/config").json()["oidc"] is None


def test_first_sign_in_then_username_channel_and_keys(world: World, signin: Sign) -> None:
    me = signin("sub-1")
    r = me.get("/api/v1/users/me")
    assert r.status == 200, r
    assert r.json()["name"] is None and r.json()["needs_name"] is True
    # Before a name, nothing else works, with a reason that says what to do.
    r = me.post("/api/v1/channels", {"name": "mine", "visibility": "private"})
    assert (r.status, r.json()["error"]) == (403, "username-required")

    r = me.post("/api/v1/users/me", {"name": "erin"})
    assert r.status == 201, r
    assert r.json()["name"] == "erin" and r.json()["needs_name"] is False
    assert me.get("/api/v1/users/me").json()["name"] == "erin"
    # A new token for the same subject is the same user (bound to sub, not email).
    again = signin("sub-1", email="changed@example.org")
    assert again.get("/api/v1/users/me").json()["name"] == "erin"

    me.create_channel("mine", "private")
    key_id, key = me.create_key(scope="read", description="laptop")
    assert key.get("/api/v1/users/me").json()["name"] == "erin"
    listed = me.get("/api/v1/users/me/keys").json()["keys"]
    assert [k["id"] for k in listed if k["description"] == "laptop"] == [key_id]
    assert edge_status(world, "mine", key.token or "") == 200
    # A session is never an edge credential: the edge does not know it.
    assert edge_status(world, "mine", me.token or "") == 401

    assert me.delete(f"/api/v1/users/me/keys/{key_id}").status == 200
    assert key.get("/api/v1/users/me").status == 401

    events = world.operator.get("/api/v1/audit/accounts").json()["events"]
    actions = [e["action"] for e in reversed(events)]
    assert actions == ["account.signed-up", "account.name-claimed", "key.created", "key.revoked"]
    assert events[0]["details"] == {"key": key_id, "via": "session"}
    logged = json.dumps(events)
    assert (me.token or "") not in logged and (key.token or "") not in logged
    assert "@example" not in logged  # no emails either


def test_username_rules(world: World, signin: Sign) -> None:
    world.user("bob")  # operator-created
    me = signin("sub-2")
    for name, status, code in [
        ("callback", 422, "invalid-user-name"),
        ("channels", 422, "invalid-user-name"),
        ("account", 422, "invalid-user-name"),
        ("Erin", 422, "invalid-user-name"),
        ("bob", 409, "username-taken"),
    ]:
        r = me.post("/api/v1/users/me", {"name": name})
        assert (r.status, r.json()["error"]) == (status, code), name
    assert me.post("/api/v1/users/me", {"name": "frank"}).status == 201
    r = me.post("/api/v1/users/me", {"name": "frank2"})
    assert (r.status, r.json()["error"]) == (409, "username-chosen")
    # Someone else cannot take it either.
    r = signin("sub-3").post("/api/v1/users/me", {"name": "frank"})
    assert (r.status, r.json()["error"]) == (409, "username-taken")
    # An API key cannot claim a name: that is for sign-in sessions.
    r = world.user("gina").post("/api/v1/users/me", {"name": "gina2"})
    assert (r.status, r.json()["error"]) == (401, "session-required")


def test_reserved_web_paths_are_not_channel_names(world: World) -> None:
    owner = world.user("olga")
    for name in ("channels", "account", "api", "t", "assets", "login", "logout", "callback"):
        r = owner.post("/api/v1/channels", {"name": name})
        assert r.status == 422, (name, r)


def test_bad_tokens_get_one_clear_refusal(world: World, signin: Sign) -> None:
    for bad in (
        signin("sub-4", iss="https://evil.example.com"),
        signin("sub-4", aud="another-api"),
        signin("sub-4", exp=int(world.clock.t) - 3600),
        Client("x.y.z"),
    ):
        r = bad.get("/api/v1/users/me")
        assert (r.status, r.json()["error"]) == (401, "invalid-session"), r
        assert "www-authenticate" in r.headers


def test_member_search(world: World, signin: Sign) -> None:
    searcher = named(signin, "s-0", "zed")
    for i, name in enumerate(["ann", "anna", "annabel", "bert"]):
        named(signin, f"s-{i + 1}", name)
    world.user("annie")  # operator-created: never signed in, not listed
    r = searcher.get("/api/v1/users", query={"q": "ANN"})
    assert r.status == 200, r
    assert r.json() == {"users": ["ann", "anna", "annabel"]}
    # Keys of signed-in users search too; anonymous callers cannot.
    _, key = searcher.create_key(scope="read")
    assert key.get("/api/v1/users", query={"q": "b"}).json() == {"users": ["bert"]}
    assert world.anonymous.get("/api/v1/users", query={"q": "a"}).status == 401
    for q in ("", "a*", "x" * 40):
        assert searcher.get("/api/v1/users", query={"q": q}).status == 400, q


def test_search_returns_at_most_twenty(world: World, signin: Sign) -> None:
    searcher = named(signin, "m-x", "mmm-searcher")
    for i in range(22):
        named(signin, f"m-{i}", f"m{i:02d}")
    found = searcher.get("/api/v1/users", query={"q": "m"}).json()["users"]
    assert len(found) == 20 and found == sorted(found)


def test_suspend_stops_sessions_and_keys_at_the_api_and_the_edge(
    world: World, signin: Sign
) -> None:
    user = named(signin, "sub-9", "hank")
    user.create_channel("hanks", "private")
    _, key = user.create_key(scope="read")
    friend = named(signin, "sub-10", "ivy")
    _, friend_key = friend.create_key(scope="read")
    user.set_member("hanks", "ivy", "member")
    assert edge_status(world, "hanks", key.token or "") == 200
    assert edge_status(world, "hanks", friend_key.token or "") == 200

    # Only the operator suspends.
    assert user.post("/api/v1/users/ivy/suspend").status == 403
    assert world.operator.post("/api/v1/users/nobody/suspend").status == 404
    r = world.operator.post("/api/v1/users/ivy/suspend")
    assert r.status == 200 and r.json() == {"name": "ivy", "suspended": True}

    for who in (friend, friend_key, signin("sub-10")):
        r = who.get("/api/v1/users/me")
        assert (r.status, r.json()["error"]) == (401, "account-suspended")
    assert edge_status(world, "hanks", friend_key.token or "") == 401
    assert user.get("/api/v1/users", query={"q": "iv"}).json() == {"users": []}
    # Others are untouched.
    assert edge_status(world, "hanks", key.token or "") == 200

    assert world.operator.post("/api/v1/users/ivy/reinstate").status == 200
    assert friend.get("/api/v1/users/me").json()["name"] == "ivy"
    assert friend_key.get("/api/v1/users/me").status == 200
    assert edge_status(world, "hanks", friend_key.token or "") == 200
    assert user.get("/api/v1/users", query={"q": "iv"}).json() == {"users": ["ivy"]}

    actions = [e["action"] for e in world.operator.get("/api/v1/audit/accounts").json()["events"]]
    assert actions[:2] == ["account.reinstated", "account.suspended"]
    assert user.get("/api/v1/audit/accounts").status == 403


def test_suspending_an_operator_created_user(world: World) -> None:
    kim = world.user("kim")
    kim.create_channel("kims", "private")
    assert world.operator.post("/api/v1/users/kim/suspend").status == 200
    assert kim.get("/api/v1/users/me").status == 401
    assert edge_status(world, "kims", kim.token or "") == 401
    assert world.operator.post("/api/v1/users/kim/reinstate").status == 200
    assert kim.get("/api/v1/users/me").status == 200
    assert edge_status(world, "kims", kim.token or "") == 200


def test_config_is_public(world: World, signin: Sign) -> None:
    r = world.anonymous.get("/api/v1/config")
    assert r.status == 200
    body = r.json()
    assert body["oidc"] == {
        "issuer": ISSUER,
        "client_id": CLIENT_ID,
        "audience": AUDIENCE,
        "scopes": ["openid", "email", "profile"],
        "cli_redirect_uri": None,
    }
    assert body["max_package_bytes"] > 0
