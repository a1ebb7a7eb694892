"""Ports: what the services need from storage, queues and signing.

Adapters (boto3) implement these; tests use in-memory fakes. Each method
raises only errors from ``rillet.core.errors``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol

from rillet.core.accounts import ApiKey, AuditEvent, Grant, Member, User
from rillet.core.models import (
    Channel,
    PendingChange,
    StoredPackage,
    SubdirContents,
    SubdirState,
    Upload,
    Yank,
)
from rillet.core.oidc import Publisher
from rillet.core.policy import Role
from rillet.core.releases import Member as ReleaseMember
from rillet.core.releases import Release, ReleaseStatus


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    cache_control: str | None = None
    content_type: str | None = None


class ObjectStore(Protocol):
    """The channels bucket (served by the CDN) or the staging bucket."""

    def open(self, key: str) -> BinaryIO:
        """Stream an object. Raises NotFound."""
        ...

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str,
        cache_control: str,
        if_absent: bool = False,
        if_match: str | None = None,
    ) -> bool:
        """Write an object; False if ``if_absent`` and the key exists (left alone).

        ``if_match`` is an ETag the current object must have ("" = must not exist);
        raises Conflict when it does not, so a stale writer cannot win.
        """
        ...

    def copy_from(self, source: ObjectStore, source_key: str, key: str, *, sha256: str) -> None:
        """Server-side copy of ``source_key`` in ``source`` to ``key`` here."""
        ...

    def head(self, key: str) -> ObjectInfo | None: ...

    def read(self, key: str) -> tuple[bytes, str] | None:
        """The whole object and its ETag, or None when there is none."""
        ...

    def delete(self, key: str) -> None: ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix``; return how many."""
        ...

    def keys(self, prefix: str) -> Iterator[str]: ...


class Presigner(Protocol):
    def presign_put(
        self, key: str, *, size: int, sha256_hex: str, content_type: str, expires_in: int
    ) -> tuple[str, dict[str, str]]:
        """Return (url, headers) for a PUT of exactly these bytes to ``key``."""
        ...


class ReindexQueue(Protocol):
    def request_reindex(
        self,
        channel: str,
        subdir: str,
        seq: int,
        *,
        full: bool = False,
        incarnation: str | None = None,
    ) -> None:
        """Ask for the subdir's index to cover change ``seq`` (``full``: from all records)
        of channel ``incarnation`` (None: whichever is live when the rebuild runs)."""
        ...


class Catalog(Protocol):
    """Metadata store (DynamoDB): channels, uploads, package records, subdir state.

    The one owner of the channel lifecycle: create, read, list, update, the two steps
    of a delete and the sweep of everything keyed by the channel in between."""

    # channels
    def create_channel(self, channel: Channel, owner: Member | None = None) -> None:
        """Create atomically with an empty noarch state and its first owner.

        Raises Conflict if the name is taken (a tombstone of a deleted channel is not)."""
        ...

    def live_incarnation(self, name: str) -> str | None:
        """The incarnation of the live channel ``name``; None if absent or being deleted."""
        ...

    def deleting_channel(self, name: str) -> tuple[str, int] | None:
        """(incarnation, since epoch s) of an unfinished delete of ``name``, else None."""
        ...

    def begin_delete(self, name: str, incarnation: str, now: int) -> None:
        """Mark the channel being deleted (not listed, not usable, not creatable).

        Raises NotFound unless it is live as ``incarnation``."""
        ...

    def finish_delete(self, name: str, incarnation: str, now: int) -> None:
        """Turn the deleting channel's item into a tombstone: the name is free again."""
        ...

    def get_channel(self, name: str) -> Channel:
        """Raises NotFound."""
        ...

    def list_channels(self) -> Iterator[Channel]:
        """Every live channel (a channel being deleted is no longer listed)."""
        ...

    def update_channel(self, channel: Channel) -> None:
        """Write description, logo URL, visibility and owner of the live incarnation
        ``channel.incarnation``. Raises NotFound."""
        ...

    def delete_channel_records(self, channel: str, incarnation: str) -> int:
        """Between ``begin_delete`` and ``finish_delete``: delete every item of the channel
        but its own (records, change marks, subdir state, members both ways, grants,
        publishers and their lookup items, the incarnation's audit log). Returns how many."""
        ...

    # uploads
    def put_upload(self, upload: Upload) -> None: ...

    def get_upload(self, upload_id: str) -> Upload:
        """Raises NotFound."""
        ...

    def start_validation(self, upload_id: str) -> bool:
        """pending -> validating; False if the upload is already final."""
        ...

    def reject_upload(
        self, upload_id: str, reason: str, message: str, subdir: str | None = None
    ) -> None: ...

    # packages
    def get_package(self, channel: str, subdir: str, filename: str) -> StoredPackage | None: ...

    def claim_package(self, package: StoredPackage) -> None:
        """Reserve ``filename`` for this upload (not yet visible to the indexer).

        Idempotent for the same upload; raises Conflict if another upload holds it.
        """
        ...

    def release_claim(self, package: StoredPackage) -> None:
        """Undo ``claim_package`` of an upload that will not be published (a copy that
        could not finish): the record goes if it is still this upload's and unpublished."""
        ...

    def publish_package(self, package: StoredPackage, now_ms: int) -> int | None:
        """One transaction: record visible (``indexed_timestamp`` set once), subdir
        change counter bumped, upload marked published. Returns the new change
        counter, or None if this upload was already published (a replay)."""
        ...

    def replace_package(self, package: StoredPackage, previous_upload_id: str) -> None:
        """Forced overwrite: hand ``filename`` to this upload if it still belongs to
        ``previous_upload_id``. Raises Conflict otherwise."""
        ...

    def package_spellings(self, channel: str, subdir: str, name: str) -> set[str]:
        """Names of the subdir's package records that are lower-case ``name`` in other case."""
        ...

    def removed_sha256(self, channel: str, subdir: str, filename: str) -> str | None:
        """The sha256 a deleted filename had ("" if unknown), or None if it was never deleted."""
        ...

    def remove_package(
        self, channel: str, subdir: str, filename: str, incarnation: str | None = None
    ) -> int:
        """One transaction: record gone, filename listed as removed, change counter
        bumped (with ``incarnation``: only while the channel is live as it). Returns the
        new counter. Raises NotFound."""
        ...

    def yank_package(
        self, channel: str, subdir: str, filename: str, yank: Yank, now_ms: int
    ) -> int | None:
        """One transaction: the published file marked yanked, change mark, counter
        bumped. Returns the new counter, or None if it was yanked already (nothing
        changes). Raises NotFound."""
        ...

    def unyank_package(self, channel: str, subdir: str, filename: str, now_ms: int) -> int | None:
        """The reverse of ``yank_package``; None if the file was not yanked. Raises NotFound."""
        ...

    def list_packages(
        self, channel: str, subdir: str | None, name: str | None, limit: int, cursor: str | None
    ) -> tuple[list[StoredPackage], str | None]: ...

    def subdirs(self, channel: str) -> list[str]: ...

    def subdir_contents(self, channel: str, subdir: str) -> SubdirContents:
        """Every published record and removed filename of the subdir (a full read).

        A yanked file is both: its record is published and its filename removed."""
        ...

    def pending_changes(self, channel: str, subdir: str) -> list[PendingChange]:
        """Filenames changed since the published index (written with each change)."""
        ...

    def changed_contents(
        self, channel: str, subdir: str, filenames: Iterable[str]
    ) -> SubdirContents:
        """The published records and removed marks of just ``filenames``."""
        ...

    def change_indexed(self, channel: str, subdir: str, filename: str, mark: str) -> bool:
        """Whether the change ``mark`` of ``filename`` no longer waits for an index."""
        ...

    def clear_changes(self, channel: str, subdir: str, changes: Iterable[PendingChange]) -> None:
        """Forget changes now in the published index (a newer change of a file stays)."""
        ...

    def subdir_state(self, channel: str, subdir: str) -> SubdirState: ...

    def mark_indexed(
        self, channel: str, subdir: str, seq: int, now_ms: int, incarnation: str | None = None
    ) -> None:
        """Raise indexed_seq to ``seq`` (never lowers it); the rebuild ended at ``now_ms``.

        With ``incarnation``: only while the channel is live as that incarnation."""
        ...

    def mark_sigs_backfilled(self, channel: str, subdir: str, incarnation: str) -> None:
        """Remember that every published record of the subdir has its ``.sigs`` (only while
        the channel is live as ``incarnation``; never creates the subdir state)."""
        ...

    # releases (core/releases.py)
    def create_release(self, release: Release) -> None: ...

    def get_release(self, release_id: str) -> Release:
        """Raises NotFound (release-not-found)."""
        ...

    def add_release_upload(self, upload: Upload, max_files: int, now: int) -> None:
        """Record the upload intent and add it to its open, unexpired, not full release
        (no member of the same subdir/filename yet), atomically. Raises Conflict."""
        ...

    def hold_upload(
        self, upload_id: str, subdir: str, record: dict[str, Any], publisher: dict[str, Any] | None
    ) -> bool:
        """pending/validating -> validated, keeping the record a commit will publish."""
        ...

    def release_members(self, release: Release) -> list[ReleaseMember]: ...

    def begin_commit(self, release_id: str, files: int, now: int, lease_seconds: int) -> bool:
        """open (unexpired) -> committing, or take over a commit older than its lease;
        only while the release holds exactly ``files`` files."""
        ...

    def close_release(
        self,
        release_id: str,
        status: ReleaseStatus,
        reason: str,
        message: str,
        expect: Iterable[ReleaseStatus],
    ) -> bool:
        """Set a final status if the release is in one of ``expect``."""
        ...

    def publish_release(self, release: Release, packages: list[StoredPackage], now_ms: int) -> None:
        """One transaction: every claimed record visible, their change marks, each subdir's
        counter bumped once, the release committed (only while committing, in its channel
        incarnation). Raises MemberConflict (a record not ours any more), Conflict,
        NotFound."""
        ...

    def finish_release_uploads(self, members: Iterable[ReleaseMember]) -> None:
        """After the commit: members' uploads marked published, removed marks tidied."""
        ...

    def reject_release_uploads(self, upload_ids: Iterable[str], reason: str, message: str) -> None:
        """Members of a release that will not commit: rejected unless final already."""
        ...


class Directory(Protocol):
    """Users, keys, members and read grants (DynamoDB). Channels are the Catalog's."""

    def create_user(self, user: User) -> None:
        """Raises Conflict if the name is taken."""
        ...

    def get_user(self, name: str) -> User:
        """Raises NotFound."""
        ...

    def put_key(self, key: ApiKey, ttl: int | None = None) -> None: ...

    def key_by_hash(self, token_hash: str) -> ApiKey | None: ...

    def list_keys(self, user: str) -> list[ApiKey]: ...

    def revoke_key(self, user: str, key_id: str) -> ApiKey:
        """Stop the key working at once (the hash item goes). Raises NotFound."""
        ...

    def get_role(self, channel: str, user: str) -> Role | None: ...

    def list_members(self, channel: str) -> list[Member]: ...

    def memberships(self, user: str) -> dict[str, Role]: ...

    def put_member(
        self, member: Member, *, expect_role: Role | bool | None = False, owner_delta: int = 0
    ) -> None:
        """Add or change a member (and the reverse item) atomically.

        ``expect_role`` (when not False) is the role the user must have now (None:
        not a member), so concurrent owner changes cannot both pass a check.
        ``owner_delta`` moves the channel's owner count in the same transaction.
        Raises Conflict when that does not hold (code ``last-owner`` when the
        count would drop below one).
        """
        ...

    def remove_member(
        self, channel: str, user: str, *, expect_role: Role, owner_delta: int = 0
    ) -> None: ...

    def put_grants(self, grants: Iterable[Grant]) -> None: ...

    def delete_grants(self, grants: Iterable[tuple[str, str]]) -> None:
        """Delete (channel, token_hash) grants; missing ones are ignored."""
        ...

    def channel_grants(self, channel: str) -> list[Grant]: ...


class AuditLog(Protocol):
    def append(self, event: AuditEvent) -> None: ...

    def list(
        self, channel: str, limit: int, cursor: str | None
    ) -> tuple[list[AuditEvent], str | None]: ...


class EdgeStore(Protocol):
    """The key-value store the CDN's viewer-request function reads."""

    def mirror(self, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[str]:
        """Mirror one changed table item (stream images); return the keys written."""
        ...


class Cdn(Protocol):
    def invalidate(self, paths: list[str]) -> None:
        """Purge cached copies of these URL paths (``/channel/subdir/file``, ``/channel/*``)."""
        ...


class Accounts(Protocol):
    """Signed-in identities, username claims, suspension, search, account audit."""

    def sign_in(self, sub: str, now_iso: str) -> tuple[str | None, bool]:
        """(username or None, first sight of ``sub``)."""
        ...

    def claim_name(self, sub: str, user: User) -> None:
        """Raises Conflict (username-taken, username-chosen)."""
        ...

    def user_state(self, name: str) -> dict[str, Any]:
        """The user's stored attributes; raises NotFound."""
        ...

    def is_suspended(self, name: str) -> bool: ...

    def set_suspended(self, name: str, suspended: bool) -> None: ...

    def set_keys_suspended(
        self, user: str, keys: Iterable[tuple[str, str]], suspended: bool
    ) -> None: ...

    def search(self, prefix: str, limit: int) -> list[str]: ...

    def append_event(self, event: AuditEvent) -> None: ...

    def list_events(
        self, limit: int, cursor: str | None
    ) -> tuple[list[AuditEvent], str | None]: ...


class PublisherStore(Protocol):
    """A channel's trusted publishers, their issuer lookup, and the used OIDC token ids."""

    def put(self, publisher: Publisher, incarnation: str | None = None) -> None:
        """Raises NotFound unless the channel is live (as ``incarnation``, when given)."""
        ...

    def for_channel(self, channel: str) -> list[Publisher]: ...

    def get(self, channel: str, publisher_id: str) -> Publisher | None: ...

    def delete(self, channel: str, publisher_id: str) -> Publisher:
        """Raises NotFound."""
        ...

    def candidates(self, provider: str, issuer: str, lookup: str) -> list[Publisher]:
        """The publishers whose claims an ``issuer`` token with this ``lookup`` may match."""
        ...

    def touch(self, publisher: Publisher, now_iso: str) -> None:
        """Note the last use; a publisher removed since it matched is left alone."""
        ...

    def remember_jti(self, issuer: str, jti: str, expires_at: int, now: int) -> bool:
        """Atomically record a used token id; False if it was seen before (a replay)."""
        ...
