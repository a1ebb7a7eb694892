"""The API handler on moto, driven with API Gateway HTTP API (payload v2) events.

Each test gets fresh resources (``infra.local.resources.provision``), the function
environment exactly as the stack sets it (``Provisioned.environment``), a cold start
(``wiring.reset``) and a fake clock that moves one second per reading, so events are
ordered and expiry is tested by moving the clock. Events are built by the local stack's
own ``api_gateway_event`` from a werkzeug request.
"""

from __future__ import annotations

import base64
import hashlib
import json as jsonlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import boto3
import pytest
from moto import mock_aws
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder

from functions.api.handler import lambda_handler
from infra.local.pump import LambdaContext
from infra.local.resources import REGION, Provisioned, Resources, provision
from infra.local.server import FAKE_AWS_ENV, api_gateway_event
from rillet.runtime import wiring
from rillet.runtime.settings import Settings
from tests.packages import build_package

PUBLIC_URL = "https://conda.example.com"
ADMIN_TOKEN = "rlt_admin_" + "T" * 32
START = 1_790_000_000  # 2026-09-21, whole seconds
_UNSET: Any = object()


class FakeClock(wiring.Clock):
    """Every reading moves ``step`` seconds on: events get distinct, ordered times."""

    def __init__(self, start: int = START, step: float = 1.0) -> None:
        self.start = start
        self.step = step
        self.elapsed = 0.0

    @property
    def t(self) -> float:
        return self.start + self.elapsed

    def _tick(self) -> float:
        self.elapsed = round(self.elapsed + self.step, 6)
        return self.t

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._tick(), UTC)

    def now_ms(self) -> int:
        return round(self._tick() * 1000)

    def epoch(self) -> int:
        return int(self._tick())


@dataclass
class Reply:
    """A Lambda proxy result, decoded."""

    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> Any:
        assert self.content_type.startswith("application/json"), (self.status, self.content_type)
        return jsonlib.loads(self.body)

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.content_type!r}, {self.body[:300]!r})"


def invoke(
    method: str,
    path: str,
    *,
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    body: bytes = b"",
    query: dict[str, str] | None = None,
) -> Reply:
    """Build the v2 event as the local API Gateway does, run the handler, decode the result."""
    builder = EnvironBuilder(
        path=path,
        method=method,
        headers=Headers(headers or []),
        data=body,
        query_string=urlencode(query) if query else None,
    )
    request = builder.get_request()
    result = lambda_handler(api_gateway_event(request, body), LambdaContext("api"))
    out_headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    for k, values in (result.get("multiValueHeaders") or {}).items():
        out_headers[k.lower()] = ", ".join(values)
    raw = result.get("body") or ""
    data = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode("utf-8")
    return Reply(int(result["statusCode"]), out_headers, data)


# -- the prefix.dev upload request, byte for byte as rattler_upload 0.10 sends it --------------
def multipart_upload(
    filename: str,
    data: bytes,
    *,
    sha256: str | None = None,
    attestation: str | None = None,
) -> tuple[dict[str, str], bytes]:
    """(request headers without Authorization, body) as in upload-protocol.md §2.2."""
    boundary = "-".join(secrets.token_hex(8) for _ in range(4))
    digest = sha256 if sha256 is not None else hashlib.sha256(data).hexdigest()
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "content-type: application/octet-stream\r\n"
            f"content-length: {len(data)}\r\n"
            f"x-file-name: {filename}\r\n"
            f"x-file-sha256: {digest}\r\n"
            "\r\n"
        ).encode()
        + data
        + b"\r\n"
    )
    if attestation is not None:
        body += (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="attestation"\r\n'
            "\r\n"
            f"{attestation}\r\n"
        ).encode()
    body += f"--{boundary}--\r\n".encode()
    headers = {
        "content-type": f"multipart/form-data; boundary={boundary}",
        "content-length": str(len(body)),
        "accept": "*/*",
        "user-agent": "rattler_upload/0.10.0",
        "accept-encoding": "deflate",
    }
    return headers, body


def legacy_upload(
    filename: str, data: bytes, *, sha256: str | None = None
) -> tuple[dict[str, str], bytes]:
    """The raw-body format of rattler-build < 0.36 (§2.3)."""
    headers = {
        "x-file-sha256": sha256 if sha256 is not None else hashlib.sha256(data).hexdigest(),
        "x-file-name": filename,
        "content-length": str(len(data)),
        "content-type": "application/octet-stream",
        "accept": "*/*",
        "user-agent": "rattler-build/0.35.9",
    }
    return headers, data


@dataclass
class Client:
    """One caller: a token (None: anonymous) and the user name behind it."""

    token: str | None
    name: str = ""

    def auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"} if self.token else {}

    def call(
        self,
        method: str,
        path: str,
        json: Any = _UNSET,
        *,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Reply:
        all_headers = {**self.auth(), **(headers or {})}
        if json is not _UNSET:
            body = jsonlib.dumps(json).encode()
            all_headers.setdefault("content-type", "application/json")
        return invoke(method, path, headers=all_headers, body=body or b"", query=query)

    def get(self, path: str, **kw: Any) -> Reply:
        return self.call("GET", path, **kw)

    def post(self, path: str, json: Any = _UNSET, **kw: Any) -> Reply:
        return self.call("POST", path, json, **kw)

    def put(self, path: str, json: Any = _UNSET, **kw: Any) -> Reply:
        return self.call("PUT", path, json, **kw)

    def patch(self, path: str, json: Any = _UNSET, **kw: Any) -> Reply:
        return self.call("PATCH", path, json, **kw)

    def delete(self, path: str, **kw: Any) -> Reply:
        return self.call("DELETE", path, **kw)

    def upload(
        self, channel: str, path: Path, *, force: bool = False, legacy: bool = False, **kw: Any
    ) -> Reply:
        """The prefix-compatible upload (multipart, or the legacy raw body)."""
        build = legacy_upload if legacy else multipart_upload
        headers, body = build(kw.pop("filename", path.name), path.read_bytes(), **kw)
        return invoke(
            "POST",
            f"/api/v1/upload/{channel}",
            headers={**headers, **self.auth()},
            body=body,
            query={"force": "true"} if force else None,
        )

    # -- shortcuts that must succeed --------------------------------------------------------
    def create_key(self, **body: Any) -> tuple[str, Client]:
        r = self.post("/api/v1/users/me/keys", body)
        assert r.status == 201, r
        return r.json()["id"], Client(r.json()["secret"], self.name)

    def create_channel(self, name: str, visibility: str = "public", **extra: Any) -> dict[str, Any]:
        r = self.post("/api/v1/channels", {"name": name, "visibility": visibility, **extra})
        assert r.status == 201, r
        return r.json()

    def set_member(self, channel: str, user: str, role: str) -> None:
        r = self.put(f"/api/v1/channels/{channel}/members/{user}", {"role": role})
        assert r.status == 200, r


@dataclass
class World:
    session: Any
    provisioned: Provisioned
    clock: FakeClock
    monkeypatch: pytest.MonkeyPatch
    containers: dict[Settings, wiring.Container]
    anonymous: Client = field(default_factory=lambda: Client(None))
    operator: Client = field(default_factory=lambda: Client(ADMIN_TOKEN, "admin"))

    def rebuild(self) -> None:
        """A cold start: settings read again from the environment, the container replaced.

        Containers hold nothing but settings and boto3 clients (all state is in moto),
        so one per distinct environment is kept for the session: new clients cost
        ~0.3 s a test, more than the test itself.
        """
        wiring.reset()
        settings = Settings.from_env()
        container = self.containers.get(settings)
        if container is None:
            # The warm session's models; the clients it builds are kept with the container.
            container = wiring.Container(settings, overrides={"session": self.session})
            for port in wiring.PORTS - {"edge_store"}:  # built once, shared by the copies
                getattr(container, port)
            self.containers[settings] = container
        wiring.reset(container.with_ports(clock=self.clock))

    def use_ports(self, **ports: Any) -> None:
        """Replace ports of the running container (e.g. ``jwks=fake``) until the next rebuild."""
        wiring.reset(wiring.container().with_ports(**ports))

    def setenv(self, name: str, value: str) -> None:
        self.monkeypatch.setenv(name, value)
        self.rebuild()

    def user(self, name: str) -> Client:
        r = self.operator.post("/api/v1/users", {"name": name})
        assert r.status == 201, r
        return Client(r.json()["key"]["secret"], name)

    def channel_keys(self, channel: str) -> list[str]:
        s3 = self.session.client("s3")
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.provisioned.names.channels_bucket, Prefix=f"{channel}/"
        )
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def object(self, key: str) -> bytes:
        s3 = self.session.client("s3")
        obj = s3.get_object(Bucket=self.provisioned.names.channels_bucket, Key=key)
        data: bytes = obj["Body"].read()
        return data


class WarmSession:
    """A boto3 session that hands out one client per service: creating one costs ~30 ms."""

    def __init__(self) -> None:
        self._session = boto3.session.Session(region_name=REGION)
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, **kwargs: Any) -> Any:
        key = (service, repr(sorted(kwargs.items(), key=lambda kv: kv[0])))
        if key not in self._clients:
            self._clients[key] = self._session.client(service, **kwargs)  # type: ignore[call-overload]  # any service
        return self._clients[key]


@pytest.fixture(scope="session")
def boto_session() -> Iterator[WarmSession]:
    """Fake credentials for the whole session, and clients whose models stay loaded."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in FAKE_AWS_ENV.items():
            mp.setenv(name, value)
        yield WarmSession()


@pytest.fixture(scope="session")
def containers() -> dict[Settings, Any]:
    return {}


@pytest.fixture
def world(
    monkeypatch: pytest.MonkeyPatch, boto_session: Any, containers: dict[Settings, Any]
) -> Iterator[World]:
    # Fresh resources for every test: moto copies a whole table on each transaction,
    # so small tables keep the tests fast as well as independent.
    with mock_aws():
        # Own names: a local stack of another suite may share moto's in-process backend.
        provisioned = provision(boto_session, Resources.unique("fn"))
        for name, value in provisioned.environment(PUBLIC_URL, ADMIN_TOKEN).items():
            monkeypatch.setenv(name, value)
        w = World(boto_session, provisioned, FakeClock(), monkeypatch, containers)
        w.rebuild()
        yield w
    wiring.reset()


@dataclass
class Team:
    """Users with each role on the public channel ``chan``, plus an outsider."""

    owner: Client
    maintainer: Client
    member: Client
    stranger: Client

    def add_private(self, name: str = "priv") -> str:
        """A private channel with the same roles."""
        self.owner.create_channel(name, "private")
        self.owner.set_member(name, self.maintainer.name, "maintainer")
        self.owner.set_member(name, self.member.name, "member")
        return name


@pytest.fixture
def team(world: World) -> Team:
    owner, maintainer, member, stranger = (world.user(n) for n in ("alice", "bob", "carol", "dave"))
    owner.create_channel("chan")
    owner.set_member("chan", "bob", "maintainer")
    owner.set_member("chan", "carol", "member")
    return Team(owner, maintainer, member, stranger)


@dataclass(frozen=True)
class Packages:
    alpha: Path  # alpha-1.0-h0_0.conda, noarch
    alpha_again: Path  # the same filename, other contents
    alpha2: Path  # alpha-2.0, noarch
    beta: Path  # beta-1.0, linux-64
    beta11: Path  # beta-1.1, linux-64, .tar.bz2
    gamma: Path  # gamma-0.1, noarch, .tar.bz2


@pytest.fixture(scope="session")
def pkgs(tmp_path_factory: pytest.TempPathFactory) -> Packages:
    root = tmp_path_factory.mktemp("api-packages")
    built = Packages(
        alpha=build_package(root / "a", "alpha", "1.0"),
        alpha_again=build_package(root / "b", "alpha", "1.0", files={"share/x.txt": "other\n"}),
        alpha2=build_package(root / "a", "alpha", "2.0"),
        beta=build_package(root / "a", "beta", "1.0", subdir="linux-64"),
        beta11=build_package(root / "a", "beta", "1.1", subdir="linux-64", tar_bz2=True),
        gamma=build_package(root / "a", "gamma", "0.1", tar_bz2=True),
    )
    assert built.alpha.name == built.alpha_again.name
    assert built.alpha.read_bytes() != built.alpha_again.read_bytes()
    return built
