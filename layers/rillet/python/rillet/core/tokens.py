"""API keys, minted tokens and the admin token: random secrets with a recognisable prefix.

Every token Rillet issues is made of ``[A-Za-z0-9-]`` only: conda finds a token in a
channel URL (``/t/<token>/``) with exactly that alphabet, so an ``_`` would cut the
token short and conda would send the rest as part of the path. The prefix tells secret
scanners (and people) what leaked: ``rillet-key-`` (a user's API key), ``rillet-tp-``
(minted by trusted publishing, 15 minutes), ``rillet-admin-`` (the operator). The
random part is 43 letters and digits (> 256 bits) and never contains ``-``, so the
prefix is unambiguous. Keys issued before this format (``rlt_…``, ``rlt_tp_…``) keep
working; they are simply not usable in conda's ``/t/`` URLs.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass
from typing import Final

API_KEY_PREFIX: Final = "rillet-key-"
MINTED_PREFIX: Final = "rillet-tp-"
ADMIN_PREFIX: Final = "rillet-admin-"
# Issued before tokens kept to conda's alphabet; still accepted, never issued.
LEGACY_PREFIXES: Final = ("rlt_admin_", "rlt_tp_", "rlt_")

SECRET_ALPHABET: Final = string.ascii_letters + string.digits
SECRET_LENGTH: Final = 43  # 62**43 > 2**256
# What conda accepts as the token of a /t/<token>/ URL; every issued token matches it.
CONDA_TOKEN_RE: Final = re.compile(r"[a-zA-Z0-9-]+")
# Shape of anything we look up: the issued alphabet plus '_' of the legacy keys.
_TOKEN_RE: Final = re.compile(r"^[A-Za-z0-9_\-]{16,200}$")
_SECRET_RE: Final = re.compile(rf"[A-Za-z0-9]{{{SECRET_LENGTH}}}")


def token_hash(token: str) -> str:
    """The only form in which a secret is stored (and the edge store's key)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def plausible_token(token: str) -> bool:
    """Cheap shape check before any lookup: bounds what a caller can make us hash or query.

    Accepts the current format and the legacy ``rlt_…`` one.
    """
    return bool(_TOKEN_RE.fullmatch(token))


def _secret(prefix: str, random_part: str) -> str:
    # Core takes no entropy itself; this only checks what the caller drew.
    if not _SECRET_RE.fullmatch(random_part):
        raise ValueError(f"a token's random part is {SECRET_LENGTH} letters and digits")
    return f"{prefix}{random_part}"


@dataclass(frozen=True)
class NewSecret:
    key_id: str  # public identifier, shown in listings and used to revoke
    secret: str  # shown once, never stored

    @property
    def hash(self) -> str:
        return token_hash(self.secret)


def new_api_key(random_token: str, random_id: str) -> NewSecret:
    """Build a key from randomness supplied by the caller (core takes no entropy itself)."""
    return NewSecret(key_id=f"key_{random_id}", secret=_secret(API_KEY_PREFIX, random_token))


def new_minted_token(random_token: str, random_id: str) -> NewSecret:
    return NewSecret(key_id=f"tp_{random_id}", secret=_secret(MINTED_PREFIX, random_token))


def new_admin_token(random_token: str) -> str:
    """An operator token (the local stack's; on AWS, Secrets Manager generates one)."""
    return _secret(ADMIN_PREFIX, random_token)
