"""Token formats: every issued token is something conda can carry in a /t/<token>/ URL."""

from __future__ import annotations

import re

import pytest

from rillet.core.tokens import (
    ADMIN_PREFIX,
    API_KEY_PREFIX,
    CONDA_TOKEN_RE,
    MINTED_PREFIX,
    SECRET_ALPHABET,
    SECRET_LENGTH,
    new_admin_token,
    new_api_key,
    new_minted_token,
    plausible_token,
)
from rillet.runtime.wiring import random_secret

# How conda finds the token of a channel URL (conda.common.url.split_anaconda_token).
CONDA_SPLIT = re.compile(r"/t/([a-zA-Z0-9-]*)")
LEGACY_KEY = "rlt_" + "Ab1_-" * 9  # the old format: token_urlsafe, '_' and '-' included


def conda_token(url: str) -> str:
    match = CONDA_SPLIT.search(url)
    assert match is not None
    return match.group(1)


def issued() -> list[str]:
    return [
        new_api_key(random_secret(), "abc").secret,
        new_minted_token(random_secret(), "abc").secret,
        new_admin_token(random_secret()),
    ]


def test_issued_tokens_survive_condas_url_parser() -> None:
    for _ in range(200):
        for token in issued():
            assert CONDA_TOKEN_RE.fullmatch(token), token
            url = f"https://conda.example.com/t/{token}/acme/noarch/repodata.json"
            assert conda_token(url) == token
            assert plausible_token(token)


def test_the_legacy_format_is_what_conda_cut_short() -> None:
    url = f"https://conda.example.com/t/{LEGACY_KEY}/acme/noarch/repodata.json"
    assert conda_token(url) == "rlt"  # why the format changed
    assert plausible_token(LEGACY_KEY)  # ... and it keeps working where it can be sent


def test_each_kind_has_its_own_prefix() -> None:
    prefixes = {API_KEY_PREFIX, MINTED_PREFIX, ADMIN_PREFIX}
    assert len(prefixes) == 3
    api, minted, admin = issued()
    for token, prefix in ((api, API_KEY_PREFIX), (minted, MINTED_PREFIX), (admin, ADMIN_PREFIX)):
        assert token.startswith(prefix)
        random_part = token[len(prefix) :]
        # No '-' in the random part: a token's kind is read off it without ambiguity.
        assert re.fullmatch(r"[A-Za-z0-9]{43}", random_part), token
        others = prefixes - {prefix}
        assert not any(token.startswith(other) for other in others), token


def test_random_part_carries_at_least_256_bits() -> None:
    assert len(set(SECRET_ALPHABET)) == 62 == len(SECRET_ALPHABET)
    assert len(SECRET_ALPHABET) ** SECRET_LENGTH >= 2**256
    draws = {random_secret() for _ in range(1000)}
    assert len(draws) == 1000
    assert set("".join(draws)) == set(SECRET_ALPHABET)  # the whole alphabet is used


@pytest.mark.parametrize(
    "bad", ["", "short", "a" * 42, "a" * 44, "a-" + "b" * 41, "a_" + "b" * 41, "é" + "a" * 42]
)
def test_a_random_part_outside_the_alphabet_is_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        new_api_key(bad, "abc")
    with pytest.raises(ValueError):
        new_minted_token(bad, "abc")
    with pytest.raises(ValueError):
        new_admin_token(bad)


@pytest.mark.parametrize(
    ("token", "plausible"),
    [
        (LEGACY_KEY, True),
        ("rlt_tp_" + "x" * 43, True),
        ("rlt_admin_" + "x" * 32, True),
        ("rillet-key-" + "x" * 43, True),
        ("short", False),
        ("rillet-key-" + "x" * 190, False),
        ("rillet-key-" + "x" * 30 + "/", False),
        ("rillet-key-" + "x" * 30 + ".", False),
    ],
)
def test_plausible_token_accepts_both_formats(token: str, plausible: bool) -> None:
    assert plausible_token(token) is plausible
