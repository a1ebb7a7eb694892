"""The local stack on an ephemeral port, and a small client for the presigned flow."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.local.server import LocalStack
from rillet.runtime import wiring
from tests.packages import build_package


@contextmanager
def cold_start_with(variables: Mapping[str, str]) -> Iterator[None]:
    """The stack's functions see these environment variables, then what was there before.

    Settings are read once per cold start: the container is dropped on the way in and out.
    (Module-scoped fixtures cannot use monkeypatch.)"""
    saved = {k: os.environ.get(k) for k in variables}
    os.environ.update(variables)
    wiring.reset()
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        wiring.reset()


# Package scope: stopped before tests/web starts its own (one local stack per process).
@pytest.fixture(scope="package")
def stack() -> Iterator[LocalStack]:
    with LocalStack(port=0, signin=True) as s:
        yield s


@dataclass
class Api:
    stack: LocalStack
    token: str

    def call(
        self, method: str, path: str, json: Any = None, token: str | None = None
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return requests.request(
            method, self.stack.url + path, json=json, headers=headers, timeout=30
        )

    def create_channel(
        self, name: str, visibility: str = "public", token: str | None = None
    ) -> dict[str, Any]:
        r = self.call("POST", "/api/v1/channels", {"name": name, "visibility": visibility}, token)
        assert r.status_code == 201, r.text
        return r.json()

    def create_user(self, name: str) -> str:
        """Create a user (as the operator); return the secret of its first key."""
        r = self.call("POST", "/api/v1/users", {"name": name})
        assert r.status_code == 201, r.text
        return str(r.json()["key"]["secret"])

    def add_member(self, channel: str, user: str, role: str, token: str) -> None:
        r = self.call("PUT", f"/api/v1/channels/{channel}/members/{user}", {"role": role}, token)
        assert r.status_code == 200, r.text

    def presigned_upload(
        self, channel: str, path: Path, token: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        """Ask for a URL, PUT the bytes with exactly the given headers; return the ticket."""
        data = path.read_bytes()
        body = {
            "filename": path.name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
        }
        body.update(extra)
        r = self.call("POST", f"/api/v1/channels/{channel}/uploads", body, token)
        assert r.status_code == 201, r.text
        ticket = r.json()
        put = requests.put(ticket["url"], data=data, headers=ticket["headers"], timeout=60)
        assert put.status_code == 200, put.text
        return ticket

    def wait_final(
        self, channel: str, upload_id: str, timeout: float = 30, token: str | None = None
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.call("GET", f"/api/v1/channels/{channel}/uploads/{upload_id}", token=token)
            assert r.status_code == 200, r.text
            status = r.json()
            if status["status"] in ("published", "rejected"):
                return status
            time.sleep(0.05)
        raise TimeoutError(f"upload {upload_id} did not finish")

    def publish(self, channel: str, path: Path) -> dict[str, Any]:
        ticket = self.presigned_upload(channel, path)
        status = self.wait_final(channel, ticket["id"])
        self.stack.wait_idle()
        return status


@pytest.fixture(scope="package")
def api(stack: LocalStack) -> Api:
    return Api(stack, stack.admin_token)


@pytest.fixture(scope="session")
def pkg_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("packages")


__all__ = ["Api", "build_package"]
