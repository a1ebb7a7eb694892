"""Channel members: owners add, change and remove them; a channel keeps an owner."""

from __future__ import annotations

from rillet.core.accounts import AuditEvent, Member, grants_for, validate_user_name
from rillet.core.errors import NotFound
from rillet.core.policy import Action, Principal, Role
from rillet.core.ports import AuditLog, Catalog, Directory
from rillet.services.auth import authorize, require_principal


def list_members(
    catalog: Catalog, directory: Directory, principal: Principal | None, channel: str
) -> list[Member]:
    authorize(catalog, directory, principal, channel, Action.LIST_MEMBERS)
    return sorted(directory.list_members(channel), key=lambda m: (m.role.value, m.user))


def _owner_delta(before: Role | None, after: Role | None) -> int:
    return (after is Role.OWNER) - (before is Role.OWNER)


def set_member(
    catalog: Catalog,
    directory: Directory,
    audit: AuditLog,
    principal: Principal | None,
    channel: str,
    user: str,
    role: Role,
    *,
    now: int,
    now_iso: str,
) -> Member:
    """Add ``user`` with ``role`` or change their role. Raises NotFound, Forbidden, Conflict."""
    actor = require_principal(principal)
    authorize(catalog, directory, actor, channel, Action.MANAGE_MEMBERS)
    directory.get_user(validate_user_name(user))
    current = directory.get_role(channel, user)
    member = Member(channel, user, role, added_by=actor.user, added_at=now_iso)
    directory.put_member(member, expect_role=current, owner_delta=_owner_delta(current, role))
    if current is None:
        directory.put_grants(grants_for(directory.list_keys(user), [channel], now))
    audit.append(
        AuditEvent(
            channel,
            now_iso,
            actor.user,
            "member.add" if current is None else "member.change",
            {"user": user, "role": role.value, "previous": current.value if current else None},
        )
    )
    return member


def remove_member(
    catalog: Catalog,
    directory: Directory,
    audit: AuditLog,
    principal: Principal | None,
    channel: str,
    user: str,
    *,
    now_iso: str,
) -> None:
    actor = require_principal(principal)
    authorize(catalog, directory, actor, channel, Action.MANAGE_MEMBERS)
    current = directory.get_role(channel, user)
    if current is None:
        raise NotFound(f"{user} is not a member of {channel}", code="member-not-found")
    directory.remove_member(
        channel, user, expect_role=current, owner_delta=_owner_delta(current, None)
    )
    directory.delete_grants((channel, k.token_hash) for k in directory.list_keys(user))
    audit.append(
        AuditEvent(
            channel, now_iso, actor.user, "member.remove", {"user": user, "role": current.value}
        )
    )
