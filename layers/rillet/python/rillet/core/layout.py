"""Where things live in the buckets: the URL layout clients see, and staging keys."""

from __future__ import annotations

from typing import Final

# Uploads land in the staging bucket under this prefix and expire by lifecycle rule;
# the channels bucket holds exactly what the CDN serves.
STAGING_PREFIX: Final = "uploads/"
STAGING_EXPIRY_DAYS: Final = 1


def staging_key(upload_id: str) -> str:
    return f"{STAGING_PREFIX}{upload_id}"


def upload_id_from_staging_key(key: str) -> str | None:
    if not key.startswith(STAGING_PREFIX):
        return None
    rest = key[len(STAGING_PREFIX) :]
    return rest if rest and "/" not in rest else None


def package_object_key(channel: str, subdir: str, filename: str) -> str:
    return f"{channel}/{subdir}/{filename}"


def index_object_key(channel: str, subdir: str, name: str) -> str:
    return f"{channel}/{subdir}/{name}"


def channel_prefix(channel: str) -> str:
    return f"{channel}/"


def reindex_group(channel: str, subdir: str) -> str:
    """FIFO message group: one index writer per subdir at a time."""
    return f"{channel}/{subdir}"
