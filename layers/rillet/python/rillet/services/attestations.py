"""CEP-27 attestations of uploads: verify a bundle for the file and the minting publisher.

Both upload paths call ``attest`` before anything is recorded; a refusal (a
PackageRejected with an ``attestation-*`` code) publishes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rillet.core.attestation import (
    EMPTY_SIGS,
    SIGS_CONTENT_TYPE,
    AttestationVerifier,
    Attested,
    expected_identity,
    judge,
    parse_bundle,
)
from rillet.core.layout import package_object_key
from rillet.core.policy import Principal
from rillet.core.ports import ObjectStore
from rillet.core.repodata import IMMUTABLE_CACHE_CONTROL, INDEX_CACHE_CONTROL


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


def attested_record(record: Mapping[str, Any], attested: Attested | None) -> dict[str, Any]:
    """The record to publish: with ``attestations_sha256`` (rattler's PackageRecord field,
    in repodata and shards) and the summary the listing shows (core.repodata leaves it
    out of the index) when attested."""
    out = dict(record)
    if attested is not None:
        out["attestations_sha256"] = attested.sha256
        out["attestation"] = dict(attested.summary)
    return out


def held_attestation(record: Mapping[str, Any], raw: str | None) -> Attested | None:
    """The verified attestation of a release member, rebuilt at its commit from the bundle
    kept with the upload (``record`` was judged with it at validation)."""
    if raw is None or not record.get("attestations_sha256"):
        return None
    attested = Attested(bundles=(parse_bundle(raw),), summary=dict(record["attestation"]))
    if attested.sha256 != record["attestations_sha256"]:  # the same bytes, or nothing
        raise ValueError("a release member's bundle no longer matches its record")
    return attested


def write_sigs(store: ObjectStore, target: tuple[str, str, str], attested: Attested | None) -> None:
    """The file's ``.sigs`` (``[]`` when not attested) and, when attested, its
    content-addressed ``.sigs.<sha256>``: written before the record is visible.
    ``target`` is (channel, subdir, filename)."""
    key = sigs_key(*target)
    document = attested.document if attested is not None else EMPTY_SIGS
    if attested is not None:
        store.put(
            f"{key}.{attested.sha256}",
            document,
            content_type=SIGS_CONTENT_TYPE,
            cache_control=IMMUTABLE_CACHE_CONTROL,
        )
    # A forced overwrite replaces it: cached briefly, like the index.
    store.put(key, document, content_type=SIGS_CONTENT_TYPE, cache_control=INDEX_CACHE_CONTROL)
