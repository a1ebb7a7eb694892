"""Channel use cases: create, read, list, update, transfer, delete."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlparse

from rillet.core.accounts import Member, grants_for, validate_user_name
from rillet.core.clock import Clock, IdSource
from rillet.core.errors import Conflict, Forbidden, InvalidRequest, NotFound
from rillet.core.layout import channel_prefix
from rillet.core.logos import logo_prefix
from rillet.core.models import NOARCH, Channel, Visibility
from rillet.core.names import validate_channel_name, validate_subdir
from rillet.core.policy import Action, Principal, Role, Scope, allowed, require_channel_within
from rillet.core.ports import Catalog, Cdn, Directory, ObjectStore, ReindexQueue
from rillet.services.auth import AuditTrail, Guard, require_principal
from rillet.services.indexing import publish_empty_subdir

MAX_DESCRIPTION = 1000
MAX_LOGO_URL = 500
# A delete that has not finished after this long died midway: creating the name again
# finishes it first (an API call never runs this long), so no name stays stuck.
DELETE_LEASE_SECONDS = 15 * 60


def parse_visibility(value: Any) -> Visibility:
    try:
        return Visibility(value)
    except ValueError:
        raise InvalidRequest("visibility must be 'public' or 'private'") from None


def _description(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        raise InvalidRequest(f"description must be a string of at most {MAX_DESCRIPTION} chars")
    return value


def _logo_url(value: Any) -> str:
    if value == "":
        return ""
    if not isinstance(value, str) or len(value) > MAX_LOGO_URL:
        raise InvalidRequest(f"logo_url must be a string of at most {MAX_LOGO_URL} chars")
    parsed = urlparse(value)
    if parsed.scheme != "https" or not parsed.netloc:
        raise InvalidRequest("logo_url must be an https:// URL")
    return value


@dataclass(frozen=True, kw_only=True)
class Channels:
    """Channel use cases: create, read, list, update, transfer, delete, reindex."""

    guard: Guard
    catalog: Catalog
    directory: Directory
    store: ObjectStore  # the channels bucket
    cdn: Cdn
    queue: ReindexQueue
    trail: AuditTrail
    clock: Clock
    ids: IdSource

    def create(self, principal: Principal | None, body: Mapping[str, Any]) -> Channel:
        """Create a channel owned by the caller, with an empty, valid ``noarch`` index.

        The operator may name another user as ``owner``. Raises InvalidName,
        InvalidRequest, Forbidden, Conflict (name taken, or being deleted).
        Every creation is a new incarnation of the name.
        """
        actor = require_principal(principal)
        if not actor.superuser and actor.scope is not Scope.ADMIN:
            raise Forbidden("creating channels needs a key with the 'admin' scope")
        name = validate_channel_name(body.get("name"))  # type: ignore[arg-type]
        require_channel_within(actor, name)
        owner = actor.user
        if "owner" in body:
            if not actor.superuser:
                raise Forbidden("only the operator can create a channel for another user")
            owner = validate_user_name(body["owner"])
            self.directory.get_user(owner)
        now_iso, now = self.clock.iso(), self.clock.epoch()
        channel = Channel(
            name=name,
            visibility=parse_visibility(body.get("visibility", "public")),
            owner=owner,
            description=_description(body.get("description", "")),
            logo_url=_logo_url(body.get("logo_url", "")),
            created_at=now_iso,
            incarnation=self.ids.incarnation(),
        )
        first_owner = (
            None
            if owner == actor.user and actor.superuser
            else Member(name, owner, Role.OWNER, added_by=actor.user, added_at=now_iso)
        )
        try:
            self.catalog.create_channel(channel, first_owner)
        except Conflict:
            pending = self.catalog.deleting_channel(name)
            if pending is None or now - pending[1] < DELETE_LEASE_SECONDS:
                raise
            self._purge(name, pending[0])
            self.catalog.create_channel(channel, first_owner)
        # A grant of the name's previous incarnation written while it was deleted (a key
        # created meanwhile) must not open this one: only its own members' grants may exist.
        stale = self.directory.channel_grants(name)
        if stale:
            self.directory.delete_grants((g.channel, g.token_hash) for g in stale)
        if first_owner is not None:
            self.directory.put_grants(grants_for(self.directory.list_keys(owner), [name], now))
        # Written after the item exists: the name is ours, and a retry rewrites the same bytes.
        publish_empty_subdir(self.store, channel.name, NOARCH)
        return channel

    def get(self, principal: Principal | None, name: str) -> tuple[Channel, Role | None]:
        """The channel and the caller's role on it. Raises NotFound, Unauthenticated."""
        return self.guard.authorize(principal, name, Action.READ)

    def list_channels(self, principal: Principal | None) -> list[tuple[Channel, Role | None]]:
        """Public channels, plus the private ones the caller has a role on; each with the
        caller's role there (None: none, as for the operator), as ``get`` answers it."""
        mine = (
            self.directory.memberships(principal.user)
            if principal and not principal.superuser
            else {}
        )
        return [
            (c, mine.get(c.name))
            for c in self.catalog.list_channels()
            if allowed(
                Action.READ,
                principal=principal,
                role=mine.get(c.name),
                visibility=c.visibility,
                channel=c.name,
            )
        ]

    def update(self, principal: Principal | None, name: str, body: Mapping[str, Any]) -> Channel:
        """Change description, logo URL and visibility. Raises InvalidRequest, Forbidden."""
        actor, channel, _ = self.guard.acting(principal, name, Action.UPDATE_CHANNEL)
        unknown = set(body) - {"description", "logo_url", "visibility"}
        if unknown:
            raise InvalidRequest(f"cannot update: {', '.join(sorted(unknown))}")
        updated = replace(
            channel,
            description=_description(body.get("description", channel.description)),
            logo_url=_logo_url(body.get("logo_url", channel.logo_url)),
            visibility=parse_visibility(body.get("visibility", channel.visibility.value)),
        )
        self.catalog.update_channel(updated)
        changes = {
            k: {"from": getattr(channel, k).__str__(), "to": getattr(updated, k).__str__()}
            for k in ("description", "logo_url", "visibility")
            if getattr(channel, k) != getattr(updated, k)
        }
        if changes:
            action = "channel.visibility" if "visibility" in changes else "channel.update"
            self.trail.record(name, actor.user, action, changes)
        return updated

    def transfer(self, principal: Principal | None, name: str, body: Mapping[str, Any]) -> Channel:
        """Make ``owner`` an owner; the caller steps down to maintainer.

        Raises InvalidName, NotFound, Forbidden, Conflict."""
        actor, channel, role = self.guard.acting(principal, name, Action.TRANSFER_CHANNEL)
        new_owner = validate_user_name(body.get("owner"))
        self.directory.get_user(new_owner)
        now_iso = self.clock.iso()
        current = self.directory.get_role(name, new_owner)
        if current is not Role.OWNER:
            self.directory.put_member(
                Member(name, new_owner, Role.OWNER, added_by=actor.user, added_at=now_iso),
                expect_role=current,
                owner_delta=1,
            )
        if current is None:
            self.directory.put_grants(
                grants_for(self.directory.list_keys(new_owner), [name], self.clock.epoch())
            )
        if role is Role.OWNER and actor.user != new_owner:
            self.directory.put_member(
                Member(name, actor.user, Role.MAINTAINER, added_by=actor.user, added_at=now_iso),
                expect_role=Role.OWNER,
                owner_delta=-1,
            )
        updated = replace(channel, owner=new_owner)
        self.catalog.update_channel(updated)
        self.trail.record(
            name,
            actor.user,
            "channel.transfer",
            {"from": channel.owner, "to": new_owner},
            at=now_iso,
        )
        return updated

    def delete(self, principal: Principal | None, name: str) -> int:
        """Remove the channel's files, index and records; the name becomes free. Owner only.

        Atomic for readers (docs/architecture.md, "Flows: channel delete"): the channel
        is first marked deleting, so no upload, index rebuild or audit entry of it lands
        after its files are swept; it reads as private at the edge until its tombstone
        expires. An owner may repeat a delete that died midway. Returns the number of
        objects removed. Raises NotFound, Unauthenticated, Forbidden.
        """
        actor = require_principal(principal)
        try:
            channel, _ = self.guard.authorize(actor, name, Action.DELETE_CHANNEL)
        except NotFound:
            pending = self.catalog.deleting_channel(name)
            if pending is None or not (
                actor.superuser
                or allowed(
                    Action.DELETE_CHANNEL,
                    principal=actor,
                    role=self.directory.get_role(name, actor.user),
                    visibility=Visibility.PRIVATE,
                    channel=name,
                )
            ):
                raise
            return self._purge(name, pending[0])
        self.catalog.begin_delete(name, channel.incarnation, self.clock.epoch())
        return self._purge(name, channel.incarnation)

    def _purge(self, name: str, incarnation: str) -> int:
        """Finish deleting a channel marked deleting (safe to repeat)."""
        # The channel's files and its logos (kept apart, under _logos/): a new channel of
        # the name must not serve the old owner's images under its name.
        prefixes = (channel_prefix(name), logo_prefix(name))
        # Files first, while the item still reads as the channel (private stays private).
        removed = sum(self.store.delete_prefix(p) for p in prefixes)
        self.catalog.delete_channel_records(name, incarnation)
        # Again: a rebuild or upload that passed its check before the mark and wrote after
        # the first sweep. (It also takes its writes back once it sees the mark.)
        removed += sum(self.store.delete_prefix(p) for p in prefixes)
        self.catalog.finish_delete(name, incarnation, self.clock.epoch())
        # Cached files of a deleted (maybe private) channel must not outlive it at the edge.
        self.cdn.invalidate([f"/{p}*" for p in prefixes])
        return removed

    def rebuild_index(
        self, principal: Principal | None, name: str, body: Mapping[str, Any]
    ) -> list[str]:
        """Queue a rebuild from all records of one subdir (``subdir``) or of every subdir.

        For operators: the index is normally kept up to date change by change; this
        redoes it from the records, e.g. after a published file was damaged.
        Raises InvalidRequest, InvalidName, NotFound (subdir-not-found), Forbidden.
        """
        actor, channel, _ = self.guard.acting(principal, name, Action.UPDATE_CHANNEL)
        existing = self.catalog.subdirs(name)
        subdir = body.get("subdir")
        if subdir is None:
            targets = existing
        else:
            if not isinstance(subdir, str):
                raise InvalidRequest("'subdir' must be a string")
            validate_subdir(subdir)
            if subdir not in existing:
                raise NotFound(f"channel {name} has no subdir {subdir}", code="subdir-not-found")
            targets = [subdir]
        for target in targets:
            self.queue.request_reindex(
                name,
                target,
                self.catalog.subdir_state(name, target).change_seq,
                full=True,
                incarnation=channel.incarnation,
            )
        self.trail.record(name, actor.user, "channel.reindex", {"subdirs": targets})
        return targets
