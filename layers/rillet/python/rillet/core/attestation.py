"""CEP-27 attestations: the pure checks around a Sigstore bundle's verification.

The cryptography (DSSE signature, certificate chain to Fulcio, SCT, transparency log
inclusion) is the Sigstore library's, behind the ``AttestationVerifier`` port. What is
decided here: the bundle's shape and size, the in-toto statement (one subject naming
exactly the uploaded file and its sha256, the conda predicate type, a ``targetChannel``
whose last path segment is the channel) and the signing certificate's identity, which
must be the trusted publisher that minted the upload token (read from Fulcio's
certificate extensions, compared to the minting token's own claims).

Each refusal has its own stable code (PackageRejected, 422) and nothing is stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Protocol
from urllib.parse import urlparse

from cryptography import x509

from rillet.core.errors import PackageRejected
from rillet.core.oidc import GITHUB_ISSUER, GOOGLE_ISSUER

PREDICATE_TYPE: Final = "https://schemas.conda.org/attestations-publish-1.schema.json"
STATEMENT_TYPE: Final = "https://in-toto.io/Statement/v1"
IN_TOTO_PAYLOAD_TYPE: Final = "application/vnd.in-toto+json"
BUNDLE_MEDIA_PREFIX: Final = "application/vnd.dev.sigstore.bundle"
MAX_BUNDLE_BYTES: Final = 64 * 1024
MAX_DEPTH: Final = 16
# The .sigs document of a file published without an attestation.
EMPTY_SIGS: Final = b"[]"
SIGS_CONTENT_TYPE: Final = "application/json"

# Reason codes (docs/attestations.md explains each).
MALFORMED: Final = "attestation-malformed"  # not JSON, not a Sigstore DSSE bundle
TOO_LARGE: Final = "attestation-too-large"
NOT_VERIFIED: Final = "attestation-not-verified"  # signature, chain, SCT or log refused
STATEMENT_INVALID: Final = "attestation-statement-invalid"
SUBJECT_MISMATCH: Final = "attestation-subject-mismatch"
PREDICATE_TYPE_MISMATCH: Final = "attestation-predicate-type"
CHANNEL_MISMATCH: Final = "attestation-channel-mismatch"
IDENTITY_MISMATCH: Final = "attestation-identity-mismatch"
NEEDS_TRUSTED_PUBLISHER: Final = "attestation-needs-trusted-publisher"

# Fulcio's certificate extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md),
# the DER-encoded (UTF8String) ones.
OID_ISSUER: Final = "1.3.6.1.4.1.57264.1.8"
OID_SOURCE_REPOSITORY_URI: Final = "1.3.6.1.4.1.57264.1.12"
OID_SOURCE_REPOSITORY_DIGEST: Final = "1.3.6.1.4.1.57264.1.13"
OID_SOURCE_REPOSITORY_REF: Final = "1.3.6.1.4.1.57264.1.14"
OID_SOURCE_REPOSITORY_OWNER_ID: Final = "1.3.6.1.4.1.57264.1.17"
OID_BUILD_CONFIG_URI: Final = "1.3.6.1.4.1.57264.1.18"
OID_RUN_INVOCATION_URI: Final = "1.3.6.1.4.1.57264.1.21"
_OIDS: Final = {
    "issuer": OID_ISSUER,
    "repository_uri": OID_SOURCE_REPOSITORY_URI,
    "commit": OID_SOURCE_REPOSITORY_DIGEST,
    "ref": OID_SOURCE_REPOSITORY_REF,
    "owner_id": OID_SOURCE_REPOSITORY_OWNER_ID,
    "build_config_uri": OID_BUILD_CONFIG_URI,
    "run": OID_RUN_INVOCATION_URI,
}

# The minting token's claims a minted key keeps for binding attestations to it.
IDENTITY_CLAIMS: Final = (
    "repository",
    "repository_owner_id",
    "workflow_ref",
    "ref",
    "sha",
    "project_path",
    "ci_config_ref_uri",
    "ref_type",
    "email",
)


def _refuse(code: str, message: str) -> PackageRejected:
    return PackageRejected(f"attestation refused: {message}", code=code)


# -- the bundle -------------------------------------------------------------------------
def parse_bundle(raw: str | bytes | Mapping[str, Any]) -> dict[str, Any]:
    """The bundle as a JSON object, checked for size, depth and Sigstore DSSE shape.

    ``raw`` is the bundle's JSON text (the ``attestation`` multipart part) or the object
    a presign request carried. Raises PackageRejected (``attestation-too-large``,
    ``attestation-malformed``).
    """
    if isinstance(raw, Mapping):
        text = json.dumps(raw)
    else:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if len(text.encode("utf-8")) > MAX_BUNDLE_BYTES:
        raise _refuse(TOO_LARGE, f"the bundle is larger than {MAX_BUNDLE_BYTES} bytes")
    try:
        bundle = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise _refuse(MALFORMED, "the bundle is not valid JSON") from None
    if not isinstance(bundle, dict) or _depth(bundle) > MAX_DEPTH:
        raise _refuse(MALFORMED, "the bundle is not a Sigstore bundle (a JSON object)")
    media = bundle.get("mediaType")
    if not isinstance(media, str) or not media.startswith(BUNDLE_MEDIA_PREFIX):
        raise _refuse(MALFORMED, "the bundle has no Sigstore bundle mediaType")
    if not isinstance(bundle.get("verificationMaterial"), dict):
        raise _refuse(MALFORMED, "the bundle has no verificationMaterial")
    if not isinstance(bundle.get("dsseEnvelope"), dict):
        raise _refuse(MALFORMED, "a CEP-27 attestation is a DSSE bundle (no dsseEnvelope)")
    return bundle


def _no_constant(name: str) -> None:
    raise ValueError(name)


def _depth(value: Any) -> int:
    """Nesting depth, iteratively (a hostile document must not exhaust the stack)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def sigs_document(bundles: list[dict[str, Any]]) -> bytes:
    """The ``<file>.sigs`` bytes: a JSON array of bundles (CEP-27's sidecar)."""
    return json.dumps(bundles, separators=(",", ":"), sort_keys=True).encode("utf-8")


def sigs_sha256(document: bytes) -> str:
    return hashlib.sha256(document).hexdigest()


# -- what the library verified ------------------------------------------------------------
@dataclass(frozen=True)
class Verified:
    """What the Sigstore library verified: the DSSE payload and the signing certificate."""

    payload_type: str
    payload: bytes
    certificate: x509.Certificate
    log_index: int | None
    integrated_time: int | None  # epoch seconds


class AttestationVerifier(Protocol):
    def verify(self, bundle: Mapping[str, Any]) -> Verified:
        """Verify signature, certificate chain, SCT and log inclusion offline.

        Raises PackageRejected (``attestation-not-verified``, ``attestation-malformed``).
        """
        ...


# -- the statement ------------------------------------------------------------------------
def check_statement(
    verified: Verified, *, filename: str, sha256: str, channel: str
) -> dict[str, Any]:
    """The in-toto statement, checked against the uploaded file and the channel.

    Returns the predicate. Raises PackageRejected (``attestation-statement-invalid``,
    ``attestation-subject-mismatch``, ``attestation-predicate-type``,
    ``attestation-channel-mismatch``).
    """
    if verified.payload_type != IN_TOTO_PAYLOAD_TYPE:
        raise _refuse(STATEMENT_INVALID, f"the payload type is {verified.payload_type!r}")
    try:
        statement = json.loads(verified.payload)
    except (ValueError, RecursionError):
        raise _refuse(STATEMENT_INVALID, "the payload is not a JSON in-toto statement") from None
    if not isinstance(statement, dict) or statement.get("_type") != STATEMENT_TYPE:
        raise _refuse(STATEMENT_INVALID, "the payload is not an in-toto v1 statement")
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or len(subjects) != 1 or not isinstance(subjects[0], dict):
        raise _refuse(SUBJECT_MISMATCH, "the statement must have exactly one subject")
    subject = subjects[0]
    digest = subject.get("digest")
    subject_sha = digest.get("sha256") if isinstance(digest, dict) else None
    if subject.get("name") != filename:
        raise _refuse(SUBJECT_MISMATCH, f"the subject is {subject.get('name')!r}, not {filename}")
    if not isinstance(subject_sha, str) or subject_sha.lower() != sha256.lower():
        raise _refuse(SUBJECT_MISMATCH, "the subject's sha256 is not the uploaded file's")
    if statement.get("predicateType") != PREDICATE_TYPE:
        raise _refuse(
            PREDICATE_TYPE_MISMATCH,
            f"the predicate type is {statement.get('predicateType')!r}, not {PREDICATE_TYPE}",
        )
    predicate = statement.get("predicate")
    target = predicate.get("targetChannel") if isinstance(predicate, dict) else None
    if not isinstance(target, str) or not target:
        raise _refuse(CHANNEL_MISMATCH, "the predicate names no targetChannel")
    if channel_of(target) != channel:
        # The host is not compared: one channel is served under several hosts.
        raise _refuse(CHANNEL_MISMATCH, f"the targetChannel {target!r} is not channel {channel}")
    assert isinstance(predicate, dict)
    return predicate


def channel_of(target_channel: str) -> str:
    """The last path segment of a targetChannel URL (``https://h/x/mychan/`` -> mychan)."""
    parsed = urlparse(target_channel)
    path = parsed.path if parsed.scheme else target_channel
    segments = [s for s in path.split("/") if s]
    return segments[-1] if segments else ""


# -- the certificate's identity -------------------------------------------------------------
@dataclass(frozen=True)
class CertificateIdentity:
    """Fulcio's claims of a signing certificate (None: the extension is absent)."""

    san: str | None
    issuer: str | None
    repository_uri: str | None
    commit: str | None
    ref: str | None
    owner_id: str | None
    build_config_uri: str | None
    run: str | None


def certificate_identity(cert: x509.Certificate) -> CertificateIdentity:
    values: dict[str, str | None] = {}
    for field, oid in _OIDS.items():
        try:
            ext = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(oid))
        except x509.ExtensionNotFound:
            values[field] = None
            continue
        raw = ext.value
        values[field] = (
            _der_utf8(raw.value) if isinstance(raw, x509.UnrecognizedExtension) else None
        )
    return CertificateIdentity(san=_san(cert), **values)


def _san(cert: x509.Certificate) -> str | None:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return None
    names = [
        *ext.value.get_values_for_type(x509.UniformResourceIdentifier),
        *ext.value.get_values_for_type(x509.RFC822Name),
    ]
    return str(names[0]) if len(names) == 1 else None


_UTF8STRING: Final = 0x0C


def _der_utf8(data: bytes) -> str | None:
    """A DER UTF8String's text (Fulcio encodes its newer extensions so); None otherwise."""
    if len(data) < 2 or data[0] != _UTF8STRING:
        return None
    length, offset = data[1], 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or len(data) < 2 + count:
            return None
        length, offset = int.from_bytes(data[2 : 2 + count], "big"), 2 + count
    if offset + length != len(data):
        return None
    try:
        return data[offset:].decode("utf-8")
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True)
class ExpectedIdentity:
    """Who must have signed: the trusted publisher that minted the upload token."""

    provider: str  # github | gitlab | google
    issuer: str  # the certificate's issuer as the public Fulcio writes it
    claims: Mapping[str, str]  # the minting token's IDENTITY_CLAIMS


def expected_identity(stored: Mapping[str, Any] | None) -> ExpectedIdentity:
    """From a minted key's ``identity`` (services/publishing.py). Raises PackageRejected
    (``attestation-needs-trusted-publisher``) for any other credential."""
    if not stored or stored.get("provider") not in ("github", "gitlab", "google"):
        raise _refuse(
            NEEDS_TRUSTED_PUBLISHER,
            "an attestation is accepted only with a token minted by trusted publishing "
            "(there is no publisher to bind it to)",
        )
    provider = str(stored["provider"])
    issuer = {"github": GITHUB_ISSUER, "google": GOOGLE_ISSUER}.get(
        provider, str(stored.get("issuer") or "")
    )
    claims = {k: str(v) for k, v in (stored.get("claims") or {}).items() if v is not None}
    return ExpectedIdentity(provider=provider, issuer=issuer, claims=claims)


def check_identity(found: CertificateIdentity, expected: ExpectedIdentity) -> None:
    """Raise PackageRejected (``attestation-identity-mismatch``) naming the first field that
    differs from the minting publisher's identity."""
    claims = expected.claims
    checks: list[tuple[str, str | None, str | None, bool]]  # field, found, expected, casefold
    if expected.provider == "github":
        repository = claims.get("repository")
        checks = [
            ("issuer", found.issuer, expected.issuer, False),
            (
                "repository",
                found.repository_uri,
                f"https://github.com/{repository}" if repository else None,
                True,
            ),
            (
                "workflow",
                found.build_config_uri,
                f"https://github.com/{claims['workflow_ref']}"
                if claims.get("workflow_ref")
                else None,
                False,
            ),
            ("ref", found.ref, claims.get("ref"), False),
            ("commit", found.commit, claims.get("sha"), False),
        ]
        if claims.get("repository_owner_id"):
            checks.append(("owner-id", found.owner_id, claims["repository_owner_id"], False))
    elif expected.provider == "gitlab":
        host = urlparse(expected.issuer).netloc
        project = claims.get("project_path")
        config = claims.get("ci_config_ref_uri")
        checks = [
            ("issuer", found.issuer, expected.issuer, False),
            (
                "repository",
                found.repository_uri,
                f"https://{host}/{project}" if project else None,
                True,
            ),
            ("workflow", found.build_config_uri, f"https://{config}" if config else None, False),
            ("ref", found.ref, _gitlab_ref(claims), False),
            ("commit", found.commit, claims.get("sha"), False),
        ]
    else:
        checks = [
            ("issuer", found.issuer, expected.issuer, False),
            ("email", found.san, claims.get("email"), True),
        ]
    for field, have, want, casefold in checks:
        if want is None or have is None or not _same(have, want, casefold):
            raise _refuse(
                IDENTITY_MISMATCH,
                f"the certificate's {field} is {have!r}; the trusted publisher that minted "
                f"the upload token has {want!r}",
            )


def _same(a: str, b: str, casefold: bool) -> bool:
    return a.casefold() == b.casefold() if casefold else a == b


def _gitlab_ref(claims: Mapping[str, str]) -> str | None:
    ref = claims.get("ref")
    if not ref:
        return None
    kind = "tags" if claims.get("ref_type") == "tag" else "heads"
    return ref if ref.startswith("refs/") else f"refs/{kind}/{ref}"


# -- the summary the API shows ------------------------------------------------------------
def summary(
    verified: Verified, identity: CertificateIdentity, provider: str, predicate: Mapping[str, Any]
) -> dict[str, Any]:
    """What the package listing's ``attestation`` says (without ``sigs``: the path is the
    listing's, as a copied file has its own)."""
    repository = workflow = None
    if identity.repository_uri:
        repository = urlparse(identity.repository_uri).path.strip("/") or None
    if identity.build_config_uri:
        path = urlparse(identity.build_config_uri).path
        if provider == "github" and "/.github/workflows/" in path:
            workflow = ".github/workflows/" + path.split("/.github/workflows/", 1)[1]
        elif "//" in path:
            workflow = path.split("//", 1)[1]
        workflow = workflow.split("@", 1)[0] if workflow else None
    integrated = None
    if verified.integrated_time is not None:
        integrated = (
            datetime.fromtimestamp(verified.integrated_time, UTC).isoformat().replace("+00:00", "Z")
        )
    return {
        "provider": provider,
        "issuer": identity.issuer or "",
        "identity": identity.san or "",
        "repository": repository,
        "workflow": workflow,
        "ref": identity.ref,
        "commit": identity.commit,
        "run": identity.run,
        "target_channel": str(predicate.get("targetChannel", "")),
        "log_index": verified.log_index,
        "integrated_time": integrated,
    }


@dataclass(frozen=True)
class Attested:
    """A verified attestation ready to store: the .sigs document and the listing summary."""

    bundles: tuple[dict[str, Any], ...]
    summary: dict[str, Any]

    @property
    def document(self) -> bytes:
        return sigs_document(list(self.bundles))

    @property
    def sha256(self) -> str:
        return sigs_sha256(self.document)


def judge(
    verified: Verified,
    expected: ExpectedIdentity,
    *,
    target: tuple[str, str, str],
) -> dict[str, Any]:
    """Every check after the library's; ``target`` is (channel, filename, sha256).
    Returns the summary."""
    channel, filename, sha256 = target
    predicate = check_statement(verified, filename=filename, sha256=sha256, channel=channel)
    identity = certificate_identity(verified.certificate)
    check_identity(identity, expected)
    return summary(verified, identity, expected.provider, predicate)
