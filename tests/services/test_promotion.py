"""Promote between channels (issue 14 item 4) over the real adapters on moto: exact files
copied from a channel the caller reads into one they upload to, all or nothing. Each
refusal is proven to leave the destination as it was."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from rillet.core.errors import Conflict, Forbidden, InvalidRequest, NotFound
from rillet.core.layout import package_object_key
from rillet.core.models import UploadStatus, Yank
from rillet.core.policy import Principal, Role, Scope
from rillet.runtime import wiring
from rillet.services.packages import PackageUpload
from rillet.services.promotion import Promotion
from tests import fakes
from tests.packages import build_package

NOW = 1_790_000_000
ISO = "2026-09-21T12:00:00.000000Z"
OPERATOR = Principal("admin", superuser=True)


@dataclass
class RecordingQueue:
    calls: list[tuple[str, str, int]] = field(default_factory=list)

    def request_reindex(
        self, channel: str, subdir: str, seq: int, *, full: bool = False, incarnation: Any = None
    ) -> None:
        self.calls.append((channel, subdir, seq))


@dataclass
class World:
    c: wiring.Container
    queue: RecordingQueue

    @property
    def catalog(self) -> Any:
        return self.c.catalog

    @property
    def channels(self) -> Any:
        return self.c.channels

    @property
    def audit(self) -> Any:
        return self.c.audit

    def service(self, catalog: Any = None) -> Promotion:
        promotion = self.c.services.promotion
        return replace(promotion, catalog=catalog) if catalog is not None else promotion

    def user(self, name: str) -> Principal:
        _, _, token = self.c.services.keys.create_user(OPERATOR, {"name": name})
        found = self.c.services.auth.authenticate(f"Bearer {token}")
        assert found is not None
        return found

    def channel(self, name: str, owner: Principal, visibility: str = "public") -> None:
        self.c.services.channels.create(owner, {"name": name, "visibility": visibility})

    def member(self, owner: Principal, channel: str, user: str, role: Role) -> None:
        self.c.services.members.set_role(owner, channel, user, role)

    def publish(self, channel: str, path: Path) -> None:
        """Put ``path`` into ``channel`` the way every upload is recorded (as the operator)."""
        data = path.read_bytes()
        self.c.services.packages.upload(
            OPERATOR, channel, PackageUpload(path.name, data, hashlib.sha256(data).hexdigest())
        )

    def filenames(self, channel: str) -> list[str]:
        found, _ = self.catalog.list_packages(channel, None, None, 1000, None)
        return sorted(f"{p.subdir}/{p.filename}" for p in found)

    def objects(self, channel: str) -> list[str]:
        return sorted(
            k for k in self.channels.keys(f"{channel}/") if k.endswith((".conda", ".bz2"))
        )

    def actions(self, channel: str) -> list[str]:
        events, _ = self.audit.list(channel, 100, None)
        return sorted(e.action for e in events)


@pytest.fixture
def world() -> Iterator[World]:
    queue = RecordingQueue()
    with fakes.provisioned("promo", fakes.FixedClock(NOW * 1000), reindex_queue=queue) as (_, c):
        yield World(c, queue)


@dataclass(frozen=True)
class Pkgs:
    lib: Path  # promolib 1.0 noarch
    app: Path  # promoapp 1.0 linux-64
    other: Path  # promolib 1.0 noarch, other bytes under the same filename
    extra: Path  # promoextra 1.0 noarch


@pytest.fixture(scope="module")
def pkgs(tmp_path_factory: pytest.TempPathFactory) -> Pkgs:
    root = tmp_path_factory.mktemp("promotion")
    built = Pkgs(
        lib=build_package(root / "a", "promolib", "1.0"),
        app=build_package(root / "a", "promoapp", "1.0", subdir="linux-64", depends=["promolib"]),
        other=build_package(root / "b", "promolib", "1.0", files={"share/x.txt": "other\n"}),
        extra=build_package(root / "a", "promoextra", "1.0"),
    )
    assert built.lib.name == built.other.name
    return built


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def entry(path: Path, subdir: str = "noarch", digest: str | None = None) -> dict[str, str]:
    return {"subdir": subdir, "filename": path.name, "sha256": digest or sha(path)}


@dataclass
class Team:
    owner: Principal  # owns dev and prod
    maintainer: Principal  # maintainer of both
    reader: Principal  # member of dev only (reads it), maintainer of nothing


@pytest.fixture
def team(world: World, pkgs: Pkgs) -> Team:
    owner, maintainer, reader = world.user("olga"), world.user("max"), world.user("rita")
    world.channel("mychan-dev", owner, "private")
    world.channel("mychan", owner)
    for channel in ("mychan-dev", "mychan"):
        world.member(owner, channel, "max", Role.MAINTAINER)
    world.member(owner, "mychan-dev", "rita", Role.MEMBER)
    world.publish("mychan-dev", pkgs.lib)
    world.publish("mychan-dev", pkgs.app)
    world.publish("mychan-dev", pkgs.extra)
    world.queue.calls.clear()
    return Team(owner, maintainer, reader)


def test_promote_copies_the_same_bytes_and_record_and_reindexes_each_subdir_once(
    world: World, team: Team, pkgs: Pkgs
) -> None:
    body = {"from": "mychan-dev", "files": [entry(pkgs.lib), entry(pkgs.app, "linux-64")]}
    outcome = world.service().copy(team.maintainer, "mychan", body)
    assert [f.filename for f in outcome.copied] == [pkgs.lib.name, pkgs.app.name]
    assert world.filenames("mychan") == [f"linux-64/{pkgs.app.name}", f"noarch/{pkgs.lib.name}"]
    for subdir, path in (("noarch", pkgs.lib), ("linux-64", pkgs.app)):
        src = world.catalog.get_package("mychan-dev", subdir, path.name)
        dst = world.catalog.get_package("mychan", subdir, path.name)
        assert src is not None and dst is not None
        assert dst.record == src.record  # the very record
        copied = world.channels.read(package_object_key("mychan", subdir, path.name))
        assert copied is not None and copied[0] == path.read_bytes()  # the very bytes
        upload = world.catalog.get_upload(dst.upload_id)
        assert upload.status is UploadStatus.PUBLISHED and upload.created_by == "max"
    assert sorted((c, s) for c, s, _ in world.queue.calls) == [
        ("mychan", "linux-64"),
        ("mychan", "noarch"),
    ]
    # (One clock tick for everything: the log's order within it is arbitrary.)
    copies = [e for e in world.audit.list("mychan", 100, None)[0] if e.action == "package.copy"]
    assert sorted(e.details["filename"] for e in copies) == sorted([pkgs.lib.name, pkgs.app.name])
    assert all(e.details["from"] == "mychan-dev" and e.actor == "max" for e in copies)
    (copied,) = [
        e for e in world.audit.list("mychan-dev", 100, None)[0] if e.action == "package.copied"
    ]
    assert copied.details == {
        "to": "mychan",
        "files": [entry(pkgs.lib), entry(pkgs.app, "linux-64")],
    }
    assert outcome.to_json()["files"][0]["status"] == "copied"


def test_promoting_again_is_a_no_op(world: World, team: Team, pkgs: Pkgs) -> None:
    body = {"from": "mychan-dev", "files": [entry(pkgs.lib)]}
    world.service().copy(team.owner, "mychan", body)
    before = world.actions("mychan")
    world.queue.calls.clear()
    again = world.service().copy(team.owner, "mychan", body)
    assert (again.copied, [f.filename for f in again.present]) == ((), [pkgs.lib.name])
    assert world.actions("mychan") == before and world.queue.calls == []


def assert_refused(
    world: World,
    principal: Principal,
    body: Any,
    error: type[Exception],
    code: str,
    destination: str = "mychan",
) -> None:
    before = (world.filenames(destination), world.objects(destination), world.actions(destination))
    with pytest.raises(error) as info:
        world.service().copy(principal, destination, body)
    assert getattr(info.value, "code", None) == code, info.value
    assert (
        world.filenames(destination),
        world.objects(destination),
        world.actions(destination),
    ) == before
    assert world.queue.calls == []


def test_a_file_missing_from_the_source_copies_nothing(
    world: World, team: Team, pkgs: Pkgs
) -> None:
    missing = {"subdir": "noarch", "filename": "ghost-1.0-h0_0.conda", "sha256": "0" * 64}
    body = {"from": "mychan-dev", "files": [entry(pkgs.lib), missing]}
    assert_refused(world, team.owner, body, NotFound, "source-file-not-found")


def test_a_file_in_another_subdir_of_the_source_is_not_found(
    world: World, team: Team, pkgs: Pkgs
) -> None:
    body = {"from": "mychan-dev", "files": [entry(pkgs.app, "noarch")]}
    assert_refused(world, team.owner, body, NotFound, "source-file-not-found")


def test_another_sha256_than_the_sources_copies_nothing(
    world: World, team: Team, pkgs: Pkgs
) -> None:
    body = {
        "from": "mychan-dev",
        "files": [entry(pkgs.extra), entry(pkgs.lib, digest=sha(pkgs.other))],
    }
    assert_refused(world, team.owner, body, Conflict, "source-sha256-mismatch")


def test_a_yanked_source_file_is_not_promoted(world: World, team: Team, pkgs: Pkgs) -> None:
    world.catalog.yank_package("mychan-dev", "noarch", pkgs.lib.name, Yank("bad", "olga", ISO), NOW)
    world.queue.calls.clear()
    body = {"from": "mychan-dev", "files": [entry(pkgs.lib)]}
    assert_refused(world, team.owner, body, Conflict, "source-yanked")


def test_other_bytes_under_the_name_in_the_destination_copy_nothing(
    world: World, team: Team, pkgs: Pkgs
) -> None:
    world.publish("mychan", pkgs.other)
    world.queue.calls.clear()
    body = {"from": "mychan-dev", "files": [entry(pkgs.extra), entry(pkgs.lib)]}
    assert_refused(world, team.owner, body, Conflict, "already-exists")


def test_a_name_deleted_from_the_destination_with_other_bytes_stays_refused(
    world: World, team: Team, pkgs: Pkgs
) -> None:
    world.publish("mychan", pkgs.other)
    world.catalog.remove_package("mychan", "noarch", pkgs.other.name)
    world.channels.delete(package_object_key("mychan", "noarch", pkgs.other.name))
    world.queue.calls.clear()
    body = {"from": "mychan-dev", "files": [entry(pkgs.lib)]}
    assert_refused(world, team.owner, body, Conflict, "already-exists")


def test_a_caller_who_cannot_read_the_source_learns_nothing(
    world: World, team: Team, pkgs: Pkgs
) -> None:
    stranger = world.user("sam")
    world.member(team.owner, "mychan", "sam", Role.MAINTAINER)  # may upload to mychan
    body = {"from": "mychan-dev", "files": [entry(pkgs.lib)]}
    # Private and not theirs: as if it did not exist.
    assert_refused(world, stranger, body, NotFound, "channel-not-found")


def test_a_caller_who_cannot_upload_to_the_destination_is_refused(
    world: World, team: Team, pkgs: Pkgs
) -> None:
    body = {"from": "mychan-dev", "files": [entry(pkgs.lib)]}
    assert_refused(world, team.reader, body, Forbidden, "forbidden")


def test_a_read_key_cannot_promote(world: World, team: Team, pkgs: Pkgs) -> None:
    read_only = Principal("max", scope=Scope.READ)
    body = {"from": "mychan-dev", "files": [entry(pkgs.lib)]}
    assert_refused(world, read_only, body, Forbidden, "forbidden")


def test_a_minted_token_is_held_to_its_publishers_limits(
    world: World, team: Team, pkgs: Pkgs
) -> None:
    world.channel("public-dev", team.owner)
    world.publish("public-dev", pkgs.lib)
    world.publish("public-dev", pkgs.extra)
    world.queue.calls.clear()
    minted = Principal(
        "github:octo-org/widgets",
        scope=Scope.UPLOAD,
        channels=frozenset({"mychan"}),
        minted=True,
        publish_limits={"mychan": [{"publisher": {"id": "p"}, "name_patterns": ["promoextra"]}]},
    )
    body = {"from": "public-dev", "files": [entry(pkgs.extra), entry(pkgs.lib)]}
    assert_refused(world, minted, body, Forbidden, "outside-publisher-limits")
    # Within its limits it may promote from a channel anyone can read.
    ok = world.service().copy(
        minted, "mychan", {"from": "public-dev", "files": [entry(pkgs.extra)]}
    )
    assert [f.filename for f in ok.copied] == [pkgs.extra.name]


def test_a_malformed_request_is_refused_before_anything_is_read(
    world: World, team: Team, pkgs: Pkgs
) -> None:
    # The rules of the request's shape are proven in tests/core/test_promotion.py.
    body = {"from": "mychan-dev", "files": [entry(pkgs.lib)] * 2}
    assert_refused(world, team.owner, body, InvalidRequest, "invalid-request")


def test_an_unknown_destination_is_not_found(world: World, team: Team, pkgs: Pkgs) -> None:
    body = {"from": "mychan-dev", "files": [entry(pkgs.lib)]}
    with pytest.raises(NotFound):
        world.service().copy(team.owner, "nowhere", body)


class RacingCatalog:
    """The catalog, with another upload winning the second file's name at claim time."""

    def __init__(self, catalog: Any, world: World, racer: Path) -> None:
        self._catalog, self._world, self._racer, self.claims = catalog, world, racer, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._catalog, name)

    def claim_package(self, package: Any) -> None:
        self.claims += 1
        if self.claims == 2:
            self._world.publish("mychan", self._racer)
        self._catalog.claim_package(package)


def test_a_claim_lost_to_a_racing_upload_releases_every_claim(
    world: World, team: Team, pkgs: Pkgs
) -> None:
    racing = RacingCatalog(world.catalog, world, pkgs.other)
    body = {"from": "mychan-dev", "files": [entry(pkgs.extra), entry(pkgs.lib)]}
    with pytest.raises(Conflict) as info:
        world.service(racing).copy(team.owner, "mychan", body)
    assert info.value.code == "already-exists"
    # The racer's file is there; the copy's first file is neither claimed nor served.
    assert world.filenames("mychan") == [f"noarch/{pkgs.other.name}"]
    assert world.catalog.get_package("mychan", "noarch", pkgs.extra.name) is None
    assert world.objects("mychan") == [package_object_key("mychan", "noarch", pkgs.other.name)]
    assert "package.copy" not in world.actions("mychan")
    # The name is free again for an ordinary upload.
    world.publish("mychan", pkgs.extra)
