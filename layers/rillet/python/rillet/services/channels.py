"""Channel use cases: create, read, list, update, transfer, delete."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlparse

from rillet.core.accounts import AuditEvent, Member, grants_for, validate_user_name
from rillet.core.errors import Conflict, Forbidden, InvalidRequest, NotFound
from rillet.core.layout import channel_prefix
from rillet.core.models import NOARCH, Channel, Visibility
from rillet.core.names import validate_channel_name, validate_subdir
from rillet.core.policy import Action, Principal, Role, Scope, allowed, require_channel_within
from rillet.core.ports import AuditLog, Catalog, Cdn, Directory, ObjectStore, ReindexQueue
from rillet.services.auth import authorize, require_principal
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


def create_channel(
    catalog: Catalog,
    store: ObjectStore,
    body: Mapping[str, Any],
    *,
    principal: Principal | None,
    now_iso: str,
    now: int,
    directory: Directory,
    cdn: Cdn | None = None,
    incarnation: str | None = None,
) -> Channel:
    """Create a channel owned by the caller, with an empty, valid ``noarch`` index.

    The operator may name another user as ``owner``. Raises InvalidName,
    InvalidRequest, Forbidden, Conflict (name taken, or being deleted).
    Every creation is a new incarnation of the name (``incarnation``: for tests).
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
        directory.get_user(owner)
    channel = Channel(
        name=name,
        visibility=parse_visibility(body.get("visibility", "public")),
        owner=owner,
        description=_description(body.get("description", "")),
        logo_url=_logo_url(body.get("logo_url", "")),
        created_at=now_iso,
        incarnation=incarnation or secrets.token_hex(8),
    )
    first_owner = (
        None
        if owner == actor.user and actor.superuser
        else Member(name, owner, Role.OWNER, added_by=actor.user, added_at=now_iso)
    )
    try:
        catalog.create_channel(channel, first_owner)
    except Conflict:
        pending = catalog.deleting_channel(name)
        if pending is None or now - pending[1] < DELETE_LEASE_SECONDS:
            raise
        _purge(catalog, directory, store, cdn, name, pending[0], now)
        catalog.create_channel(channel, first_owner)
    # A grant of the name's previous incarnation written while it was deleted (a key
    # created meanwhile) must not open this one: only its own members' grants may exist.
    stale = directory.channel_grants(name)
    if stale:
        directory.delete_grants((g.channel, g.token_hash) for g in stale)
    if first_owner is not None:
        directory.put_grants(grants_for(directory.list_keys(owner), [name], now))
    # Written after the item exists: the name is ours, and a retry rewrites the same bytes.
    publish_empty_subdir(store, channel.name, NOARCH)
    return channel


def get_channel(
    catalog: Catalog, directory: Directory, principal: Principal | None, name: str
) -> tuple[Channel, Role | None]:
    return authorize(catalog, directory, principal, name, Action.READ)


def list_channels(directory: Directory, principal: Principal | None) -> list[Channel]:
    """Public channels, plus the private ones the caller has a role on."""
    mine = directory.memberships(principal.user) if principal and not principal.superuser else {}
    return [
        c
        for c in directory.list_channels()
        if allowed(
            Action.READ,
            principal=principal,
            role=mine.get(c.name),
            visibility=c.visibility,
            channel=c.name,
        )
    ]


def update_channel(
    catalog: Catalog,
    directory: Directory,
    audit: AuditLog,
    principal: Principal | None,
    name: str,
    body: Mapping[str, Any],
    *,
    now_iso: str,
) -> Channel:
    """Change description, logo URL and visibility. Raises InvalidRequest, Forbidden."""
    actor = require_principal(principal)
    channel, _ = authorize(catalog, directory, actor, name, Action.UPDATE_CHANNEL)
    unknown = set(body) - {"description", "logo_url", "visibility"}
    if unknown:
        raise InvalidRequest(f"cannot update: {', '.join(sorted(unknown))}")
    updated = replace(
        channel,
        description=_description(body.get("description", channel.description)),
        logo_url=_logo_url(body.get("logo_url", channel.logo_url)),
        visibility=parse_visibility(body.get("visibility", channel.visibility.value)),
    )
    directory.update_channel(updated)
    changes = {
        k: {"from": getattr(channel, k).__str__(), "to": getattr(updated, k).__str__()}
        for k in ("description", "logo_url", "visibility")
        if getattr(channel, k) != getattr(updated, k)
    }
    if changes:
        action = "channel.visibility" if "visibility" in changes else "channel.update"
        audit.append(AuditEvent(name, now_iso, actor.user, action, changes))
    return updated


def transfer_channel(
    catalog: Catalog,
    directory: Directory,
    audit: AuditLog,
    principal: Principal | None,
    name: str,
    body: Mapping[str, Any],
    *,
    now_iso: str,
    now: int,
) -> Channel:
    """Make ``owner`` an owner; the caller steps down to maintainer."""
    actor = require_principal(principal)
    channel, role = authorize(catalog, directory, actor, name, Action.TRANSFER_CHANNEL)
    new_owner = validate_user_name(body.get("owner"))
    directory.get_user(new_owner)
    current = directory.get_role(name, new_owner)
    if current is not Role.OWNER:
        directory.put_member(
            Member(name, new_owner, Role.OWNER, added_by=actor.user, added_at=now_iso),
            expect_role=current,
            owner_delta=1,
        )
    if current is None:
        directory.put_grants(grants_for(directory.list_keys(new_owner), [name], now))
    if role is Role.OWNER and actor.user != new_owner:
        directory.put_member(
            Member(name, actor.user, Role.MAINTAINER, added_by=actor.user, added_at=now_iso),
            expect_role=Role.OWNER,
            owner_delta=-1,
        )
    updated = replace(channel, owner=new_owner)
    directory.update_channel(updated)
    audit.append(
        AuditEvent(
            name, now_iso, actor.user, "channel.transfer", {"from": channel.owner, "to": new_owner}
        )
    )
    return updated


def delete_channel(
    catalog: Catalog,
    directory: Directory,
    store: ObjectStore,
    cdn: Cdn,
    principal: Principal | None,
    name: str,
    *,
    now: int,
) -> int:
    """Remove the channel's files, index and records; the name becomes free. Owner only.

    Atomic for readers (docs/architecture.md, "Flows: channel delete"): the channel
    is first marked deleting, so no upload, index rebuild or audit entry of it lands
    after its files are swept; it reads as private at the edge until its tombstone
    expires. An owner may repeat a delete that died midway.
    """
    actor = require_principal(principal)
    try:
        channel, _ = authorize(catalog, directory, actor, name, Action.DELETE_CHANNEL)
    except NotFound:
        pending = catalog.deleting_channel(name)
        if pending is None or not (
            actor.superuser
            or allowed(
                Action.DELETE_CHANNEL,
                principal=actor,
                role=directory.get_role(name, actor.user),
                visibility=Visibility.PRIVATE,
                channel=name,
            )
        ):
            raise
        return _purge(catalog, directory, store, cdn, name, pending[0], now)
    catalog.begin_delete(name, channel.incarnation, now)
    return _purge(catalog, directory, store, cdn, name, channel.incarnation, now)


def _purge(
    catalog: Catalog,
    directory: Directory,
    store: ObjectStore,
    cdn: Cdn | None,
    name: str,
    incarnation: str,
    now: int,
) -> int:
    """Finish deleting a channel marked deleting (safe to repeat)."""
    # Files first, while the item still reads as the channel (private stays private).
    removed = store.delete_prefix(channel_prefix(name))
    directory.delete_channel_records(name, incarnation)
    # Again: a rebuild or upload that passed its check before the mark and wrote after the
    # first sweep. (It also takes its writes back once it sees the mark.)
    removed += store.delete_prefix(channel_prefix(name))
    catalog.finish_delete(name, incarnation, now)
    # Cached files of a deleted (maybe private) channel must not outlive it at the edge.
    if cdn is not None:
        cdn.invalidate([f"/{channel_prefix(name)}*"])
    return removed


def rebuild_index(
    catalog: Catalog,
    directory: Directory,
    queue: ReindexQueue,
    audit: AuditLog,
    principal: Principal | None,
    name: str,
    body: Mapping[str, Any],
    *,
    now_iso: str,
) -> list[str]:
    """Queue a rebuild from all records of one subdir (``subdir``) or of every subdir.

    For operators: the index is normally kept up to date change by change; this
    redoes it from the records, e.g. after a published file was damaged.
    """
    actor = require_principal(principal)
    channel, _ = authorize(catalog, directory, actor, name, Action.UPDATE_CHANNEL)
    existing = catalog.subdirs(name)
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
        queue.request_reindex(
            name,
            target,
            catalog.subdir_state(name, target).change_seq,
            full=True,
            incarnation=channel.incarnation,
        )
    audit.append(AuditEvent(name, now_iso, actor.user, "channel.reindex", {"subdirs": targets}))
    return targets
