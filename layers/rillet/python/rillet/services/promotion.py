"""Promote exact files between channels: ``mychan-dev`` -> ``mychan``.

Every file is checked before anything is written (the source serves it with that
sha256 and the caller may read the source; the caller may upload to the destination
within its publisher limits; the destination holds no other bytes under the name).
Then each file is claimed, its object copied within the bucket, its record (the
source's, verbatim) published, and each destination subdir is reindexed once. A
claim lost to a racing upload releases every claim made so far: nothing is published.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rillet.core.attestation import EMPTY_SIGS, SIGS_CONTENT_TYPE
from rillet.core.clock import Clock, IdSource
from rillet.core.errors import NotFound
from rillet.core.layout import package_object_key
from rillet.core.models import StoredPackage, Upload, UploadStatus
from rillet.core.policy import Action, Principal, require_publish
from rillet.core.ports import Catalog, Cdn, ObjectStore, ReindexQueue
from rillet.core.promotion import (
    CopyFile,
    DestinationFile,
    SourceFile,
    Verdict,
    judge,
    parse_copy_request,
)
from rillet.core.repodata import IMMUTABLE_CACHE_CONTROL, INDEX_CACHE_CONTROL
from rillet.services.attestations import sigs_key, sigs_keys
from rillet.services.auth import AuditTrail, Guard

# The copy's own upload intents: long enough to finish, then they expire as any other.
COPY_INTENT_SECONDS = 900


@dataclass(frozen=True)
class CopyOutcome:
    source: str
    destination: str
    copied: tuple[CopyFile, ...]
    present: tuple[CopyFile, ...]  # already in the destination with these bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.destination,
            "files": [
                *({**f.to_json(), "status": "copied"} for f in self.copied),
                *({**f.to_json(), "status": "present"} for f in self.present),
            ],
        }


@dataclass(frozen=True, kw_only=True)
class Promotion:
    """``copy``: promote exact files from a channel the caller reads to one they upload to."""

    guard: Guard
    catalog: Catalog
    store: ObjectStore  # the channels bucket: source and destination objects both
    queue: ReindexQueue
    cdn: Cdn
    trail: AuditTrail
    clock: Clock
    ids: IdSource

    def copy(self, principal: Principal | None, destination: str, body: Any) -> CopyOutcome:
        """Raises InvalidRequest/InvalidName, Unauthenticated, Forbidden (including
        ``outside-publisher-limits``), NotFound (``source-file-not-found``), Conflict
        (``sha256-mismatch``, ``source-yanked``, ``already-exists``, ``name-case-conflict``)."""
        request = parse_copy_request(body, destination)
        actor, target, _ = self.guard.acting(principal, destination, Action.UPLOAD)
        source, _ = self.guard.authorize(actor, request.source, Action.READ)
        verdicts = self._judge_all(actor, request.source, destination, request.files)
        todo = [v for v in verdicts if not v.present]
        if todo:
            self._copy(actor, request.source, destination, target.incarnation, todo)
        now_iso = self.clock.iso()
        for v in todo:
            self.trail.record(
                destination,
                actor.user,
                "package.copy",
                {**v.file.to_json(), "from": request.source},
                target.incarnation,
                at=now_iso,
            )
        if todo:
            self.trail.record(
                request.source,
                actor.user,
                "package.copied",
                {"to": destination, "files": [v.file.to_json() for v in todo]},
                source.incarnation,
                at=now_iso,
            )
        return CopyOutcome(
            request.source,
            destination,
            tuple(v.file for v in todo),
            tuple(v.file for v in verdicts if v.present),
        )

    # -- every file checked before any write --------------------------------------------
    def _judge_all(
        self, actor: Principal, source: str, destination: str, files: tuple[CopyFile, ...]
    ) -> list[Verdict]:
        by_subdir: dict[str, list[str]] = defaultdict(list)
        for f in files:
            by_subdir[f.subdir].append(f.filename)
        published = {
            subdir: self.catalog.changed_contents(source, subdir, names)
            for subdir, names in by_subdir.items()
        }
        verdicts = []
        for f in files:  # in the caller's order: the first refusal is the one reported
            contents = published[f.subdir]
            record = contents.records.get(f.filename)
            yanked = record is not None and f.filename in contents.removed
            existing = self.catalog.get_package(destination, f.subdir, f.filename)
            removed = (
                self.catalog.removed_sha256(destination, f.subdir, f.filename)
                if existing is None
                else None
            )
            name = str((record or {}).get("name", ""))
            spellings = (
                frozenset(self.catalog.package_spellings(destination, f.subdir, name))
                if record is not None and existing is None
                else frozenset()
            )
            verdict = judge(
                f,
                source,
                SourceFile(record, yanked),
                destination,
                DestinationFile(existing.sha256 if existing else None, removed, spellings),
            )
            # The destination's publish rules (a minted token's publisher limits).
            require_publish(actor, destination, verdict.name, f.subdir)
            verdicts.append(verdict)
        return verdicts

    # -- the writes -----------------------------------------------------------------------
    def _copy(
        self,
        actor: Principal,
        source: str,
        destination: str,
        incarnation: str,
        todo: list[Verdict],
    ) -> None:
        now, now_iso = self.clock.epoch(), self.clock.iso()
        packages: list[StoredPackage] = []
        for v in todo:
            upload = Upload(
                id=self.ids.upload_id(),
                channel=destination,
                filename=v.file.filename,
                sha256=v.file.sha256,
                size=int(v.record.get("size") or 0),
                created_by=actor.user,
                created_at=now_iso,
                expires_at=now + COPY_INTENT_SECONDS,
                status=UploadStatus.VALIDATING,
                subdir=v.file.subdir,
                key_id=actor.key_id,
                key_hash=actor.key_hash,
                incarnation=incarnation,
            )
            self.catalog.put_upload(upload)
            packages.append(
                StoredPackage(
                    channel=destination,
                    subdir=v.file.subdir,
                    filename=v.file.filename,
                    record=dict(v.record),
                    upload_id=upload.id,
                    incarnation=incarnation,
                )
            )
        claimed: list[StoredPackage] = []
        written: list[str] = []
        try:
            for package in packages:
                self.catalog.claim_package(package)  # Conflict: a racing upload won the name
                claimed.append(package)
            for package in packages:
                key = package_object_key(destination, package.subdir, package.filename)
                self.store.copy_from(
                    self.store,
                    package_object_key(source, package.subdir, package.filename),
                    key,
                    sha256=package.sha256,
                )
                written.append(key)
                written.extend(self._copy_sigs(source, package))
        except Exception:
            self._undo(claimed, written, packages)
            raise
        seqs: dict[str, int] = {}
        published_at = self.clock.now_ms()
        for package in packages:
            seq = self.catalog.publish_package(package, published_at)
            if seq is None:  # published by an earlier attempt of this very copy
                seq = self.catalog.subdir_state(destination, package.subdir).change_seq
            seqs[package.subdir] = max(seq, seqs.get(package.subdir, 0))
        for subdir, seq in sorted(seqs.items()):
            self.queue.request_reindex(destination, subdir, seq, incarnation=incarnation)
        # A filename deleted before and now back (same bytes): purge any cached answer.
        back = [v.file for v in todo if v.removed_before]
        if back:
            self.cdn.invalidate(
                [f"/{package_object_key(destination, f.subdir, f.filename)}" for f in back]
            )

    def _copy_sigs(self, source: str, package: StoredPackage) -> list[str]:
        """The attestation goes with the file: the same ``.sigs`` bytes (so the same
        attestations_sha256 in the copied record), or ``[]`` for a file without."""
        digest = package.record.get("attestations_sha256")
        document = EMPTY_SIGS
        if digest:
            found = self.store.read(
                f"{sigs_key(source, package.subdir, package.filename)}.{digest}"
            )
            if found is None:
                raise NotFound(
                    f"the attestations of {package.subdir}/{package.filename} are missing "
                    f"in channel {source}",
                    code="source-file-not-found",
                )
            document = found[0]
        key = sigs_key(package.channel, package.subdir, package.filename)
        keys = sigs_keys(package.channel, package.subdir, package.filename, digest)
        if digest:
            self.store.put(
                keys[1],
                document,
                content_type=SIGS_CONTENT_TYPE,
                cache_control=IMMUTABLE_CACHE_CONTROL,
            )
        self.store.put(
            key, document, content_type=SIGS_CONTENT_TYPE, cache_control=INDEX_CACHE_CONTROL
        )
        return keys

    def _undo(
        self, claimed: list[StoredPackage], written: list[str], packages: list[StoredPackage]
    ) -> None:
        """Nothing of a copy that could not claim or copy every file stays behind."""
        for key in written:
            self.store.delete(key)
        for package in claimed:
            self.catalog.release_claim(package)
        for package in packages:
            self.catalog.reject_upload(
                package.upload_id,
                "copy-aborted",
                "another file of the same copy could not be copied; nothing was published",
                package.subdir,
            )
