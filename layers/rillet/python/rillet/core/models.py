"""Domain records shared by services and adapters (plain, immutable data)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from rillet.core.errors import InvalidRequest

NOARCH = "noarch"

# The incarnation of channels created before incarnations existed (their item has none):
# stable, so their upload intents, tokens and audit log keep working.
LEGACY_INCARNATION = "0"


class Visibility(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class UploadStatus(StrEnum):
    PENDING = "pending"
    VALIDATING = "validating"
    VALIDATED = "validated"  # a release member: checked, held until its release commits
    PUBLISHED = "published"
    REJECTED = "rejected"

    @property
    def final(self) -> bool:
        return self in (UploadStatus.PUBLISHED, UploadStatus.REJECTED)


@dataclass(frozen=True)
class Channel:
    name: str
    visibility: Visibility
    owner: str
    description: str = ""
    created_at: str = ""
    logo_url: str = ""
    # Fresh with every creation of this name: what was issued for one incarnation
    # (upload intents, minted tokens, reindex messages, audit entries) never acts on another.
    incarnation: str = LEGACY_INCARNATION

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "logo_url": self.logo_url,
            "visibility": self.visibility.value,
            "owner": self.owner,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class Upload:
    """An upload intent: created when a presigned URL is handed out."""

    id: str
    channel: str
    filename: str
    sha256: str
    size: int
    created_by: str
    created_at: str
    expires_at: int  # epoch seconds; the staging object and this intent expire then
    status: UploadStatus = UploadStatus.PENDING
    subdir: str | None = None
    reason: str | None = None
    message: str | None = None
    force: bool = False  # overwrite an existing filename (checked for permission at request time)
    # The credential that asked for the intent; ingest resolves it again when the file
    # arrives. Neither set: the operator (created_by "admin") or a user's role alone.
    key_id: str = ""
    key_hash: str = ""
    incarnation: str = LEGACY_INCARNATION  # of the channel the intent was issued for
    # The CEP-27 Sigstore bundle (JSON text) sent with the request: verified at validation.
    attestation: str | None = None
    release: str = ""  # the release it belongs to (core/releases.py); "" for a lone upload

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "channel": self.channel,
            "filename": self.filename,
            "status": self.status.value,
        }
        if self.subdir:
            out["subdir"] = self.subdir
        if self.release:
            out["release"] = self.release
        if self.reason:
            out["reason"] = self.reason
            out["message"] = self.message or ""
        return out


@dataclass(frozen=True)
class SubdirState:
    """Change counter of a subdir and the counter its published index covers."""

    channel: str
    subdir: str
    change_seq: int = 0
    indexed_seq: int = 0
    changed_at_ms: int = 0  # when the last change was committed (epoch ms)
    indexed_at_ms: int = 0  # when the last rebuild finished
    # Every record published before the subdir's first rebuild of this kind has its `.sigs`
    # (files recorded before attestations had none; services/indexing.py writes `[]`).
    sigs_backfilled: bool = False

    @property
    def up_to_date(self) -> bool:
        return self.indexed_seq >= self.change_seq


MAX_YANK_REASON: Final = 300


def validate_yank_reason(value: object) -> str:
    """A yank reason: one line of plain text, 1..MAX_YANK_REASON characters.

    It is shown by the API, the CLI and web pages to other people, so control and
    format characters (newlines, escapes, bidi overrides, zero-width) are refused.
    Raises InvalidRequest (``invalid-reason``).
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest("'reason' must be a non-empty string", code="invalid-reason")
    reason = unicodedata.normalize("NFC", value.strip())
    if len(reason) > MAX_YANK_REASON:
        raise InvalidRequest(
            f"'reason' must be at most {MAX_YANK_REASON} characters", code="invalid-reason"
        )
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in reason):
        raise InvalidRequest(
            "'reason' must be one line of plain text (no control or format characters)",
            code="invalid-reason",
        )
    return reason


@dataclass(frozen=True)
class Yank:
    """Why, by whom and when a file was yanked: still served, no longer solved to."""

    reason: str
    by: str
    at: str  # ISO 8601 UTC

    def to_json(self) -> dict[str, Any]:
        return {"reason": self.reason, "by": self.by, "at": self.at}


@dataclass(frozen=True)
class StoredPackage:
    """A package record as kept in the catalog."""

    channel: str
    subdir: str
    filename: str
    record: dict[str, Any] = field(default_factory=dict)
    upload_id: str = ""
    # When set, the catalog writes the record only while the channel is this incarnation.
    incarnation: str | None = None
    yank: Yank | None = None

    @property
    def sha256(self) -> str:
        return str(self.record.get("sha256", ""))


@dataclass(frozen=True)
class SubdirContents:
    records: dict[str, dict[str, Any]]
    removed: frozenset[str]


@dataclass(frozen=True)
class PendingChange:
    """A filename changed since the published index; ``mark`` identifies that change."""

    filename: str
    mark: str
