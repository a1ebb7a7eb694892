"""Package names through the local stack: upper case and other spellings refused.

The presigned flow end to end (request, PUT to the emulated S3, validation by the
queue consumer) and the prefix endpoint, as a client meets them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import requests

from rillet.core.models import StoredPackage, Upload
from tests.core.package_factory import edit_index
from tests.e2e.conftest import Api
from tests.packages import build_package

pytestmark = pytest.mark.e2e

CHANNEL = "casey"


def test_case_rules_through_the_stack(api: Api, pkg_dir: Path) -> None:
    from rillet.runtime.wiring import container

    api.create_channel(CHANNEL)
    lower = build_package(pkg_dir / "case", "casey-pkg", "1.0", tar_bz2=True)
    edited = edit_index(lower, lambda index: index.update(name="Casey-pkg"))
    upper = edited.rename(edited.with_name("Casey-pkg-1.0-h0_0.tar.bz2"))
    data = upper.read_bytes()
    body = {"filename": upper.name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    r = api.call("POST", f"/api/v1/channels/{CHANNEL}/uploads", body)
    assert (r.status_code, r.json()["error"]) == (422, "name-not-lowercase")

    # A record spelled "Casey-pkg", published before the rule existed.
    c = container()
    old = "Casey-pkg-0.9-h0_0.tar.bz2"
    c.catalog.put_upload(Upload("legacy-casey", CHANNEL, old, "0" * 64, 1, "admin", "t", 2**40))
    record = {"name": "Casey-pkg", "version": "0.9", "build": "h0_0", "subdir": "noarch"}
    package = StoredPackage(CHANNEL, "noarch", old, record | {"build_number": 0}, "legacy-casey")
    c.catalog.claim_package(package)
    c.catalog.publish_package(package, c.clock.now_ms())

    ticket = api.presigned_upload(CHANNEL, lower)  # no subdir: decided by validation
    status = api.wait_final(CHANNEL, ticket["id"])
    assert (status["status"], status["reason"]) == ("rejected", "name-case-conflict")
    files = {
        "file": (lower.name, lower.read_bytes(), "application/octet-stream"),
    }
    r = requests.post(
        f"{api.stack.url}/api/v1/upload/{CHANNEL}",
        files=files,
        headers={"Authorization": f"Bearer {api.token}", "X-File-Name": lower.name},
        timeout=30,
    )
    assert r.status_code == 409 and r.text.startswith("name-case-conflict: "), r.text
