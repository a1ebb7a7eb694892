"""Release transactions: files uploaded one by one, published together or not at all.

A client opens a release, presigns each file with ``"release": <id>``, and commits.
Members are validated like any upload but held (upload status ``validated``, staging
object kept, nothing under the channel); the commit publishes every member in one
catalog transaction (records, change marks and each subdir's counter), so a rebuild of
a subdir takes in all of the release's files of that subdir or none of them.

Pure rules: who a release belongs to, what may join it, and the verdict of a commit
over the members' statuses. The service (services/releases.py) does the writes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from rillet.core.errors import Conflict, Forbidden, InvalidRequest, NotFound
from rillet.core.models import Channel, Upload, UploadStatus
from rillet.core.policy import Principal

# The commit is one TransactWriteItems (at most 100 items): two per file (record, change
# mark), one per subdir (its counter), the release item and the channel check.
MAX_RELEASE_FILES: Final = 32
TRANSACTION_ITEMS: Final = 100
# A release must commit while its members' staging objects exist: the staging bucket's
# lifecycle rule keeps an object at least a day (core.layout.STAGING_EXPIRY_DAYS).
MAX_RELEASE_TTL_SECONDS: Final = 24 * 3600
DEFAULT_RELEASE_TTL_SECONDS: Final = 24 * 3600
# How long a commit may hold "committing" before a retry takes over (a commit killed
# mid-way, e.g. by a timeout): longer than the API's request limit.
COMMIT_LEASE_SECONDS: Final = 120
MAX_DESCRIPTION: Final = 300

# Reason codes (docs/releases.md).
NOT_FOUND: Final = "release-not-found"
NOT_OPEN: Final = "release-not-open"
EXPIRED: Final = "release-expired"
FULL: Final = "release-full"
DUPLICATE: Final = "release-duplicate-file"
NOT_CREATOR: Final = "release-not-creator"
NEEDS_SUBDIR: Final = "release-needs-subdir"
NO_FORCE: Final = "release-no-force"
NOT_READY: Final = "release-not-ready"
MEMBER_REJECTED: Final = "release-member-rejected"
EMPTY: Final = "release-empty"
CONFLICT: Final = "release-conflict"
COMMITTING: Final = "release-committing"
ABORTED: Final = "release-aborted"
FAILED: Final = "release-failed"
CLOSED: Final = "release-closed"  # an upload that arrived for a release no longer open


class ReleaseStatus(StrEnum):
    OPEN = "open"
    COMMITTING = "committing"
    COMMITTED = "committed"
    FAILED = "failed"
    EXPIRED = "expired"  # never stored: an open release past its expires_at


@dataclass(frozen=True)
class Release:
    """A release as stored; ``files`` maps ``subdir/filename`` to the member's upload id."""

    id: str
    channel: str
    incarnation: str
    creator: str  # creator_of(): the only identity that may add to or commit it
    created_by: str  # the user (or minted identity) that opened it, for people
    created_at: str
    expires_at: int  # epoch seconds
    status: ReleaseStatus = ReleaseStatus.OPEN
    description: str = ""
    files: Mapping[str, str] = field(default_factory=dict)
    reason: str = ""
    message: str = ""
    committed_at: str = ""
    commit_started: int = 0  # epoch seconds: the lease of a commit in progress

    def status_at(self, now: int) -> ReleaseStatus:
        """What the release is at ``now``: an open one past its expiry is expired."""
        if self.status is ReleaseStatus.OPEN and now >= self.expires_at:
            return ReleaseStatus.EXPIRED
        return self.status


@dataclass(frozen=True)
class Member:
    """One file of a release: its upload and, once validated, the record it will publish."""

    upload: Upload
    record: Mapping[str, Any] | None = None
    publisher: Mapping[str, Any] | None = None  # the trusted publisher it was validated for

    @property
    def key(self) -> str:
        return member_key(self.upload.subdir or "", self.upload.filename)

    def to_json(self, indexed: bool | None = None) -> dict[str, Any]:
        u = self.upload
        out: dict[str, Any] = {
            "upload_id": u.id,
            "subdir": u.subdir,
            "filename": u.filename,
            "sha256": u.sha256,
            "status": u.status.value,
        }
        if u.reason:
            out["reason"] = u.reason
            out["message"] = u.message or ""
        if indexed is not None:
            out["indexed"] = indexed
        return out


def member_key(subdir: str, filename: str) -> str:
    return f"{subdir}/{filename}"


def creator_of(principal: Principal, channel: str) -> str:
    """The identity a release belongs to: an API key (not just its user: another key of
    the same user, e.g. one limited to CI, is another credential), a trusted publisher
    (any token it mints, so the jobs of one workflow run may share a release; a token
    minted for another repository or workflow is another publisher), or a signed-in user.
    """
    if principal.minted:
        ids = sorted(
            str(rule["publisher"]["id"])
            for rule in (principal.publish_limits or {}).get(channel, [])
            if isinstance(rule.get("publisher"), Mapping) and "id" in rule["publisher"]
        )
        if not ids:  # no live publisher: it may not upload anyway; never matches another
            return f"token:{principal.key_id}"
        return "publisher:" + ",".join(ids)
    if principal.key_id:
        return f"key:{principal.key_id}"
    return f"user:{principal.user}"


def parse_description(body: Mapping[str, Any] | None) -> str:
    """The optional ``description``: one line of plain text. Raises InvalidRequest."""
    value = (body or {}).get("description", "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidRequest("'description' must be a string")
    text = unicodedata.normalize("NFC", value.strip())
    if len(text) > MAX_DESCRIPTION or any(
        unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text
    ):
        raise InvalidRequest(
            f"'description' must be one line of plain text, at most {MAX_DESCRIPTION} characters"
        )
    return text


def require_creator(release: Release, principal: Principal) -> None:
    """Only the identity that opened a release may add to, commit or abort it."""
    if creator_of(principal, release.channel) != release.creator:
        raise Forbidden(
            f"release {release.id} was opened by another credential; only it may change the "
            "release",
            code=NOT_CREATOR,
        )


def require_in_channel(release: Release, channel: Channel) -> None:
    """A release of another channel, or of a deleted channel of the same name, reads as
    unknown (ids are not enumerable)."""
    if release.channel != channel.name or release.incarnation != channel.incarnation:
        raise NotFound(f"no release {release.id} in channel {channel.name}", code=NOT_FOUND)


def require_open(release: Release, now: int) -> None:
    """Raises Conflict (release-expired, release-not-open)."""
    status = release.status_at(now)
    if status is ReleaseStatus.EXPIRED:
        raise Conflict(f"release {release.id} expired; open a new one", code=EXPIRED)
    if status is not ReleaseStatus.OPEN:
        raise Conflict(f"release {release.id} is {status.value}", code=NOT_OPEN)


def require_room(release: Release, subdir: str, filename: str, max_files: int) -> None:
    """Raises Conflict (release-duplicate-file, release-full)."""
    if member_key(subdir, filename) in release.files:
        raise Conflict(f"{subdir}/{filename} is in release {release.id} already", code=DUPLICATE)
    if len(release.files) >= max_files:
        raise Conflict(f"release {release.id} holds {max_files} files already", code=FULL)


@dataclass(frozen=True)
class Verdict:
    """What a commit may do with these members: go, wait, or fail the release."""

    code: str | None  # None: publish; NOT_READY: come back later; else: the release fails
    message: str = ""

    @property
    def go(self) -> bool:
        return self.code is None

    @property
    def fails(self) -> bool:
        return self.code is not None and self.code not in (NOT_READY, EMPTY)


def judge(members: Sequence[Member], now: int) -> Verdict:
    """The commit's verdict: any rejected member (or one whose URL expired unused) fails
    the release; any still pending or validating makes the client wait."""
    if not members:
        return Verdict(EMPTY, "the release has no files; presign some with it first")
    waiting = []
    for m in members:
        status = m.upload.status
        if status is UploadStatus.REJECTED:
            return Verdict(
                MEMBER_REJECTED,
                f"{m.key} was rejected ({m.upload.reason}: {m.upload.message}); "
                "nothing of the release is published",
            )
        if status is UploadStatus.PENDING and now > m.upload.expires_at:
            return Verdict(
                MEMBER_REJECTED,
                f"{m.key} never arrived before its upload URL expired; "
                "nothing of the release is published",
            )
        if status is UploadStatus.VALIDATED and m.record is None:
            return Verdict(MEMBER_REJECTED, f"{m.key} has no validated record")
        if status in (UploadStatus.PENDING, UploadStatus.VALIDATING):
            waiting.append(m.key)
        elif status is not UploadStatus.VALIDATED:
            return Verdict(MEMBER_REJECTED, f"{m.key} is {status.value}, not held for release")
    if waiting:
        return Verdict(NOT_READY, f"still validating: {', '.join(sorted(waiting))}; try again")
    return Verdict(None)


def transaction_size(files: int, subdirs: int) -> int:
    """Items in a commit's transaction (see MAX_RELEASE_FILES)."""
    return 2 * files + subdirs + 2


def release_json(
    release: Release, members: Sequence[Member], now: int, indexed: Mapping[str, bool] | None = None
) -> dict[str, Any]:
    """The status document of a release (GET and commit answers)."""
    status = release.status_at(now)
    files = [m.to_json((indexed or {}).get(m.key)) for m in sorted(members, key=lambda m: m.key)]
    out: dict[str, Any] = {
        "id": release.id,
        "channel": release.channel,
        "status": status.value,
        "description": release.description,
        "created_by": release.created_by,
        "created_at": release.created_at,
        "expires_at": release.expires_at,
        "files": files,
    }
    if release.reason:
        out["reason"] = release.reason
        out["message"] = release.message
    if release.committed_at:
        out["committed_at"] = release.committed_at
    if indexed is not None and status is ReleaseStatus.COMMITTED:
        out["indexed"] = all(indexed.values())
    return out


class MemberConflict(Conflict):
    """The commit's transaction found a member's filename taken meanwhile."""

    code = CONFLICT

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key
