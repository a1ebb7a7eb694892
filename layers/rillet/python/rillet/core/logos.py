"""Channel logos uploaded by owners: which bytes are accepted, and where they are served.

Only PNG, JPEG and WebP, recognised by their magic bytes (never by a name or a claimed
Content-Type: an SVG or HTML file could carry script), up to ``MAX_LOGO_BYTES``. Stored
in the channels bucket under ``_logos/`` (no channel name starts with '_'), named by
their content hash: a new logo is a new URL, so each one is cached for good.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

from rillet.core.errors import InvalidRequest, PayloadTooLarge

MAX_LOGO_BYTES: Final = 256 * 1024
LOGO_PREFIX: Final = "_logos/"
LOGO_CACHE_CONTROL: Final = "public, max-age=31536000, immutable"
# Reason codes (stable).
LOGO_TOO_LARGE: Final = "logo-too-large"
LOGO_UNSUPPORTED: Final = "logo-unsupported-type"
LOGO_EMPTY: Final = "logo-empty"


@dataclass(frozen=True)
class Logo:
    key: str  # object key in the channels bucket
    content_type: str
    data: bytes


def image_type(data: bytes) -> tuple[str, str] | None:
    """(extension, Content-Type) of a PNG, JPEG or WebP by its magic bytes, else None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png", "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg", "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", "image/webp"
    return None


def logo_for(channel: str, data: bytes) -> Logo:
    """The object to store for ``channel``; raises PayloadTooLarge or InvalidRequest."""
    if not data:
        raise InvalidRequest("the logo is empty: send the image's bytes", code=LOGO_EMPTY)
    if len(data) > MAX_LOGO_BYTES:
        raise PayloadTooLarge(
            f"a logo may be at most {MAX_LOGO_BYTES // 1024} KiB; this one is "
            f"{len(data) // 1024} KiB",
            code=LOGO_TOO_LARGE,
        )
    kind = image_type(data)
    if kind is None:
        raise InvalidRequest(
            "a logo must be a PNG, JPEG or WebP image (checked by its content)",
            code=LOGO_UNSUPPORTED,
        )
    ext, content_type = kind
    digest = hashlib.sha256(data).hexdigest()[:32]
    return Logo(f"{logo_prefix(channel)}{digest}.{ext}", content_type, data)


def logo_prefix(channel: str) -> str:
    """Where every logo of ``channel`` is kept (a channel delete sweeps it)."""
    return f"{LOGO_PREFIX}{channel}/"


def logo_url(public_url: str, logo: Logo) -> str:
    return f"{public_url.rstrip('/')}/{logo.key}"
