"""The pure CEP-27 checks (core/attestation.py) on a real bundle's statement and certificate.

The ``Verified`` here is read straight out of the real bundle (its DSSE payload and its
Fulcio certificate) without the Sigstore library: these tests are about what Rillet
decides after the cryptography, each refusal with its code.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from rillet.core import attestation as a
from rillet.core.errors import PackageRejected

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sigstore"
BUNDLE = FIXTURES / "conda-attestation.sigstore.json"
FILENAME = "signed-package-2.1.0-hb0f4dca_0.conda"
SHA256 = "54303491a8418fbed24344b513546182c29b43bf282ceb433af65e2299f9271f"
COMMIT = "193b5bd7d3985809503963ae400594ea16df31cf"
WORKFLOW_REF = "prefix-dev/sigstore-example/.github/workflows/action.yaml@refs/heads/main"

GITHUB = {
    "provider": "github",
    "issuer": "https://token.actions.githubusercontent.com",
    "claims": {
        "repository": "prefix-dev/sigstore-example",
        "repository_owner_id": "111356225",
        "workflow_ref": WORKFLOW_REF,
        "ref": "refs/heads/main",
        "sha": COMMIT,
    },
}


def real_bundle() -> dict[str, Any]:
    return dict(json.loads(BUNDLE.read_text()))


def verified(statement: dict[str, Any] | None = None) -> a.Verified:
    bundle = real_bundle()
    raw = base64.b64decode(bundle["verificationMaterial"]["certificate"]["rawBytes"])
    payload = base64.b64decode(bundle["dsseEnvelope"]["payload"])
    return a.Verified(
        payload_type=bundle["dsseEnvelope"]["payloadType"],
        payload=json.dumps(statement).encode() if statement is not None else payload,
        certificate=x509.load_der_x509_certificate(raw),
        log_index=int(bundle["verificationMaterial"]["tlogEntries"][0]["logIndex"]),
        integrated_time=int(bundle["verificationMaterial"]["tlogEntries"][0]["integratedTime"]),
    )


def statement() -> dict[str, Any]:
    return dict(json.loads(verified().payload))


def refusal(exc: pytest.ExceptionInfo[PackageRejected]) -> str:
    return exc.value.code


TARGET = ("sigstore-example", FILENAME, SHA256)


def test_the_real_bundle_passes_and_says_who_signed() -> None:
    got = a.judge(verified(), a.expected_identity(GITHUB), target=TARGET)
    assert got == {
        "provider": "github",
        "issuer": "https://token.actions.githubusercontent.com",
        "identity": f"https://github.com/{WORKFLOW_REF}",
        "repository": "prefix-dev/sigstore-example",
        "workflow": ".github/workflows/action.yaml",
        "ref": "refs/heads/main",
        "commit": COMMIT,
        "run": "https://github.com/prefix-dev/sigstore-example/actions/runs/17377272645/attempts/1",
        "target_channel": "https://prefix.dev/sigstore-example",
        "log_index": 456119071,
        "integrated_time": "2025-09-01T12:13:59Z",
    }


def test_certificate_identity_reads_fulcio_extensions() -> None:
    found = a.certificate_identity(verified().certificate)
    assert found.issuer == "https://token.actions.githubusercontent.com"
    assert found.repository_uri == "https://github.com/prefix-dev/sigstore-example"
    assert found.commit == COMMIT
    assert found.ref == "refs/heads/main"
    assert found.owner_id == "111356225"
    assert found.build_config_uri == f"https://github.com/{WORKFLOW_REF}"
    assert found.san == f"https://github.com/{WORKFLOW_REF}"


def test_the_channel_host_is_not_compared() -> None:
    # Served under another host (a CDN name, a custom domain): same channel.
    a.judge(verified(), a.expected_identity(GITHUB), target=TARGET)
    assert a.channel_of("https://conda.example.org/sub/sigstore-example/") == "sigstore-example"


@pytest.mark.parametrize(
    ("target", "code"),
    [
        (("other-channel", FILENAME, SHA256), a.CHANNEL_MISMATCH),
        (("sigstore-example", "signed-package-2.1.0-h0_0.conda", SHA256), a.SUBJECT_MISMATCH),
        (("sigstore-example", FILENAME, "00" * 32), a.SUBJECT_MISMATCH),
    ],
)
def test_a_statement_for_another_file_or_channel_is_refused(
    target: tuple[str, str, str], code: str
) -> None:
    with pytest.raises(PackageRejected) as exc:
        a.judge(verified(), a.expected_identity(GITHUB), target=target)
    assert refusal(exc) == code


def _with(change: dict[str, Any]) -> dict[str, Any]:
    s = statement()
    s.update(change)
    return s


@pytest.mark.parametrize(
    ("changed", "code"),
    [
        (_with({"_type": "https://in-toto.io/Statement/v0.1"}), a.STATEMENT_INVALID),
        (_with({"subject": []}), a.SUBJECT_MISMATCH),
        (_with({"subject": statement()["subject"] * 2}), a.SUBJECT_MISMATCH),
        (_with({"predicateType": "https://slsa.dev/provenance/v1"}), a.PREDICATE_TYPE_MISMATCH),
        (_with({"predicate": {}}), a.CHANNEL_MISMATCH),
        (_with({"predicate": {"targetChannel": "https://conda.example.org/"}}), a.CHANNEL_MISMATCH),
    ],
)
def test_statement_refusals(changed: dict[str, Any], code: str) -> None:
    with pytest.raises(PackageRejected) as exc:
        a.judge(verified(changed), a.expected_identity(GITHUB), target=TARGET)
    assert refusal(exc) == code


def test_a_payload_that_is_not_an_in_toto_statement_is_refused() -> None:
    v = verified()
    for bad in (
        a.Verified("text/plain", v.payload, v.certificate, None, None),
        a.Verified(v.payload_type, b"not json", v.certificate, None, None),
    ):
        with pytest.raises(PackageRejected) as exc:
            a.judge(bad, a.expected_identity(GITHUB), target=TARGET)
        assert refusal(exc) == a.STATEMENT_INVALID


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("repository", "prefix-dev/other"),
        (
            "workflow_ref",
            "prefix-dev/sigstore-example/.github/workflows/other.yaml@refs/heads/main",
        ),
        ("ref", "refs/heads/dev"),
        ("sha", "0" * 40),
        ("repository_owner_id", "1"),
    ],
)
def test_a_certificate_of_another_identity_is_refused(claim: str, value: str) -> None:
    minted = {**GITHUB, "claims": {**GITHUB["claims"], claim: value}}  # type: ignore[dict-item]
    with pytest.raises(PackageRejected) as exc:
        a.judge(verified(), a.expected_identity(minted), target=TARGET)
    assert refusal(exc) == a.IDENTITY_MISMATCH


def test_repository_compares_casefolded() -> None:
    minted = {**GITHUB, "claims": {**GITHUB["claims"], "repository": "Prefix-Dev/Sigstore-Example"}}  # type: ignore[dict-item]
    a.judge(verified(), a.expected_identity(minted), target=TARGET)


def test_the_github_issuer_is_the_public_one_whatever_issuer_minted() -> None:
    # A deployment may accept a test issuer for minting; Fulcio's certificate names
    # GitHub's public issuer, and that is what it is compared to.
    minted = {**GITHUB, "issuer": "http://127.0.0.1:9/fake"}
    a.judge(verified(), a.expected_identity(minted), target=TARGET)


def test_a_missing_claim_never_matches() -> None:
    claims = {k: v for k, v in GITHUB["claims"].items() if k != "sha"}  # type: ignore[attr-defined]
    with pytest.raises(PackageRejected) as exc:
        a.judge(verified(), a.expected_identity({**GITHUB, "claims": claims}), target=TARGET)
    assert refusal(exc) == a.IDENTITY_MISMATCH


def test_another_provider_is_refused() -> None:
    for minted in (
        {"provider": "gitlab", "issuer": "https://gitlab.com", "claims": {"sha": COMMIT}},
        {
            "provider": "google",
            "issuer": "https://accounts.google.com",
            "claims": {"email": "a@b.c"},
        },
    ):
        with pytest.raises(PackageRejected) as exc:
            a.judge(verified(), a.expected_identity(minted), target=TARGET)
        assert refusal(exc) == a.IDENTITY_MISMATCH


@pytest.mark.parametrize("stored", [None, {}, {"provider": "api"}])
def test_no_minting_identity_means_no_attestation(stored: dict[str, Any] | None) -> None:
    with pytest.raises(PackageRejected) as exc:
        a.expected_identity(stored)
    assert refusal(exc) == a.NEEDS_TRUSTED_PUBLISHER


def test_parse_bundle_accepts_the_real_bundle_as_text_bytes_or_object() -> None:
    text = BUNDLE.read_text()
    assert a.parse_bundle(text) == a.parse_bundle(text.encode()) == a.parse_bundle(real_bundle())


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", a.MALFORMED),
        ("[]", a.MALFORMED),
        ("NaN", a.MALFORMED),
        ("[" * 100_000 + "]" * 100_000, a.TOO_LARGE),
        ("[" * 30_000 + "]" * 30_000, a.MALFORMED),
        (json.dumps({**real_bundle(), "mediaType": "application/json"}), a.MALFORMED),
        (json.dumps({k: v for k, v in real_bundle().items() if k != "dsseEnvelope"}), a.MALFORMED),
        ((FIXTURES / "bundle_v3_github.whl.sigstore").read_text(), a.MALFORMED),
        (json.dumps({**real_bundle(), "pad": "x" * a.MAX_BUNDLE_BYTES}), a.TOO_LARGE),
    ],
)
def test_parse_bundle_refusals(raw: str, code: str) -> None:
    with pytest.raises(PackageRejected) as exc:
        a.parse_bundle(raw)
    assert refusal(exc) == code


def test_a_deep_but_small_bundle_is_refused_without_recursion() -> None:
    deep: Any = "x"
    for _ in range(a.MAX_DEPTH + 2):
        deep = {"k": deep}
    with pytest.raises(PackageRejected) as exc:
        a.parse_bundle({**real_bundle(), "extra": deep})
    assert refusal(exc) == a.MALFORMED


def test_sigs_document_is_a_json_array_named_by_its_sha256() -> None:
    attested = a.Attested(bundles=(real_bundle(),), summary={})
    assert json.loads(attested.document) == [real_bundle()]
    assert attested.sha256 == a.sigs_sha256(attested.document)
    assert json.loads(a.EMPTY_SIGS) == []


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"\x0c\x03abc", "abc"),
        (b"\x0c\x81\x03abc", "abc"),
        (b"\x04\x03abc", None),  # an OCTET STRING
        (b"\x0c\x04abc", None),  # length beyond the data
        (b"\x0c\x80", None),
        (b"\x0c\x02\xff\xfe", None),
        (b"", None),
    ],
)
def test_der_utf8(data: bytes, text: str | None) -> None:
    assert a._der_utf8(data) == text
