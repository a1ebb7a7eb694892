"""Release transactions through the local stack (issue 14 item 5): files presigned into a
release are invisible to py-rattler until the commit, then all appear; a release whose
third file is bad publishes nothing; `rillet upload --release`; an expired release
leaves nothing a client can see."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner, Result

from rillet.cli.main import app
from rillet.runtime import wiring
from tests.e2e.conftest import Api
from tests.e2e.rattler_client import query
from tests.packages import build_package

pytestmark = pytest.mark.e2e

CHANNEL = "releases"
SPECS = [
    "relalpha",
    "relbeta",
    "relgamma",
    "relcli",
    "relclilib",
    "relold",
    "reltardy",
    "relzeta",
    "relepsilon",
    "relclifine",
    "relgone",
]


@pytest.fixture(scope="module")
def owner(api: Api) -> str:
    token = api.create_user("release-owner")
    api.create_channel(CHANNEL, token=token)
    return token


def release_path(release_id: str = "") -> str:
    return f"/api/v1/channels/{CHANNEL}/releases" + (f"/{release_id}" if release_id else "")


def open_release(api: Api, token: str) -> str:
    r = api.call("POST", release_path(), {"description": "e2e"}, token)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "open"
    return str(r.json()["id"])


def add(api: Api, token: str, release: str, path: Path, subdir: str) -> str:
    ticket = api.presigned_upload(CHANNEL, path, token, subdir=subdir, release=release)
    return str(ticket["id"])


def wait_validated(api: Api, token: str, release: str, count: int) -> dict[str, Any]:
    """Until every file of the release has its verdict (validated or rejected)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r = api.call("GET", release_path(release), token=token)
        assert r.status_code == 200, r.text
        doc = r.json()
        done = [f for f in doc["files"] if f["status"] in ("validated", "rejected")]
        if len(doc["files"]) == count and len(done) == count:
            api.stack.wait_idle()
            return doc
        time.sleep(0.05)
    raise TimeoutError(f"release {release} did not finish validating")


def wait_indexed(api: Api, token: str, release: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        doc = api.call("GET", release_path(release), token=token).json()
        if doc.get("indexed"):
            api.stack.wait_idle()
            return doc
        time.sleep(0.05)
    raise TimeoutError(f"release {release} was not indexed")


def seen(api: Api, tmp_path: Path, tag: str) -> dict[str, set[str]]:
    """What py-rattler finds in the channel, through the shards and through repodata.json."""
    url = f"{api.stack.url}/{CHANNEL}"
    return {
        "sharded": set(query(url, SPECS, tmp_path / f"{tag}-s", sharded=True)),
        "plain": set(query(url, SPECS, tmp_path / f"{tag}-p", sharded=False)),
    }


def listed(api: Api, token: str) -> set[str]:
    r = api.call("GET", f"/api/v1/channels/{CHANNEL}/packages", token=token)
    assert r.status_code == 200, r.text
    return {p["filename"] for p in r.json()["packages"]}


def served(api: Api, subdir: str, path: Path) -> int:
    url = f"{api.stack.url}/{CHANNEL}/{subdir}/{path.name}"
    return requests.get(url, timeout=10).status_code


def test_a_release_is_invisible_until_its_commit_then_all_of_it_appears(
    api: Api, owner: str, pkg_dir: Path, tmp_path: Path
) -> None:
    root = pkg_dir / "release-ok"
    files = {
        "relalpha": (build_package(root, "relalpha", "1.0"), "noarch"),
        "relbeta": (
            build_package(root, "relbeta", "1.0", subdir="linux-64", depends=["relalpha"]),
            "linux-64",
        ),
        "relgamma": (
            build_package(root, "relgamma", "1.0", subdir="linux-64", depends=["relbeta"]),
            "linux-64",
        ),
    }
    release = open_release(api, owner)
    for path, subdir in files.values():
        add(api, owner, release, path, subdir)
    doc = wait_validated(api, owner, release, 3)
    assert {f["status"] for f in doc["files"]} == {"validated"}
    before = seen(api, tmp_path, "before")
    assert not before["sharded"] & {p.name for p, _ in files.values()}
    assert not before["plain"] & {p.name for p, _ in files.values()}
    assert not listed(api, owner) & {p.name for p, _ in files.values()}
    assert all(served(api, subdir, path) == 404 for path, subdir in files.values())

    r = api.call("POST", release_path(release) + "/commit", token=owner)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "committed"
    wait_indexed(api, owner, release)
    after = seen(api, tmp_path, "after")
    names = {p.name for p, _ in files.values()}
    assert names <= after["sharded"] and names <= after["plain"]
    assert names <= listed(api, owner)
    for path, subdir in files.values():
        got = requests.get(f"{api.stack.url}/{CHANNEL}/{subdir}/{path.name}", timeout=10)
        assert got.status_code == 200 and got.content == path.read_bytes()
    # A retried commit answers the same.
    again = api.call("POST", release_path(release) + "/commit", token=owner)
    assert again.status_code == 200 and again.json()["status"] == "committed"


def test_a_release_whose_third_file_is_bad_publishes_nothing(
    api: Api, owner: str, pkg_dir: Path, tmp_path: Path
) -> None:
    root = pkg_dir / "release-bad"
    good = [
        (build_package(root, "relold", "1.0"), "noarch"),
        (build_package(root, "reltardy", "1.0", subdir="linux-64"), "linux-64"),
    ]
    inner = build_package(root / "inner", "relepsilon", "1.0", subdir="linux-64")
    bad = root / "relzeta-1.0-h0_0.conda"  # its metadata says relepsilon
    bad.write_bytes(inner.read_bytes())
    release = open_release(api, owner)
    for path, subdir in [*good, (bad, "linux-64")]:
        add(api, owner, release, path, subdir)
    doc = wait_validated(api, owner, release, 3)
    verdicts = {f["filename"]: f for f in doc["files"]}
    assert verdicts[bad.name]["status"] == "rejected"
    assert verdicts[bad.name]["reason"] == "filename-mismatch"

    r = api.call("POST", release_path(release) + "/commit", token=owner)
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["error"] == "release-member-rejected"
    assert bad.name in body["message"]
    assert body["release"]["status"] == "failed"
    api.stack.wait_idle()
    names = {p.name for p, _ in good} | {bad.name}
    after = seen(api, tmp_path, "bad")
    assert not after["sharded"] & names and not after["plain"] & names
    assert not listed(api, owner) & names
    assert all(served(api, subdir, path) == 404 for path, subdir in good)
    # And it stays failed: nothing joins it, a retried commit says why.
    again = api.call("POST", release_path(release) + "/commit", token=owner)
    assert again.status_code == 409 and again.json()["error"] == "release-member-rejected"


def rillet(api: Api, token: str, tmp_path: Path, *args: str) -> Result:
    env = {
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "RILLET_URL": api.stack.url,
        "RILLET_TOKEN": token,
    }
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def test_rillet_upload_release_publishes_a_multi_platform_build_together(
    api: Api, owner: str, pkg_dir: Path, tmp_path: Path
) -> None:
    root = pkg_dir / "release-cli"
    lib = build_package(root, "relclilib", "1.0")
    cli = build_package(root, "relcli", "1.0", subdir="linux-64", depends=["relclilib"])
    result = rillet(
        api, owner, tmp_path, "upload", "-c", CHANNEL, "--release", "--json", str(lib), str(cli)
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert {f["status"] for f in report["files"]} == {"published"}
    api.stack.wait_idle()
    found = seen(api, tmp_path, "cli")
    assert {lib.name, cli.name} <= found["sharded"]
    assert {lib.name, cli.name} <= found["plain"]


def test_rillet_upload_release_with_a_refused_file_publishes_nothing(
    api: Api, owner: str, pkg_dir: Path, tmp_path: Path
) -> None:
    root = pkg_dir / "release-cli-bad"
    taken = build_package(root / "first", "relclitaken", "1.0")
    ticket = api.presigned_upload(CHANNEL, taken, owner)
    assert api.wait_final(CHANNEL, ticket["id"], token=owner)["status"] == "published"
    other = build_package(root / "second", "relclitaken", "1.0", files={"x.txt": "other\n"})
    assert other.name == taken.name and other.read_bytes() != taken.read_bytes()
    fine = build_package(root, "relclifine", "1.0", subdir="linux-64")
    result = rillet(
        api, owner, tmp_path, "upload", "-c", CHANNEL, "--release", str(fine), str(other)
    )
    assert result.exit_code == 1
    out = result.output
    assert "already-exists" in out
    assert "nothing of release" in out and "was published" in out
    api.stack.wait_idle()
    assert fine.name not in listed(api, owner)
    assert served(api, "linux-64", fine) == 404


def test_an_expired_release_cannot_commit_and_leaves_nothing_visible(
    api: Api, owner: str, pkg_dir: Path, tmp_path: Path
) -> None:
    path = build_package(pkg_dir / "release-late", "relgone", "1.0")
    release = open_release(api, owner)
    add(api, owner, release, path, "noarch")
    wait_validated(api, owner, release, 1)
    container = wiring.container()
    real = container.clock

    class Later(type(real)):  # type: ignore[misc]
        def epoch(self) -> int:
            return real.epoch() + 24 * 3600

    wiring.reset(container.with_ports(clock=Later()))
    try:
        doc = api.call("GET", release_path(release), token=owner).json()
        assert doc["status"] == "expired"
        r = api.call("POST", release_path(release) + "/commit", token=owner)
        assert r.status_code == 409 and r.json()["error"] == "release-expired"
        data = path.read_bytes()
        late = api.call(
            "POST",
            f"/api/v1/channels/{CHANNEL}/uploads",
            {
                "filename": "relgone-2.0-h0_0.conda",
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "subdir": "noarch",
                "release": release,
            },
            owner,
        )
        assert late.status_code == 409 and late.json()["error"] == "release-expired"
    finally:
        wiring.reset(container)
    api.stack.wait_idle()
    assert path.name not in listed(api, owner)
    assert served(api, "noarch", path) == 404
    found = seen(api, tmp_path, "late")
    assert path.name not in found["plain"] and path.name not in found["sharded"]
