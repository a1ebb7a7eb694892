"""Every route, every caller, hostile input: a 4xx with a reason code, never a 5xx.

The routes come from the API's own resolver, so a new route is swept without editing
this file. Each is called anonymously, as a stranger, as the channel's owner and as the
operator, with over-long and odd path segments, bad cursors and limits, bodies that are
not JSON objects or nest deeply, and every body field the services read set to every
wrong JSON type.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from functions.api.handler import app
from tests.core.package_factory import edit_index
from tests.core.test_metadata import bz2_bomb
from tests.functions.conftest import (
    Client,
    Packages,
    Reply,
    Team,
    World,
    invoke,
    legacy_upload,
)

LONG = "a" * 3000
# Path segments: plausible, over-long, odd.
SEGMENTS = ["chan", LONG, "\u00e9" * 300]
# A valid body per route and the fields its service reads: each field in turn gets each
# wrong JSON type while the others stay valid, so the check under test is reached.
BASES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/users"): {"name": "newuser"},
    ("POST", "/api/v1/users/me/keys"): {"scope": "upload"},
    ("POST", "/api/v1/channels"): {"name": "newchan", "visibility": "public"},
    ("PATCH", "/api/v1/channels/<channel>"): {"description": "d"},
    ("POST", "/api/v1/channels/<channel>/transfer"): {"owner": "bob"},
    ("POST", "/api/v1/channels/<channel>/reindex"): {},
    ("PUT", "/api/v1/channels/<channel>/members/<user>"): {"role": "member"},
    ("POST", "/api/v1/channels/<channel>/publishers"): {
        "provider": "github",
        "owner": "o",
        "repository": "r",
        "workflow": "w.yml",
    },
    ("POST", "/api/v1/channels/<channel>/uploads"): {
        "filename": "alpha-1.0-h0_0.conda",
        "sha256": "0" * 64,
        "size": 10,
    },
    ("POST", "/api/oidc/mint_token"): {"token": "x"},
}
FIELDS: dict[tuple[str, str], list[str]] = {
    ("POST", "/api/v1/users"): ["name"],
    ("POST", "/api/v1/users/me/keys"): [
        "scope",
        "channels",
        "expires_at",
        "expires_in_days",
        "description",
    ],
    ("POST", "/api/v1/channels"): ["name", "owner", "visibility", "description", "logo_url"],
    ("PATCH", "/api/v1/channels/<channel>"): ["description", "logo_url", "visibility"],
    ("POST", "/api/v1/channels/<channel>/transfer"): ["owner"],
    ("POST", "/api/v1/channels/<channel>/reindex"): ["subdir"],
    ("PUT", "/api/v1/channels/<channel>/members/<user>"): ["role"],
    ("POST", "/api/v1/channels/<channel>/publishers"): [
        "provider",
        "owner",
        "owner_id",
        "repository",
        "workflow",
        "environment",
        "name_patterns",
        "subdirs",
        "issuer",
    ],
    ("POST", "/api/v1/channels/<channel>/uploads"): [
        "filename",
        "sha256",
        "size",
        "force",
        "subdir",
    ],
    ("POST", "/api/oidc/mint_token"): ["token"],
}
GITLAB = {"provider": "gitlab", "namespace": "n", "project": "p", "config_path": ".gitlab-ci.yml"}
GITLAB_FIELDS = ["namespace", "project", "config_path", "namespace_id", "project_id"]
# Raw JSON text for each wrong type (some cannot be written with json.dumps).
VALUES = [
    "null",
    "true",
    str(2**70),
    "1e400",
    json.dumps(LONG),  # over-long for any name, within the body limits
    json.dumps(LONG * 40),
    '["x", 1]',
    '{"a": {"b": []}}',
    "[" * 50 + "]" * 50,
]
# Whole bodies that are not what any route takes.
BODIES = [
    b"[" * 100_000 + b"]" * 100_000,  # deeper than any parser's recursion
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b"[1, 2]",
    b'"text"',
    b"not json",
    b"\xff\xfe\x00\x00",
    b'{"name": "\\ud800"}',
    b"\xef\xbb\xbf{}",
    b'{"name": 1e400}',
    b"{" + b'"k": 1, ' * 20_000 + b'"k": 2}',
]
QUERIES: list[dict[str, str]] = [
    {"cursor": "!!!not-base64"},
    {"cursor": "eyJhIjogMX0="},  # {"a": 1}
    {"cursor": "WzEsMl0="},  # [1,2]
    {"cursor": "eyJwayI6IHsiUyI6ICJDSCNvdGhlciJ9LCAic2siOiB7IlMiOiAieCJ9fQ=="},
    {"cursor": "noarch/" + LONG},
    {"cursor": LONG + "/x"},
    {"cursor": "linux-64/" + "\u00e9" * 300},
    {"limit": "abc"},
    {"limit": "-5"},
    {"limit": str(10**30)},
    {"subdir": LONG, "name": LONG},
]


def routes() -> list[tuple[str, str]]:
    found = [(r.method, r.path) for r in app._static_routes + app._dynamic_routes]
    assert len(found) > 20, found  # the resolver's internals still look as expected
    return sorted(found)


def fill(path: str, segment: str) -> str:
    return re.sub(r"<[^>]+>", segment, path)


def field_bodies(route: tuple[str, str]) -> Iterator[bytes]:
    bases = [(BASES.get(route, {}), FIELDS.get(route, []))]
    if route[1].endswith("/publishers") and route[0] == "POST":
        bases.append((GITLAB, GITLAB_FIELDS))
    for base, fields in bases:
        for field in fields:
            for value in VALUES:
                others = json.dumps({k: v for k, v in base.items() if k != field})
                yield (
                    others[:-1] + ("," if len(others) > 2 else "") + f'"{field}": {value}}}'
                ).encode()


def check(reply: Reply, what: str, failures: list[str]) -> None:
    if reply.status >= 500:
        failures.append(f"{what}: {reply!r}")
    elif reply.status >= 400:
        if reply.content_type.startswith("application/json"):
            code = reply.json().get("error")
            ok = isinstance(code, str) and bool(code)
        else:
            ok = bool(re.match(r"^[a-z0-9-]+: ", reply.text))
        if not ok:
            failures.append(f"{what}: no reason code: {reply!r}")


def call(client: Client, method: str, path: str, **kw: Any) -> Reply:
    headers = {**client.auth(), "content-type": "application/json"}
    try:
        return invoke(method, path, headers=headers, **kw)
    except Exception as exc:  # escapes the handler: API Gateway answers 500
        return Reply(500, {}, f"{type(exc).__name__}: {exc}".encode())


@pytest.mark.parametrize("route", routes(), ids=lambda r: f"{r[0]} {r[1]}")
def test_hostile_input_never_gets_a_5xx(world: World, team: Team, route: tuple[str, str]) -> None:
    method, path = route
    failures: list[str] = []
    callers = {"anonymous": world.anonymous, "owner": team.owner, "operator": world.operator}
    destructive = method == "DELETE" and path.endswith("<channel>")
    for name, client in {**callers, "stranger": team.stranger}.items():
        for segment in SEGMENTS if name != "stranger" else [LONG]:
            if destructive and segment == "chan" and name != "anonymous":
                continue  # deleting the channel would leave nothing to sweep
            target = fill(path, segment)
            check(call(client, method, target), f"{name} {method} {target[:80]}", failures)
    if method == "GET":
        for name in ("anonymous", "owner"):
            for query in QUERIES:
                reply = call(callers[name], method, fill(path, "chan"), query=query)
                check(reply, f"{name} {method} {path} {str(query)[:80]}", failures)
    if method in ("POST", "PUT", "PATCH"):
        target = fill(path, "chan").replace("/members/chan", "/members/bob")
        for name in ("anonymous", "owner"):
            for body in BODIES:
                reply = call(callers[name], method, target, body=body)
                check(reply, f"{name} {method} {target} {body[:60]!r}", failures)
        for body in field_bodies(route):
            reply = call(world.operator, method, target, body=body)
            check(reply, f"operator {method} {target} {body[:100]!r}", failures)
    assert not failures, "\n".join(failures[:40])


# -- the prefix upload: permanent problems of the package are a 4xx, and come fast ---------


def test_an_oversized_index_json_is_a_422_not_a_503(team: Team, pkgs: Packages) -> None:
    # ~500 kB of index.json: once accepted, then refused by the table (a 503, every time).
    path = edit_index(pkgs.alpha, lambda index: index.__setitem__("pad", ["x" * 1000] * 500))
    reply = team.owner.upload("chan", path)
    assert reply.status == 422, reply
    assert reply.text.startswith("metadata-too-large: "), reply


def test_a_decompression_bomb_is_refused_in_seconds(team: Team) -> None:
    bomb = bz2_bomb(blocks=350)  # 16 GB of zeros in 18 kB: ~70 s of CPU before the bound
    headers, body = legacy_upload("demo-1.0.0-h0_0.tar.bz2", bomb)
    start = time.process_time()
    reply = invoke(
        "POST", "/api/v1/upload/chan", headers={**headers, **team.owner.auth()}, body=body
    )
    print(f"bomb of {len(bomb)} bytes refused after {time.process_time() - start:.2f} s CPU")
    assert reply.status == 422, reply
    assert reply.text.startswith("expansion-too-large: "), reply
