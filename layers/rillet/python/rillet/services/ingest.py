"""Validate an uploaded package and record it: the path every upload takes.

Presigned uploads arrive here from the staging bucket (S3 event -> SQS ->
validate); the prefix-compatible endpoint calls ``record_package`` in-process
with the request body. Either way: nothing refused is recorded or served.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rillet.core.accounts import utc_iso
from rillet.core.attestation import AttestationVerifier, Attested
from rillet.core.clock import Clock
from rillet.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PackageRejected,
    RilletError,
    Unauthenticated,
    Unavailable,
)
from rillet.core.layout import package_object_key, upload_id_from_staging_key
from rillet.core.models import StoredPackage, UploadStatus
from rillet.core.names import require_no_case_conflict
from rillet.core.package import Limits, PackageFacts, check_package, read_package
from rillet.core.policy import require_publish
from rillet.core.ports import Catalog, Cdn, ObjectStore, ReindexQueue
from rillet.core.records import package_record
from rillet.services.attestations import (
    AttestTarget,
    attest,
    attested_record,
    sigs_key,
    sigs_keys,
    write_sigs,
)
from rillet.services.auth import AuditTrail, Auth
from rillet.services.releases import hold_for_release

ALREADY_EXISTS = "already-exists"
EXPIRED = "upload-expired"
CHANNEL_GONE = "channel-not-found"
NO_LONGER_AUTHORIZED = "uploader-no-longer-authorized"
CHANNEL_REPLACED = "channel-replaced"
# Validation failed for a reason that is not the package's (a bug, or a dependency that
# kept failing until the last delivery): the upload ends rejected rather than stay
# "validating" forever; the uploader may try again.
VALIDATION_FAILED = "validation-failed"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestOutcome:
    upload_id: str | None
    status: str  # published | rejected | ignored | replayed
    reason: str | None = None
    subdir: str | None = None


@dataclass(frozen=True, kw_only=True)
class Recording:
    """One package about to be recorded: who sent it, how, and how its bytes are written."""

    channel: str
    upload_id: str
    facts: PackageFacts
    write_object: Callable[[str], object]  # writes the bytes under the given final key
    actor: str
    via: str  # api | presigned | trusted-publishing (audited)
    force: bool = False
    publisher: Mapping[str, Any] | None = None  # the trusted publisher it published for
    incarnation: str | None = None
    attestation: Attested | None = None  # verified (services/attestations.py)


@dataclass(frozen=True, kw_only=True)
class Ingest:
    """Validate an uploaded package and record it: the path every upload takes."""

    catalog: Catalog
    store: ObjectStore  # the channels bucket
    staging: ObjectStore
    queue: ReindexQueue
    trail: AuditTrail
    cdn: Cdn
    auth: Auth  # upload authority, resolved again at validation
    clock: Clock
    limits: Limits
    verifier: AttestationVerifier  # CEP-27 bundles (sigstore, imported on first use)

    def record(self, job: Recording) -> str:
        """Claim the filename, write the immutable object, then make the record visible.

        The change time is the clock's reading at the commit (the time the indexer
        settles on). ``job.publisher`` names the trusted publisher a minted token
        published for (audited).

        The claim comes first so two different files racing for one filename cannot
        both write the object; the record becomes visible to the indexer only after
        its object is readable. Safe to repeat for the same upload. Returns the
        subdir. Raises Conflict when the filename belongs to another upload or the
        name is one the subdir already has in other case (``name-case-conflict``).

        With ``job.incarnation`` every record write holds only while the channel is that
        incarnation: NotFound (channel-not-found) or Conflict (channel-replaced) otherwise.
        """
        catalog, channel, facts, upload_id = self.catalog, job.channel, job.facts, job.upload_id
        incarnation, force = job.incarnation, job.force
        subdir = str(facts.index["subdir"])
        filename = facts.filename.filename
        # No race with another upload: new names are lower-case (refused otherwise at
        # validation), so only records from before that rule can be other spellings.
        name = facts.filename.name
        require_no_case_conflict(name, catalog.package_spellings(channel, subdir, name))
        existing = catalog.get_package(channel, subdir, filename)
        record = attested_record(package_record(facts), job.attestation)
        package = StoredPackage(
            channel=channel,
            subdir=subdir,
            filename=filename,
            record=record,
            upload_id=upload_id,
            incarnation=incarnation,
        )
        removed_before = None
        if existing is None:
            removed_before = catalog.removed_sha256(channel, subdir, filename)
        if existing is None and not force:
            # A deleted filename keeps its identity: only the same bytes may come back,
            # since clients may still hold the old record (an owner can force).
            removed = removed_before
            if removed and removed != facts.sha256:
                raise Conflict(
                    f"{subdir}/{filename} was deleted from channel {channel}; re-uploading it "
                    "with different bytes needs an owner's force",
                    code=ALREADY_EXISTS,
                )
        if existing is not None and existing.upload_id != upload_id:
            if not force:
                raise Conflict(
                    f"{subdir}/{filename} already exists in channel {channel}",
                    code=ALREADY_EXISTS,
                )
            catalog.replace_package(package, existing.upload_id)
        else:
            catalog.claim_package(package)
        job.write_object(package_object_key(channel, subdir, filename))
        write_sigs(self.store, (channel, subdir, filename), job.attestation)
        published_at = self.clock.now_ms()
        try:
            seq = catalog.publish_package(package, published_at)
        except (NotFound, Conflict) as exc:
            if exc.code in (CHANNEL_GONE, CHANNEL_REPLACED) and (
                catalog.get_package(channel, subdir, filename) is None
            ):
                # Deleted after our claim: the file just written belongs to no channel's record.
                self.store.delete(package_object_key(channel, subdir, filename))
                for gone in sigs_keys(channel, subdir, filename, record.get("attestations_sha256")):
                    self.store.delete(gone)
            raise
        if seq is None:  # a replay: make sure the index catches up anyway
            seq = catalog.subdir_state(channel, subdir).change_seq
        else:
            replaced = existing is not None and existing.upload_id != upload_id
            if replaced or removed_before:
                # The old bytes may sit in the CDN as "immutable": purge them.
                key = package_object_key(channel, subdir, filename)
                self.cdn.invalidate([f"/{key}", f"/{sigs_key(channel, subdir, filename)}"])
            old_sigs = existing.record.get("attestations_sha256") if replaced and existing else None
            if old_sigs and old_sigs != record.get("attestations_sha256"):
                # The replaced file's attestations no longer describe anything served.
                self.store.delete(f"{sigs_key(channel, subdir, filename)}.{old_sigs}")
            self.trail.record(
                channel,
                job.actor,
                "package.overwrite" if replaced else "package.upload",
                {
                    "subdir": subdir,
                    "filename": filename,
                    "sha256": facts.sha256,
                    "previous_sha256": existing.sha256 if replaced and existing else None,
                    "via": job.via,
                    **({"publisher": dict(job.publisher)} if job.publisher is not None else {}),
                    **(
                        {"attested": True, "attestations_sha256": job.attestation.sha256}
                        if job.attestation is not None
                        else {}
                    ),
                },
                incarnation,
                at=utc_iso(datetime.fromtimestamp(published_at / 1000, UTC)),
            )
        self.queue.request_reindex(channel, subdir, seq, incarnation=incarnation)
        return subdir

    def ingest_staged(
        self,
        key: str,
        *,
        final_attempt: bool = False,
        out_of_time: Callable[[], bool] | None = None,
    ) -> IngestOutcome:
        """Process one object that landed in the staging bucket; safe to run twice.

        A permanent problem rejects the upload; a transient one raises (the queue delivers
        again) unless this is the ``final_attempt``, which always ends in a final status.
        ``out_of_time`` bounds validation (see core.package.read_package).
        """
        catalog, staging = self.catalog, self.staging
        now_ms = self.clock.now_ms()
        upload_id = upload_id_from_staging_key(key)
        if upload_id is None:
            staging.delete(key)
            return IngestOutcome(None, "ignored")
        try:
            upload = catalog.get_upload(upload_id)
        except NotFound:
            staging.delete(key)  # nobody asked for this upload; it must not linger
            return IngestOutcome(upload_id, "ignored")

        if upload.status is UploadStatus.VALIDATED:  # held for its release: keep the object
            return IngestOutcome(upload_id, "replayed", subdir=upload.subdir)
        if upload.status.final:
            if upload.status is UploadStatus.PUBLISHED and upload.subdir:
                state = catalog.subdir_state(upload.channel, upload.subdir)
                self.queue.request_reindex(
                    upload.channel, upload.subdir, state.change_seq, incarnation=upload.incarnation
                )
            staging.delete(key)
            return IngestOutcome(upload_id, "replayed", upload.reason, upload.subdir)

        def reject(reason: str, message: str, subdir: str | None = None) -> IngestOutcome:
            catalog.reject_upload(upload_id, reason, message, subdir)
            staging.delete(key)
            return IngestOutcome(upload_id, "rejected", reason, subdir)

        if now_ms // 1000 > upload.expires_at:
            return reject(EXPIRED, "the upload URL had expired when the file arrived")
        try:
            current = catalog.get_channel(upload.channel)
        except NotFound:
            return reject(CHANNEL_GONE, f"channel {upload.channel} no longer exists")
        if current.incarnation != upload.incarnation:
            # Issued for a channel of this name that was deleted; this one is someone else's.
            return reject(
                CHANNEL_REPLACED,
                f"channel {upload.channel} was deleted and re-created since this upload was "
                "requested",
            )

        catalog.start_validation(upload_id)
        try:
            with staging.open(key) as stream:
                facts = read_package(stream, upload.filename, self.limits, out_of_time=out_of_time)
            check_package(
                facts,
                expected_sha256=upload.sha256,
                expected_size=upload.size,
                target_subdir=upload.subdir,
            )
        except NotFound:
            # At-least-once delivery after we already cleaned up: the status says what happened.
            return IngestOutcome(upload_id, "ignored")
        except PackageRejected as exc:
            return reject(exc.code, exc.message)
        except Exception as exc:
            if _retry(exc, final_attempt, upload_id):
                raise
            return reject(VALIDATION_FAILED, _failure_message(exc))

        subdir = str(facts.index["subdir"])
        # Authority is checked again now, when the package is about to be published: the
        # credential behind the intent may have been revoked, its user removed from the
        # channel, or its trusted publisher removed since the URL was handed out.
        try:
            uploader = self.auth.upload_authority(upload)
        except NotFound:
            return reject(CHANNEL_GONE, f"channel {upload.channel} no longer exists", subdir)
        except (Unauthenticated, Forbidden) as exc:
            return reject(NO_LONGER_AUTHORIZED, f"the uploader may no longer upload: {exc}", subdir)
        except Exception as exc:  # a dependency failed: retried, and the last try ends final
            if _retry(exc, final_attempt, upload_id):
                raise
            return reject(VALIDATION_FAILED, _failure_message(exc), subdir)
        name = str(facts.index["name"])  # the package's own word: authoritative for the limits
        try:
            require_publish(uploader, upload.channel, name, subdir)
        except Forbidden as exc:
            return reject(exc.code, exc.message, subdir)
        rule = uploader.publishing_rule(upload.channel, name, subdir)
        attested = None
        if upload.attestation is not None:
            try:
                attested = attest(
                    self.verifier,
                    uploader,
                    AttestTarget(upload.channel, subdir, facts.filename.filename, facts.sha256),
                    upload.attestation,
                )
            except PackageRejected as exc:
                return reject(exc.code, exc.message, subdir)
            except Exception as exc:  # the verifier itself failed (not the bundle)
                if _retry(exc, final_attempt, upload_id):
                    raise
                return reject(VALIDATION_FAILED, _failure_message(exc), subdir)
        if upload.release:  # validated, not published: its release's commit publishes it
            try:
                record = attested_record(package_record(facts), attested)
                refused = hold_for_release(catalog, upload, record, rule, now_ms)
            except Exception as exc:
                if _retry(exc, final_attempt, upload_id):
                    raise
                refused = (VALIDATION_FAILED, _failure_message(exc))
            if refused is not None:
                return reject(*refused, subdir)
            return IngestOutcome(upload_id, "validated", subdir=subdir)  # staging object kept
        try:
            self.record(
                Recording(
                    channel=upload.channel,
                    upload_id=upload_id,
                    facts=facts,
                    write_object=lambda final: self.store.copy_from(
                        staging, key, final, sha256=facts.sha256
                    ),
                    actor=upload.created_by,
                    via="presigned",
                    publisher=rule.get("publisher") if rule is not None else None,
                    force=upload.force,
                    incarnation=upload.incarnation,
                    attestation=attested,
                )
            )
        except (Conflict, NotFound) as exc:  # NotFound: the channel was deleted meanwhile
            return reject(exc.code, exc.message, subdir)
        except Exception as exc:
            if _retry(exc, final_attempt, upload_id):
                raise
            return reject(VALIDATION_FAILED, _failure_message(exc), subdir)
        staging.delete(key)
        return IngestOutcome(upload_id, "published", subdir=subdir)

    def abandon_staged(self, key: str) -> IngestOutcome:
        """End an upload whose validation died on every delivery (its message is a dead letter).

        Timeouts, out-of-memory and crashes kill the invocation before ``ingest_staged`` can
        end the upload, so the validate DLQ's consumer does it here. Safe to replay: an
        upload already final (or unknown) is left as it is.
        """
        catalog, staging = self.catalog, self.staging
        upload_id = upload_id_from_staging_key(key)
        if upload_id is None:
            staging.delete(key)
            return IngestOutcome(None, "ignored")
        try:
            upload = catalog.get_upload(upload_id)
        except NotFound:
            staging.delete(key)
            return IngestOutcome(upload_id, "ignored")
        if upload.status is UploadStatus.VALIDATED:  # held for its release: keep the object
            return IngestOutcome(upload_id, "replayed", subdir=upload.subdir)
        if upload.status.final:
            staging.delete(key)  # a published upload's object was copied out already
            return IngestOutcome(upload_id, "replayed", upload.reason, upload.subdir)
        # reject_upload never demotes a published upload, should one finish meanwhile.
        catalog.reject_upload(upload_id, VALIDATION_FAILED, ABANDONED_MESSAGE)
        staging.delete(key)
        logger.warning("upload abandoned after its validation died", extra={"upload_id": upload_id})
        return IngestOutcome(upload_id, "rejected", VALIDATION_FAILED)


ABANDONED_MESSAGE = (
    "the validator could not finish this package (it was stopped every time it tried); "
    "try again or contact the operator"
)


def _retry(exc: Exception, final_attempt: bool, upload_id: str) -> bool:
    """Whether to let the queue deliver again: not for a permanent problem, nor the last time.

    Our own typed errors other than Unavailable are permanent; anything else (a
    dependency, the network, a bug) gets the queue's retries, then a final status.
    """
    permanent = isinstance(exc, RilletError) and not isinstance(exc, Unavailable)
    logger.warning(
        "validation failed",
        exc_info=exc,
        extra={"upload_id": upload_id, "permanent": permanent, "final_attempt": final_attempt},
    )
    return not permanent and not final_attempt


def _failure_message(exc: Exception) -> str:
    if isinstance(exc, RilletError):
        return f"the upload could not be processed ({exc.code}: {exc.message}); try again"
    return f"the upload could not be processed ({type(exc).__name__}); try again"
