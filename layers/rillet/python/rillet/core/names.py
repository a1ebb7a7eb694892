"""Naming rules for channels, packages, filenames and subdirs.

These names end up in S3 keys and URLs, so the rules are deliberately strict:
everything accepted here is safe as a path segment without escaping.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from rillet.core.errors import Conflict, InvalidName

# Subdirs conda clients know (rattler's Platform list plus noarch). An unknown
# subdir would be an index no client ever reads, so it is refused.
KNOWN_SUBDIRS: Final[frozenset[str]] = frozenset(
    {
        "noarch",
        "linux-32",
        "linux-64",
        "linux-aarch64",
        "linux-armv6l",
        "linux-armv7l",
        "linux-ppc64",
        "linux-ppc64le",
        "linux-riscv32",
        "linux-riscv64",
        "linux-s390x",
        "linux-loong64",
        "osx-64",
        "osx-arm64",
        "win-32",
        "win-64",
        "win-arm64",
        "freebsd-64",
        "emscripten-wasm32",
        "wasi-wasm32",
        "zos-z",
    }
)

PACKAGE_EXTENSIONS: Final[tuple[str, ...]] = (".conda", ".tar.bz2")

# Channel names share the URL space with routes and emulated services, so
# these can never be channels.
RESERVED_CHANNEL_NAMES: Final[frozenset[str]] = frozenset(
    {
        "api",
        "t",
        "_s3",
        "admin",
        "static",
        "assets",
        "docs",
        "login",
        "logout",
        "health",
        "healthz",
        "upload",
        "uploads",
        "staging",
        "channels",
        # the web app's pages (issue 12): account settings, sign-in callback, users
        "account",
        "callback",
        "users",
        "settings",
        # issue 13: /channels/new is the create page (a channel "new" would be unreachable)
        "new",
        "robots.txt",
        "favicon.ico",
        "well-known",
        "get",
        "conda",
        "noarch",
    }
)

_CHANNEL_RE: Final = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,48}[a-z0-9])?$")
_PACKAGE_NAME_RE: Final = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$")
_VERSION_RE: Final = re.compile(r"^[A-Za-z0-9_.+!]{1,64}$")
_BUILD_RE: Final = re.compile(r"^[A-Za-z0-9_.+]{1,64}$")
_SHA256_RE: Final = re.compile(r"^[0-9a-f]{64}$")


def validate_channel_name(name: str) -> str:
    """Return ``name`` if it is a valid, unreserved channel name; raise InvalidName."""
    if not isinstance(name, str) or not _CHANNEL_RE.fullmatch(name):
        raise InvalidName(
            "channel names are 1-50 characters of lower-case letters, digits, '-' and '_', "
            "starting and ending with a letter or digit"
        )
    if name in RESERVED_CHANNEL_NAMES:
        raise InvalidName(f"'{name}' is reserved and cannot be a channel name")
    return name


def validate_subdir(subdir: str) -> str:
    if not isinstance(subdir, str) or subdir not in KNOWN_SUBDIRS:  # any JSON value may come
        raise InvalidName(f"unknown subdir '{subdir}'", code="unknown-subdir")
    return subdir


def validate_package_name(name: str) -> str:
    if not isinstance(name, str) or not _PACKAGE_NAME_RE.fullmatch(name):
        raise InvalidName(f"invalid package name {name!r}", code="invalid-package-name")
    return name


def validate_version(version: str) -> str:
    if (
        not isinstance(version, str)
        or not _VERSION_RE.fullmatch(version)
        or version.startswith((".", "+", "_"))
        or version.endswith((".", "+", "_"))
        or ".." in version
        or version.count("!") > 1
        or version.count("+") > 1
    ):
        raise InvalidName(f"invalid version {version!r}", code="invalid-version")
    return version


def validate_build_string(build: str) -> str:
    if not isinstance(build, str) or not _BUILD_RE.fullmatch(build):
        raise InvalidName(f"invalid build string {build!r}", code="invalid-build")
    return build


def validate_sha256_hex(value: str) -> str:
    if not isinstance(value, str) or not _SHA256_RE.fullmatch(value):
        raise InvalidName("sha256 must be 64 lower-case hex digits", code="invalid-sha256")
    return value


@dataclass(frozen=True)
class PackageFilename:
    """A conda package filename split into its parts."""

    name: str
    version: str
    build: str
    extension: str

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.version}-{self.build}{self.extension}"

    @property
    def stem(self) -> str:
        return f"{self.name}-{self.version}-{self.build}"


def split_extension(filename: str) -> tuple[str, str]:
    """Split ``filename`` into (stem, extension); raise if the extension is not a package's."""
    for ext in PACKAGE_EXTENSIONS:
        if filename.endswith(ext) and len(filename) > len(ext):
            return filename[: -len(ext)], ext
    raise InvalidName(
        f"'{filename}' is not a conda package filename (expected .conda or .tar.bz2)",
        code="unknown-extension",
    )


def parse_package_filename(filename: str) -> PackageFilename:
    """Parse ``name-version-build.ext``; raise InvalidName with a specific code."""
    if not isinstance(filename, str) or "/" in filename or "\\" in filename or "\x00" in filename:
        raise InvalidName("a package filename is a single path segment", code="invalid-filename")
    if len(filename) > 255:
        raise InvalidName("package filename is longer than 255 characters", code="invalid-filename")
    stem, ext = split_extension(filename)
    parts = stem.rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        raise InvalidName(
            f"'{filename}' is not of the form <name>-<version>-<build>{ext}",
            code="invalid-filename",
        )
    name, version, build = parts
    validate_package_name(name)
    validate_version(version)
    validate_build_string(build)
    return PackageFilename(name=name, version=version, build=build, extension=ext)


def normalized_package_name(name: str) -> str:
    """Shard keys and name comparisons use the lower-cased name (CEP 16)."""
    return name.lower()


# Reason codes of the two rules below (stable, like those in core.errors).
NAME_NOT_LOWERCASE: Final = "name-not-lowercase"
NAME_CASE_CONFLICT: Final = "name-case-conflict"


def require_lowercase_name(name: str) -> str:
    """New packages have lower-case names: conda clients look names up lower-cased, and
    two spellings would share one shard (CEP 16). Records published before this rule are
    still read and indexed; only new uploads are refused (InvalidName)."""
    if name != name.lower():
        raise InvalidName(
            f"package name {name!r} has upper-case letters; conda package names are "
            f"lower-case (use {name.lower()!r})",
            code=NAME_NOT_LOWERCASE,
        )
    return name


def case_variant_prefixes(name: str) -> list[str]:
    """Filename prefixes that every other spelling of lower-case ``name`` starts with one of.

    Another spelling has a first upper-case letter; before it, it is ``name`` itself.
    So one prefix per letter of ``name``: ``name[:i] + name[i].upper()``. A store sorted
    by filename answers each with a short range read, empty unless a spelling exists.
    """
    return [name[:i] + c.upper() for i, c in enumerate(name) if c.upper() != c]


def case_variant(filename: str, name: str) -> str | None:
    """The package name of ``filename`` if it is ``name`` spelled with other case."""
    try:
        found = parse_package_filename(filename).name
    except InvalidName:
        return None
    return found if found != name and found.lower() == name.lower() else None


def require_no_case_conflict(name: str, spellings: Iterable[str]) -> None:
    """Refuse ``name`` when the subdir already has it spelled otherwise (Conflict: 409)."""
    others = sorted(set(spellings))
    if others:
        raise Conflict(
            f"the channel already has package {others[0]!r} in this subdir; names that "
            f"differ only in case would share one index shard",
            code=NAME_CASE_CONFLICT,
        )
