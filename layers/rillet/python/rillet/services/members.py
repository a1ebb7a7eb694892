"""Channel members: owners add, change and remove them; a channel keeps an owner."""

from __future__ import annotations

from dataclasses import dataclass

from rillet.core.accounts import Member, grants_for, validate_user_name
from rillet.core.clock import Clock
from rillet.core.errors import NotFound
from rillet.core.policy import Action, Principal, Role
from rillet.core.ports import Directory
from rillet.services.auth import AuditTrail, Guard


def _owner_delta(before: Role | None, after: Role | None) -> int:
    return (after is Role.OWNER) - (before is Role.OWNER)


@dataclass(frozen=True, kw_only=True)
class Members:
    guard: Guard
    directory: Directory
    trail: AuditTrail
    clock: Clock

    def list_members(self, principal: Principal | None, channel: str) -> list[Member]:
        """Raises NotFound, Unauthenticated, Forbidden."""
        self.guard.authorize(principal, channel, Action.LIST_MEMBERS)
        return sorted(self.directory.list_members(channel), key=lambda m: (m.role.value, m.user))

    def set_role(self, principal: Principal | None, channel: str, user: str, role: Role) -> Member:
        """Add ``user`` with ``role`` or change their role. Raises NotFound, Forbidden, Conflict."""
        actor, _, _ = self.guard.acting(principal, channel, Action.MANAGE_MEMBERS)
        self.directory.get_user(validate_user_name(user))
        current = self.directory.get_role(channel, user)
        now_iso = self.clock.iso()
        member = Member(channel, user, role, added_by=actor.user, added_at=now_iso)
        self.directory.put_member(
            member, expect_role=current, owner_delta=_owner_delta(current, role)
        )
        if current is None:
            self.directory.put_grants(
                grants_for(self.directory.list_keys(user), [channel], self.clock.epoch())
            )
        self.trail.record(
            channel,
            actor.user,
            "member.add" if current is None else "member.change",
            {"user": user, "role": role.value, "previous": current.value if current else None},
            at=now_iso,
        )
        return member

    def remove(self, principal: Principal | None, channel: str, user: str) -> None:
        """Raises NotFound (member-not-found), Forbidden, Conflict (the last owner)."""
        actor, _, _ = self.guard.acting(principal, channel, Action.MANAGE_MEMBERS)
        current = self.directory.get_role(channel, user)
        if current is None:
            raise NotFound(f"{user} is not a member of {channel}", code="member-not-found")
        self.directory.remove_member(
            channel, user, expect_role=current, owner_delta=_owner_delta(current, None)
        )
        self.directory.delete_grants(
            (channel, k.token_hash) for k in self.directory.list_keys(user)
        )
        self.trail.record(
            channel, actor.user, "member.remove", {"user": user, "role": current.value}
        )
