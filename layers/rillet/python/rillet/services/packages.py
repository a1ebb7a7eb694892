"""Packages in a channel: the prefix-compatible upload, delete, and listing."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from rillet.core.accounts import AuditEvent
from rillet.core.clock import Clock, IdSource
from rillet.core.errors import Forbidden, InvalidRequest, NotFound
from rillet.core.layout import package_object_key
from rillet.core.models import StoredPackage, Upload, UploadStatus, Yank, validate_yank_reason
from rillet.core.names import validate_subdir
from rillet.core.package import Limits, check_package, read_package
from rillet.core.policy import Action, Principal, allowed, require_publish
from rillet.core.ports import Catalog, Cdn, ObjectStore, ReindexQueue
from rillet.core.repodata import IMMUTABLE_CACHE_CONTROL
from rillet.services.attestations import AttestTarget, attest, sigs_keys
from rillet.services.auth import AuditTrail, Guard
from rillet.services.ingest import Ingest, Recording

MAX_LIST = 1000


@dataclass(frozen=True)
class PackageUpload:
    """A package sent in a request body (the prefix-compatible upload)."""

    filename: str
    body: bytes
    sha256: str | None = None  # declared by the client: checked against the bytes
    attestation: str | None = None  # the CEP-27 Sigstore bundle (the ``attestation`` part)


@dataclass(frozen=True)
class Published:
    channel: str
    subdir: str
    filename: str
    sha256: str
    replaced: bool


@dataclass(frozen=True)
class YankOutcome:
    package: StoredPackage
    changed: bool  # False: it already was in the asked state (nothing changed, no rebuild)

    def to_json(self) -> dict[str, Any]:
        p = self.package
        return {
            "subdir": p.subdir,
            "filename": p.filename,
            "sha256": p.sha256,
            "yanked": p.yank.to_json() if p.yank else None,
            "changed": self.changed,
        }


@dataclass(frozen=True, kw_only=True)
class Packages:
    """Packages in a channel: the prefix-compatible upload, delete, yank, listing, audit."""

    guard: Guard
    catalog: Catalog
    store: ObjectStore  # the channels bucket
    queue: ReindexQueue
    cdn: Cdn
    trail: AuditTrail
    ingest: Ingest
    clock: Clock
    ids: IdSource
    limits: Limits

    def upload(
        self,
        principal: Principal | None,
        channel: str,
        request: PackageUpload,
        *,
        force: bool = False,
        out_of_time: Callable[[], bool] | None = None,
    ) -> Published:
        """Validate and publish one package sent in the request body (same path as presigned).

        Raises Unauthenticated/Forbidden (401/403), PackageRejected (422, also for a
        SHA-256 mismatch), Conflict (409: the filename exists and no permitted force).
        """
        actor, target, role = self.guard.acting(principal, channel, Action.UPLOAD)
        filename, body = request.filename, request.body
        facts = read_package(io.BytesIO(body), filename, self.limits, out_of_time=out_of_time)
        check_package(
            facts,
            expected_sha256=request.sha256.lower() if request.sha256 else None,
            expected_size=len(body),
        )
        subdir = str(facts.index["subdir"])
        name = str(facts.index["name"])
        require_publish(actor, channel, name, subdir)
        rule = actor.publishing_rule(channel, name, subdir)
        attested = None
        if request.attestation is not None:  # verified before anything is written
            attested = attest(
                self.ingest.verifier,
                actor,
                AttestTarget(channel, subdir, filename, facts.sha256),
                request.attestation,
            )
        catalog = self.catalog
        existing = catalog.get_package(channel, subdir, filename)
        if force and (existing is not None or catalog.removed_sha256(channel, subdir, filename)):
            # ?force is honoured only where overwriting is allowed (owners); others get 403.
            visibility = catalog.get_channel(channel).visibility
            if not allowed(
                Action.OVERWRITE, principal=actor, role=role, visibility=visibility, channel=channel
            ):
                raise Forbidden("only channel owners can overwrite an existing package (force)")
        upload_id = self.ids.upload_id()
        catalog.put_upload(
            Upload(
                id=upload_id,
                channel=channel,
                filename=filename,
                sha256=facts.sha256,
                size=facts.size,
                created_by=actor.user,
                created_at=self.clock.iso(),
                expires_at=self.clock.epoch() + 3600,
                status=UploadStatus.VALIDATING,
                subdir=subdir,
                force=force,
                key_id=actor.key_id,
                key_hash=actor.key_hash,
                incarnation=target.incarnation,
            )
        )
        self.ingest.record(
            Recording(
                channel=channel,
                upload_id=upload_id,
                facts=facts,
                write_object=lambda key: self.store.put(
                    key,
                    body,
                    content_type="application/octet-stream",
                    cache_control=IMMUTABLE_CACHE_CONTROL,
                ),
                force=force,
                actor=actor.user,
                via="trusted-publishing" if actor.minted else "api",
                publisher=rule.get("publisher") if rule is not None else None,
                incarnation=target.incarnation,  # a delete racing this upload wins
                attestation=attested,
            )
        )
        return Published(channel, subdir, filename, facts.sha256, existing is not None)

    def delete(self, principal: Principal | None, channel: str, subdir: str, filename: str) -> None:
        """Stop serving a package and list it as removed. Raises NotFound, Forbidden."""
        actor, target, _ = self.guard.acting(principal, channel, Action.DELETE_PACKAGE)
        validate_subdir(subdir)
        existing = self.catalog.get_package(channel, subdir, filename)
        seq = self.catalog.remove_package(channel, subdir, filename, target.incarnation)
        key = package_object_key(channel, subdir, filename)
        # Its attestations go with it (the .sigs and the content-addressed copy).
        digest = existing.record.get("attestations_sha256") if existing else None
        sigs = sigs_keys(channel, subdir, filename, digest)
        for gone in (key, *sigs):
            self.store.delete(gone)
        self.cdn.invalidate([f"/{k}" for k in (key, *sigs)])
        self.queue.request_reindex(channel, subdir, seq, incarnation=target.incarnation)
        self.trail.record(
            channel,
            actor.user,
            "package.delete",
            {
                "subdir": subdir,
                "filename": filename,
                "sha256": existing.sha256 if existing else None,
            },
            target.incarnation,
        )

    def yank(
        self,
        principal: Principal | None,
        channel: str,
        path: tuple[str, str],
        body: Mapping[str, Any],
    ) -> YankOutcome:
        """List a file (``path``: subdir, filename) as removed in the index (clients stop
        solving to it) but keep serving it.

        Idempotent: yanking a yanked file changes nothing (its first reason stays).
        Raises InvalidRequest (``invalid-reason``), Unauthenticated, Forbidden, NotFound.
        """
        subdir, filename = path
        actor, target, _ = self.guard.acting(principal, channel, Action.YANK_PACKAGE)
        validate_subdir(subdir)
        unknown = set(body) - {"reason"}
        if unknown:
            raise InvalidRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
        reason = validate_yank_reason(body.get("reason"))
        now_iso = self.clock.iso()
        seq = self.catalog.yank_package(
            channel, subdir, filename, Yank(reason, actor.user, now_iso), self.clock.now_ms()
        )
        event = AuditEvent(
            channel, now_iso, actor.user, "package.yank", {"reason": reason}, target.incarnation
        )
        return self._yank_changed(event, subdir, filename, seq)

    def unyank(
        self, principal: Principal | None, channel: str, path: tuple[str, str]
    ) -> YankOutcome:
        """Offer a yanked file to solvers again; a no-op (``changed: false``) if it was not
        yanked. Raises Unauthenticated, Forbidden, NotFound."""
        subdir, filename = path
        actor, target, _ = self.guard.acting(principal, channel, Action.YANK_PACKAGE)
        validate_subdir(subdir)
        seq = self.catalog.unyank_package(channel, subdir, filename, self.clock.now_ms())
        event = AuditEvent(
            channel, self.clock.iso(), actor.user, "package.unyank", {}, target.incarnation
        )
        return self._yank_changed(event, subdir, filename, seq)

    def _yank_changed(
        self, event: AuditEvent, subdir: str, filename: str, seq: int | None
    ) -> YankOutcome:
        """Queue the rebuild and audit ``event`` if the yank state changed (``seq``)."""
        channel = event.channel
        package = self.catalog.get_package(channel, subdir, filename)
        if package is None:  # deleted meanwhile
            raise NotFound(
                f"no package {subdir}/{filename} in channel {channel}", code="package-not-found"
            )
        if seq is not None:
            self.queue.request_reindex(channel, subdir, seq, incarnation=event.incarnation)
            details = {"subdir": subdir, "filename": filename, "sha256": package.sha256}
            self.trail.append(replace(event, details={**details, **event.details}))
        return YankOutcome(package, changed=seq is not None)

    def list_packages(
        self, principal: Principal | None, channel: str, query: PackageQuery
    ) -> tuple[list[StoredPackage], str | None]:
        """One page of the channel's packages. Raises NotFound, InvalidName, Unauthenticated."""
        self.guard.authorize(principal, channel, Action.LIST_PACKAGES)
        if query.subdir is not None:
            validate_subdir(query.subdir)
        return self.catalog.list_packages(
            channel, query.subdir, query.name, max(1, min(query.limit, MAX_LIST)), query.cursor
        )

    def read_audit(
        self, principal: Principal | None, channel: str, *, limit: int, cursor: str | None
    ) -> tuple[list[AuditEvent], str | None]:
        """Owners read the channel's audit log, newest first. Raises Forbidden, NotFound."""
        self.guard.acting(principal, channel, Action.READ_AUDIT)
        return self.trail.audit.list(channel, max(1, min(limit, MAX_LIST)), cursor)


@dataclass(frozen=True)
class PackageQuery:
    """A page of a channel's package listing, optionally narrowed to a subdir or name."""

    subdir: str | None = None
    name: str | None = None
    limit: int = 100
    cursor: str | None = None
