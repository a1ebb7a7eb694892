"""Upper-case and case-colliding package names, over the API and through validation.

Both upload paths refuse them with a reason code: the presigned request (before any
byte is sent), the validation of a staged file, and the prefix-compatible endpoint.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from rillet.core.layout import staging_key
from rillet.core.models import StoredPackage, Upload
from rillet.runtime.wiring import container
from tests.core.package_factory import edit_index
from tests.functions.conftest import Team, World
from tests.functions.test_api import assert_error, assert_text_error
from tests.packages import build_package


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("names")
    lower = build_package(root / "l", "demo", "2.0", tar_bz2=True)
    edited = edit_index(lower, lambda index: index.update(name="Demo"))
    upper = edited.rename(edited.with_name(edited.name.replace("demo", "Demo", 1)))
    return {
        "lower": lower,  # demo-2.0-h0_0.tar.bz2
        "upper": upper,  # Demo-2.0-h0_0.tar.bz2, index.json says "Demo"
        "linux": build_package(root / "x", "demo", "2.0", subdir="linux-64"),
    }


def ticket(path: Path, **extra: Any) -> dict[str, Any]:
    data = path.read_bytes()
    return {
        "filename": path.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
    } | extra


def legacy_record(channel: str, subdir: str, name: str, version: str = "1.0") -> None:
    """A published record spelled with upper case, as accepted before the rule."""
    c = container()
    filename = f"{name}-{version}-h0_0.tar.bz2"
    upload_id = f"legacy-{name}-{subdir}"
    c.catalog.put_upload(
        Upload(upload_id, channel, filename, "0" * 64, 1, "alice", "t", c.clock.epoch() + 900)
    )
    record = {"name": name, "version": version, "build": "h0_0", "build_number": 0}
    package = StoredPackage(channel, subdir, filename, record | {"subdir": subdir}, upload_id)
    c.catalog.claim_package(package)
    assert c.catalog.publish_package(package, c.clock.now_ms()) is not None


def stage_and_validate(path: Path, upload_id: str) -> Upload:
    """The PUT of a presigned flow, then the validate function's work on it."""
    c = container()
    c.staging.put(
        staging_key(upload_id),
        path.read_bytes(),
        content_type="application/octet-stream",
        cache_control="no-store",
    )
    c.services.ingest.ingest_staged(staging_key(upload_id))
    return c.catalog.get_upload(upload_id)


def test_upper_case_name_refused_on_every_path(
    world: World, team: Team, built: dict[str, Path]
) -> None:
    upper = built["upper"]
    r = team.owner.post("/api/v1/channels/chan/uploads", ticket(upper))
    assert_error(r, 422, "name-not-lowercase")
    assert_text_error(team.owner.upload("chan", upper), 422, "name-not-lowercase")
    # An intent for it (one made before the rule) is refused when the file is validated.
    c = container()
    data = upper.read_bytes()
    c.catalog.put_upload(
        Upload(
            "old-intent",
            "chan",
            upper.name,
            hashlib.sha256(data).hexdigest(),
            len(data),
            "alice",
            "t",
            c.clock.epoch() + 900,
            incarnation=c.catalog.get_channel("chan").incarnation,
        )
    )
    assert stage_and_validate(upper, "old-intent").reason == "name-not-lowercase"
    r = team.owner.get("/api/v1/channels/chan/packages")
    assert r.status == 200 and r.json()["packages"] == []


def test_name_differing_only_in_case_is_refused(
    world: World, team: Team, built: dict[str, Path]
) -> None:
    lower = built["lower"]
    legacy_record("chan", "noarch", "Demo")
    # The presigned request names the subdir: refused before the PUT.
    r = team.owner.post("/api/v1/channels/chan/uploads", ticket(lower, subdir="noarch"))
    assert_error(r, 409, "name-case-conflict")
    # Without a subdir it is refused when the file is validated.
    r = team.owner.post("/api/v1/channels/chan/uploads", ticket(lower))
    assert r.status == 201, r
    status = stage_and_validate(lower, r.json()["id"])
    assert (status.status.value, status.reason) == ("rejected", "name-case-conflict")
    r = team.owner.get(f"/api/v1/channels/chan/uploads/{status.id}")
    assert r.json()["reason"] == "name-case-conflict"
    # The prefix-compatible endpoint.
    assert_text_error(team.owner.upload("chan", lower), 409, "name-case-conflict")
    listed = team.owner.get("/api/v1/channels/chan/packages").json()["packages"]
    assert [p["filename"] for p in listed] == ["Demo-1.0-h0_0.tar.bz2"]
    # Another subdir has its own shards: the name is free there.
    assert team.owner.upload("chan", built["linux"]).status == 201
    # ... and another channel is not affected at all.
    team.owner.create_channel("elsewhere")
    assert team.owner.upload("elsewhere", lower).status == 201


def test_similar_names_are_not_conflicts(world: World, team: Team, built: dict[str, Path]) -> None:
    legacy_record("chan", "noarch", "Demo-extra")  # another package ("demo-extra")
    legacy_record("chan", "noarch", "Demos")
    assert team.owner.upload("chan", built["lower"]).status == 201
