"""Presigned uploads: check locally, ask for URLs, PUT in parallel, wait for the verdicts.

Per file: POST /api/v1/channels/{c}/uploads -> PUT the bytes to the returned URL with
exactly the returned headers -> poll GET .../uploads/{id} until published or rejected.
Transfers run in a bounded thread pool; the calling thread polls every finished
transfer, so a slow validation never holds a transfer slot.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_any
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import httpx
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TransferSpeedColumn,
)

from rillet.cli.client import (
    USER_AGENT,
    Api,
    CliError,
    error_from_response,
    segment,
    transport_error,
)
from rillet.core.errors import RilletError
from rillet.core.names import parse_package_filename
from rillet.core.package import DEFAULT_LIMITS, Limits, read_package

ALREADY_EXISTS: Final = "already-exists"  # the server's reason code for a taken filename
DEFAULT_MAX_BYTES: Final = DEFAULT_LIMITS.max_package_bytes
CHUNK: Final = 1024 * 1024
OK_STATUSES: Final = frozenset({"published", "skipped", "uploaded"})


@dataclass(frozen=True)
class PackageFile:
    """A file about to be sent: what the request announces."""

    path: Path
    filename: str
    size: int
    sha256: str
    subdir: str | None  # from info/index.json; None when the file was not read (--no-check)
    name: str | None  # the package name, for the install hint


@dataclass(frozen=True)
class Outcome:
    """What happened to one file: published, skipped, uploaded (no wait), rejected, failed,
    or refused (by the local checks, before anything was sent)."""

    path: Path
    status: str
    package: PackageFile | None = None
    upload_id: str | None = None
    subdir: str | None = None
    reason: str | None = None
    message: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES

    @property
    def filename(self) -> str:
        return self.package.filename if self.package else self.path.name

    def to_json(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "filename": self.filename,
            "subdir": self.subdir or (self.package.subdir if self.package else None),
            "sha256": self.package.sha256 if self.package else None,
            "size": self.package.size if self.package else None,
            "status": self.status,
            "id": self.upload_id,
            "reason": self.reason,
            "message": self.message,
        }


# -- local checks ----------------------------------------------------------------------
def _stat(path: Path) -> int:
    try:
        if not path.is_file():
            raise CliError("not-a-file", f"{path} does not exist or is not a file")
        return path.stat().st_size
    except OSError as exc:
        raise CliError("unreadable", f"cannot read {path}: {exc.strerror or exc}") from None


def check_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> PackageFile:
    """Read the package the way the server will (same code, same reason codes), before
    any byte is sent. Raises CliError with the reason code."""
    try:
        parse_package_filename(path.name)  # extension and name shape: no I/O yet
    except RilletError as exc:
        raise CliError(exc.code, exc.message) from None
    size = _stat(path)
    if size > max_bytes:
        raise CliError(
            "too-large",
            f"{path.name} is {size} bytes; the limit is {max_bytes} "
            "(--max-size or RILLET_MAX_PACKAGE_BYTES if your deployment allows more)",
        )
    try:
        with path.open("rb") as stream:
            facts = read_package(stream, path.name, Limits(max_package_bytes=max_bytes))
    except RilletError as exc:
        raise CliError(exc.code, exc.message) from None
    except OSError as exc:
        raise CliError("unreadable", f"cannot read {path}: {exc.strerror or exc}") from None
    return PackageFile(
        path=path,
        filename=path.name,
        size=facts.size,
        sha256=facts.sha256,
        subdir=str(facts.index["subdir"]),
        name=facts.filename.name,
    )


def describe_file(path: Path) -> PackageFile:
    """Only size and SHA-256 (``--no-check``): the server alone judges the contents."""
    _stat(path)
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise CliError("unreadable", f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        name: str | None = parse_package_filename(path.name).name
    except RilletError:
        name = None
    return PackageFile(path, path.name, size, digest.hexdigest(), None, name)


def _check_ticket(ticket: dict[str, Any], package: PackageFile) -> str:
    """The ticket must be for this file and size; returns the URL. Raises CliError."""
    url = ticket.get("url")
    method = str(ticket.get("method", "PUT")).upper()
    headers = {str(k).lower(): str(v) for k, v in (ticket.get("headers") or {}).items()}
    if (
        not isinstance(url, str)
        or method != "PUT"
        or not isinstance(ticket.get("id"), str)
        or ticket.get("filename", package.filename) != package.filename
        or headers.get("content-length", str(package.size)) != str(package.size)
    ):
        raise CliError(
            "bad-response",
            f"the server's upload ticket does not match {package.filename} "
            f"({package.size} bytes): {ticket!r}"[:500],
        )
    return url


# -- the transfers ---------------------------------------------------------------------
def new_progress(*, visible: bool, console: Any) -> Progress:
    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TextColumn("{task.fields[state]}", markup=False),
        console=console,
        disable=not visible,
    )


class _Interrupted(Exception):
    pass


class Uploader:
    """Sends packages to one channel; ``run`` returns one Outcome per package, in order."""

    def __init__(
        self,
        api: Api,
        channel: str,
        progress: Progress,
        *,
        jobs: int = 4,
        force: bool = False,
        skip_existing: bool = False,
        wait: bool = True,
        timeout: float = 600.0,
        poll_interval: float = 0.2,
        attestation: dict[str, Any] | None = None,
        release: str | None = None,
    ) -> None:
        self.api = api
        self.release = release  # files join this release: validated, then held for its commit
        self.channel = channel
        self.progress = progress
        self.jobs = max(1, jobs)
        self.force = force
        self.skip_existing = skip_existing
        self.wait = wait
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.attestation = attestation  # a CEP-27 Sigstore bundle (one file's)
        self._stop = threading.Event()
        # The presigned URL is the credential for the PUT: never send our token there.
        self._put_http = httpx.Client(
            headers={"User-Agent": USER_AGENT},
            timeout=httpx.Timeout(60.0),
            follow_redirects=False,
        )
        self._tasks: dict[int, TaskID] = {}
        self._overall: TaskID | None = None

    def _uploads_path(self) -> str:
        return f"/api/v1/channels/{segment(self.channel)}/uploads"

    def run(self, packages: Sequence[PackageFile]) -> list[Outcome]:
        try:
            return self._run(packages)
        finally:
            self._put_http.close()

    def _run(self, packages: Sequence[PackageFile]) -> list[Outcome]:
        self._overall = self.progress.add_task(
            f"{len(packages)} file(s)", total=sum(p.size for p in packages), state=""
        )
        for i, package in enumerate(packages):
            self._tasks[i] = self.progress.add_task(
                package.filename, total=package.size, state="queued"
            )
        results: dict[int, Outcome] = {}
        waiting: dict[int, tuple[Outcome, float]] = {}  # index -> (uploaded, deadline)
        interval = self.poll_interval
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="rillet-put") as pool:
            futures: dict[Future[Outcome], int] = {
                pool.submit(self._send, i, p): i for i, p in enumerate(packages)
            }
            running: set[Future[Outcome]] = set(futures)
            try:
                while running or waiting:
                    if running:
                        done, running_left = wait_any(
                            running,
                            timeout=interval if waiting else None,
                            return_when=FIRST_COMPLETED,
                        )
                        running = set(running_left)
                        for future in done:
                            i = futures[future]
                            outcome = future.result()
                            if outcome.status == "uploaded" and self.wait:
                                self._state(i, "validating")
                                waiting[i] = (outcome, time.monotonic() + self.timeout)
                                interval = self.poll_interval  # a fresh file: look soon
                            else:
                                results[i] = outcome
                    else:
                        time.sleep(interval)
                    self._poll(waiting, results)
                    interval = min(interval * 1.5, 2.0)
            except BaseException:
                # Ctrl-C: stop the transfers at their next chunk, start no new ones.
                self._stop.set()
                for future in futures:
                    future.cancel()
                raise
        return [results[i] for i in range(len(packages))]

    def _state(self, i: int, state: str) -> None:
        self.progress.update(self._tasks[i], state=state)

    def _advance(self, i: int, n: int) -> None:
        self.progress.advance(self._tasks[i], n)
        if self._overall is not None:
            self.progress.advance(self._overall, n)

    def _send(self, i: int, package: PackageFile) -> Outcome:
        """Worker: ask for a URL, PUT the bytes. Never raises for an expected failure."""
        if self._stop.is_set():
            return Outcome(package.path, "failed", package, reason="interrupted", message="")
        self._state(i, "requesting")
        body: dict[str, Any] = {
            "filename": package.filename,
            "sha256": package.sha256,
            "size": package.size,
        }
        if package.subdir:
            # With the subdir, the server refuses a duplicate now instead of after the PUT.
            body["subdir"] = package.subdir
        if self.force:
            body["force"] = True
        if self.attestation is not None:
            body["attestation"] = self.attestation
        if self.release:
            body["release"] = self.release
        try:
            ticket = self.api.post(self._uploads_path(), body)
        except CliError as exc:
            return self._refused(i, package, exc, "rejected")
        self._state(i, "sending")
        try:
            self._put(i, package, ticket)
        except _Interrupted:
            return Outcome(
                package.path, "failed", package, ticket.get("id"), None, "interrupted", ""
            )
        except CliError as exc:
            return replace(self._refused(i, package, exc, "failed"), upload_id=ticket.get("id"))
        self._state(i, "sent")
        return Outcome(package.path, "uploaded", package, upload_id=str(ticket["id"]))

    def _refused(self, i: int, package: PackageFile, exc: CliError, status: str) -> Outcome:
        if exc.code == ALREADY_EXISTS and self.skip_existing:
            self._state(i, "exists, skipped")
            self._advance(i, package.size)
            return Outcome(package.path, "skipped", package, reason=exc.code, message=exc.message)
        self._state(i, f"{status}: {exc.code}")
        return Outcome(package.path, status, package, reason=exc.code, message=exc.message)

    def _put(self, i: int, package: PackageFile, ticket: dict[str, Any]) -> None:
        url = _check_ticket(ticket, package)
        headers = {str(k): str(v) for k, v in (ticket.get("headers") or {}).items()}
        # S3 refuses chunked bodies on a presigned PUT: the length is always sent.
        if not any(k.lower() == "content-length" for k in headers):
            headers["Content-Length"] = str(package.size)

        def chunks() -> Iterator[bytes]:
            # Exactly the announced bytes: a file changed since it was hashed fails here,
            # before the HTTP layer sees a body of the wrong length.
            remaining = package.size
            with package.path.open("rb") as stream:
                while remaining > 0:
                    if self._stop.is_set():
                        raise _Interrupted
                    chunk = stream.read(min(CHUNK, remaining))
                    if not chunk:
                        break
                    remaining -= len(chunk)
                    yield chunk
                    self._advance(i, len(chunk))
                if remaining or stream.read(1):
                    raise CliError(
                        "file-changed", f"{package.path} changed while it was being uploaded"
                    )

        try:
            response = self._put_http.put(url, content=chunks(), headers=headers)
        except httpx.HTTPError as exc:
            raise transport_error(url.split("?", 1)[0], exc) from None
        except OSError as exc:
            raise CliError("unreadable", f"cannot read {package.path}: {exc}") from None
        if not response.is_success:
            raise error_from_response(response)

    def _poll(self, waiting: dict[int, tuple[Outcome, float]], results: dict[int, Outcome]) -> None:
        for i, (uploaded, deadline) in list(waiting.items()):
            path = f"{self._uploads_path()}/{segment(str(uploaded.upload_id))}"
            final: Outcome | None = None
            try:
                status = self.api.get(path)
            except CliError as exc:
                # A network hiccup is retried until the deadline; a refusal is final.
                if not exc.transient or time.monotonic() > deadline:
                    final = replace(uploaded, status="failed", reason=exc.code, message=exc.message)
            else:
                state = status.get("status")
                # Published but not in the index yet: not installable for a moment. Past
                # the deadline it counts as published all the same (the index follows).
                indexing = state == "published" and status.get("indexed") is False
                if indexing and time.monotonic() <= deadline:
                    self._state(i, "indexing")
                    continue
                if state == "published":
                    final = replace(uploaded, status="published", subdir=status.get("subdir"))
                    self._state(i, "published")
                elif state == "validated":  # a release member: held until the commit
                    final = replace(uploaded, status="validated", subdir=status.get("subdir"))
                    self._state(i, "validated")
                elif state == "rejected":
                    reason = str(status.get("reason") or "rejected")
                    message = str(status.get("message") or "")
                    if reason == ALREADY_EXISTS and self.skip_existing:
                        final = replace(uploaded, status="skipped", reason=reason, message=message)
                        self._state(i, "exists, skipped")
                    else:
                        final = replace(uploaded, status="rejected", reason=reason, message=message)
                        self._state(i, f"rejected: {reason}")
                elif time.monotonic() > deadline:
                    final = replace(
                        uploaded,
                        status="failed",
                        reason="timeout",
                        message=(
                            f"still {state} after {self.timeout:g} s; the server keeps going, "
                            f"check upload {uploaded.upload_id} later"
                        ),
                    )
                    self._state(i, "timed out")
            if final is not None:
                results[i] = final
                del waiting[i]


def read_attestation(path: Path) -> dict[str, Any]:
    """``--attestation FILE``: a Sigstore bundle (JSON object); the server verifies it."""
    try:
        bundle = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CliError("invalid-attestation", f"{path}: not a readable JSON file ({exc})") from None
    if not isinstance(bundle, dict):
        raise CliError("invalid-attestation", f"{path}: a Sigstore bundle is a JSON object")
    return bundle


# -- releases (docs/releases.md) -----------------------------------------------------------
RELEASE_WAIT_CODES: Final = frozenset({"release-not-ready", "release-committing"})
WITHHELD: Final = "release-failed"  # the reason of a good file that was not published


def upload_release(
    uploader: Uploader, packages: Sequence[PackageFile], *, timeout: float = 600.0
) -> list[Outcome]:
    """Send ``packages`` as one release: open it, upload every file into it, wait until
    each is validated, commit, wait until indexed. All are published together, or none
    (a refused file aborts the release; every other file is reported withheld)."""
    api = uploader.api
    base = f"/api/v1/channels/{segment(uploader.channel)}/releases"
    release = str(api.post(base, {})["id"])
    path = f"{base}/{segment(release)}"
    uploader.release = release
    outcomes = uploader.run(packages)
    refused = [o for o in outcomes if o.status != "validated"]
    if refused:
        with contextlib.suppress(CliError):  # it also expires by itself
            api.delete(path)
        return _withheld(outcomes, refused[0], release)
    deadline = time.monotonic() + timeout
    interval = uploader.poll_interval
    while True:
        try:
            api.post(f"{path}/commit", {})
            break
        except CliError as exc:
            if (exc.code in RELEASE_WAIT_CODES or exc.transient) and time.monotonic() < deadline:
                time.sleep(interval)
                interval = min(interval * 1.5, 2.0)
                continue
            files = _release_files(api, path)
            culprit = next(
                (o for o in outcomes if files.get(o.filename, {}).get("status") == "rejected"),
                None,
            )
            reason = exc.code if culprit is None else str(files[culprit.filename].get("reason"))
            failed = replace(
                culprit or outcomes[0], status="rejected", reason=reason, message=exc.message
            )
            return _withheld(outcomes, failed, release, blame=culprit is not None)
    while time.monotonic() < deadline:  # published together; installable once indexed
        with contextlib.suppress(CliError):
            if api.get(path).get("indexed"):
                break
        time.sleep(interval)
        interval = min(interval * 1.5, 2.0)
    return [replace(o, status="published") for o in outcomes]


def _release_files(api: Api, path: str) -> dict[str, dict[str, Any]]:
    try:
        doc = api.get(path)
    except CliError:
        return {}
    return {str(f.get("filename")): f for f in doc.get("files") or []}


def _withheld(
    outcomes: Sequence[Outcome], culprit: Outcome, release: str, *, blame: bool = True
) -> list[Outcome]:
    """Every file's outcome when the release did not commit: nothing was published."""
    why = f"{culprit.filename} was refused ({culprit.reason})" if blame else culprit.message
    out = []
    for o in outcomes:
        if blame and o.path == culprit.path:
            out.append(culprit)
        elif o.status == "validated" or not blame:
            out.append(
                replace(
                    o,
                    status="withheld",
                    reason=WITHHELD,
                    message=f"not published: {why}; nothing of release {release} was published",
                )
            )
        else:
            out.append(o)
    return out
