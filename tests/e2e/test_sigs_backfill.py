"""Files recorded before attestations (no `.sigs`) answer `[]` once their subdir is rebuilt."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from rillet.core.layout import package_object_key
from rillet.core.models import StoredPackage, Upload
from tests.e2e.conftest import Api
from tests.packages import build_package

pytestmark = pytest.mark.e2e

CHANNEL = "sigsfill"
SUBDIR = "linux-64"


def test_an_old_file_answers_an_empty_sigs_after_its_subdir_is_rebuilt(
    api: Api, pkg_dir: Path
) -> None:
    from rillet.runtime.wiring import container

    api.create_channel(CHANNEL)
    c = container()
    # A file recorded as code from before attestations did: record and object, no `.sigs`.
    old = "oldpkg-0.9-h0_0.tar.bz2"
    c.catalog.put_upload(Upload("legacy-sigs", CHANNEL, old, "0" * 64, 1, "admin", "t", 2**40))
    record = {"name": "oldpkg", "version": "0.9", "build": "h0_0", "subdir": SUBDIR}
    package = StoredPackage(CHANNEL, SUBDIR, old, record | {"build_number": 0}, "legacy-sigs")
    c.catalog.claim_package(package)
    c.channels.put(
        package_object_key(CHANNEL, SUBDIR, old),
        b"old bytes",
        content_type="application/octet-stream",
        cache_control="no-store",
    )
    c.catalog.publish_package(package, c.clock.now_ms())
    url = f"{api.stack.url}/{CHANNEL}/{SUBDIR}/{old}.sigs"
    assert requests.get(url, timeout=30).status_code == 404

    new = build_package(pkg_dir / "sigsfill", "newpkg", "1.0", subdir=SUBDIR)
    assert api.publish(CHANNEL, new)["status"] == "published"  # its rebuild backfills
    r = requests.get(url, timeout=30)
    assert (r.status_code, r.json()) == (200, [])
    assert r.headers["Content-Type"].startswith("application/json")
