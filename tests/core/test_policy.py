"""The permission matrix, written out by hand.

The expected tables below are the product rules, spelled independently of
``ROLE_ACTIONS`` / ``SCOPE_ACTIONS``: if someone edits the policy tables by
mistake, these tests fail. Every action is checked for every role, visibility
and kind of caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from rillet.core.errors import Forbidden, InvalidRequest, Unauthenticated
from rillet.core.models import Visibility
from rillet.core.policy import (
    Action,
    Principal,
    Role,
    Scope,
    allowed,
    parse_role,
    parse_scope,
    require,
    roles_with,
)

CHANNEL = "chan"
OTHER = "elsewhere"

# What each role may do on a channel it has that role on (Y = allowed).
ROLE_TABLE = """
action              owner  maintainer  member
channel:read          Y        Y         Y
package:list          Y        Y         Y
package:upload        Y        Y         -
package:overwrite     Y        -         -
package:delete        Y        Y         -
package:yank          Y        Y         -
channel:update        Y        -         -
channel:delete        Y        -         -
channel:transfer      Y        -         -
member:list           Y        Y         -
member:manage         Y        -         -
audit:read            Y        -         -
publisher:manage      Y        -         -
"""

# What a credential's scope lets it do, whatever its user's role.
SCOPE_TABLE = """
action              read  upload  admin
channel:read          Y     Y       Y
package:list          Y     Y       Y
package:upload        -     Y       Y
package:overwrite     -     -       Y
package:delete        -     -       Y
package:yank          -     Y       Y
channel:update        -     -       Y
channel:delete        -     -       Y
channel:transfer      -     -       Y
member:list           -     -       Y
member:manage         -     -       Y
audit:read            -     -       Y
publisher:manage      -     -       Y
"""

# Anyone at all (no role, no credential, a credential for other channels) on a public channel.
PUBLIC = frozenset({"channel:read", "package:list"})
# A token minted by trusted publishing, on a channel it was minted for.
MINTED = frozenset({"package:upload"})


def _parse(table: str) -> dict[str, frozenset[str]]:
    header, *rows = [line.split() for line in table.strip().splitlines()]
    columns = header[1:]
    out: dict[str, set[str]] = {c: set() for c in columns}
    for action, *marks in rows:
        assert len(marks) == len(columns), action
        for column, mark in zip(columns, marks, strict=True):
            assert mark in ("Y", "-"), mark
            if mark == "Y":
                out[column].add(action)
    return {c: frozenset(a) for c, a in out.items()}


BY_ROLE = _parse(ROLE_TABLE)
BY_SCOPE = _parse(SCOPE_TABLE)
EVERYTHING = frozenset(a.value for a in Action)


@dataclass(frozen=True)
class Caller:
    """A kind of caller and the principal that represents it (None: anonymous)."""

    label: str
    principal: Principal | None


CALLERS = [
    Caller("anonymous", None),
    Caller("key-read", Principal("u", scope=Scope.READ)),
    Caller("key-upload", Principal("u", scope=Scope.UPLOAD)),
    Caller("key-admin", Principal("u", scope=Scope.ADMIN)),
    Caller("key-admin-this-channel", Principal("u", channels=frozenset({CHANNEL, OTHER}))),
    Caller("key-admin-other-channel", Principal("u", channels=frozenset({OTHER}))),
    Caller("key-upload-other-channel", Principal("u", Scope.UPLOAD, frozenset({OTHER}))),
    Caller("superuser", Principal("admin", superuser=True)),
    # Trusted publishing: upload-only tokens for their channels.
    Caller(
        "minted-this-channel",
        Principal("u", Scope.UPLOAD, frozenset({CHANNEL}), minted=True, publish_limits={}),
    ),
    Caller(
        "minted-other-channel",
        Principal("u", Scope.UPLOAD, frozenset({OTHER}), minted=True, publish_limits={}),
    ),
]
ROLES: list[Role | None] = [Role.OWNER, Role.MAINTAINER, Role.MEMBER, None]


def expected(caller: Caller, role: Role | None, visibility: Visibility) -> frozenset[str]:
    """The product rules, from the hand-written tables."""
    public = PUBLIC if visibility is Visibility.PUBLIC else frozenset()
    p = caller.principal
    if p is None:
        return public  # anonymous: reads of public channels only, whatever role is passed
    if p.superuser:
        return EVERYTHING
    if p.channels is not None and CHANNEL not in p.channels:
        return public  # a key for other channels counts as no key here
    if p.minted:
        return MINTED  # whatever the role and visibility
    by_role = BY_ROLE[role.value] if role is not None else frozenset()
    return (by_role | public) & BY_SCOPE[p.scope.value]


def test_tables_cover_every_action() -> None:
    rows = {line.split()[0] for line in ROLE_TABLE.strip().splitlines()[1:]}
    assert rows == EVERYTHING
    rows = {line.split()[0] for line in SCOPE_TABLE.strip().splitlines()[1:]}
    assert rows == EVERYTHING
    assert set(BY_ROLE) == {r.value for r in Role}
    assert set(BY_SCOPE) == {s.value for s in Scope}


def test_product_rules_in_the_tables() -> None:
    # A cross-check of the hand-written tables against the prose rules.
    assert BY_ROLE["owner"] == EVERYTHING
    assert BY_ROLE["maintainer"] == {
        "channel:read",
        "package:list",
        "package:upload",
        "package:delete",
        "package:yank",
        "member:list",
    }
    assert BY_ROLE["member"] == PUBLIC
    assert BY_SCOPE["read"] == PUBLIC
    # Yank is reversible and takes nothing off the wire: a release key may do it.
    assert BY_SCOPE["upload"] == PUBLIC | {"package:upload", "package:yank"}
    assert BY_SCOPE["admin"] == EVERYTHING


MATRIX = [
    pytest.param(caller, role, visibility, id=f"{caller.label}-{role or 'none'}-{visibility}")
    for caller in CALLERS
    for role in ROLES
    for visibility in Visibility
]


def _allowed_set(caller: Caller, role: Role | None, visibility: Visibility) -> frozenset[str]:
    return frozenset(
        action.value
        for action in Action
        if allowed(
            action,
            principal=caller.principal,
            role=role,
            visibility=visibility,
            channel=CHANNEL,
        )
    )


@pytest.mark.parametrize(("caller", "role", "visibility"), MATRIX)
def test_allowed(caller: Caller, role: Role | None, visibility: Visibility) -> None:
    want = expected(caller, role, visibility)
    got = _allowed_set(caller, role, visibility)
    assert got == want, f"unexpectedly allowed: {sorted(got - want)}; refused: {sorted(want - got)}"


@pytest.mark.parametrize(("caller", "role", "visibility"), MATRIX)
def test_require(caller: Caller, role: Role | None, visibility: Visibility) -> None:
    want = expected(caller, role, visibility)
    for action in Action:
        kwargs = {
            "principal": caller.principal,
            "role": role,
            "visibility": visibility,
            "channel": CHANNEL,
        }
        if action.value in want:
            assert require(action, **kwargs) is None  # type: ignore[arg-type,func-returns-value]
            continue
        refusal = Unauthenticated if caller.principal is None else Forbidden
        with pytest.raises(refusal) as info:
            require(action, **kwargs)  # type: ignore[arg-type]
        assert type(info.value) is refusal, action
        assert info.value.code == ("unauthenticated" if refusal is Unauthenticated else "forbidden")


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_a_private_channel_with_any_scope(role: Role) -> None:
    for scope in Scope:
        p = Principal("u", scope=scope)
        for action in (Action.READ, Action.LIST_PACKAGES):
            assert allowed(
                action, principal=p, role=role, visibility=Visibility.PRIVATE, channel=CHANNEL
            )


def test_no_role_on_private_channel_gives_nothing() -> None:
    for scope in Scope:
        p = Principal("u", scope=scope)
        for action in Action:
            assert not allowed(
                action, principal=p, role=None, visibility=Visibility.PRIVATE, channel=CHANNEL
            )


def test_channel_limit_is_per_channel_name() -> None:
    p = Principal("u", channels=frozenset({CHANNEL}))
    assert p.limited_to(CHANNEL)
    assert not p.limited_to(OTHER)
    assert Principal("u").limited_to(OTHER)
    # Owner of OTHER, but the key is for CHANNEL only: on OTHER it is anonymous.
    for action in Action:
        on_other = allowed(
            action, principal=p, role=Role.OWNER, visibility=Visibility.PRIVATE, channel=OTHER
        )
        assert not on_other, action
    with pytest.raises(Forbidden):
        require(
            Action.UPLOAD, principal=p, role=Role.OWNER, visibility=Visibility.PUBLIC, channel=OTHER
        )


# -- minted tokens: package-name patterns and subdirs, per channel ------------------------
Limits = dict[str, list[Mapping[str, Any]]]


@pytest.mark.parametrize(
    ("limits", "channel", "name", "subdir", "ok"),
    [
        ({CHANNEL: [{}]}, CHANNEL, "anything", "linux-64", True),
        ({CHANNEL: [{"name_patterns": [], "subdirs": []}]}, CHANNEL, "anything", "noarch", True),
        ({CHANNEL: [{"name_patterns": ["numpy"]}]}, CHANNEL, "numpy", "noarch", True),
        ({CHANNEL: [{"name_patterns": ["numpy"]}]}, CHANNEL, "NumPy", "noarch", True),
        ({CHANNEL: [{"name_patterns": ["numpy"]}]}, CHANNEL, "numpy-base", "noarch", False),
        ({CHANNEL: [{"name_patterns": ["numpy*"]}]}, CHANNEL, "numpy-base", "noarch", True),
        ({CHANNEL: [{"name_patterns": ["NUMPY*"]}]}, CHANNEL, "numpy-base", "noarch", True),
        ({CHANNEL: [{"name_patterns": ["lib?"]}]}, CHANNEL, "libx", "noarch", True),
        ({CHANNEL: [{"name_patterns": ["lib?"]}]}, CHANNEL, "libxy", "noarch", False),
        ({CHANNEL: [{"name_patterns": ["foo", "bar-*"]}]}, CHANNEL, "bar-baz", "noarch", True),
        ({CHANNEL: [{"name_patterns": ["foo", "bar-*"]}]}, CHANNEL, "baz", "noarch", False),
        ({CHANNEL: [{"subdirs": ["linux-64"]}]}, CHANNEL, "anything", "linux-64", True),
        ({CHANNEL: [{"subdirs": ["linux-64"]}]}, CHANNEL, "anything", "noarch", False),
        (
            {CHANNEL: [{"name_patterns": ["pkg"], "subdirs": ["noarch", "osx-arm64"]}]},
            CHANNEL,
            "pkg",
            "osx-arm64",
            True,
        ),
        (
            {CHANNEL: [{"name_patterns": ["pkg"], "subdirs": ["noarch", "osx-arm64"]}]},
            CHANNEL,
            "pkg",
            "win-64",
            False,
        ),
        (
            {CHANNEL: [{"name_patterns": ["pkg"], "subdirs": ["noarch"]}]},
            CHANNEL,
            "other",
            "noarch",
            False,
        ),
        # Several publishers: any one of them is enough.
        (
            {CHANNEL: [{"name_patterns": ["a"]}, {"name_patterns": ["b"], "subdirs": ["noarch"]}]},
            CHANNEL,
            "b",
            "noarch",
            True,
        ),
        (
            {CHANNEL: [{"name_patterns": ["a"]}, {"name_patterns": ["b"], "subdirs": ["noarch"]}]},
            CHANNEL,
            "b",
            "linux-64",
            False,
        ),
        # Limits are per channel: nothing for a channel without a publisher.
        ({OTHER: [{}]}, CHANNEL, "anything", "noarch", False),
        ({CHANNEL: []}, CHANNEL, "anything", "noarch", False),
        ({}, CHANNEL, "anything", "noarch", False),
    ],
)
def test_may_publish(limits: Limits, channel: str, name: str, subdir: str, ok: bool) -> None:
    p = Principal("u", Scope.UPLOAD, frozenset(limits), minted=True, publish_limits=limits)
    assert p.may_publish(channel, name, subdir) is ok


def test_plain_keys_may_publish_anything() -> None:
    assert Principal("u").may_publish(CHANNEL, "whatever", "win-64")
    assert Principal("u", Scope.UPLOAD).may_publish(OTHER, "whatever", "noarch")
    assert Principal("admin", superuser=True).may_publish(CHANNEL, "whatever", "noarch")


# -- parsing --------------------------------------------------------------------------------
def test_parse_role_and_scope() -> None:
    assert [parse_role(r) for r in ("owner", "maintainer", "member")] == list(Role)
    assert [parse_scope(s) for s in ("read", "upload", "admin")] == list(Scope)
    for bad in ("", "Owner", "superuser", None, 1):
        with pytest.raises(InvalidRequest):
            parse_role(bad)
        with pytest.raises(InvalidRequest):
            parse_scope(bad)


def test_roles_with() -> None:
    for action in Action:
        want = {role for role in Role if action.value in BY_ROLE[role.value]}
        assert set(roles_with(action)) == want, action
