"""Who uploaded each package file, and when: what the web app's package page shows.

Read from the upload intent each file was published from (``upload_id`` on the record):
its creator and time, and for a token minted by trusted publishing the publisher the
token was minted for (while that token is still kept: a day past its expiry).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from rillet.core.errors import NotFound
from rillet.core.models import StoredPackage
from rillet.core.ports import Catalog, Directory
from rillet.services.attestations import sigs_key


@dataclass(frozen=True, kw_only=True)
class Provenance:
    """Upload facts per file, for package listings (one intent read per file)."""

    catalog: Catalog
    directory: Directory

    def of(self, packages: Iterable[StoredPackage]) -> dict[tuple[str, str], dict[str, Any]]:
        """``{(subdir, filename): {uploaded_by, uploaded_at, publisher, attestation}}``;
        files from before upload intents were kept get None for the first three."""
        return {
            (p.subdir, p.filename): {**self._one(p), "attestation": attestation_of(p)}
            for p in packages
        }

    def _one(self, package: StoredPackage) -> dict[str, Any]:
        unknown: dict[str, Any] = {"uploaded_by": None, "uploaded_at": None, "publisher": None}
        if not package.upload_id:
            return unknown
        try:
            upload = self.catalog.get_upload(package.upload_id)
        except NotFound:
            return unknown
        publisher = None
        if upload.key_hash:
            key = self.directory.key_by_hash(upload.key_hash)
            rules = (key.publish_limits or {}).get(package.channel, []) if key else []
            name = str(package.record.get("name", ""))
            for rule in rules:
                patterns = list(rule.get("name_patterns") or [])
                subdirs = list(rule.get("subdirs") or [])
                if (not patterns or any(fnmatchcase(name, p) for p in patterns)) and (
                    not subdirs or package.subdir in subdirs
                ):
                    publisher = dict(rule.get("publisher") or {}) or None
                    break
        return {
            "uploaded_by": upload.created_by,
            "uploaded_at": upload.created_at,
            "publisher": publisher,
        }


def attestation_of(package: StoredPackage) -> dict[str, Any] | None:
    """The verified attestation's summary (kept on the record at upload, carried by a
    copy) with the path of this file's ``.sigs``; None: not attested."""
    summary = package.record.get("attestation")
    if not isinstance(summary, dict) or not package.record.get("attestations_sha256"):
        return None
    return {**summary, "sigs": sigs_key(package.channel, package.subdir, package.filename)}


__all__ = ["Provenance", "attestation_of"]
