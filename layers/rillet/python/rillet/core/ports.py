"""Ports: what the services need from storage, queues and signing.

Adapters (boto3) implement these; tests use in-memory fakes. Each method
raises only errors from ``rillet.core.errors``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from rillet.core.models import (
    Channel,
    StoredPackage,
    SubdirContents,
    SubdirState,
    Upload,
)


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
    def request_reindex(self, channel: str, subdir: str, seq: int) -> None: ...


class Catalog(Protocol):
    """Metadata store (DynamoDB): channels, uploads, package records, subdir state."""

    # channels
    def create_channel(self, channel: Channel) -> None:
        """Create atomically with an empty noarch state. Raises Conflict if the name is taken."""
        ...

    def get_channel(self, name: str) -> Channel:
        """Raises NotFound."""
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

    def publish_package(self, package: StoredPackage, now_ms: int) -> int | None:
        """One transaction: record visible (``indexed_timestamp`` set once), subdir
        change counter bumped, upload marked published. Returns the new change
        counter, or None if this upload was already published (a replay)."""
        ...

    def subdir_contents(self, channel: str, subdir: str) -> SubdirContents: ...

    def subdir_state(self, channel: str, subdir: str) -> SubdirState: ...

    def mark_indexed(self, channel: str, subdir: str, seq: int) -> None:
        """Raise indexed_seq to ``seq`` (never lowers it)."""
        ...
