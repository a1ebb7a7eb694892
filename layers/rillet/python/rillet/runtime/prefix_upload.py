"""Read a package upload as the prefix.dev clients send it: multipart, or the legacy raw body.

Current clients send one multipart part ``file`` whose own headers carry
``x-file-name`` / ``x-file-sha256`` (plus an optional ``attestation`` part);
rattler-build before 0.36 sent the raw bytes with those as request headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from rillet.core.errors import InvalidRequest


@dataclass(frozen=True)
class UploadRequest:
    filename: str
    sha256: str | None
    body: bytes
    attestation: str | None = None


def parse_upload_request(headers: Mapping[str, str], body: bytes) -> UploadRequest:
    """``headers`` with lower-case names. Raises InvalidRequest for a malformed request."""
    content_type = headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        return _multipart(content_type, body)
    filename = headers.get("x-file-name")
    if not filename:
        raise InvalidRequest(
            "send the package as multipart/form-data (part 'file'), or as the body with an "
            "X-File-Name header"
        )
    return UploadRequest(filename=filename, sha256=headers.get("x-file-sha256"), body=body)


def _multipart(content_type: str, body: bytes) -> UploadRequest:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise InvalidRequest("malformed multipart body")
    file_part: EmailMessage | None = None
    attestation: str | None = None
    for part in message.iter_parts():
        assert isinstance(part, EmailMessage)
        name = part.get_param("name", header="content-disposition")
        if name == "file" and file_part is None:
            file_part = part
        elif name == "attestation":
            payload = part.get_payload(decode=True)
            attestation = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else None
    if file_part is None:
        raise InvalidRequest("the multipart body has no 'file' part")
    filename = file_part.get("x-file-name") or file_part.get_filename()
    if not filename:
        raise InvalidRequest("the 'file' part names no file (x-file-name or filename)")
    payload = file_part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        raise InvalidRequest("the 'file' part has no content")
    return UploadRequest(
        filename=str(filename),
        sha256=file_part.get("x-file-sha256"),
        body=payload,
        attestation=attestation,
    )
