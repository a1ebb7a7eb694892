"""Packages in a channel: the prefix-compatible upload, delete, and listing."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from rillet.core.accounts import AuditEvent
from rillet.core.errors import Forbidden, InvalidRequest, NotFound
from rillet.core.layout import package_object_key
from rillet.core.models import StoredPackage, Upload, UploadStatus, Yank, validate_yank_reason
from rillet.core.names import validate_subdir
from rillet.core.package import Limits, inspect_package
from rillet.core.policy import Action, Principal, allowed, require_publish
from rillet.core.ports import AuditLog, Catalog, Cdn, Directory, ObjectStore, ReindexQueue
from rillet.core.repodata import IMMUTABLE_CACHE_CONTROL
from rillet.services.auth import authorize, require_principal
from rillet.services.ingest import record_package

MAX_LIST = 1000


@dataclass(frozen=True)
class Published:
    channel: str
    subdir: str
    filename: str
    sha256: str
    replaced: bool


def upload_package(
    catalog: Catalog,
    directory: Directory,
    channels: ObjectStore,
    queue: ReindexQueue,
    audit: AuditLog,
    cdn: Cdn,
    principal: Principal | None,
    channel: str,
    *,
    filename: str,
    declared_sha256: str | None,
    body: bytes,
    force: bool,
    limits: Limits,
    upload_id: str,
    now_ms: int,
    now_iso: str,
    commit_ms: Callable[[], int] | None = None,
    out_of_time: Callable[[], bool] | None = None,
) -> Published:
    """Validate and publish one package sent in the request body (same path as presigned).

    Raises Unauthenticated/Forbidden (401/403), PackageRejected (422, also for a
    SHA-256 mismatch), Conflict (409: the filename exists and no permitted force).
    """
    actor = require_principal(principal)
    target, role = authorize(catalog, directory, actor, channel, Action.UPLOAD)
    facts = inspect_package(
        io.BytesIO(body),
        filename,
        limits,
        expected_sha256=declared_sha256.lower() if declared_sha256 else None,
        expected_size=len(body),
        out_of_time=out_of_time,
    )
    subdir = str(facts.index["subdir"])
    name = str(facts.index["name"])
    require_publish(actor, channel, name, subdir)
    rule = actor.publishing_rule(channel, name, subdir)
    existing = catalog.get_package(channel, subdir, filename)
    if force and (existing is not None or catalog.removed_sha256(channel, subdir, filename)):
        # ?force is honoured only where overwriting is allowed (owners); others get 403.
        visibility = catalog.get_channel(channel).visibility
        if not allowed(
            Action.OVERWRITE, principal=actor, role=role, visibility=visibility, channel=channel
        ):
            raise Forbidden("only channel owners can overwrite an existing package (force)")
    catalog.put_upload(
        Upload(
            id=upload_id,
            channel=channel,
            filename=filename,
            sha256=facts.sha256,
            size=facts.size,
            created_by=actor.user,
            created_at=now_iso,
            expires_at=now_ms // 1000 + 3600,
            status=UploadStatus.VALIDATING,
            subdir=subdir,
            force=force,
            key_id=actor.key_id,
            key_hash=actor.key_hash,
            incarnation=target.incarnation,
        )
    )
    record_package(
        catalog,
        channels,
        queue,
        channel=channel,
        upload_id=upload_id,
        facts=facts,
        write_object=lambda key: channels.put(
            key,
            body,
            content_type="application/octet-stream",
            cache_control=IMMUTABLE_CACHE_CONTROL,
        ),
        now_ms=now_ms,
        force=force,
        audit=audit,
        actor=actor.user,
        via="trusted-publishing" if actor.minted else "api",
        publisher=rule.get("publisher") if rule is not None else None,
        cdn=cdn,
        commit_ms=commit_ms,
        incarnation=target.incarnation,  # a delete racing this upload wins
    )
    replaced = existing is not None
    return Published(channel, subdir, filename, facts.sha256, replaced)


def delete_package(
    catalog: Catalog,
    directory: Directory,
    channels: ObjectStore,
    queue: ReindexQueue,
    audit: AuditLog,
    cdn: Cdn,
    principal: Principal | None,
    channel: str,
    subdir: str,
    filename: str,
    *,
    now_iso: str,
) -> None:
    """Stop serving a package and list it as removed. Raises NotFound, Forbidden."""
    actor = require_principal(principal)
    target, _ = authorize(catalog, directory, actor, channel, Action.DELETE_PACKAGE)
    validate_subdir(subdir)
    existing = catalog.get_package(channel, subdir, filename)
    seq = catalog.remove_package(channel, subdir, filename, target.incarnation)
    channels.delete(package_object_key(channel, subdir, filename))
    cdn.invalidate([f"/{package_object_key(channel, subdir, filename)}"])
    queue.request_reindex(channel, subdir, seq, incarnation=target.incarnation)
    audit.append(
        AuditEvent(
            channel,
            now_iso,
            actor.user,
            "package.delete",
            {
                "subdir": subdir,
                "filename": filename,
                "sha256": existing.sha256 if existing else None,
            },
            incarnation=target.incarnation,
        )
    )


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


def yank_package(
    catalog: Catalog,
    directory: Directory,
    queue: ReindexQueue,
    audit: AuditLog,
    principal: Principal | None,
    channel: str,
    subdir: str,
    filename: str,
    body: Mapping[str, Any],
    *,
    now_ms: int,
    now_iso: str,
) -> YankOutcome:
    """List a file as removed in the index (clients stop solving to it) but keep serving it.

    Idempotent: yanking a yanked file changes nothing (its first reason stays).
    Raises InvalidRequest (``invalid-reason``), Unauthenticated, Forbidden, NotFound.
    """
    actor = require_principal(principal)
    target, _ = authorize(catalog, directory, actor, channel, Action.YANK_PACKAGE)
    validate_subdir(subdir)
    unknown = set(body) - {"reason"}
    if unknown:
        raise InvalidRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
    reason = validate_yank_reason(body.get("reason"))
    seq = catalog.yank_package(channel, subdir, filename, Yank(reason, actor.user, now_iso), now_ms)
    event = AuditEvent(
        channel, now_iso, actor.user, "package.yank", {"reason": reason}, target.incarnation
    )
    return _yank_changed(catalog, queue, audit, event, subdir, filename, seq)


def unyank_package(
    catalog: Catalog,
    directory: Directory,
    queue: ReindexQueue,
    audit: AuditLog,
    principal: Principal | None,
    channel: str,
    subdir: str,
    filename: str,
    *,
    now_ms: int,
    now_iso: str,
) -> YankOutcome:
    """Offer a yanked file to solvers again; a no-op (``changed: false``) if it was not
    yanked. Raises Unauthenticated, Forbidden, NotFound."""
    actor = require_principal(principal)
    target, _ = authorize(catalog, directory, actor, channel, Action.YANK_PACKAGE)
    validate_subdir(subdir)
    seq = catalog.unyank_package(channel, subdir, filename, now_ms)
    event = AuditEvent(channel, now_iso, actor.user, "package.unyank", {}, target.incarnation)
    return _yank_changed(catalog, queue, audit, event, subdir, filename, seq)


def _yank_changed(
    catalog: Catalog,
    queue: ReindexQueue,
    audit: AuditLog,
    event: AuditEvent,
    subdir: str,
    filename: str,
    seq: int | None,
) -> YankOutcome:
    """Queue the rebuild and audit ``event`` if the yank state changed (``seq``)."""
    channel = event.channel
    package = catalog.get_package(channel, subdir, filename)
    if package is None:  # deleted meanwhile
        raise NotFound(
            f"no package {subdir}/{filename} in channel {channel}", code="package-not-found"
        )
    if seq is not None:
        queue.request_reindex(channel, subdir, seq, incarnation=event.incarnation)
        details = {"subdir": subdir, "filename": filename, "sha256": package.sha256}
        audit.append(replace(event, details={**details, **event.details}))
    return YankOutcome(package, changed=seq is not None)


def list_packages(
    catalog: Catalog,
    directory: Directory,
    principal: Principal | None,
    channel: str,
    *,
    subdir: str | None,
    name: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[StoredPackage], str | None]:
    authorize(catalog, directory, principal, channel, Action.LIST_PACKAGES)
    if subdir is not None:
        validate_subdir(subdir)
    return catalog.list_packages(channel, subdir, name, max(1, min(limit, MAX_LIST)), cursor)


def read_audit(
    catalog: Catalog,
    directory: Directory,
    audit: AuditLog,
    principal: Principal | None,
    channel: str,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[AuditEvent], str | None]:
    """Owners read the channel's audit log, newest first."""
    authorize(catalog, directory, require_principal(principal), channel, Action.READ_AUDIT)
    return audit.list(channel, max(1, min(limit, MAX_LIST)), cursor)
