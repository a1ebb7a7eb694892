"""Yank end to end: py-rattler stops solving to a yanked file but installs it from a lock.

Also the published run_exports (record field and run_exports.json) as a build tool
fetches them through the stack.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
import rattler
import requests
from rattler import Channel, Gateway, LockFile, LockPlatform

from tests.core.package_factory import build_package
from tests.e2e.conftest import Api
from tests.e2e.rattler_client import PLATFORMS, client, query

pytestmark = pytest.mark.e2e

CHANNEL = "e2e-yank"
RUN_EXPORTS = {"weak": ["yankee >=2.0,<3"]}


def solve(url: str, cache: Path) -> list[rattler.RepoDataRecord]:
    gateway = Gateway(cache_dir=cache, client=client())
    return asyncio.run(
        rattler.solve([Channel(url)], ["yankee"], gateway=gateway, platforms=PLATFORMS)
    )


def yank(api: Api, filename: str, action: str, body: dict[str, str] | None = None) -> dict:
    r = api.call("POST", f"/api/v1/channels/{CHANNEL}/packages/noarch/{filename}/{action}", body)
    assert r.status_code == 200, r.text
    api.stack.wait_idle()
    return r.json()


def test_yank_hides_from_the_solver_but_a_lock_file_still_installs(
    api: Api, pkg_dir: Path, tmp_path: Path
) -> None:
    api.create_channel(CHANNEL)
    out = pkg_dir / "yank"
    out.mkdir()
    old = build_package(out, name="yankee", version="1.0", depends=())
    new = build_package(out, name="yankee", version="2.0", depends=(), run_exports=RUN_EXPORTS)
    for path in (old, new):
        assert api.publish(CHANNEL, path)["status"] == "published"
    url = f"{api.stack.url}/{CHANNEL}"

    # Before: the solver picks 2.0; the lock file records it.
    (locked,) = solve(url, tmp_path / "c1")
    assert (locked.file_name, str(locked.version)) == (new.name, "2.0")
    lock = LockFile([LockPlatform("noarch")])
    lock.add_conda_package("default", LockPlatform("noarch"), locked)
    lock.to_path(tmp_path / "pixi.lock")

    body = yank(api, new.name, "yank", {"reason": "breaks downstream builds"})
    assert body["changed"] is True and body["yanked"]["reason"] == "breaks downstream builds"

    # Solvers no longer choose it, on the sharded and the repodata.json path.
    (chosen,) = solve(url, tmp_path / "c2")
    assert (chosen.file_name, str(chosen.version)) == (old.name, "1.0")
    for sharded in (True, False):
        seen = query(url, ["yankee"], tmp_path / f"q{sharded}", sharded=sharded)
        assert set(seen) == {old.name}, sharded
    repodata = requests.get(f"{url}/noarch/repodata.json", timeout=10).json()
    assert repodata["removed"] == [new.name] and new.name not in repodata["packages.conda"]

    # The lock file still installs the yanked file: the bytes are served as before.
    served = requests.get(f"{url}/noarch/{new.name}", timeout=10)
    assert served.status_code == 200
    assert locked.sha256 is not None
    assert hashlib.sha256(served.content).hexdigest() == locked.sha256.hex()
    lock = LockFile.from_path(tmp_path / "pixi.lock")
    env = lock.environment("default")
    assert env is not None
    (platform,) = lock.platforms()
    records = env.conda_repodata_records_for_platform(platform)
    assert records is not None and [r.file_name for r in records] == [new.name]
    prefix = tmp_path / "env"
    asyncio.run(
        rattler.install(
            records, prefix, cache_dir=tmp_path / "pkgs", show_progress=False, client=client()
        )
    )
    assert (prefix / "share" / "yankee" / "README").read_text() == "hello\n"
    assert any(p.name.startswith("yankee-2.0-") for p in (prefix / "conda-meta").glob("*.json"))

    # Build tools still find its run_exports in run_exports.json (the file is served).
    rex = requests.get(f"{url}/noarch/run_exports.json", timeout=10).json()
    assert rex["packages.conda"][new.name] == {"run_exports": RUN_EXPORTS}
    assert rex["packages.conda"][old.name] == {"run_exports": {}}

    # Unyank: the solver picks 2.0 again, with its run_exports in the record.
    assert yank(api, new.name, "unyank")["changed"] is True
    (chosen,) = solve(url, tmp_path / "c3")
    assert (chosen.file_name, str(chosen.version)) == (new.name, "2.0")
    repodata = requests.get(f"{url}/noarch/repodata.json", timeout=10).json()
    assert "removed" not in repodata
    assert repodata["packages.conda"][new.name]["run_exports"] == RUN_EXPORTS
    assert "run_exports" not in repodata["packages.conda"][old.name]
    assert requests.head(f"{url}/noarch/run_exports.json.zst", timeout=10).status_code == 200

    listed = api.call("GET", f"/api/v1/channels/{CHANNEL}/packages").json()["packages"]
    assert {p["filename"]: p["yanked"] for p in listed} == {old.name: None, new.name: None}
