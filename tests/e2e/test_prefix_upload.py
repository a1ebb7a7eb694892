"""The unmodified upload client (py-rattler-build) against the prefix-compatible API.

After each step py-rattler must see exactly the records we expect.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import requests

from tests.e2e.clients import upload_with_client
from tests.e2e.conftest import Api
from tests.e2e.rattler_client import query, solve_and_install
from tests.packages import build_package

pytestmark = pytest.mark.e2e

CHANNEL = "prefix-up"
# Requests captured from the real upload clients (old raw body, current multipart).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upload"


@pytest.fixture(scope="module")
def team(api: Api) -> dict[str, str]:
    tokens = {name: api.create_user(name) for name in ("owen", "maya", "milo", "nina")}
    api.create_channel(CHANNEL, token=tokens["owen"])
    api.add_member(CHANNEL, "maya", "maintainer", tokens["owen"])
    api.add_member(CHANNEL, "milo", "member", tokens["owen"])
    return tokens


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_upload_409_skip_existing_and_force(
    api: Api, team: dict[str, str], pkg_dir: Path, tmp_path: Path
) -> None:
    url = api.stack.url
    first = build_package(
        pkg_dir / "force-a", "forceme", "1.0", subdir="linux-64", files={"a.txt": "A"}
    )
    result = upload_with_client([first], url, CHANNEL, api_key=team["owen"])
    assert result.ok, result.error
    api.stack.wait_idle()
    seen = query(f"{url}/{CHANNEL}", ["forceme"], tmp_path / "q1", sharded=True)
    assert seen[first.name]["sha256"] == sha(first)

    again = upload_with_client([first], url, CHANNEL, api_key=team["owen"])
    assert not again.ok and "409" in again.error and "already exists" in again.error
    skipped = upload_with_client([first], url, CHANNEL, api_key=team["owen"], skip_existing=True)
    assert skipped.ok, skipped.error

    # Same filename, other bytes: refused, and the served record is untouched.
    other = build_package(
        pkg_dir / "force-b", "forceme", "1.0", subdir="linux-64", files={"b.txt": "B"}
    )
    assert sha(other) != sha(first)
    refused = upload_with_client([other], url, CHANNEL, api_key=team["owen"])
    assert not refused.ok and "409" in refused.error
    api.stack.wait_idle()
    assert query(f"{url}/{CHANNEL}", ["forceme"], tmp_path / "q2", sharded=True)[first.name][
        "sha256"
    ] == sha(first)

    # A maintainer may not force; the owner may, and clients then see the new bytes.
    by_maintainer = upload_with_client([other], url, CHANNEL, api_key=team["maya"], force=True)
    assert not by_maintainer.ok and "403" in by_maintainer.error
    forced = upload_with_client([other], url, CHANNEL, api_key=team["owen"], force=True)
    assert forced.ok, forced.error
    api.stack.wait_idle()
    for sharded in (True, False):
        records = query(f"{url}/{CHANNEL}", ["forceme"], tmp_path / f"q3{sharded}", sharded=sharded)
        assert records[first.name]["sha256"] == sha(other)
    served = requests.get(f"{url}/{CHANNEL}/linux-64/{first.name}", timeout=10).content
    assert hashlib.sha256(served).hexdigest() == sha(other)
    audit = api.call("GET", f"/api/v1/channels/{CHANNEL}/audit", token=team["owen"]).json()[
        "events"
    ]
    overwrite = [e for e in audit if e["action"] == "package.overwrite"]
    assert overwrite and overwrite[0]["details"]["previous_sha256"] == sha(first)
    assert overwrite[0]["actor"] == "owen"


def test_maintainer_uploads_member_and_outsider_cannot(
    api: Api, team: dict[str, str], pkg_dir: Path, tmp_path: Path
) -> None:
    url = api.stack.url
    lib = build_package(pkg_dir / "roles", "rolelib", "2.0", subdir="noarch", tar_bz2=True)
    app = build_package(
        pkg_dir / "roles", "roleapp", "1.0", subdir="linux-64", depends=["rolelib 2.*"]
    )
    assert upload_with_client([lib, app], url, CHANNEL, api_key=team["maya"]).ok

    late = build_package(pkg_dir / "roles", "rolelate", "1.0")
    by_member = upload_with_client([late], url, CHANNEL, api_key=team["milo"])
    assert not by_member.ok and "403" in by_member.error
    by_outsider = upload_with_client([late], url, CHANNEL, api_key=team["nina"])
    assert not by_outsider.ok and "403" in by_outsider.error
    api.stack.wait_idle()
    seen = query(f"{url}/{CHANNEL}", ["roleapp", "rolelate"], tmp_path / "q", sharded=False)
    assert set(seen) == {lib.name, app.name}
    assert solve_and_install(f"{url}/{CHANNEL}", ["roleapp"], tmp_path / "inst") == [
        "roleapp",
        "rolelib",
    ]


def test_invalid_package_is_422_and_changes_nothing(
    api: Api, team: dict[str, str], tmp_path: Path
) -> None:
    before = requests.get(f"{api.stack.url}/{CHANNEL}/noarch/repodata.json", timeout=10).content
    junk = tmp_path / "junk-1.0-h0_0.conda"
    junk.write_bytes(b"this is not a zip file at all")
    result = upload_with_client([junk], api.stack.url, CHANNEL, api_key=team["owen"])
    assert not result.ok and "422" in result.error and "not-a-zip" in result.error
    api.stack.wait_idle()
    assert (
        requests.get(f"{api.stack.url}/{CHANNEL}/noarch/repodata.json", timeout=10).content
        == before
    )


def test_no_credentials_anywhere_is_refused_before_sending(
    api: Api, tmp_path: Path, pkg_dir: Path
) -> None:
    pkg = build_package(pkg_dir / "anon", "anon", "1.0")
    auth_file = tmp_path / "empty-auth.json"
    auth_file.write_text("{}")
    result = upload_with_client([pkg], api.stack.url, CHANNEL, auth_file=auth_file)
    assert not result.ok


def test_token_from_auth_file_is_used(
    api: Api, team: dict[str, str], tmp_path: Path, pkg_dir: Path
) -> None:
    pkg = build_package(pkg_dir / "authfile", "viaauthfile", "1.0")
    auth_file = tmp_path / "auth.json"
    auth_file.write_text(json.dumps({"127.0.0.1": {"BearerToken": team["owen"]}}))
    result = upload_with_client([pkg], api.stack.url, CHANNEL, auth_file=auth_file)
    assert result.ok, result.error
    api.stack.wait_idle()
    assert pkg.name in query(
        f"{api.stack.url}/{CHANNEL}", ["viaauthfile"], tmp_path / "q", sharded=True
    )


@pytest.mark.parametrize("fixture", ["legacy-raw-apikey-noarch", "multipart-apikey-noarch"])
def test_captured_client_requests_are_accepted(api: Api, fixture: str, tmp_path: Path) -> None:
    """Replays of what real clients sent (old raw-body and current multipart formats)."""
    owner = api.create_user(f"fx-{fixture[:6]}")
    channel = f"fx-{fixture[:6]}"
    api.create_channel(channel, token=owner)
    request = json.loads((FIXTURES / f"{fixture}.request.json").read_text())
    body = (FIXTURES / f"{fixture}.body.bin").read_bytes()
    headers = {
        k: v
        for k, v in request["headers"]
        if k.lower() not in ("authorization", "host", "content-length")
    }
    headers["Authorization"] = f"Bearer {owner}"
    target = request["target"].replace("my-channel", channel)
    response = requests.post(api.stack.url + target, data=body, headers=headers, timeout=30)
    assert response.status_code == 201, response.text
    assert response.headers["Content-Type"].startswith("text/plain")
    api.stack.wait_idle()
    seen = query(f"{api.stack.url}/{channel}", ["probe-pkg"], tmp_path / "q", sharded=True)
    assert list(seen) == ["probe-pkg-0.1.0-h0_0.conda"]
    # Both captures carry the same package: the raw one's body is the file itself.
    package = (FIXTURES / "legacy-raw-apikey-noarch.body.bin").read_bytes()
    assert seen["probe-pkg-0.1.0-h0_0.conda"]["sha256"] == hashlib.sha256(package).hexdigest()


def test_namespaced_upload_target_is_a_plain_text_404(api: Api) -> None:
    """The client prints the body as is: an unknown target must say so in plain text."""
    owner = api.create_user("ns-owner")
    api.create_channel("ns-chan", token=owner)
    response = requests.post(
        f"{api.stack.url}/api/v1/upload/ns-chan/label",
        data=b"x",
        headers={"Authorization": f"Bearer {owner}"},
        timeout=30,
    )
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text.startswith("no-route: ") and "/api/v1/upload/<channel>" in response.text


def test_delete_removes_the_file_from_both_index_paths(
    api: Api, team: dict[str, str], pkg_dir: Path, tmp_path: Path
) -> None:
    url = api.stack.url
    keep = build_package(pkg_dir / "del", "deleteme", "1.0")
    gone = build_package(pkg_dir / "del", "deleteme", "2.0")
    assert upload_with_client([keep, gone], url, CHANNEL, api_key=team["owen"]).ok
    api.stack.wait_idle()
    assert set(query(f"{url}/{CHANNEL}", ["deleteme"], tmp_path / "before", sharded=True)) == {
        keep.name,
        gone.name,
    }

    denied = api.call("DELETE", f"/api/v1/delete/{CHANNEL}/noarch/{gone.name}", token=team["milo"])
    assert denied.status_code == 403
    deleted = api.call("DELETE", f"/api/v1/delete/{CHANNEL}/noarch/{gone.name}", token=team["maya"])
    assert deleted.status_code == 200, deleted.text
    api.stack.wait_idle()
    for sharded in (True, False):
        assert set(
            query(f"{url}/{CHANNEL}", ["deleteme"], tmp_path / f"after{sharded}", sharded=sharded)
        ) == {keep.name}
    repodata = requests.get(f"{url}/{CHANNEL}/noarch/repodata.json", timeout=10).json()
    assert gone.name in repodata["removed"] and gone.name not in repodata["packages.conda"]
    assert requests.get(f"{url}/{CHANNEL}/noarch/{gone.name}", timeout=10).status_code == 404
    again = api.call("DELETE", f"/api/v1/delete/{CHANNEL}/noarch/{gone.name}", token=team["maya"])
    assert again.status_code == 404

    # A deleted filename keeps its identity: other bytes need an owner's force,
    # the same bytes may come back.
    impostor = build_package(pkg_dir / "del-b", "deleteme", "2.0", files={"x.txt": "other"})
    assert impostor.name == gone.name and sha(impostor) != sha(gone)
    refused = upload_with_client([impostor], url, CHANNEL, api_key=team["maya"])
    assert not refused.ok and "409" in refused.error
    assert upload_with_client([gone], url, CHANNEL, api_key=team["maya"]).ok
    api.stack.wait_idle()
    assert query(f"{url}/{CHANNEL}", ["deleteme"], tmp_path / "re", sharded=True)[gone.name][
        "sha256"
    ] == sha(gone)
