"""CEP-27 attestations of uploads: verify a bundle for the file and the minting publisher.

Both upload paths call ``attest`` before anything is recorded; a refusal (a
PackageRejected with an ``attestation-*`` code) publishes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rillet.core.attestation import (
    AttestationVerifier,
    Attested,
    expected_identity,
    judge,
    parse_bundle,
)
from rillet.core.layout import package_object_key
from rillet.core.policy import Principal


@dataclass(frozen=True)
class AttestTarget:
    """The file an attestation must name: where it is published and its sha256."""

    channel: str
    subdir: str
    filename: str
    sha256: str


def require_attestable(principal: Principal) -> None:
    """Refuse early (``attestation-needs-trusted-publisher``) a credential no attestation
    can be bound to: an API key, a session, a token minted before identities were kept."""
    expected_identity(principal.publisher_identity if principal.minted else None)


def attest(
    verifier: AttestationVerifier,
    principal: Principal,
    target: AttestTarget,
    raw: str | bytes | Mapping[str, Any],
) -> Attested:
    """Verify ``raw`` (the bundle) for ``target`` and the token's publisher.

    The cheap checks come first: the credential, then the bundle's shape; the library
    (imported on first use) only for a bundle worth verifying. Raises PackageRejected.
    """
    expected = expected_identity(principal.publisher_identity if principal.minted else None)
    bundle = parse_bundle(raw)
    verified = verifier.verify(bundle)
    summary = judge(verified, expected, target=(target.channel, target.filename, target.sha256))
    return Attested(bundles=(bundle,), summary=summary)


def sigs_key(channel: str, subdir: str, filename: str) -> str:
    """The ``<file>.sigs`` object key (CEP-27's sidecar, served next to the package)."""
    return f"{package_object_key(channel, subdir, filename)}.sigs"


def sigs_keys(channel: str, subdir: str, filename: str, sha256: str | None) -> list[str]:
    """Every sigs object of a file: ``.sigs`` and, if attested, ``.sigs.<sha256>``."""
    key = sigs_key(channel, subdir, filename)
    return [key, f"{key}.{sha256}"] if sha256 else [key]
