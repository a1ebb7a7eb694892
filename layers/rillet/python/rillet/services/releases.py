"""Release transactions: open, hold validated members, commit all or nothing, abort.

See core/releases.py for the rules and docs/releases.md for the protocol. Write order
of a commit (immutable first, pointer last): claim every filename (invisible, with a
TTL), copy every member's bytes to its final key (not in any index yet), then one
catalog transaction makes every record visible with its change mark and each subdir's
counter; only then are reindexes requested. A failure before that transaction takes
back the claims and the copies, so nothing of the release is visible or served.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from rillet.core import releases as rel
from rillet.core.clock import Clock, IdSource
from rillet.core.errors import Conflict, NotFound, RilletError
from rillet.core.layout import package_object_key, staging_key
from rillet.core.models import Channel, StoredPackage, Upload, UploadStatus
from rillet.core.names import require_no_case_conflict
from rillet.core.policy import Action, Principal, require_publish
from rillet.core.ports import Catalog, Cdn, ObjectStore, ReindexQueue
from rillet.core.releases import Member, Release, ReleaseStatus
from rillet.services.attestations import held_attestation, sigs_keys, write_sigs
from rillet.services.auth import AuditTrail, Guard, require_principal

logger = logging.getLogger(__name__)

ALREADY_EXISTS = "already-exists"
MEMBER_MISSING = "release-member-missing"
COPY_JOBS = 8  # server-side copies at a time: a commit must end within the API's time limit


class MemberMissing(NotFound):
    """A member's staged bytes are gone (never there, or the lifecycle rule took them)."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message, code=MEMBER_MISSING)
        self.key = key


@dataclass(frozen=True)
class CommitOutcome:
    """The answer to a commit: 200 with the release, or 409 with why and every file."""

    release: dict[str, Any]
    code: str | None = None
    message: str = ""

    @property
    def http_status(self) -> int:
        return 200 if self.code is None else 409

    def to_json(self) -> dict[str, Any]:
        if self.code is None:
            return self.release
        return {"error": self.code, "message": self.message, "release": self.release}


def publishable(catalog: Catalog, package: StoredPackage) -> None:
    """May this filename be published by this upload? The checks a lone upload gets:
    taken by another upload, a deleted filename coming back with other bytes, a name the
    subdir has in other case. Raises Conflict."""
    c, s, f = package.channel, package.subdir, package.filename
    name = str(package.record.get("name", ""))
    require_no_case_conflict(name, catalog.package_spellings(c, s, name))
    existing = catalog.get_package(c, s, f)
    if existing is not None and existing.upload_id != package.upload_id:
        raise Conflict(f"{s}/{f} already exists in channel {c}", code=ALREADY_EXISTS)
    removed = catalog.removed_sha256(c, s, f) if existing is None else None
    if removed and removed != package.sha256:
        raise Conflict(
            f"{s}/{f} was deleted from channel {c}; re-uploading it with different bytes "
            "needs an owner's force",
            code=ALREADY_EXISTS,
        )


def hold_for_release(
    catalog: Catalog,
    upload: Upload,
    record: dict[str, Any],
    rule: Mapping[str, Any] | None,
    now_ms: int,
) -> tuple[str, str] | None:
    """Keep a validated release member for its commit (ingest's last step for members).

    Returns (reason, message) to reject it instead: its release is no longer open, or
    its filename cannot be published (then the commit will fail, as it should)."""
    try:
        release = catalog.get_release(upload.release)
        rel.require_open(release, now_ms // 1000)
    except (NotFound, Conflict) as exc:
        return rel.CLOSED, f"release {upload.release} is not open: {exc.message}"
    subdir = str(record["subdir"])
    package = StoredPackage(upload.channel, subdir, upload.filename, record, upload.id)
    try:
        publishable(catalog, package)
    except Conflict as exc:
        return exc.code, exc.message
    publisher = rule.get("publisher") if rule is not None else None  # who it was validated for
    held = catalog.hold_upload(
        upload.id, subdir, record, dict(publisher) if isinstance(publisher, Mapping) else None
    )
    return None if held else (rel.CLOSED, "the upload was ended meanwhile")


@dataclass(frozen=True, kw_only=True)
class Releases:
    """Open a release, report it, commit it (all or nothing), abort it."""

    guard: Guard
    catalog: Catalog
    store: ObjectStore  # the channels bucket
    staging: ObjectStore
    queue: ReindexQueue
    trail: AuditTrail
    cdn: Cdn
    clock: Clock
    ids: IdSource
    ttl_seconds: int = rel.DEFAULT_RELEASE_TTL_SECONDS
    max_files: int = rel.MAX_RELEASE_FILES

    def open(
        self, principal: Principal | None, channel: str, body: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """Open a release in ``channel`` for the caller's credential.

        Raises Unauthenticated, NotFound, Forbidden (upload permission), InvalidRequest."""
        description = rel.parse_description(body)
        actor = require_principal(principal)
        target = self.guard.check_upload(actor, channel, False)
        now = self.clock.epoch()
        release = Release(
            id=self.ids.upload_id(),
            channel=channel,
            incarnation=target.incarnation,
            creator=rel.creator_of(actor, channel),
            created_by=actor.user,
            created_at=self.clock.iso(),
            expires_at=now + self.ttl_seconds,
            description=description,
        )
        self.catalog.create_release(release)
        self.trail.record(
            channel,
            actor.user,
            "release.open",
            {"release": release.id, "expires_at": release.expires_at},
            target.incarnation,
        )
        return rel.release_json(release, [], now)

    def status(self, principal: Principal | None, channel: str, release_id: str) -> dict[str, Any]:
        """The release with each file's status (and, once committed, whether indexed).

        Members who may list the channel's packages see it; a minted token only its own.
        Raises Unauthenticated, NotFound, Forbidden."""
        release = self._readable(principal, channel, release_id)
        members = self.catalog.release_members(release)
        return rel.release_json(
            release, members, self.clock.epoch(), self._indexed(release, members)
        )

    def commit(self, principal: Principal | None, channel: str, release_id: str) -> CommitOutcome:
        """Publish every member at once, or none (see the module docstring).

        Safe to repeat: a committed release answers as committed. Refusals (409) carry a
        reason code and every file's status. Raises Unauthenticated, NotFound, Forbidden."""
        actor, release = self._creators(principal, channel, release_id)
        now = self.clock.epoch()
        members = self.catalog.release_members(release)
        status = release.status_at(now)
        if status is ReleaseStatus.COMMITTED:
            return self._committed(release, members)
        if status is ReleaseStatus.FAILED:
            return self._refuse(release, members, release.reason or rel.FAILED, release.message)
        if status is ReleaseStatus.EXPIRED:
            return self._refuse(release, members, rel.EXPIRED, "the release expired uncommitted")
        if status is ReleaseStatus.COMMITTING and now - release.commit_started < (
            rel.COMMIT_LEASE_SECONDS
        ):
            return self._refuse(release, members, rel.COMMITTING, "a commit is in progress")
        if status is ReleaseStatus.COMMITTING and now >= release.expires_at:
            # A commit killed mid-way and never retried in time: take it back.
            packages = self._packages(release, members)
            self._take_back(packages, packages)
            return self._fail(
                release, members, rel.EXPIRED, "the release expired during its commit"
            )
        if len(members) != len(release.files):  # never publish part of what was added
            return self._fail(release, members, MEMBER_MISSING, "a file's upload is gone")
        verdict = rel.judge(members, now)
        if verdict.code in (rel.NOT_READY, rel.EMPTY):
            return self._refuse(release, members, verdict.code, verdict.message)
        if verdict.fails:
            assert verdict.code is not None
            return self._fail(release, members, verdict.code, verdict.message)
        for m in members:  # the committer's own limits (a publisher's names and subdirs)
            require_publish(actor, channel, str((m.record or {}).get("name")), m.upload.subdir)
        if not self.catalog.begin_commit(
            release.id, len(release.files), now, rel.COMMIT_LEASE_SECONDS
        ):
            again = self.catalog.get_release(release.id)
            if again.status is ReleaseStatus.COMMITTED:
                return self._committed(again, members)
            if again.status_at(now) is ReleaseStatus.OPEN:  # a file was added meanwhile
                fresh = self.catalog.release_members(again)
                return self._refuse(again, fresh, rel.NOT_READY, "files were added; try again")
            return self._refuse(again, members, rel.COMMITTING, "another commit got there first")
        return self._publish(actor, release, members)

    def abort(self, principal: Principal | None, channel: str, release_id: str) -> dict[str, Any]:
        """End an open release without publishing anything. Raises Conflict (not open),
        Unauthenticated, NotFound, Forbidden."""
        actor, release = self._creators(principal, channel, release_id)
        rel.require_open(release, self.clock.epoch())
        members = self.catalog.release_members(release)
        if not self.catalog.close_release(
            release.id, ReleaseStatus.FAILED, rel.ABORTED, "aborted", [ReleaseStatus.OPEN]
        ):
            raise Conflict(f"release {release.id} changed meanwhile", code=rel.NOT_OPEN)
        self._discard(members, rel.ABORTED, f"release {release.id} was aborted")
        self.trail.record(
            channel,
            actor.user,
            "release.fail",
            {"release": release.id, "reason": rel.ABORTED},
            release.incarnation,
        )
        return self.status(principal, channel, release_id)

    # -- steps ---------------------------------------------------------------------
    def _release(self, channel: Channel, release_id: str) -> Release:
        try:
            release = self.catalog.get_release(release_id)
        except NotFound:
            raise NotFound(
                f"no release {release_id} in channel {channel.name}", code=rel.NOT_FOUND
            ) from None
        rel.require_in_channel(release, channel)
        return release

    def _readable(self, principal: Principal | None, channel: str, release_id: str) -> Release:
        caller = require_principal(principal)
        action = Action.UPLOAD if caller.minted else Action.LIST_PACKAGES
        found, _ = self.guard.authorize(caller, channel, action)
        release = self._release(found, release_id)
        if caller.minted and rel.creator_of(caller, channel) != release.creator:
            raise NotFound(f"no release {release_id} in channel {channel}", code=rel.NOT_FOUND)
        return release

    def _creators(
        self, principal: Principal | None, channel: str, release_id: str
    ) -> tuple[Principal, Release]:
        actor = require_principal(principal)
        found = self.guard.check_upload(actor, channel, False)  # the authority, as of now
        release = self._release(found, release_id)
        rel.require_creator(release, actor)
        return actor, release

    def _indexed(self, release: Release, members: Sequence[Member]) -> dict[str, bool] | None:
        if release.status is not ReleaseStatus.COMMITTED:
            return None
        return {
            m.key: self.catalog.change_indexed(
                release.channel, m.upload.subdir or "", m.upload.filename, m.upload.id
            )
            for m in members
        }

    def _refuse(
        self, release: Release, members: Sequence[Member], code: str, message: str
    ) -> CommitOutcome:
        doc = rel.release_json(release, members, self.clock.epoch())
        return CommitOutcome(doc, code, message)

    def _fail(
        self, release: Release, members: Sequence[Member], code: str, message: str
    ) -> CommitOutcome:
        """The release ends failed; its held members are dropped (nothing was published)."""
        expect = [ReleaseStatus.OPEN, ReleaseStatus.COMMITTING]
        if self.catalog.close_release(release.id, ReleaseStatus.FAILED, code, message, expect):
            self._discard(members, code, message)
            self.trail.record(
                release.channel,
                release.created_by,
                "release.fail",
                {"release": release.id, "reason": code, "message": message},
                release.incarnation,
            )
        again = self.catalog.get_release(release.id)
        if again.status is ReleaseStatus.COMMITTED:  # a concurrent commit won after all
            return self._committed(again, self.catalog.release_members(again))
        return self._refuse(again, self.catalog.release_members(again), code, message)

    def _discard(self, members: Sequence[Member], code: str, message: str) -> None:
        """Members of a release that will never commit: rejected, staging objects gone."""
        live = [m.upload.id for m in members if m.upload.status is not UploadStatus.REJECTED]
        self.catalog.reject_release_uploads(live, code, message)
        for m in members:
            self.staging.delete(staging_key(m.upload.id))

    def _packages(self, release: Release, members: Sequence[Member]) -> list[StoredPackage]:
        return [
            StoredPackage(
                channel=release.channel,
                subdir=str(m.upload.subdir),
                filename=m.upload.filename,
                record=dict(m.record or {}),
                upload_id=m.upload.id,
                incarnation=release.incarnation,
            )
            for m in members
        ]

    def _publish(
        self, actor: Principal, release: Release, members: Sequence[Member]
    ) -> CommitOutcome:
        packages = self._packages(release, members)
        claimed: list[StoredPackage] = []
        copied: list[StoredPackage] = []
        previously_removed = [
            p
            for p in packages
            if self.catalog.removed_sha256(p.channel, p.subdir, p.filename) is not None
        ]
        step: StoredPackage | None = None  # the member the step that failed was about
        try:
            for step in packages:
                publishable(self.catalog, step)
                self.catalog.claim_package(step)
                claimed.append(step)
            step = None
            copied.extend(packages)  # before the copies: one that fails half-way goes too
            with ThreadPoolExecutor(COPY_JOBS, thread_name_prefix="release-copy") as pool:
                pairs = zip(packages, members, strict=True)
                jobs = [pool.submit(self._copy, p, m) for p, m in pairs]
                for done in jobs:
                    done.result()
            self.catalog.publish_release(release, packages, self.clock.now_ms())
        except (Conflict, NotFound) as exc:
            self._take_back(claimed, copied)
            key = getattr(exc, "key", None)
            if key is None and step is not None:
                key = rel.member_key(step.subdir, step.filename)
            if key is None and isinstance(exc, MemberMissing):
                key = exc.key
            if exc.code in ("channel-not-found", "channel-replaced"):
                code = exc.code
            elif isinstance(exc, NotFound):
                code = MEMBER_MISSING  # a staging object gone (lifecycle, or never there)
            else:
                code = rel.CONFLICT
            message = f"{key}: {exc.message}" if key else exc.message
            return self._fail(release, members, code, message)
        except Exception:
            # Unknown outcome (e.g. a timeout): the release says whether the transaction won.
            if self.catalog.get_release(release.id).status is not ReleaseStatus.COMMITTED:
                self._take_back(claimed, copied)
                self.catalog.close_release(
                    release.id, ReleaseStatus.OPEN, "", "", [ReleaseStatus.COMMITTING]
                )
                raise
        else:
            self._audit(actor, release, members)
        if previously_removed:
            # Bytes of a deleted file may sit in the CDN as "immutable": purge them.
            self.cdn.invalidate(
                [
                    f"/{package_object_key(p.channel, p.subdir, p.filename)}"
                    for p in previously_removed
                ]
            )
        return self._committed(self.catalog.get_release(release.id), members)

    def _copy(self, p: StoredPackage, member: Member) -> None:
        """The member's bytes and its ``.sigs`` (the bundle judged at validation, or
        ``[]``), as a lone upload writes them: before anything is visible."""
        try:
            self.store.copy_from(
                self.staging,
                staging_key(p.upload_id),
                package_object_key(p.channel, p.subdir, p.filename),
                sha256=p.sha256,
            )
        except NotFound as exc:
            raise MemberMissing(exc.message, rel.member_key(p.subdir, p.filename)) from exc
        attested = held_attestation(p.record, member.upload.attestation)
        write_sigs(self.store, (p.channel, p.subdir, p.filename), attested)

    def _take_back(self, claimed: Sequence[StoredPackage], copied: Sequence[StoredPackage]) -> None:
        """Undo a commit that did not publish: our claims, and our copies unless the
        filename is another upload's now (then the bytes there may be theirs)."""
        for p in claimed:
            self.catalog.release_claim(p)
        for p in copied:
            current = self.catalog.get_package(p.channel, p.subdir, p.filename)
            if current is None:
                try:
                    self.store.delete(package_object_key(p.channel, p.subdir, p.filename))
                    for key in sigs_keys(
                        p.channel, p.subdir, p.filename, p.record.get("attestations_sha256")
                    ):
                        self.store.delete(key)
                except RilletError:
                    logger.warning("could not remove a copied release member", exc_info=True)

    def _audit(self, actor: Principal, release: Release, members: Sequence[Member]) -> None:
        at = self.clock.iso()
        for m in members:
            u = m.upload
            self.trail.record(
                release.channel,
                u.created_by,
                "package.upload",
                {
                    "subdir": u.subdir,
                    "filename": u.filename,
                    "sha256": u.sha256,
                    "via": "release",
                    "release": release.id,
                    **({"publisher": dict(m.publisher)} if m.publisher is not None else {}),
                    **(
                        {"attested": True, "attestations_sha256": sigs}
                        if (sigs := (m.record or {}).get("attestations_sha256"))
                        else {}
                    ),
                },
                release.incarnation,
                at=at,
            )
        files = [
            {"subdir": m.upload.subdir, "filename": m.upload.filename, "sha256": m.upload.sha256}
            for m in members
        ]
        self.trail.record(
            release.channel,
            actor.user,
            "release.commit",
            {"release": release.id, "files": files},
            release.incarnation,
            at=at,
        )

    def _committed(self, release: Release, members: Sequence[Member]) -> CommitOutcome:
        """After the transaction (also on a retry): uploads published, reindexes asked
        for, staging objects gone. Every step is idempotent."""
        self.catalog.finish_release_uploads(members)
        for subdir in sorted({str(m.upload.subdir) for m in members}):
            seq = self.catalog.subdir_state(release.channel, subdir).change_seq
            self.queue.request_reindex(
                release.channel, subdir, seq, incarnation=release.incarnation
            )
        for m in members:
            self.staging.delete(staging_key(m.upload.id))
        fresh = self.catalog.release_members(release)
        return CommitOutcome(
            rel.release_json(release, fresh, self.clock.epoch(), self._indexed(release, fresh))
        )
