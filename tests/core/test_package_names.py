"""Package names: upper case refused for new packages, other spellings of a name refused.

No conda client installs ``Foo`` (names are looked up lower-cased), and ``Foo`` and
``foo`` would share one shard of the index (CEP 16 keys shards by the lower-cased name).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from rillet.core import package as pkg
from rillet.core.errors import Conflict, InvalidName, PackageRejected
from rillet.core.names import (
    NAME_CASE_CONFLICT,
    NAME_NOT_LOWERCASE,
    case_variant,
    case_variant_prefixes,
    parse_package_filename,
    require_lowercase_name,
    require_no_case_conflict,
)
from tests.core.package_factory import build_package, edit_index


def mixed_case_tar_bz2(tmp_path: Path, name: str) -> Path:
    """A real .tar.bz2 whose index.json and filename spell ``name`` (upper case kept)."""
    lower = build_package(tmp_path, name=name.lower(), tar_bz2=True)
    edited = edit_index(lower, lambda index: index.update(name=name))
    return edited.rename(edited.with_name(edited.name.replace(name.lower(), name, 1)))


@pytest.mark.parametrize("name", ["Foo", "fOo", "FOO", "foo-Bar", "python-Dateutil", "X"])
def test_upper_case_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidName) as caught:
        require_lowercase_name(name)
    assert caught.value.code == NAME_NOT_LOWERCASE
    assert name.lower() in caught.value.message  # says what to use instead


@pytest.mark.parametrize("name", ["foo", "foo-bar", "_libgcc_mutex", "python3.12", "r-base", "7z"])
def test_lower_case_names_pass(name: str) -> None:
    assert require_lowercase_name(name) == name


def test_filenames_from_before_the_rule_still_parse() -> None:
    # The indexer re-reads published records: old mixed-case ones must not stop it.
    assert parse_package_filename("Foo-1.0-0.tar.bz2").name == "Foo"


def test_case_variant_prefixes_cover_every_other_spelling() -> None:
    name = "ab-1c"
    prefixes = case_variant_prefixes(name)
    assert prefixes == ["A", "aB", "ab-1C"]
    # Every spelling of "ab-1c" but itself starts with one of the prefixes.
    spellings = {
        a + b + "-1" + c for a in "aA" for b in "bB" for c in "cC"
    }  # 8 spellings, 7 of them other
    for spelling in spellings - {name}:
        assert any(spelling.startswith(p) for p in prefixes), spelling
    assert not any(name.startswith(p) for p in prefixes)
    assert case_variant_prefixes("7-_.") == []  # nothing cased: no other spelling


@pytest.mark.parametrize(
    ("filename", "variant"),
    [
        ("Foo-1.0-0.conda", "Foo"),
        ("fOO-2-h1_0.tar.bz2", "fOO"),
        ("foo-1.0-0.conda", None),  # the same name
        ("Foo-bar-1.0-0.conda", None),  # another package ("foo-bar")
        ("foo-Bar-0.conda", None),  # "foo" with version "Bar": the same name
        ("Food-1.0-0.conda", None),
        ("not-a-package", None),
    ],
)
def test_case_variant(filename: str, variant: str | None) -> None:
    assert case_variant(filename, "foo") == variant


def test_case_conflict_is_a_409_with_its_reason() -> None:
    require_no_case_conflict("foo", [])
    with pytest.raises(Conflict) as caught:
        require_no_case_conflict("foo", ["Foo", "FOO"])
    assert caught.value.code == NAME_CASE_CONFLICT
    assert "'FOO'" in caught.value.message


def test_validation_refuses_an_upper_case_package(tmp_path: Path) -> None:
    path = mixed_case_tar_bz2(tmp_path, "Demo")
    assert path.name.startswith("Demo-")
    with pytest.raises(PackageRejected) as caught:
        pkg.inspect_package(io.BytesIO(path.read_bytes()), path.name)
    assert caught.value.code == NAME_NOT_LOWERCASE == pkg.NAME_NOT_LOWERCASE
    assert NAME_NOT_LOWERCASE in pkg.REASON_CODES
    # Lower-case filename, upper-case index.json: the two disagree.
    with pytest.raises(PackageRejected) as mismatch:
        pkg.inspect_package(io.BytesIO(path.read_bytes()), path.name.replace("Demo", "demo"))
    assert mismatch.value.code == pkg.FILENAME_MISMATCH
