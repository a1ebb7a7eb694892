"""Foundation end to end: presigned upload -> validate -> index -> py-rattler installs.

Everything here goes over HTTP to the local stack; the judges are the real
clients (py-rattler's Gateway, solver and installer).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest
import rattler
import requests
from rattler import Channel, Gateway

from tests.e2e.conftest import Api
from tests.e2e.rattler_client import PLATFORMS, query
from tests.packages import build_package

pytestmark = pytest.mark.e2e

CHANNEL = "e2e-main"


@pytest.fixture(scope="module")
def published(api: Api, pkg_dir: Path) -> dict[str, Path]:
    api.create_channel(CHANNEL)
    out = pkg_dir / "main"
    files = {
        "alpha": build_package(out, "alpha", "1.0", subdir="noarch"),
        "beta": build_package(
            out, "beta", "2.0", subdir="linux-64", depends=["alpha >=1"], tar_bz2=True
        ),
        "gamma": build_package(out, "gamma", "0.3", subdir="linux-64", depends=["beta 2.*"]),
        "delta": build_package(out, "delta", "1.1", subdir="noarch", tar_bz2=True),
    }
    tickets = [api.presigned_upload(CHANNEL, path) for path in files.values()]
    for ticket in tickets:
        status = api.wait_final(CHANNEL, ticket["id"])
        assert status["status"] == "published", status
    api.stack.wait_idle()
    return files


def test_new_channel_has_empty_valid_noarch(api: Api, tmp_path: Path) -> None:
    api.create_channel("e2e-empty")
    url = f"{api.stack.url}/e2e-empty"
    assert query(url, ["anything"], tmp_path / "s", sharded=True) == {}
    assert query(url, ["anything"], tmp_path / "j", sharded=False) == {}
    body = requests.get(f"{url}/noarch/repodata.json", timeout=10).json()
    assert body["packages"] == {} and body["packages.conda"] == {}
    assert body["info"]["subdir"] == "noarch"


def test_shards_and_repodata_json_give_the_same_records(
    api: Api, published: dict[str, Path], tmp_path: Path
) -> None:
    url = f"{api.stack.url}/{CHANNEL}"
    sharded = query(url, ["gamma", "delta"], tmp_path / "sharded", sharded=True)
    plain = query(url, ["gamma", "delta"], tmp_path / "plain", sharded=False)
    assert sharded == plain
    assert set(sharded) == {p.name for p in published.values()}
    for path in published.values():
        assert sharded[path.name]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_solve_and_install_from_the_channel(
    api: Api, published: dict[str, Path], tmp_path: Path
) -> None:
    url = f"{api.stack.url}/{CHANNEL}"
    gateway = Gateway(cache_dir=tmp_path / "cache")
    records = asyncio.run(
        rattler.solve([Channel(url)], ["gamma"], gateway=gateway, platforms=PLATFORMS)
    )
    assert sorted(r.name.normalized for r in records) == ["alpha", "beta", "gamma"]
    prefix = tmp_path / "env"
    asyncio.run(rattler.install(records, prefix, cache_dir=tmp_path / "pkgs", show_progress=False))
    for name in ("alpha", "beta", "gamma"):
        assert (prefix / "share" / name / f"{name}.txt").read_text().startswith(name)
    meta = sorted(p.name for p in (prefix / "conda-meta").glob("*.json"))
    assert any(m.startswith("gamma-0.3-h0_0") for m in meta)


def test_served_files_carry_cache_headers_and_etags(api: Api, published: dict[str, Path]) -> None:
    base = f"{api.stack.url}/{CHANNEL}/linux-64"
    package = requests.get(f"{base}/{published['gamma'].name}", timeout=10)
    assert package.status_code == 200
    assert package.content == published["gamma"].read_bytes()
    assert "immutable" in package.headers["Cache-Control"]
    index = requests.head(f"{base}/repodata_shards.msgpack.zst", timeout=10)
    assert index.status_code == 200 and "max-age" in index.headers["Cache-Control"]
    assert "immutable" not in index.headers["Cache-Control"]
    again = requests.get(
        f"{base}/repodata.json", headers={"If-None-Match": index.headers["ETag"]}, timeout=10
    )
    assert again.status_code == 200  # a different file's ETag does not match
    etag = requests.head(f"{base}/repodata.json", timeout=10).headers["ETag"]
    cached = requests.get(f"{base}/repodata.json", headers={"If-None-Match": etag}, timeout=10)
    assert cached.status_code == 304
    assert requests.get(f"{base}/nothing-here-1.0-0.conda", timeout=10).status_code == 404
    assert (
        requests.get(
            f"{api.stack.url}/no-such-channel/noarch/repodata.json", timeout=10
        ).status_code
        == 404
    )


def _index_snapshot(api: Api, channel: str) -> dict[str, bytes]:
    snap = {}
    for subdir in ("noarch", "linux-64"):
        base = f"{api.stack.url}/{channel}/{subdir}"
        index = requests.get(f"{base}/repodata_shards.msgpack.zst", timeout=10)
        snap[f"{subdir}/index"] = index.content
        snap[f"{subdir}/repodata.json"] = requests.get(f"{base}/repodata.json", timeout=10).content
        repodata = json.loads(snap[f"{subdir}/repodata.json"])
        for fn in {**repodata["packages"], **repodata["packages.conda"]}:
            snap[f"{subdir}/{fn}"] = (
                requests.head(f"{base}/{fn}", timeout=10).headers["ETag"].encode()
            )
    return snap


def test_refused_upload_changes_nothing(
    api: Api, published: dict[str, Path], pkg_dir: Path
) -> None:
    before = _index_snapshot(api, CHANNEL)
    good = build_package(pkg_dir / "bad", "epsilon", "1.0", subdir="linux-64")
    renamed = good.with_name("zeta-1.0-h0_0.conda")  # metadata says epsilon
    renamed.write_bytes(good.read_bytes())
    ticket = api.presigned_upload(CHANNEL, renamed)
    status = api.wait_final(CHANNEL, ticket["id"])
    assert status["status"] == "rejected"
    assert status["reason"] == "filename-mismatch"
    assert "epsilon" in status["message"]
    api.stack.wait_idle()
    assert _index_snapshot(api, CHANNEL) == before
    url = f"{api.stack.url}/{CHANNEL}/linux-64/{renamed.name}"
    assert requests.get(url, timeout=10).status_code == 404


def test_subdir_mismatch_is_refused(api: Api, published: dict[str, Path]) -> None:
    ticket = api.presigned_upload(CHANNEL, published["delta"], subdir="linux-64")
    status = api.wait_final(CHANNEL, ticket["id"])
    assert (status["status"], status["reason"]) == ("rejected", "subdir-mismatch")


def test_owner_rebuilds_a_damaged_index_from_the_records(
    api: Api, published: dict[str, Path], tmp_path: Path
) -> None:
    """An operator's way out when a published file was damaged (e.g. by hand in S3)."""
    s3 = api.stack.session.client("s3")
    assert api.stack.provisioned is not None
    bucket = api.stack.provisioned.names.channels_bucket
    key = f"{CHANNEL}/linux-64/repodata.json"
    good = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.put_object(Bucket=bucket, Key=key, Body=b"{}", ContentType="application/json")

    outsider = api.create_user("reindex-outsider")
    refused = api.call("POST", f"/api/v1/channels/{CHANNEL}/reindex", {}, outsider)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    missing = api.call("POST", f"/api/v1/channels/{CHANNEL}/reindex", {"subdir": "osx-64"})
    assert missing.status_code == 404 and missing.json()["error"] == "subdir-not-found"

    r = api.call("POST", f"/api/v1/channels/{CHANNEL}/reindex", {"subdir": "linux-64"})
    assert r.status_code == 202 and r.json() == {"channel": CHANNEL, "subdirs": ["linux-64"]}
    api.stack.wait_idle()
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == good
    seen = query(f"{api.stack.url}/{CHANNEL}", ["gamma"], tmp_path / "q", sharded=False)
    assert {published["gamma"].name, published["beta"].name} <= seen.keys()
    events = api.call("GET", f"/api/v1/channels/{CHANNEL}/audit").json()["events"]
    assert events[0]["action"] == "channel.reindex"
    assert events[0]["details"] == {"subdirs": ["linux-64"]}


def test_upload_status_says_when_the_index_has_it(api: Api, pkg_dir: Path) -> None:
    """`indexed` turns true only once the published repodata lists the file."""
    api.create_channel("e2e-indexed")
    path = build_package(pkg_dir / "indexed", "indexedpkg", "1.0")
    ticket = api.presigned_upload("e2e-indexed", path)
    status = api.wait_final("e2e-indexed", ticket["id"])
    assert status["status"] == "published" and isinstance(status["indexed"], bool)
    while not status["indexed"]:
        status = api.call("GET", f"/api/v1/channels/e2e-indexed/uploads/{ticket['id']}").json()
    repodata = requests.get(f"{api.stack.url}/e2e-indexed/noarch/repodata.json", timeout=10)
    assert path.name in repodata.json()["packages.conda"]
