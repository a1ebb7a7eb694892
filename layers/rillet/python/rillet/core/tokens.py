"""API keys and minted tokens: random secrets with a recognisable prefix, stored hashed.

The prefix lets secret scanners (and people) recognise a leaked Rillet token;
``pfx_`` belongs to prefix.dev, so Rillet uses its own.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Final

API_KEY_PREFIX: Final = "rlt_"
MINTED_PREFIX: Final = "rlt_tp_"
ADMIN_PREFIX: Final = "rlt_admin_"
_SECRET_BYTES: Final = 32
_TOKEN_RE: Final = re.compile(r"^[A-Za-z0-9_\-]{16,200}$")


def token_hash(token: str) -> str:
    """The only form in which a secret is stored (and the edge store's key)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def plausible_token(token: str) -> bool:
    """Cheap shape check before any lookup: bounds what a caller can make us hash or query."""
    return bool(_TOKEN_RE.fullmatch(token))


@dataclass(frozen=True)
class NewSecret:
    key_id: str  # public identifier, shown in listings and used to revoke
    secret: str  # shown once, never stored

    @property
    def hash(self) -> str:
        return token_hash(self.secret)


def new_api_key(random_token: str, random_id: str) -> NewSecret:
    """Build a key from randomness supplied by the caller (core takes no entropy itself)."""
    return NewSecret(key_id=f"key_{random_id}", secret=f"{API_KEY_PREFIX}{random_token}")


def new_minted_token(random_token: str, random_id: str) -> NewSecret:
    return NewSecret(key_id=f"tp_{random_id}", secret=f"{MINTED_PREFIX}{random_token}")


SECRET_BYTES: Final = _SECRET_BYTES
