"""Private channels with py-rattler: Bearer via RATTLER_AUTH_FILE, Basic, and /t/<token>/.

Every file of a private channel (index, shards, repodata.json, packages) needs a
member's token; without one, with a revoked key or an outsider's, clients fail.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.e2e.clients import upload_with_client
from tests.e2e.conftest import Api
from tests.e2e.rattler_client import query, solve_and_install
from tests.packages import build_package

pytestmark = pytest.mark.e2e

CHANNEL = "hush"


@pytest.fixture(scope="module")
def private(api: Api, pkg_dir: Path) -> dict[str, str]:
    tokens = {name: api.create_user(name) for name in ("pria", "mo", "outi")}
    api.create_channel(CHANNEL, visibility="private", token=tokens["pria"])
    api.add_member(CHANNEL, "mo", "member", tokens["pria"])
    base = build_package(pkg_dir / "priv", "hushbase", "1.0", subdir="noarch", tar_bz2=True)
    top = build_package(pkg_dir / "priv", "hushtop", "1.0", subdir="linux-64", depends=["hushbase"])
    result = upload_with_client([base, top], api.stack.url, CHANNEL, api_key=tokens["pria"])
    assert result.ok, result.error
    api.stack.wait_idle()
    # A second key for mo, to revoke later without touching the first.
    r = api.call(
        "POST", "/api/v1/users/me/keys", {"scope": "read", "description": "ci"}, tokens["mo"]
    )
    assert r.status_code == 201, r.text
    tokens["mo-read"] = r.json()["secret"]
    tokens["mo-read-id"] = r.json()["id"]
    return tokens


@pytest.fixture
def auth_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "rattler-auth.json"
    path.write_text("{}")
    monkeypatch.setenv("RATTLER_AUTH_FILE", str(path))
    yield path


def write_auth(path: Path, entry: dict[str, object]) -> None:
    # Keyed by host without port, as rattler looks it up.
    path.write_text(json.dumps({"127.0.0.1": entry}))


def check_full_access(url: str, tmp_path: Path) -> None:
    sharded = query(url, ["hushtop"], tmp_path / "s", sharded=True)
    plain = query(url, ["hushtop"], tmp_path / "j", sharded=False)
    assert sharded == plain
    assert {r["name"] for r in sharded.values()} == {"hushtop", "hushbase"}
    assert solve_and_install(url, ["hushtop"], tmp_path / "i") == ["hushbase", "hushtop"]
    assert (tmp_path / "i" / "env" / "share" / "hushtop" / "hushtop.txt").exists()


def test_member_reads_with_bearer_from_auth_file(
    api: Api, private: dict[str, str], auth_file: Path, tmp_path: Path
) -> None:
    write_auth(auth_file, {"BearerToken": private["mo"]})
    check_full_access(f"{api.stack.url}/{CHANNEL}", tmp_path)


def test_member_reads_with_basic_auth(
    api: Api, private: dict[str, str], auth_file: Path, tmp_path: Path
) -> None:
    write_auth(auth_file, {"BasicHTTP": {"username": "mo", "password": private["mo"]}})
    check_full_access(f"{api.stack.url}/{CHANNEL}", tmp_path)


def test_member_reads_with_token_in_url(
    api: Api, private: dict[str, str], auth_file: Path, tmp_path: Path
) -> None:
    check_full_access(f"{api.stack.url}/t/{private['mo']}/{CHANNEL}", tmp_path)


@pytest.mark.parametrize("sharded", [True, False])
def test_without_token_the_query_fails(
    api: Api, private: dict[str, str], auth_file: Path, tmp_path: Path, sharded: bool
) -> None:
    with pytest.raises(Exception):  # noqa: B017 - rattler raises its own error types
        query(f"{api.stack.url}/{CHANNEL}", ["hushtop"], tmp_path / "q", sharded=sharded)


def test_outsider_token_fails_with_403(
    api: Api, private: dict[str, str], auth_file: Path, tmp_path: Path
) -> None:
    write_auth(auth_file, {"BearerToken": private["outi"]})
    with pytest.raises(Exception):  # noqa: B017
        query(f"{api.stack.url}/{CHANNEL}", ["hushtop"], tmp_path / "q", sharded=True)
    r = requests.get(
        f"{api.stack.url}/{CHANNEL}/noarch/repodata.json",
        headers={"Authorization": f"Bearer {private['outi']}"},
        timeout=10,
    )
    assert r.status_code == 403


def test_every_file_needs_the_token(api: Api, private: dict[str, str]) -> None:
    base = f"{api.stack.url}/{CHANNEL}"
    good = {"Authorization": f"Bearer {private['mo']}"}
    index = requests.get(f"{base}/linux-64/repodata.json", headers=good, timeout=10).json()
    files = [
        "repodata.json",
        "repodata.json.zst",
        "repodata_shards.msgpack.zst",
        *index["packages.conda"],
    ]
    from rillet.core.repodata import decode_shard_index

    shard_index = decode_shard_index(
        requests.get(
            f"{base}/linux-64/repodata_shards.msgpack.zst", headers=good, timeout=10
        ).content
    )
    files += [f"shards/{d.hex()}.msgpack.zst" for d in shard_index["shards"].values()]
    basic = base64.b64encode(f"x:{private['mo']}".encode()).decode()
    for name in files:
        url = f"{base}/linux-64/{name}"
        anonymous = requests.get(url, timeout=10)
        assert anonymous.status_code == 401, name
        assert "Bearer" in anonymous.headers["WWW-Authenticate"]
        assert requests.get(url, headers=good, timeout=10).status_code == 200, name
        assert (
            requests.get(url, headers={"Authorization": f"Basic {basic}"}, timeout=10).status_code
            == 200
        )
        token_url = f"{api.stack.url}/t/{private['mo']}/{CHANNEL}/linux-64/{name}"
        got = requests.get(token_url, timeout=10)
        assert got.status_code == 200, name
        # No shared cache may keep a private file and hand it to someone else.
        cache_control = got.headers["Cache-Control"]
        assert cache_control.startswith("private"), (name, cache_control)
        assert "public" not in cache_control and "s-maxage" not in cache_control, name
        revalidated = requests.get(
            token_url, headers={"If-None-Match": got.headers["ETag"]}, timeout=10
        )
        assert revalidated.status_code == 304
        assert revalidated.headers["Cache-Control"] == cache_control, name


def test_revoked_key_stops_reading(
    api: Api, private: dict[str, str], auth_file: Path, tmp_path: Path
) -> None:
    write_auth(auth_file, {"BearerToken": private["mo-read"]})
    assert query(f"{api.stack.url}/{CHANNEL}", ["hushtop"], tmp_path / "ok", sharded=True)
    r = api.call("DELETE", f"/api/v1/users/me/keys/{private['mo-read-id']}", token=private["mo"])
    assert r.status_code == 200 and r.json()["revoked"] is True
    with pytest.raises(Exception):  # noqa: B017
        query(f"{api.stack.url}/{CHANNEL}", ["hushtop"], tmp_path / "gone", sharded=True)
    assert api.call("GET", "/api/v1/users/me", token=private["mo-read"]).status_code == 401


def test_removed_member_loses_access_and_public_ignores_tokens(
    api: Api, private: dict[str, str], tmp_path: Path
) -> None:
    owner = private["pria"]
    guest = api.create_user("guesty")
    api.add_member(CHANNEL, "guesty", "member", owner)
    url = f"{api.stack.url}/{CHANNEL}/noarch/repodata.json"
    assert (
        requests.get(url, headers={"Authorization": f"Bearer {guest}"}, timeout=10).status_code
        == 200
    )
    assert (
        api.call("DELETE", f"/api/v1/channels/{CHANNEL}/members/guesty", token=owner).status_code
        == 200
    )
    assert (
        requests.get(url, headers={"Authorization": f"Bearer {guest}"}, timeout=10).status_code
        == 403
    )
    # Turning the channel public opens it to everyone, whatever credentials are sent.
    assert (
        api.call(
            "PATCH", f"/api/v1/channels/{CHANNEL}", {"visibility": "public"}, owner
        ).status_code
        == 200
    )
    assert requests.get(url, timeout=10).status_code == 200
    assert (
        requests.get(
            url, headers={"Authorization": "Bearer rlt_nonsense_token_value"}, timeout=10
        ).status_code
        == 200
    )
    assert (
        api.call(
            "PATCH", f"/api/v1/channels/{CHANNEL}", {"visibility": "private"}, owner
        ).status_code
        == 200
    )
    assert requests.get(url, timeout=10).status_code == 401


# -- token formats (issue 10, item 8) -------------------------------------------------------
def test_new_key_reads_through_a_token_url(
    api: Api, private: dict[str, str], auth_file: Path, tmp_path: Path
) -> None:
    r = api.call("POST", "/api/v1/users/me/keys", {"scope": "read"}, private["mo"])
    assert r.status_code == 201, r.text
    token = r.json()["secret"]
    # conda's own parser takes [a-zA-Z0-9-]* after /t/: the whole key, nothing cut.
    assert re.fullmatch(r"rillet-key-[A-Za-z0-9]{43}", token)
    assert re.fullmatch(r"rillet-admin-[A-Za-z0-9]{43}", api.stack.admin_token)
    url = f"{api.stack.url}/t/{token}/{CHANNEL}"
    match = re.search(r"/t/([a-zA-Z0-9-]*)", url)
    assert match is not None and match.group(1) == token
    check_full_access(url, tmp_path)


def test_legacy_key_keeps_working(
    api: Api, private: dict[str, str], auth_file: Path, tmp_path: Path
) -> None:
    from rillet.core.accounts import ApiKey, grants_for
    from rillet.core.policy import Scope
    from rillet.core.tokens import token_hash
    from rillet.runtime.wiring import container

    # A key as issued before the format change (token_urlsafe: '_' and '-' inside).
    legacy = "rlt_" + "Xy_9-" * 9
    directory = container().directory
    key = ApiKey("key_legacy0001", "mo", token_hash(legacy), Scope.READ, "2026-01-01T00:00:00Z")
    directory.put_key(key)
    directory.put_grants(grants_for([key], directory.memberships("mo"), 0))
    assert api.call("GET", "/api/v1/users/me", token=legacy).json()["key"] == "key_legacy0001"
    write_auth(auth_file, {"BearerToken": legacy})
    check_full_access(f"{api.stack.url}/{CHANNEL}", tmp_path)
    url = f"{api.stack.url}/t/{legacy}/{CHANNEL}/noarch/repodata.json"
    assert requests.get(url, timeout=10).status_code == 200
    basic = base64.b64encode(f"mo:{legacy}".encode()).decode()
    r = requests.get(
        f"{api.stack.url}/{CHANNEL}/noarch/repodata.json",
        headers={"Authorization": f"Basic {basic}"},
        timeout=10,
    )
    assert r.status_code == 200
