"""Owners upload a channel's logo: checked (core.logos), stored in the channels bucket,
served by the CDN at its own immutable URL, and named by the channel's ``logo_url``."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rillet.core.errors import NotFound
from rillet.core.logos import LOGO_CACHE_CONTROL, logo_for, logo_url
from rillet.core.models import Channel
from rillet.core.policy import Action, Principal
from rillet.core.ports import Catalog, ObjectStore
from rillet.services.auth import AuditTrail, Guard


@dataclass(frozen=True, kw_only=True)
class Logos:
    guard: Guard
    catalog: Catalog
    store: ObjectStore  # the channels bucket, which the CDN serves
    trail: AuditTrail
    public_url: str

    def upload(self, principal: Principal | None, channel: str, data: bytes) -> Channel:
        """Store the image and point the channel's logo at it. Raises InvalidRequest,
        PayloadTooLarge (bad image), Unauthenticated, Forbidden (not an owner), NotFound."""
        # Who may change the description may change the logo (owners).
        actor, current, _ = self.guard.acting(principal, channel, Action.UPDATE_CHANNEL)
        logo = logo_for(channel, data)
        self.store.put(
            logo.key, logo.data, content_type=logo.content_type, cache_control=LOGO_CACHE_CONTROL
        )
        updated = replace(current, logo_url=logo_url(self.public_url, logo))
        try:
            self.catalog.update_channel(updated)  # only while this incarnation is live
        except NotFound:
            # The channel was deleted meanwhile (its sweep may have run before our write):
            # take the image back, or it would stay under the name for whoever creates it next.
            self.store.delete(logo.key)
            raise
        self.trail.record(
            channel,
            actor.user,
            "channel.update",
            {"logo_url": {"from": current.logo_url, "to": updated.logo_url}},
        )
        return updated


__all__ = ["Logos"]
