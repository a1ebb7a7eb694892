"""A key never creates more power than it has: the rule table, written out by hand.

Each row: the calling key (scope, channels, expiry), the requested key, and the
expected outcome (``ok`` or the reason code of the refusal). The same rule decides
which keys a key lists and may revoke (those it could have created).
"""

from __future__ import annotations

import pytest

from rillet.core.errors import Forbidden
from rillet.core.policy import (
    CHANNEL_OUTSIDE_KEY,
    KEY_CHANNELS_TOO_BROAD,
    KEY_EXPIRY_TOO_LATE,
    KEY_MANAGING_SCOPES,
    KEY_SCOPE_TOO_BROAD,
    KeyLimits,
    Principal,
    Scope,
    key_excess,
    key_management_refusal,
    require_channel_within,
    require_key_within,
    within_key_limits,
)

T = 1_800_000_000
ANY = None  # channels: unrestricted / expiry: never
A, AB, B, ABC = frozenset({"a"}), frozenset({"a", "b"}), frozenset({"b"}), frozenset("abc")

R, U, AD = Scope.READ, Scope.UPLOAD, Scope.ADMIN

# (holder scope, holder channels, holder expiry) -> (key scope, key channels, key expiry) -> outcome
RULES: list[tuple[tuple[Scope, frozenset[str] | None, int | None], KeyLimits, str]] = [
    # scope: no higher than the holder's
    ((AD, ANY, ANY), KeyLimits(AD, ANY, ANY), "ok"),
    ((AD, ANY, ANY), KeyLimits(U, ANY, ANY), "ok"),
    ((AD, ANY, ANY), KeyLimits(R, ANY, ANY), "ok"),
    ((U, ANY, ANY), KeyLimits(AD, ANY, ANY), KEY_SCOPE_TOO_BROAD),
    ((U, ANY, ANY), KeyLimits(U, ANY, ANY), "ok"),
    ((R, ANY, ANY), KeyLimits(U, ANY, ANY), KEY_SCOPE_TOO_BROAD),
    ((R, ANY, ANY), KeyLimits(R, ANY, ANY), "ok"),
    # channels: a subset; an unrestricted holder may restrict, a restricted one never widens
    ((AD, ANY, ANY), KeyLimits(AD, A, ANY), "ok"),
    ((AD, A, ANY), KeyLimits(AD, ANY, ANY), KEY_CHANNELS_TOO_BROAD),  # the reported attack
    ((AD, A, ANY), KeyLimits(R, ANY, ANY), KEY_CHANNELS_TOO_BROAD),
    ((AD, A, ANY), KeyLimits(AD, A, ANY), "ok"),
    ((AD, AB, ANY), KeyLimits(AD, A, ANY), "ok"),
    ((AD, A, ANY), KeyLimits(AD, AB, ANY), KEY_CHANNELS_TOO_BROAD),
    ((AD, A, ANY), KeyLimits(AD, B, ANY), KEY_CHANNELS_TOO_BROAD),
    ((AD, ABC, ANY), KeyLimits(U, AB, ANY), "ok"),
    # expiry: no later; a holder that expires cannot make a key that never does
    ((AD, ANY, ANY), KeyLimits(AD, ANY, T), "ok"),
    ((AD, ANY, T), KeyLimits(AD, ANY, ANY), KEY_EXPIRY_TOO_LATE),
    ((AD, ANY, T), KeyLimits(AD, ANY, T), "ok"),
    ((AD, ANY, T), KeyLimits(AD, ANY, T - 1), "ok"),
    ((AD, ANY, T), KeyLimits(AD, ANY, T + 1), KEY_EXPIRY_TOO_LATE),
    # several limits exceeded: the first in the order scope, channels, expiry is reported
    ((U, A, T), KeyLimits(AD, ANY, ANY), KEY_SCOPE_TOO_BROAD),
    ((AD, A, T), KeyLimits(AD, ANY, ANY), KEY_CHANNELS_TOO_BROAD),
    ((AD, A, T), KeyLimits(R, A, T + 5), KEY_EXPIRY_TOO_LATE),
    ((AD, AB, T), KeyLimits(R, B, T - 100), "ok"),
]


def holder(scope: Scope, channels: frozenset[str] | None, expires_at: int | None) -> Principal:
    return Principal(user="alice", scope=scope, channels=channels, expires_at=expires_at)


@pytest.mark.parametrize(("who", "key", "expected"), RULES)
def test_key_rule_table(
    who: tuple[Scope, frozenset[str] | None, int | None], key: KeyLimits, expected: str
) -> None:
    principal = holder(*who)
    excess = key_excess(principal, key)
    assert (excess[0] if excess else "ok") == expected
    assert within_key_limits(principal, key) is (expected == "ok")
    if expected == "ok":
        require_key_within(principal, key)
    else:
        with pytest.raises(Forbidden) as caught:
            require_key_within(principal, key)
        assert caught.value.code == expected
        assert caught.value.message


def test_a_key_is_always_within_its_own_limits() -> None:
    for who, _, _ in RULES:
        assert within_key_limits(holder(*who), KeyLimits(*who))


@pytest.mark.parametrize(
    ("principal", "manages"),
    [
        (Principal("alice", scope=Scope.ADMIN), True),
        (Principal("alice", scope=Scope.ADMIN, channels=A, expires_at=T), True),
        (Principal("alice", scope=Scope.UPLOAD), False),
        (Principal("alice", scope=Scope.READ), False),
        # A minted trusted-publishing token, whatever scope it were given.
        (Principal("alice", scope=Scope.ADMIN, minted=True, channels=A), False),
        (Principal("alice", scope=Scope.UPLOAD, minted=True, channels=A), False),
        # The operator is not a user and has no keys.
        (Principal("admin", superuser=True), False),
    ],
)
def test_who_manages_keys(principal: Principal, manages: bool) -> None:
    assert (key_management_refusal(principal) is None) is manages
    assert {Scope.ADMIN} == KEY_MANAGING_SCOPES


def test_a_channel_limited_key_creates_channels_only_among_its_own() -> None:
    require_channel_within(Principal("alice", channels=AB), "a")
    require_channel_within(Principal("alice"), "anything")
    require_channel_within(Principal("admin", superuser=True), "anything")
    with pytest.raises(Forbidden) as caught:
        require_channel_within(Principal("alice", channels=AB), "c")
    assert caught.value.code == CHANNEL_OUTSIDE_KEY
