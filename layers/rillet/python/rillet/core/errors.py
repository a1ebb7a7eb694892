"""Typed domain errors with stable reason codes.

Every refusal Rillet makes is one of these. The code is part of the public
contract (clients, scripts and tests match on it); the message is for humans.
The HTTP mapping lives once, in ``rillet.runtime.http``; nothing else turns an
error into a status.
"""

from __future__ import annotations


class RilletError(Exception):
    """Base class: ``code`` is stable and machine-readable, ``message`` is for people."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class InvalidRequest(RilletError):
    """The request is malformed (bad JSON, missing or mistyped field)."""

    code = "invalid-request"


class InvalidName(RilletError):
    """A channel, package, version, build or subdir name breaks the naming rules."""

    code = "invalid-name"


class PackageRejected(RilletError):
    """The uploaded bytes are not an acceptable conda package (see reason codes in core.package)."""

    code = "invalid-package"


class PackageTooLarge(PackageRejected):
    """The package is larger than the deployment's limit."""

    code = "too-large"


class NotFound(RilletError):
    code = "not-found"


class Conflict(RilletError):
    """The target already exists (channel name, package filename) or changed under us."""

    code = "conflict"


class Unauthenticated(RilletError):
    """No credential, or one that is unknown, revoked or expired."""

    code = "unauthenticated"


class Forbidden(RilletError):
    """A valid credential without the permission for this action."""

    code = "forbidden"


class PayloadTooLarge(RilletError):
    """The HTTP body is larger than this endpoint accepts."""

    code = "payload-too-large"


class Unavailable(RilletError):
    """A transient failure of a dependency; the caller may retry."""

    code = "unavailable"
