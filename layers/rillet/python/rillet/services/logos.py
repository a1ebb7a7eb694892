"""Owners upload a channel's logo: checked (core.logos), stored in the channels bucket,
served by the CDN at its own immutable URL, and named by the channel's ``logo_url``."""

from __future__ import annotations

from dataclasses import replace

from rillet.core.accounts import AuditEvent
from rillet.core.logos import LOGO_CACHE_CONTROL, logo_for, logo_url
from rillet.core.models import Channel
from rillet.core.policy import Action, Principal
from rillet.core.ports import AuditLog, Catalog, Directory, ObjectStore
from rillet.services.auth import authorize, require_principal


class Logos:
    def __init__(
        self,
        catalog: Catalog,
        directory: Directory,
        objects: ObjectStore,
        audit: AuditLog,
        public_url: str,
    ) -> None:
        self._catalog = catalog
        self._directory = directory
        self._objects = objects
        self._audit = audit
        self._public_url = public_url

    def upload(
        self, principal: Principal | None, channel: str, data: bytes, *, now_iso: str
    ) -> Channel:
        """Store the image and point the channel's logo at it. Raises InvalidRequest,
        PayloadTooLarge (bad image), Forbidden (not an owner), NotFound."""
        actor = require_principal(principal)
        # Who may change the description may change the logo (owners).
        current, _ = authorize(
            self._catalog, self._directory, actor, channel, Action.UPDATE_CHANNEL
        )
        logo = logo_for(channel, data)
        self._objects.put(
            logo.key, logo.data, content_type=logo.content_type, cache_control=LOGO_CACHE_CONTROL
        )
        updated = replace(current, logo_url=logo_url(self._public_url, logo))
        self._directory.update_channel(updated)
        self._audit.append(
            AuditEvent(
                channel,
                now_iso,
                actor.user,
                "channel.update",
                {"logo_url": {"from": current.logo_url, "to": updated.logo_url}},
            )
        )
        return updated


__all__ = ["Logos"]
