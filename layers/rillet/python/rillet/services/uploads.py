"""Presigned uploads: hand out a PUT URL for exactly the announced bytes, report status."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rillet.core import releases as rel
from rillet.core.attestation import parse_bundle
from rillet.core.clock import Clock, IdSource
from rillet.core.errors import Conflict, InvalidRequest, NotFound, PackageTooLarge
from rillet.core.layout import staging_key
from rillet.core.models import Channel, Upload, UploadStatus
from rillet.core.names import (
    parse_package_filename,
    require_lowercase_name,
    require_no_case_conflict,
    validate_sha256_hex,
    validate_subdir,
)
from rillet.core.policy import Action, Principal, require_publish
from rillet.core.ports import Catalog, Presigner
from rillet.services.attestations import require_attestable
from rillet.services.auth import Guard, require_principal

CONTENT_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class UploadTicket:
    upload: Upload
    url: str
    headers: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.upload.id,
            "url": self.url,
            "method": "PUT",
            "headers": self.headers,
            "expires_at": self.upload.expires_at,
            "filename": self.upload.filename,
            "status": self.upload.status.value,
        }


@dataclass(frozen=True, kw_only=True)
class Uploads:
    """Presigned uploads: hand out a PUT URL for exactly the announced bytes, report status."""

    guard: Guard
    catalog: Catalog
    presigner: Presigner
    clock: Clock
    ids: IdSource
    max_package_bytes: int
    ttl_seconds: int  # how long a presigned URL is valid
    max_release_files: int = rel.MAX_RELEASE_FILES

    def request(
        self, principal: Principal | None, channel: str, body: Mapping[str, Any]
    ) -> UploadTicket:
        """Record an upload intent and presign a PUT bound to its size and sha256.

        Raises NotFound (channel), Unauthenticated, Forbidden, InvalidRequest,
        InvalidName, PackageTooLarge.
        """
        force = body.get("force", False)
        if not isinstance(force, bool):
            raise InvalidRequest("'force' must be a boolean")
        principal = require_principal(principal)
        target = self.guard.check_upload(principal, channel, force)
        filename = body.get("filename")
        sha256 = body.get("sha256")
        size = body.get("size")
        if not isinstance(filename, str) or not isinstance(sha256, str):
            raise InvalidRequest("'filename' and 'sha256' are required strings")
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise InvalidRequest("'size' must be a positive integer (bytes)")
        parsed = parse_package_filename(filename)
        name = require_lowercase_name(parsed.name)
        validate_sha256_hex(sha256.lower())
        if size > self.max_package_bytes:
            raise PackageTooLarge(
                f"package is {size} bytes; this deployment accepts at most {self.max_package_bytes}"
            )
        subdir = body.get("subdir")
        if subdir is not None:
            validate_subdir(subdir)
        attestation = _attestation_text(principal, body.get("attestation"))
        # A trusted publisher's limits, as far as known now: the name from the filename, the
        # subdir if given. Validation judges the package's own index.json again.
        require_publish(principal, channel, parsed.name, subdir)
        catalog = self.catalog
        if subdir is not None:
            # Knowing the subdir, a duplicate is refused now rather than after the PUT.
            require_no_case_conflict(name, catalog.package_spellings(channel, subdir, name))
            if not force and catalog.get_package(channel, subdir, filename) is not None:
                raise Conflict(
                    f"{subdir}/{filename} already exists in channel {channel}",
                    code="already-exists",
                )
        release = self._release(principal, target, body, subdir, filename)
        ttl = self.ttl_seconds
        if release is not None:  # a URL need not outlive its release
            ttl = max(1, min(ttl, release.expires_at - self.clock.epoch()))
        upload_id = self.ids.upload_id()
        upload = Upload(
            id=upload_id,
            channel=channel,
            filename=filename,
            sha256=sha256.lower(),
            size=size,
            subdir=subdir,
            created_by=principal.user,
            key_id=principal.key_id,
            key_hash=principal.key_hash,
            force=force,
            created_at=self.clock.iso(),
            expires_at=self.clock.epoch() + ttl,
            incarnation=target.incarnation,  # ingest refuses it for a re-created channel
            attestation=attestation,
            release=release.id if release is not None else "",
        )
        if release is not None:
            self._join(release, upload)
        else:
            catalog.put_upload(upload)
        url, headers = self.presigner.presign_put(
            staging_key(upload_id),
            size=size,
            sha256_hex=upload.sha256,
            content_type=CONTENT_TYPE,
            expires_in=ttl,
        )
        return UploadTicket(upload=upload, url=url, headers=headers)

    def _release(
        self,
        principal: Principal,
        channel: Channel,
        body: Mapping[str, Any],
        subdir: str | None,
        filename: str,
    ) -> rel.Release | None:
        """The release the request names, if this file may join it now (core/releases.py).

        Raises InvalidRequest, NotFound (unknown or another channel's), Forbidden (another
        credential's), Conflict (not open, expired, full, the file is in it already)."""
        release_id = body.get("release")
        if release_id is None:
            return None
        if not isinstance(release_id, str) or not release_id:
            raise InvalidRequest("'release' must be a release id (a string)")
        if body.get("force"):
            raise InvalidRequest("a release member cannot overwrite (force)", code=rel.NO_FORCE)
        if subdir is None:
            raise InvalidRequest(
                "a release member must name its 'subdir' (the commit publishes per subdir)",
                code=rel.NEEDS_SUBDIR,
            )
        try:
            release = self.catalog.get_release(release_id)
        except NotFound:
            raise NotFound(
                f"no release {release_id} in channel {channel.name}", code=rel.NOT_FOUND
            ) from None
        rel.require_in_channel(release, channel)
        rel.require_creator(release, principal)
        rel.require_open(release, self.clock.epoch())
        rel.require_room(release, subdir, filename, self.max_release_files)
        return release

    def _join(self, release: rel.Release, upload: Upload) -> None:
        """Record the intent as a member, atomically with the release's own checks."""
        try:
            self.catalog.add_release_upload(upload, self.max_release_files, self.clock.epoch())
        except Conflict:
            # Lost a race (the last place, the same file, a commit): say which.
            again = self.catalog.get_release(release.id)
            rel.require_open(again, self.clock.epoch())
            rel.require_room(again, upload.subdir or "", upload.filename, self.max_release_files)
            raise

    def status(self, principal: Principal | None, channel: str, upload_id: str) -> dict[str, Any]:
        """The status document of an upload.

        A published upload says whether the index has it yet (its change mark, keyed by
        the upload id, is gone once an index took it in). A minted token, which may not
        list the channel, sees the uploads it made itself. Raises NotFound (also for an
        upload of another channel: ids are not enumerable).
        """
        caller = require_principal(principal)
        action = Action.UPLOAD if caller.minted else Action.LIST_PACKAGES
        self.guard.authorize(caller, channel, action)
        upload = self.catalog.get_upload(upload_id)
        if upload.channel != channel or (caller.minted and upload.key_id != caller.key_id):
            raise NotFound(f"no upload {upload_id} in channel {channel}")
        out = upload.to_json()
        if upload.status is UploadStatus.PUBLISHED and upload.subdir:
            out["indexed"] = self.catalog.change_indexed(
                upload.channel, upload.subdir, upload.filename, upload.id
            )
        return out


def _attestation_text(principal: Principal, raw: Any) -> str | None:
    """The bundle as JSON text for the intent: the cheap checks now (a minted token,
    size, shape), the signature and identity when the file arrives (ingest)."""
    if raw is None:
        return None
    if not isinstance(raw, str | dict):
        raise InvalidRequest("'attestation' must be a Sigstore bundle (a JSON object)")
    require_attestable(principal)
    return json.dumps(parse_bundle(raw), separators=(",", ":"))
