"""Read and validate a conda package in one streaming pass with bounded memory.

The source is anything with ``read(n) -> bytes`` (an S3 body, a request body). Every byte
passes once through a reader that counts, hashes and size-limits it; the archives are
unpacked as streams and every member is checked on the way past. Nothing is ever held
whole in memory except the few small JSON members we parse, each under its own cap.

Every refusal is a ``PackageRejected`` carrying one of the reason codes below.
"""

from __future__ import annotations

import bz2
import hashlib
import itertools
import json
import posixpath
import re
import struct
import tarfile
import unicodedata
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import IO, Any, Final, NoReturn, Protocol, Self, cast

import stream_unzip
import zstandard

from rillet.core import metadata
from rillet.core.errors import InvalidName, PackageRejected, PackageTooLarge
from rillet.core.names import (
    PackageFilename,
    parse_package_filename,
    require_lowercase_name,
    validate_build_string,
    validate_package_name,
    validate_subdir,
    validate_version,
)

# Reason codes: part of the public contract, never change one.
UNKNOWN_EXTENSION: Final = "unknown-extension"
INVALID_FILENAME: Final = "invalid-filename"
NOT_A_ZIP: Final = "not-a-zip"
NOT_A_BZIP2_TAR: Final = "not-a-bzip2-tar"
CORRUPT_ARCHIVE: Final = "corrupt-archive"
MISSING_INDEX_JSON: Final = "missing-index-json"
INVALID_INDEX_JSON: Final = "invalid-index-json"
MISSING_FIELD: Final = "missing-field"
INVALID_FIELD: Final = "invalid-field"
INVALID_PACKAGE_NAME: Final = "invalid-package-name"
INVALID_VERSION: Final = "invalid-version"
INVALID_BUILD: Final = "invalid-build"
FILENAME_MISMATCH: Final = "filename-mismatch"
UNKNOWN_SUBDIR: Final = "unknown-subdir"
SUBDIR_MISMATCH: Final = "subdir-mismatch"
SHA256_MISMATCH: Final = "sha256-mismatch"
SIZE_MISMATCH: Final = "size-mismatch"
TOO_LARGE: Final = "too-large"
METADATA_TOO_LARGE: Final = "metadata-too-large"
PAYLOAD_TOO_LARGE: Final = "payload-too-large"
UNSAFE_PATH: Final = "unsafe-path"
UNSAFE_LINK: Final = "unsafe-link"
UNSAFE_MEMBER: Final = "unsafe-member"
MISSING_INFO: Final = "missing-info"
NAME_NOT_LOWERCASE: Final = "name-not-lowercase"  # core.names.require_lowercase_name
INVALID_RUN_EXPORTS: Final = "invalid-run-exports"
# More unpacked bytes or members than the package's size can honestly explain (a bomb).
EXPANSION_TOO_LARGE: Final = "expansion-too-large"
# Validation ran out of the time the caller has (see read_package's ``out_of_time``).
VALIDATION_TIME_LIMIT: Final = "validation-time-limit"
# What clients and the index writer cannot represent (see core.metadata).
METADATA_INVALID: Final = metadata.METADATA_INVALID
METADATA_INTEGER_RANGE: Final = metadata.METADATA_INTEGER_RANGE
METADATA_NUMBER_RANGE: Final = metadata.METADATA_NUMBER_RANGE
METADATA_INVALID_UNICODE: Final = metadata.METADATA_INVALID_UNICODE
METADATA_BOM: Final = metadata.METADATA_BOM
METADATA_TOO_DEEP: Final = metadata.METADATA_TOO_DEEP

REASON_CODES: Final[frozenset[str]] = frozenset(
    {
        UNKNOWN_EXTENSION,
        INVALID_FILENAME,
        NOT_A_ZIP,
        NOT_A_BZIP2_TAR,
        CORRUPT_ARCHIVE,
        MISSING_INDEX_JSON,
        INVALID_INDEX_JSON,
        MISSING_FIELD,
        INVALID_FIELD,
        INVALID_PACKAGE_NAME,
        INVALID_VERSION,
        INVALID_BUILD,
        FILENAME_MISMATCH,
        UNKNOWN_SUBDIR,
        SUBDIR_MISMATCH,
        SHA256_MISMATCH,
        SIZE_MISMATCH,
        TOO_LARGE,
        METADATA_TOO_LARGE,
        PAYLOAD_TOO_LARGE,
        UNSAFE_PATH,
        UNSAFE_LINK,
        UNSAFE_MEMBER,
        MISSING_INFO,
        NAME_NOT_LOWERCASE,
        INVALID_RUN_EXPORTS,
        EXPANSION_TOO_LARGE,
        VALIDATION_TIME_LIMIT,
        METADATA_INVALID,
        METADATA_INTEGER_RANGE,
        METADATA_NUMBER_RANGE,
        METADATA_INVALID_UNICODE,
        METADATA_BOM,
        METADATA_TOO_DEEP,
    }
)


@dataclass(frozen=True)
class Limits:
    """Caps on what one package may make us read, decompress and hold."""

    max_package_bytes: int = 100 * 1024 * 1024  # whole file (configurable per deployment)
    max_metadata_bytes: int = 32 * 1024 * 1024  # decompressed info archive total (bomb cap)
    max_json_bytes: int = 2 * 1024 * 1024  # any single JSON member we parse
    max_payload_bytes: int = 16 * 1024 * 1024 * 1024  # decompressed pkg archive (bomb cap)
    max_members: int = 1_000_000
    # Decompressing costs CPU per byte produced (bzip2 as little as 8 MB/s) and tarfile
    # about 60 us per member, so both are bounded by the compressed bytes read so far:
    # a 14 kB file must not make us inflate 16 GiB. Real packages unpack to 3-15 times
    # their size and hold far fewer members than one per 256 compressed bytes.
    max_expansion: int = 32  # unpacked bytes per compressed byte, past the allowance
    expansion_allowance: int = 32 * 1024 * 1024
    member_allowance: int = 10_000
    compressed_bytes_per_member: int = 256


DEFAULT_LIMITS: Final = Limits()


@dataclass(frozen=True)
class PackageFacts:
    """What a package's bytes say about it, once they passed every check."""

    filename: PackageFilename
    size: int
    sha256: str  # lower hex
    md5: str  # lower hex
    index: Mapping[str, Any]  # parsed info/index.json
    about: Mapping[str, Any] | None  # info/about.json if present and parseable
    # info/run_exports.json as rattler reads it (known keys, non-empty lists); None if absent
    run_exports: Mapping[str, list[str]] | None


class ByteStream(Protocol):
    def read(self, size: int, /) -> bytes: ...


_CHUNK: Final = 256 * 1024
# The .conda central directory (three entries) and end record must sit in the last bytes.
_TAIL: Final = 128 * 1024
# PAX and GNU long-name records are read whole by tarfile; real ones are a few KiB.
_MAX_TAR_HEADER_RECORD: Final = 1024 * 1024
_INDEX: Final = "info/index.json"
_ABOUT: Final = "info/about.json"
_RUN_EXPORTS: Final = "info/run_exports.json"
_JSON_MEMBERS: Final = frozenset({_INDEX, _ABOUT, _RUN_EXPORTS})
_DRIVE: Final = re.compile(r"^[A-Za-z]:")
_ALLOWED_TYPES: Final = frozenset(
    {tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE}
)
_HEADER_RECORD_TYPES: Final = frozenset(
    {tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE, tarfile.GNUTYPE_LONGNAME}
    | {tarfile.GNUTYPE_LONGLINK}
)


def _reject(message: str, code: str) -> PackageRejected:
    return PackageRejected(message, code=code)


# --- public API -------------------------------------------------------------------------------


def read_package(
    stream: ByteStream,
    filename: str,
    limits: Limits = DEFAULT_LIMITS,
    *,
    out_of_time: Callable[[], bool] | None = None,
) -> PackageFacts:
    """Read, hash and validate a package in one pass.

    ``out_of_time`` is asked as the archive is unpacked; once it answers True the package
    is refused (VALIDATION_TIME_LIMIT) rather than let the caller's own deadline pass.
    Raises PackageRejected (PackageTooLarge past ``limits.max_package_bytes``); errors of
    the source stream itself propagate unchanged.
    """
    fn = _parse_filename(filename)  # before any byte is read
    reader = _HashingReader(stream, limits.max_package_bytes)
    found = _Found(limits, reader, out_of_time)
    try:
        if fn.extension == ".conda":
            entries = _read_conda(reader, fn, found)
            reader.drain()  # hashes cover the whole file, trailing bytes included
            _check_central_directory(bytes(reader.tail), reader.size, entries)
        else:
            _read_tar_bz2(reader, found)
            reader.drain()
    except _SourceFailed as exc:
        raise exc.error from None
    except PackageRejected:
        raise
    except stream_unzip.NotStreamUnzippable as exc:
        raise _reject(
            "a zip member is stored uncompressed with its size only after the data, "
            "so the .conda cannot be read as a stream",
            CORRUPT_ARCHIVE,
        ) from exc
    except (
        tarfile.TarError,
        zstandard.ZstdError,
        stream_unzip.UnzipError,
        OSError,  # bz2: invalid data
        EOFError,
        struct.error,
    ) as exc:
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise _reject(f"the archive is corrupt ({reason})", CORRUPT_ARCHIVE) from exc
    index = _parse_index(found.json.get(_INDEX))
    _validate_index(index, fn)
    return PackageFacts(
        filename=fn,
        size=reader.size,
        sha256=reader.sha256.hexdigest(),
        md5=reader.md5.hexdigest(),
        index=MappingProxyType(index),
        about=_parse_optional(found.json.get(_ABOUT)),
        run_exports=_parse_run_exports(found.json.get(_RUN_EXPORTS)),
    )


def check_package(
    facts: PackageFacts,
    *,
    expected_sha256: str | None = None,
    expected_size: int | None = None,
    target_subdir: str | None = None,
) -> None:
    """Compare a read package with what the caller expected; raise PackageRejected."""
    if expected_sha256 is not None and expected_sha256.lower() != facts.sha256:
        raise _reject(
            f"the package's sha256 is {facts.sha256}, expected {expected_sha256}", SHA256_MISMATCH
        )
    if expected_size is not None and expected_size != facts.size:
        raise _reject(f"the package is {facts.size} bytes, expected {expected_size}", SIZE_MISMATCH)
    if target_subdir is not None and target_subdir != facts.index["subdir"]:
        raise _reject(
            f"the package is for subdir '{facts.index['subdir']}', not '{target_subdir}'",
            SUBDIR_MISMATCH,
        )


def inspect_package(
    stream: ByteStream,
    filename: str,
    limits: Limits = DEFAULT_LIMITS,
    *,
    expected_sha256: str | None = None,
    expected_size: int | None = None,
    target_subdir: str | None = None,
) -> PackageFacts:
    """read_package then check_package; raise PackageRejected. (A caller with a deadline
    calls the two itself: read_package takes ``out_of_time``.)"""
    facts = read_package(stream, filename, limits)
    check_package(
        facts,
        expected_sha256=expected_sha256,
        expected_size=expected_size,
        target_subdir=target_subdir,
    )
    return facts


# --- readers ----------------------------------------------------------------------------------


class _SourceFailed(Exception):
    """The source stream itself failed (network, disk): not the package's fault."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class _HashingReader:
    """Counts, hashes and size-limits every byte taken from the source, and keeps the tail."""

    def __init__(self, source: ByteStream, limit: int) -> None:
        self._source = source
        self._limit = limit
        self.size = 0
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.tail = bytearray()

    def read(self, n: int) -> bytes:
        try:
            data = self._source.read(n) or b""
        except Exception as exc:
            raise _SourceFailed(exc) from exc
        self.size += len(data)
        if self.size > self._limit:
            # Refuse as soon as the limit is passed, not after reading the rest.
            raise PackageTooLarge(
                f"the package is larger than the limit of {self._limit} bytes", code=TOO_LARGE
            )
        self.sha256.update(data)
        self.md5.update(data)
        self.tail += data
        if len(self.tail) > 2 * _TAIL:  # trimmed in batches: tiny reads stay cheap
            del self.tail[:-_TAIL]
        return data

    def read_exactly(self, n: int) -> bytes:
        parts: list[bytes] = []
        while n > 0 and (data := self.read(n)):
            parts.append(data)
            n -= len(data)
        return b"".join(parts)

    def chunks(self) -> Iterator[bytes]:
        while data := self.read(_CHUNK):
            yield data

    def drain(self) -> None:
        for _ in self.chunks():
            pass


class _Capped:
    """Counts bytes read through it and refuses past ``limit``: the decompression-bomb cap."""

    def __init__(self, inner: ByteStream, limit: int, code: str, what: str, found: _Found) -> None:
        self._inner = inner
        self._limit = limit
        self._code = code
        self._what = what
        self._found = found
        self.count = 0

    def read(self, n: int) -> bytes:
        data = self._inner.read(n)
        self.count += len(data)
        if self.count > self._limit:
            raise _reject(f"{self._what} is larger than {self._limit} bytes", self._code)
        self._found.unpacked(len(data))
        return data

    def drain(self) -> None:
        while self.read(_CHUNK):
            pass


class _IterReader:
    """File-like view of an iterator of chunks (a zip member), for zstandard."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, n: int = -1) -> bytes:
        if not self._buffer:
            self._buffer = next(self._chunks, b"")
        if n < 0:
            n = len(self._buffer)
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data


class _Bz2Reader:
    """bzip2 with bounded output per read, read the way ``bz2.BZ2File`` reads it.

    tarfile's own ``r|bz2`` inflates whole input chunks at once, which a bzip2 bomb turns
    into gigabytes in memory. Concatenated streams (pbzip2) continue the same tar, so we
    check every member any client could see; bytes after the last stream that are not
    bzip2 are ignored, as BZ2File ignores them.
    """

    def __init__(self, raw: _HashingReader, head: bytes) -> None:
        self._raw = raw
        self._pending = head
        self._decompressor = bz2.BZ2Decompressor()
        self._fresh = False  # a stream after the first that has not produced output yet
        self._done = False

    def read(self, n: int) -> bytes:
        while not self._done:
            if self._decompressor.eof:
                self._pending = self._decompressor.unused_data or self._raw.read(_CHUNK)
                if not self._pending:
                    break
                self._decompressor = bz2.BZ2Decompressor()
                self._fresh = True
            data, self._pending = self._pending, b""
            if not data and self._decompressor.needs_input:
                data = self._raw.read(_CHUNK)
                if not data:
                    raise _reject("the bzip2 stream is truncated", CORRUPT_ARCHIVE)
            try:
                out = self._decompressor.decompress(data, n)
            except OSError:
                if not self._fresh:
                    raise
                self._done = True  # trailing bytes that are not another stream
                break
            if out:
                self._fresh = False
                return out
        return b""


class _GuardedTarInfo(tarfile.TarInfo):
    """Every tar header block passes through here, so odd archives fail loudly, not quietly."""

    __slots__ = ()

    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> Self:
        # tarfile quietly ends the archive at a short or corrupt header after the first
        # member; other unpackers do not, so they could disagree about the members.
        if len(buf) != tarfile.BLOCKSIZE:
            raise _reject("a tar archive ends without its end-of-archive marker", CORRUPT_ARCHIVE)
        if not any(buf):
            return super().frombuf(buf, encoding, errors)  # the end-of-archive marker
        try:
            info = super().frombuf(buf, encoding, errors)
        except tarfile.HeaderError as exc:
            raise _reject(f"a tar archive has an invalid header ({exc})", CORRUPT_ARCHIVE) from exc
        if info.type in _HEADER_RECORD_TYPES and info.size > _MAX_TAR_HEADER_RECORD:
            raise _reject("a tar archive has an oversized extended header", UNSAFE_MEMBER)
        return info

    # tarfile reads GNU sparse maps into memory with no bound; packages never hold sparse
    # files, so these (CPython-private) hooks refuse before that happens. _check_member also
    # refuses any sparse member that got past them.
    def _refuse_sparse(self, *args: object) -> NoReturn:
        raise _reject("a tar archive holds a sparse file", UNSAFE_MEMBER)

    _proc_sparse = _proc_gnusparse_00 = _proc_gnusparse_01 = _proc_gnusparse_10 = _refuse_sparse


# --- archive walking --------------------------------------------------------------------------


@dataclass
class _Found:
    limits: Limits
    reader: _HashingReader
    out_of_time: Callable[[], bool] | None = None
    json: dict[str, bytes] = field(default_factory=dict)
    symlinks: set[str] = field(default_factory=set)
    members: int = 0
    info_members: int = 0
    info_bytes: int = 0
    unpacked_bytes: int = 0

    def unpacked(self, n: int) -> None:
        """Count ``n`` more decompressed bytes against what the compressed bytes allow."""
        self.unpacked_bytes += n
        limits = self.limits
        allowed = limits.expansion_allowance + limits.max_expansion * self.reader.size
        if self.unpacked_bytes > allowed:
            raise _reject(
                f"the package unpacks to more than {allowed} bytes after {self.reader.size} "
                f"compressed bytes (at most {limits.expansion_allowance} bytes plus "
                f"{limits.max_expansion} per compressed byte)",
                EXPANSION_TOO_LARGE,
            )
        self.check_time()

    def check_time(self) -> None:
        if self.out_of_time is not None and self.out_of_time():
            raise _reject(
                "validating the package took longer than allowed here (it unpacks too slowly); "
                "the presigned upload (POST /api/v1/channels/<channel>/uploads) allows the most",
                VALIDATION_TIME_LIMIT,
            )


@dataclass
class _ZipEntry:
    name: bytes
    size: int = 0
    crc: int = 0


def _parse_filename(filename: str) -> PackageFilename:
    try:
        # New packages only: index.json must agree with the filename, so this covers both.
        return _lowercase(parse_package_filename(filename))
    except InvalidName as exc:
        raise _reject(exc.message, exc.code) from exc


def _lowercase(fn: PackageFilename) -> PackageFilename:
    require_lowercase_name(fn.name)
    return fn


def _tracked(
    chunks: Iterator[bytes], entry: _ZipEntry, limit: int, code: str, found: _Found
) -> Iterator[bytes]:
    """A zip member's bytes, capped and with size and CRC kept for the central directory check."""
    for chunk in chunks:
        entry.size += len(chunk)
        if entry.size > limit:
            raise _reject(f"{entry.name.decode()} is larger than {limit} bytes", code)
        found.unpacked(len(chunk))  # a deflated zip member inflates too
        entry.crc = zlib.crc32(chunk, entry.crc)
        yield chunk


def _read_conda(reader: _HashingReader, fn: PackageFilename, found: _Found) -> list[_ZipEntry]:
    head = reader.read_exactly(4)
    if head != b"PK\x03\x04":
        raise _reject(f"{fn.filename} is not a zip archive", NOT_A_ZIP)
    limits = found.limits
    # conda finds the parts by the filename's stem, so any other name would not install.
    roles = {
        "metadata.json": ("metadata.json", limits.max_json_bytes, METADATA_TOO_LARGE),
        f"info-{fn.stem}.tar.zst": ("info", limits.max_metadata_bytes, METADATA_TOO_LARGE),
        f"pkg-{fn.stem}.tar.zst": ("pkg", limits.max_payload_bytes, PAYLOAD_TOO_LARGE),
    }
    entries: list[_ZipEntry] = []
    seen: set[str] = set()
    members = stream_unzip.stream_unzip(
        itertools.chain((head,), reader.chunks()),
        allowed_encryption_mechanisms=(stream_unzip.NO_ENCRYPTION,),
    )
    for raw_name, _size, chunks in members:
        try:
            name = raw_name.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _reject("a zip member name is not UTF-8", CORRUPT_ARCHIVE) from exc
        if name not in roles:
            if name.startswith(("info-", "pkg-")) and name.endswith(".tar.zst"):
                raise _reject(
                    f"the zip member '{name}' does not match the filename '{fn.filename}'",
                    FILENAME_MISMATCH,
                )
            raise _reject(f"unexpected zip member '{name}'", CORRUPT_ARCHIVE)
        if name in seen:
            raise _reject(f"the zip member '{name}' appears twice", CORRUPT_ARCHIVE)
        seen.add(name)
        role, limit, code = roles[name]
        entry = _ZipEntry(raw_name)
        entries.append(entry)
        data = _tracked(chunks, entry, limit, code, found)
        if role != "metadata.json":  # metadata.json must exist; nothing in it matters to us
            # The default zstd window limit (128 MiB) bounds the decompressor's memory.
            decompressed = zstandard.ZstdDecompressor().stream_reader(
                cast(IO[bytes], _IterReader(data)), read_size=_CHUNK, read_across_frames=True
            )
            tar = _Capped(decompressed, limit, code, f"the {role} archive", found)
            _scan_tar(tar, role, found)
            tar.drain()  # the tar padding, and the zstd frame to its end
        for _ in data:
            pass
    missing = [name for name in roles if name not in seen]
    if missing:
        raise _reject(f"the package has no {', '.join(missing)}", MISSING_INFO)
    return entries


def _read_tar_bz2(reader: _HashingReader, found: _Found) -> None:
    head = reader.read_exactly(3)
    if head != b"BZh":
        raise _reject("the package is not a bzip2-compressed tar", NOT_A_BZIP2_TAR)
    tar = _Capped(
        _Bz2Reader(reader, head),
        found.limits.max_payload_bytes,
        PAYLOAD_TOO_LARGE,
        "the tar",
        found,
    )
    _scan_tar(tar, "both", found)
    tar.drain()  # to the end of the bzip2 stream: a truncated one is refused
    if not found.info_members:
        raise _reject("the package has no info/ directory", MISSING_INFO)


def _scan_tar(stream: ByteStream, role: str, found: _Found) -> None:
    """Check every member of one tar stream; keep the JSON members we parse.

    ``role`` is "info" or "pkg" (the two .conda archives) or "both" (a .tar.bz2).
    """
    with tarfile.open(
        fileobj=cast(IO[bytes], stream),
        mode="r|",
        bufsize=_CHUNK,
        tarinfo=_GuardedTarInfo,
        encoding="utf-8",
        errors="surrogateescape",  # undecodable names survive to be refused in _check_path
    ) as tar:
        while (member := tar.next()) is not None:
            cast(Any, tar).members.clear()  # stream mode keeps every TarInfo otherwise
            _visit_member(tar, member, role, found)


def _visit_member(tar: tarfile.TarFile, member: tarfile.TarInfo, role: str, found: _Found) -> None:
    limits = found.limits
    found.members += 1
    if found.members > limits.max_members:
        code = METADATA_TOO_LARGE if role == "info" else PAYLOAD_TOO_LARGE
        raise _reject(f"the package has more than {limits.max_members} members", code)
    allowed = limits.member_allowance + found.reader.size // limits.compressed_bytes_per_member
    if found.members > allowed:
        raise _reject(
            f"the package has more than {allowed} members in its first {found.reader.size} "
            f"bytes (at most {limits.member_allowance} plus one per "
            f"{limits.compressed_bytes_per_member} compressed bytes)",
            EXPANSION_TOO_LARGE,
        )
    found.check_time()
    path = _check_member(member, found.symlinks)
    folded = _fold(path)  # INFO/ is info/ where clients unpack case-insensitively
    in_info = folded == "info" or folded.startswith("info/")
    if role == "pkg" and in_info:
        # Both archives unpack into one directory: pkg must not overwrite the metadata.
        raise _reject(f"the pkg archive writes into info/ ({path})", UNSAFE_PATH)
    if not in_info:
        return
    found.info_members += 1
    found.info_bytes += member.size
    if role == "both" and found.info_bytes > limits.max_metadata_bytes:
        raise _reject(f"info/ is larger than {limits.max_metadata_bytes} bytes", METADATA_TOO_LARGE)
    if folded not in _JSON_MEMBERS:
        return
    if folded in found.json or path != folded:
        # Whichever copy a client unpacks last wins; refuse rather than guess which.
        raise _reject(f"{path} appears twice, or in another case", CORRUPT_ARCHIVE)
    if not member.isfile():
        if path == _INDEX:
            raise _reject(f"{path} is not a regular file", INVALID_INDEX_JSON)
        return
    if member.size > limits.max_json_bytes:
        raise _reject(f"{path} is larger than {limits.max_json_bytes} bytes", METADATA_TOO_LARGE)
    extracted = tar.extractfile(member)
    assert extracted is not None  # a regular file always extracts
    found.json[path] = extracted.read()


# --- member safety ----------------------------------------------------------------------------


def _check_path(name: str) -> str:
    """Return ``name`` normalized if unpacking it stays inside the package directory."""
    if (
        not name
        or "\x00" in name
        or "\\" in name  # a separator on Windows: 'a\\..\\..\\x' escapes there
        or name.startswith("/")
        or _DRIVE.match(name)
        or ".." in name.split("/")
        or not _is_utf8(name)
    ):
        raise _reject(f"unsafe member path {name!r}", UNSAFE_PATH)
    return posixpath.normpath(name)


def _check_member(member: tarfile.TarInfo, symlinks: set[str]) -> str:
    path = _check_path(member.name)
    if member.type not in _ALLOWED_TYPES or member.sparse is not None:
        # Devices and fifos have no place in a package; GNU sparse and unknown types are
        # read differently by different unpackers.
        raise _reject(f"{path} is not a file, directory or link", UNSAFE_MEMBER)
    # A member under a symlink that came earlier would be written wherever the link points,
    # and a link there would resolve its '..' from there. Compared folded, because macOS
    # and Windows clients unpack onto case- and normalization-insensitive filesystems.
    parent = posixpath.dirname(path)
    while parent:
        if _fold(parent) in symlinks:
            raise _reject(f"{path} is inside the symlink {parent}", UNSAFE_LINK)
        parent = posixpath.dirname(parent)
    if member.issym():
        _check_link(path, member.linkname, depth=len(_parts(posixpath.dirname(path))))
        symlinks.add(_fold(path))
    elif member.islnk():
        _check_link(path, member.linkname, depth=0)  # hardlink targets are archive paths
    return path


def _fold(path: str) -> str:
    return unicodedata.normalize("NFC", path).casefold()


def _parts(path: str) -> list[str]:
    return [part for part in path.split("/") if part not in ("", ".")]


def _check_link(path: str, target: str, *, depth: int) -> None:
    """Refuse a link unless its target stays inside the package directory.

    '..' is only allowed leading, and no more of them than the link's own depth: once a
    path has gone down through a name that may itself be a symlink, going back up could
    land anywhere, so 'a/../..' style targets are refused outright.
    """
    if (
        not target
        or "\x00" in target
        or "\\" in target
        or target.startswith("/")
        or _DRIVE.match(target)
        or not _is_utf8(target)
    ):
        raise _reject(f"the link {path} has an unsafe target {target!r}", UNSAFE_LINK)
    parts = _parts(target)
    ups = len(list(itertools.takewhile(lambda part: part == "..", parts)))
    if ups > depth or ".." in parts[ups:]:
        raise _reject(f"the link {path} -> {target} points outside the package", UNSAFE_LINK)


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# --- the zip central directory ----------------------------------------------------------------

_EOCD: Final = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR: Final = struct.Struct("<4sLQL")
_ZIP64_EOCD: Final = struct.Struct("<4sQ2H2L4Q")
_CENTRAL: Final = struct.Struct("<4s6H3L5H2L")
_U32: Final = 0xFFFFFFFF


def _check_central_directory(tail: bytes, file_size: int, entries: list[_ZipEntry]) -> None:
    """Refuse a .conda whose central directory disagrees with the local headers we streamed.

    We read the zip front to back; zipfile-based clients read it through the central
    directory at the end. If the two disagree, a package could show us one payload and
    install another (a ZIP parser confusion attack), so the directory must end the file,
    list the same members in the same order with the same sizes and CRCs, at increasing,
    non-overlapping offsets.
    """
    base = file_size - len(tail)

    def fail(why: str) -> PackageRejected:
        return _reject(f"the zip central directory {why}", CORRUPT_ARCHIVE)

    pos = tail.rfind(b"PK\x05\x06")
    while pos >= 0 and not (
        pos + _EOCD.size <= len(tail)
        and pos + _EOCD.size + _EOCD.unpack_from(tail, pos)[-1] == len(tail)
    ):
        pos = tail.rfind(b"PK\x05\x06", 0, pos)
    if pos < 0:
        raise fail("end record is missing or not at the end of the file")
    _, disk, cd_disk, on_disk, total, cd_size, cd_offset, _ = _EOCD.unpack_from(tail, pos)
    cd_end = base + pos
    if _U32 in (cd_size, cd_offset) or 0xFFFF in (on_disk, total):
        locator = pos - _ZIP64_LOCATOR.size
        if locator < 0 or tail[locator : locator + 4] != b"PK\x06\x07":
            raise fail("zip64 locator is missing")
        cd_end = _ZIP64_LOCATOR.unpack_from(tail, locator)[2]
        if not 0 <= cd_end - base <= locator - _ZIP64_EOCD.size:
            raise fail("zip64 end record is misplaced")
        record = _ZIP64_EOCD.unpack_from(tail, cd_end - base)
        if record[0] != b"PK\x06\x06":
            raise fail("zip64 end record is missing")
        disk, cd_disk, on_disk, total, cd_size, cd_offset = record[4:]
    if disk or cd_disk or on_disk != total:
        raise fail("spans several disks")
    if cd_offset + cd_size != cd_end or cd_offset < base:
        raise fail("is not where the end record says")
    if total != len(entries):
        raise fail(f"lists {total} members, the archive holds {len(entries)}")
    at, free = cd_offset - base, 0
    for entry in entries:
        if at + _CENTRAL.size > cd_end - base:
            raise fail("is truncated")
        header = _CENTRAL.unpack_from(tail, at)
        signature, crc, csize, usize, name_len, extra_len, comment_len = (
            header[0],
            *header[7:13],
        )
        offset = header[-1]
        name = tail[at + _CENTRAL.size : at + _CENTRAL.size + name_len]
        extra = tail[at + _CENTRAL.size + name_len : at + _CENTRAL.size + name_len + extra_len]
        usize, csize, offset = _zip64_sizes(extra, usize, csize, offset)
        if signature != b"PK\x01\x02" or name != entry.name:
            raise fail(f"does not list {entry.name.decode()} where expected")
        if usize != entry.size or crc != entry.crc:
            raise fail(f"disagrees about the contents of {entry.name.decode()}")
        if offset < free:
            raise fail(f"places {entry.name.decode()} over another member")
        free = offset + 30 + name_len + csize  # the smallest local header and its data
        at += _CENTRAL.size + name_len + extra_len + comment_len
    if at != cd_end - base or free > cd_offset:
        raise fail("does not match the members")


def _zip64_sizes(extra: bytes, usize: int, csize: int, offset: int) -> tuple[int, int, int]:
    """Fields saturated at 0xFFFFFFFF continue in the zip64 extra, in this order."""
    at = 0
    while at + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, at)
        if tag == 1:
            values = iter(struct.unpack_from(f"<{length // 8}Q", extra, at + 4))
            fields = [next(values, v) if v == _U32 else v for v in (usize, csize, offset)]
            return fields[0], fields[1], fields[2]
        at += 4 + length
    return usize, csize, offset


# --- index.json -------------------------------------------------------------------------------


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Parsers disagree on which duplicate wins; refuse rather than pick one.
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _load_json(data: bytes | str) -> Any:
    return json.loads(
        data,
        object_pairs_hook=_strict_object,
        parse_constant=_no_constant,
        parse_float=metadata.parse_float,
    )


# run_exports are copied into every repodata record and run_exports.json: keep them small.
MAX_RUN_EXPORTS_BYTES: Final = 32 * 1024
_RUN_EXPORTS_KEYS: Final = ("weak", "strong", "noarch", "weak_constrains", "strong_constrains")


def _parse_run_exports(data: bytes | None) -> Mapping[str, list[str]] | None:
    """rattler's reading of info/run_exports.json: the five known keys, each a list of
    strings (empty ones and unknown keys dropped). Anything else is refused rather than
    dropped: clients would take a missing entry as "no run_exports" and build wrong."""
    if data is None:
        return None
    try:
        value = _load_json(data)
    except (ValueError, RecursionError) as exc:
        message = f"info/run_exports.json is not valid JSON ({exc})"
        raise _reject(message, INVALID_RUN_EXPORTS) from exc
    if not isinstance(value, dict) or not all(
        _is_str_list(value[key]) for key in _RUN_EXPORTS_KEYS if key in value
    ):
        raise _reject(
            "info/run_exports.json must map weak, strong, noarch, weak_constrains and "
            "strong_constrains to lists of strings",
            INVALID_RUN_EXPORTS,
        )
    known = {key: list(value[key]) for key in _RUN_EXPORTS_KEYS if value.get(key)}
    if len(json.dumps(known)) > MAX_RUN_EXPORTS_BYTES:
        raise _reject(
            f"info/run_exports.json is larger than {MAX_RUN_EXPORTS_BYTES} bytes",
            INVALID_RUN_EXPORTS,
        )
    return MappingProxyType(known)


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _parse_index(data: bytes | None) -> dict[str, Any]:
    if data is None:
        raise _reject("the package has no info/index.json", MISSING_INDEX_JSON)
    text = metadata.decode_index_json(data)
    if isinstance(text, metadata.Problem):
        raise _reject(text.message, text.code)
    try:
        index = _load_json(text)
    except metadata.FloatOutOfRange as exc:
        raise _reject(f"info/index.json: {exc.problem.message}", exc.problem.code) from exc
    except RecursionError as exc:
        raise _reject("info/index.json nests too deep", METADATA_TOO_DEEP) from exc
    except ValueError as exc:  # JSONDecodeError, duplicate keys, NaN
        raise _reject(f"info/index.json is not valid JSON ({exc})", INVALID_INDEX_JSON) from exc
    if not isinstance(index, dict):
        raise _reject("info/index.json is not a JSON object", INVALID_INDEX_JSON)
    return index


def _parse_optional(data: bytes | None) -> Mapping[str, Any] | None:
    """about.json and run_exports.json are informational: a broken one is dropped, not fatal."""
    if data is None:
        return None
    try:
        value = _load_json(data)
    except (ValueError, RecursionError):
        return None
    return MappingProxyType(value) if isinstance(value, dict) else None


def _validate_index(index: Mapping[str, Any], fn: PackageFilename) -> None:
    for key in ("name", "version", "build", "build_number", "subdir"):
        if key not in index:
            raise _reject(f"info/index.json has no '{key}'", MISSING_FIELD)
    # One record clients or the index writer cannot carry would break the whole subdir.
    problem = metadata.record_problem(index)
    if problem is not None:
        raise _reject(f"info/index.json: {problem.message}", problem.code)
    try:
        validate_package_name(index["name"])
        validate_version(index["version"])
        validate_build_string(index["build"])
        validate_subdir(index["subdir"])
    except InvalidName as exc:
        raise _reject(f"info/index.json: {exc.message}", exc.code) from exc
    for key, from_filename in (("name", fn.name), ("version", fn.version), ("build", fn.build)):
        if index[key] != from_filename:
            raise _reject(
                f"info/index.json says {key} '{index[key]}' but the filename says "
                f"'{from_filename}'",
                FILENAME_MISMATCH,
            )
