"""Sigstore bundle verification (sigstore-python), offline, with a pinned trust root.

The library is imported on first use only: it costs most of a second, and only uploads
that carry an attestation need it. The verifier is built from a trusted root file (the
one sigstore ships, or the operator's ``RILLET_SIGSTORE_TRUSTED_ROOT``) rather than
through TUF, so nothing touches the network or writes a cache (Lambda's home is
read-only).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rillet.core.attestation import MALFORMED, NOT_VERIFIED, Verified
from rillet.core.errors import PackageRejected

logger = logging.getLogger(__name__)

_PUBLIC_GOOD = "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev"


def shipped_trusted_root() -> str:
    """The public-good trusted root that the installed sigstore release ships (no import)."""
    spec = importlib.util.find_spec("sigstore")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("sigstore is not installed")
    base = Path(next(iter(spec.submodule_search_locations)))
    return str(base / "_store" / _PUBLIC_GOOD / "trusted_root.json")


class _IdentityCheckedByCaller:
    """sigstore's policy hook: identity is compared by core.attestation, field by field,
    against the minting publisher (with a reason code per field), right after."""

    def verify(self, cert: Any) -> None:
        return None


class SigstoreVerifier:
    """core.attestation.AttestationVerifier on sigstore-python."""

    def __init__(self, trusted_root: str | None = None) -> None:
        self._path = trusted_root or None
        self._verifier: Any = None
        self._lock = threading.Lock()

    def _get(self) -> Any:
        with self._lock:
            if self._verifier is None:
                from sigstore.models import TrustedRoot
                from sigstore.verify import Verifier

                root = TrustedRoot.from_file(self._path or shipped_trusted_root())
                self._verifier = Verifier(trusted_root=root)
            return self._verifier

    def verify(self, bundle: Mapping[str, Any]) -> Verified:
        verifier = self._get()
        from sigstore.models import Bundle

        try:
            parsed = Bundle.from_json(json.dumps(bundle))
        except Exception as exc:  # the library raises several types for a bad bundle
            raise PackageRejected(
                f"attestation refused: not a valid Sigstore bundle ({type(exc).__name__})",
                code=MALFORMED,
            ) from None
        try:
            payload_type, payload = verifier.verify_dsse(parsed, _IdentityCheckedByCaller())
        except Exception as exc:  # offline and deterministic: any failure is the bundle's
            raise PackageRejected(
                f"attestation refused: the bundle does not verify ({exc})", code=NOT_VERIFIED
            ) from None
        entry = parsed.log_entry._inner
        return Verified(
            payload_type=str(payload_type),
            payload=bytes(payload),
            certificate=parsed.signing_certificate,
            log_index=int(entry.log_index) if entry.log_index is not None else None,
            integrated_time=int(entry.integrated_time) if entry.integrated_time else None,
        )
