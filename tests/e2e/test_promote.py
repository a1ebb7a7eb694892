"""Promote mychan-dev -> mychan through the local stack: `rillet package copy` copies the
very files, py-rattler solves and installs them from the destination, and a copy with
one bad file changes nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from rillet.cli.main import app
from tests.e2e.conftest import Api
from tests.e2e.rattler_client import query, solve_and_install
from tests.packages import build_package

pytestmark = pytest.mark.e2e

DEV, PROD = "promo-dev", "promo"


@pytest.fixture(scope="module")
def owner(api: Api) -> str:
    token = api.create_user("promo-owner")
    api.create_channel(DEV, "private", token=token)
    api.create_channel(PROD, token=token)
    return token


@pytest.fixture(scope="module")
def built(pkg_dir: Path) -> dict[str, Path]:
    root = pkg_dir / "promote"
    return {
        "lib": build_package(root, "promolib", "1.0"),
        "app": build_package(root, "promoapp", "1.0", subdir="linux-64", depends=["promolib"]),
        "bad": build_package(root, "promobad", "1.0"),
    }


def rillet(api: Api, token: str, tmp_path: Path, *args: str) -> Result:
    env = {
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "RILLET_URL": api.stack.url,
        "RILLET_TOKEN": token,
    }
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def published(api: Api, token: str, channel: str) -> dict[str, dict[str, Any]]:
    r = api.call("GET", f"/api/v1/channels/{channel}/packages", token=token)
    assert r.status_code == 200, r.text
    return {p["filename"]: p for p in r.json()["packages"]}


def test_promoted_files_install_from_the_destination(
    api: Api, owner: str, built: dict[str, Path], tmp_path: Path
) -> None:
    for key in ("lib", "app"):
        ticket = api.presigned_upload(DEV, built[key], token=owner)
        assert api.wait_final(DEV, ticket["id"], token=owner)["status"] == "published"
    api.stack.wait_idle()
    assert published(api, owner, PROD) == {}

    result = rillet(api, owner, tmp_path, "package", "copy", DEV, PROD, "--name", "promolib")
    assert result.exit_code == 0, result.output
    assert f"copied   noarch/{built['lib'].name}" in result.stdout
    out = rillet(
        api,
        owner,
        tmp_path,
        "package",
        "copy",
        DEV,
        PROD,
        f"linux-64/{built['app'].name}",
        f"noarch/{built['lib'].name}",
        "--json",
    )
    assert out.exit_code == 0, out.output
    statuses = {f["filename"]: f["status"] for f in json.loads(out.stdout)["files"]}
    assert statuses == {built["app"].name: "copied", built["lib"].name: "present"}
    api.stack.wait_idle()

    # The same record in both channels, and the same bytes served from the destination.
    dev, prod = published(api, owner, DEV), published(api, owner, PROD)
    for key in ("lib", "app"):
        name = built[key].name
        # Not the record: when it was indexed, and who put it in each channel when.
        local = {"indexed_timestamp", "uploaded_by", "uploaded_at", "publisher"}
        src = {k: v for k, v in dev[name].items() if k not in local}
        dst = {k: v for k, v in prod[name].items() if k not in local}
        assert dst == src
        assert dst["sha256"] == hashlib.sha256(built[key].read_bytes()).hexdigest()
    # A public channel: py-rattler needs no credential to solve and install from it.
    assert solve_and_install(f"{api.stack.url}/{PROD}", ["promoapp"], tmp_path / "i") == [
        "promoapp",
        "promolib",
    ]
    records = query(f"{api.stack.url}/{PROD}", ["promoapp"], tmp_path / "q", sharded=True)
    assert records[built["app"].name]["sha256"] == prod[built["app"].name]["sha256"]

    events = api.call("GET", f"/api/v1/channels/{PROD}/audit", token=owner).json()["events"]
    assert sum(e["action"] == "package.copy" for e in events) == 2
    source_events = api.call("GET", f"/api/v1/channels/{DEV}/audit", token=owner).json()["events"]
    assert sum(e["action"] == "package.copied" for e in source_events) == 2


def test_a_copy_with_one_bad_file_copies_nothing(
    api: Api, owner: str, built: dict[str, Path], tmp_path: Path
) -> None:
    ticket = api.presigned_upload(DEV, built["bad"], token=owner)
    assert api.wait_final(DEV, ticket["id"], token=owner)["status"] == "published"
    r = api.call(
        "POST",
        f"/api/v1/channels/{DEV}/packages/noarch/{built['bad'].name}/yank",
        {"reason": "broken"},
        owner,
    )
    assert r.status_code == 200, r.text
    api.stack.wait_idle()
    good = build_package(tmp_path, "promogood", "1.0")
    ticket = api.presigned_upload(DEV, good, token=owner)
    assert api.wait_final(DEV, ticket["id"], token=owner)["status"] == "published"
    before = published(api, owner, PROD)
    files = [
        {
            "subdir": "noarch",
            "filename": p.name,
            "sha256": hashlib.sha256(p.read_bytes()).hexdigest(),
        }
        for p in (good, built["bad"])
    ]
    r = api.call("POST", f"/api/v1/channels/{PROD}/copy", {"from": DEV, "files": files}, owner)
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "source-yanked"
    assert published(api, owner, PROD) == before
    # A stranger learns nothing about the private source.
    stranger = api.create_user("promo-stranger")
    r = api.call("POST", f"/api/v1/channels/{PROD}/copy", {"from": DEV, "files": files}, stranger)
    assert r.status_code == 403, r.text  # may not upload to the destination
