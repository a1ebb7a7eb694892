"""What a package's metadata may hold so that every index writer and client can carry it.

One record that the index writer (JSON, msgpack shards, the table) or a client (rattler's
serde, conda) cannot represent would make the whole subdir unreadable or unpublishable,
so validation refuses it, and the indexer leaves out any such record that got into the
table before these rules existed. Both call ``record_problem``; it is pure and cheap.

The limits are what the wire formats allow, not deployment settings: an index must stay
readable whatever the configuration.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

# Reason codes: part of the public contract, never change one.
INVALID_FIELD: Final = "invalid-field"  # a well-known field of the wrong type or shape
METADATA_INVALID: Final = "metadata-invalid"  # a value no JSON document can hold
METADATA_INTEGER_RANGE: Final = "metadata-integer-range"
METADATA_NUMBER_RANGE: Final = "metadata-number-range"
METADATA_INVALID_UNICODE: Final = "metadata-invalid-unicode"
METADATA_BOM: Final = "metadata-bom"
METADATA_TOO_DEEP: Final = "metadata-too-deep"
METADATA_TOO_LARGE: Final = "metadata-too-large"

# A DynamoDB item is at most 400 KB and a real index.json a few KB (a metapackage with a
# thousand depends is ~40 KB); escaping can grow the text up to 6x in the table.
MAX_INDEX_JSON_BYTES: Final = 64 * 1024
MAX_RECORD_SIZE: Final = 96 * 1024  # an estimate of the serialised record, see _walk_mapping
MAX_DEPTH: Final = 16  # nesting of objects and arrays below the record itself
MAX_STRING_CHARS: Final = 8 * 1024
MAX_KEY_CHARS: Final = 256
MAX_ITEMS: Final = 4096  # entries of one array or object (e.g. depends)
# msgpack and rattler's serde carry integers as (signed) 64-bit.
MIN_INT: Final = -(2**63)
MAX_INT: Final = 2**63 - 1

# rattler reads ``timestamp`` as seconds up to 253402300799 and as milliseconds above, and
# refuses anything past 9999-12-30 either way (measured with py-rattler 0.28).
MAX_TIMESTAMP_SECONDS: Final = 253_402_207_200
SECONDS_OR_MS: Final = 253_402_300_799
MAX_TIMESTAMP_MS: Final = 253_402_207_200_000

# rattler parses purls: "pkg:" then a type and a name.
_PURL: Final = re.compile(r"^pkg:/*[A-Za-z.+-][A-Za-z0-9.+-]*/+[^/?#@]")
_MD5_HEX: Final = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_INT


def _is_timestamp(value: Any) -> bool:
    return _is_int(value) and (
        value <= MAX_TIMESTAMP_SECONDS or SECONDS_OR_MS < value <= MAX_TIMESTAMP_MS
    )


def _is_str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_purls(value: Any) -> bool:
    return _is_str_list(value) and all(_PURL.match(item) for item in value)


def _is_str_map_of_lists(value: Any) -> bool:
    return isinstance(value, Mapping) and all(_is_str_list(v) for v in value.values())


def _optional_str(value: Any) -> bool:
    return value is None or isinstance(value, str)


# Types clients require of the fields they know (rattler refuses the whole record, and with
# it the shard or repodata.json it is in, for any other). Checked in this order.
FIELD_CHECKS: Final[dict[str, tuple[Callable[[Any], bool], str]]] = {
    "name": (lambda v: isinstance(v, str), "a string"),
    "version": (lambda v: isinstance(v, str), "a string"),
    "build": (lambda v: isinstance(v, str), "a string"),
    "subdir": (lambda v: isinstance(v, str), "a string"),
    "build_number": (_is_int, "a non-negative 64-bit integer"),
    "timestamp": (_is_timestamp, "a non-negative integer (seconds or ms) before year 9999"),
    "depends": (_is_str_list, "a list of strings"),
    "constrains": (_is_str_list, "a list of strings"),
    "purls": (_is_purls, "a list of package URLs ('pkg:type/name...')"),
    "track_features": (lambda v: isinstance(v, str) or _is_str_list(v), "a string or list"),
    "noarch": (
        lambda v: v is None or v in ("python", "generic") or isinstance(v, bool),
        "python or generic",
    ),
    "extra_depends": (_is_str_map_of_lists, "an object of lists of strings"),
    "legacy_bz2_size": (_is_int, "a non-negative 64-bit integer"),
    "legacy_bz2_md5": (lambda v: isinstance(v, str) and bool(_MD5_HEX.match(v)), "md5 hex"),
    "size": (_is_int, "a non-negative 64-bit integer"),
    **{
        key: (_optional_str, "a string")
        for key in (
            "arch",
            "platform",
            "license",
            "license_family",
            "features",
            "python_site_packages_path",
        )
    },
}


def field_problem(record: Mapping[str, Any], *, none_is_absent: bool = False) -> Problem | None:
    """The first well-known field of the wrong type, if any.

    ``none_is_absent``: the index writer leaves out None values, so for a record that
    is about to be indexed a null field is as good as a missing one.
    """
    for key, value in record.items():
        check = FIELD_CHECKS.get(key)
        if check is not None and not check[0](value) and not (none_is_absent and value is None):
            return Problem(INVALID_FIELD, f"'{key}' must be {check[1]}")
    return None


def value_problem(record: Mapping[str, Any]) -> Problem | None:
    """The first value in ``record`` that JSON, msgpack or a client cannot carry, if any."""
    try:
        size = _walk_mapping(record, 0, "")
    except _Found as found:
        return found.problem
    if size > MAX_RECORD_SIZE:
        return Problem(METADATA_TOO_LARGE, f"the record is larger than {MAX_RECORD_SIZE} bytes")
    return None


def record_problem(record: Mapping[str, Any], *, none_is_absent: bool = False) -> Problem | None:
    """Why ``record`` (index.json, or a repodata record) cannot be indexed, or None."""
    return field_problem(record, none_is_absent=none_is_absent) or value_problem(record)


def decode_index_json(data: bytes) -> str | Problem:
    """index.json's bytes as text (strict UTF-8, no BOM, within the size limit), or why not."""
    if len(data) > MAX_INDEX_JSON_BYTES:
        return Problem(
            METADATA_TOO_LARGE, f"info/index.json is larger than {MAX_INDEX_JSON_BYTES} bytes"
        )
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        # Python's json quietly skips a UTF-8 BOM; other readers (conda, rattler) refuse it.
        return Problem(METADATA_BOM, "info/index.json starts with a byte order mark")
    try:
        # Strict: json.loads(bytes) would also take UTF-16/32 and encoded lone surrogates.
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Problem(METADATA_INVALID_UNICODE, f"info/index.json is not UTF-8 ({exc})")


class FloatOutOfRange(ValueError):
    """Raised through json.loads by ``parse_float``; carries the problem."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def parse_float(text: str) -> float:
    """For json.loads: a number too large for a double would come back as infinity."""
    value = float(text)
    if not math.isfinite(value):
        raise FloatOutOfRange(
            Problem(METADATA_NUMBER_RANGE, f"the number {text[:40]} is out of range")
        )
    return value


class _Found(Exception):  # a control-flow signal: the first problem ends the walk
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


# Depth-first over JSON-like values, raising _Found at the first problem; returns an
# estimate of the serialised size (string lengths plus a few bytes per value). Written
# for speed: it runs over every record of a full rebuild (100k records).


def _walk_mapping(value: Mapping[Any, Any], depth: int, where: str) -> int:
    if len(value) > MAX_ITEMS:
        raise _Found(Problem(METADATA_TOO_LARGE, f"{where or 'the record'} has too many keys"))
    size = 0
    for key, item in value.items():
        if type(key) is not str:
            raise _Found(Problem(METADATA_INVALID, f"a key {key!r} is not a string"))
        if len(key) > MAX_KEY_CHARS:
            raise _Found(Problem(METADATA_TOO_LARGE, f"a key is longer than {MAX_KEY_CHARS} chars"))
        if not key.isascii():
            _check_unicode(key, where)
        size += len(key) + 2
        kind = type(item)
        if kind is str:
            size += _string(item, _at(where, key))
        elif kind is int or kind is bool or item is None:
            size += 20
            if kind is int and not MIN_INT <= item <= MAX_INT:
                raise _Found(
                    Problem(METADATA_INTEGER_RANGE, f"'{_at(where, key)}' is outside signed 64-bit")
                )
        else:
            size += _walk_value(item, depth, _at(where, key))
        if size > MAX_RECORD_SIZE:
            raise _Found(
                Problem(METADATA_TOO_LARGE, f"the record is larger than {MAX_RECORD_SIZE} bytes")
            )
    return size


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _string(text: str, where: str) -> int:
    if len(text) > MAX_STRING_CHARS:
        raise _Found(
            Problem(METADATA_TOO_LARGE, f"'{where}' is longer than {MAX_STRING_CHARS} chars")
        )
    if not text.isascii():
        _check_unicode(text, where)
    return len(text) + 2


def _check_unicode(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _Found(
            Problem(METADATA_INVALID_UNICODE, f"'{where}' holds a lone surrogate (not Unicode)")
        ) from None


def _walk_value(value: Any, depth: int, where: str) -> int:
    if value is None or isinstance(value, bool):
        return 4
    if isinstance(value, int):
        if not MIN_INT <= value <= MAX_INT:
            raise _Found(Problem(METADATA_INTEGER_RANGE, f"'{where}' is outside signed 64-bit"))
        return 20
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Found(Problem(METADATA_NUMBER_RANGE, f"'{where}' is not a finite number"))
        return 24
    if isinstance(value, str):
        return _string(value, where)
    if not isinstance(value, list | Mapping):
        raise _Found(Problem(METADATA_INVALID, f"'{where}' is not a JSON value"))
    if depth >= MAX_DEPTH:
        raise _Found(Problem(METADATA_TOO_DEEP, f"'{where}' nests deeper than {MAX_DEPTH} levels"))
    if isinstance(value, Mapping):
        return _walk_mapping(value, depth + 1, where) + 2
    if len(value) > MAX_ITEMS:
        raise _Found(Problem(METADATA_TOO_LARGE, f"'{where}' has too many items"))
    size = 2
    for item in value:
        if type(item) is str:
            size += _string(item, where)
        else:
            size += _walk_value(item, depth + 1, where)
        if size > MAX_RECORD_SIZE:
            raise _Found(
                Problem(METADATA_TOO_LARGE, f"the record is larger than {MAX_RECORD_SIZE} bytes")
            )
    return size
