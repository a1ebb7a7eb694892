"""Trusted publishing: owners configure publishers; CI jobs exchange OIDC tokens for
short-lived, channel-scoped upload tokens."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from rillet.core.accounts import ApiKey
from rillet.core.attestation import IDENTITY_CLAIMS
from rillet.core.clock import Clock, IdSource
from rillet.core.oidc import (
    GOOGLE_ISSUER,
    INVALID_PAYLOAD,
    INVALID_PUBLISHER,
    MINTED_TOKEN_TTL_SECONDS,
    PROVIDERS,
    REUSED_TOKEN,
    OidcConfig,
    OidcRefusal,
    Publisher,
    match_publishers,
    parse_publisher,
    publish_limits,
    refuse,
    replay_expiry,
    replay_id,
    unverified_issuer,
    verify_token,
)
from rillet.core.policy import Action, Principal, Scope
from rillet.core.ports import Catalog, Directory, PublisherStore
from rillet.core.tokens import new_minted_token
from rillet.services.auth import AuditTrail, Guard

# Minted tokens are kept a day past expiry (for audit look-ups), then TTL removes them.
MINTED_RETENTION_SECONDS = 24 * 3600


class KeySource(Protocol):
    def key(self, issuer: str, kid: str) -> Any: ...


@dataclass(frozen=True, kw_only=True)
class Publishing:
    """Trusted publishers of a channel, and the exchange of CI tokens for upload tokens."""

    guard: Guard
    catalog: Catalog
    directory: Directory
    publishers: PublisherStore
    trail: AuditTrail
    keys: KeySource  # the issuers' signing keys (JWKS)
    config: OidcConfig
    clock: Clock
    ids: IdSource
    github_issuer: str
    gitlab_issuers: Iterable[str]
    google_issuer: str = GOOGLE_ISSUER

    def add_publisher(
        self, principal: Principal | None, channel: str, body: Mapping[str, Any]
    ) -> Publisher:
        """Owners only. Raises InvalidRequest, Forbidden, NotFound."""
        actor, target, _ = self.guard.acting(principal, channel, Action.MANAGE_PUBLISHERS)
        now_iso = self.clock.iso()
        publisher = parse_publisher(
            body,
            channel=channel,
            publisher_id=self.ids.publisher_id(),
            created_by=actor.user,
            created_at=now_iso,
            github_issuer=self.github_issuer,
            gitlab_issuers=self.gitlab_issuers,
            google_issuer=self.google_issuer,
        )
        # Not into a channel deleted meanwhile.
        self.publishers.put(publisher, target.incarnation)
        self.trail.record(channel, actor.user, "publisher.add", publisher.to_json(), at=now_iso)
        return publisher

    def list_publishers(self, principal: Principal | None, channel: str) -> list[Publisher]:
        """Owners only. Raises Unauthenticated, Forbidden, NotFound."""
        self.guard.acting(principal, channel, Action.MANAGE_PUBLISHERS)
        return sorted(self.publishers.for_channel(channel), key=lambda p: p.created_at)

    def remove_publisher(
        self, principal: Principal | None, channel: str, publisher_id: str
    ) -> Publisher:
        """Owners only; the publisher's tokens stop working at once. Raises NotFound."""
        actor, _, _ = self.guard.acting(principal, channel, Action.MANAGE_PUBLISHERS)
        removed = self.publishers.delete(channel, publisher_id)
        self.trail.record(channel, actor.user, "publisher.remove", {"id": publisher_id})
        return removed

    def mint_token(self, raw_body: bytes) -> tuple[str, ApiKey]:
        """Verify the CI's OIDC token and mint an upload token for the matching publishers.

        Raises an OidcRefusal (InvalidPayload 400, InvalidToken 401, InvalidPublisher 403,
        ReusedToken 409, NotEnabled 403). Refusals that name a channel's publisher are
        written to that channel's audit log with the check that failed.
        """
        config, publishers = self.config, self.publishers
        now, now_iso = self.clock.epoch(), self.clock.iso()
        token = _token_from_body(raw_body)
        issuer, provider, kid = unverified_issuer(token, config)
        claims = verify_token(
            token,
            key=self.keys.key(issuer, kid),
            issuer=issuer,
            provider=provider,
            config=config,
            now=now,
        )
        spec = PROVIDERS[provider]
        identity = _identity(provider, claims)
        candidates = publishers.candidates(provider, issuer, str(claims[spec.lookup_claim]))
        result = match_publishers(provider, candidates, claims)

        def record_refusal(publisher: Publisher, check: str) -> None:
            self.trail.record(
                publisher.channel,
                f"{provider}:{claims[spec.lookup_claim]}",
                "trusted-publishing.refused",
                {"publisher": publisher.id, "check": check, **identity},
                at=now_iso,
            )

        if not result.matched:
            for publisher, check in result.refusals:
                record_refusal(publisher, check)
            raise refuse(
                INVALID_PUBLISHER, result.refusals[0][1] if result.refusals else "no-publisher"
            )
        # Google sends no jti: the token's own hash names it once.
        replay = replay_id(provider, claims, token)
        if not publishers.remember_jti(issuer, replay, replay_expiry(claims), now):
            for publisher in result.matched:
                record_refusal(publisher, "replayed-jti")
            raise refuse(REUSED_TOKEN, "replayed-jti")

        minted = new_minted_token(*self.ids.key_secret())
        channels = sorted({p.channel for p in result.matched})
        # The token belongs to these incarnations: after a delete it opens no new channel
        # of the same name (publishers go with their channel; this closes the race).
        live = {c: self.catalog.live_incarnation(c) for c in channels}
        incarnations = {c: i for c, i in live.items() if i is not None}
        channels = sorted(incarnations)
        if not channels:  # every matched channel is being deleted
            raise refuse(INVALID_PUBLISHER, "no-publisher")
        expires_at = now + MINTED_TOKEN_TTL_SECONDS
        key = ApiKey(
            key_id=minted.key_id,
            user=f"{provider}:{claims[spec.lookup_claim]}",
            token_hash=minted.hash,
            scope=Scope.UPLOAD,
            created_at=now_iso,
            channels=frozenset(channels),
            expires_at=expires_at,
            description=f"trusted publishing: {', '.join(p.id for p in result.matched)}",
            kind="minted",
            publish_limits=publish_limits(result.matched),
            incarnations=incarnations,
            # What a CEP-27 attestation uploaded with this token must have been signed as.
            publisher_identity={
                "provider": provider,
                "issuer": issuer,
                "claims": {c: str(claims[c]) for c in IDENTITY_CLAIMS if claims.get(c) is not None},
            },
        )
        self.directory.put_key(key, ttl=expires_at + MINTED_RETENTION_SECONDS)
        for publisher in result.matched:
            publishers.touch(publisher, now_iso)
            self.trail.record(
                publisher.channel,
                key.user,
                "trusted-publishing.mint",
                {
                    "publisher": publisher.id,
                    "token": key.key_id,
                    "expires_at": expires_at,
                    **identity,
                },
                incarnations.get(publisher.channel),
                at=now_iso,
            )
        return minted.secret, key


def _token_from_body(raw: bytes) -> str:
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError):  # RecursionError: nested too deep
        raise refuse(INVALID_PAYLOAD, "json") from None
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise refuse(INVALID_PAYLOAD, "token-field")
    return token


def _identity(provider: str, claims: Mapping[str, Any]) -> dict[str, Any]:
    return {c: claims.get(c) for c in PROVIDERS[provider].audit_claims if claims.get(c) is not None}


__all__ = ["OidcRefusal", "Publishing"]
