"""Trusted publishing: owners configure publishers; CI jobs exchange OIDC tokens for
short-lived, channel-scoped upload tokens."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from rillet.core.accounts import ApiKey, AuditEvent
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
from rillet.core.ports import AuditLog, Catalog, Directory
from rillet.core.tokens import new_minted_token
from rillet.services.auth import authorize, require_principal

# Minted tokens are kept a day past expiry (for audit look-ups), then TTL removes them.
MINTED_RETENTION_SECONDS = 24 * 3600


class PublisherStore(Protocol):
    def put(self, publisher: Publisher, incarnation: str | None = None) -> None: ...
    def for_channel(self, channel: str) -> list[Publisher]: ...
    def get(self, channel: str, publisher_id: str) -> Publisher | None: ...
    def delete(self, channel: str, publisher_id: str) -> Publisher: ...
    def candidates(self, provider: str, issuer: str, lookup: str) -> list[Publisher]: ...
    def touch(self, publisher: Publisher, now_iso: str) -> None: ...
    def remember_jti(self, issuer: str, jti: str, expires_at: int, now: int) -> bool: ...


class KeySource(Protocol):
    def key(self, issuer: str, kid: str) -> Any: ...


def add_publisher(
    catalog: Catalog,
    directory: Directory,
    publishers: PublisherStore,
    audit: AuditLog,
    principal: Principal | None,
    channel: str,
    body: Mapping[str, Any],
    *,
    publisher_id: str,
    now_iso: str,
    github_issuer: str,
    gitlab_issuers: Iterable[str],
    google_issuer: str = GOOGLE_ISSUER,
) -> Publisher:
    """Owners only. Raises InvalidRequest, Forbidden, NotFound."""
    actor = require_principal(principal)
    target, _ = authorize(catalog, directory, actor, channel, Action.MANAGE_PUBLISHERS)
    publisher = parse_publisher(
        body,
        channel=channel,
        publisher_id=publisher_id,
        created_by=actor.user,
        created_at=now_iso,
        github_issuer=github_issuer,
        gitlab_issuers=gitlab_issuers,
        google_issuer=google_issuer,
    )
    publishers.put(publisher, target.incarnation)  # not into a channel deleted meanwhile
    audit.append(AuditEvent(channel, now_iso, actor.user, "publisher.add", publisher.to_json()))
    return publisher


def list_publishers(
    catalog: Catalog,
    directory: Directory,
    publishers: PublisherStore,
    principal: Principal | None,
    channel: str,
) -> list[Publisher]:
    authorize(catalog, directory, require_principal(principal), channel, Action.MANAGE_PUBLISHERS)
    return sorted(publishers.for_channel(channel), key=lambda p: p.created_at)


def remove_publisher(
    catalog: Catalog,
    directory: Directory,
    publishers: PublisherStore,
    audit: AuditLog,
    principal: Principal | None,
    channel: str,
    publisher_id: str,
    *,
    now_iso: str,
) -> Publisher:
    actor = require_principal(principal)
    authorize(catalog, directory, actor, channel, Action.MANAGE_PUBLISHERS)
    removed = publishers.delete(channel, publisher_id)
    audit.append(AuditEvent(channel, now_iso, actor.user, "publisher.remove", {"id": publisher_id}))
    return removed


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


def mint_token(
    publishers: PublisherStore,
    directory: Directory,
    audit: AuditLog,
    keys: KeySource,
    config: OidcConfig,
    raw_body: bytes,
    *,
    now: int,
    now_iso: str,
    secret: str,
    key_id: str,
    catalog: Catalog | None = None,
) -> tuple[str, ApiKey]:
    """Verify the CI's OIDC token and mint an upload token for the matching publishers.

    Raises an OidcRefusal (InvalidPayload 400, InvalidToken 401, InvalidPublisher 403,
    ReusedToken 409, NotEnabled 403). Refusals that name a channel's publisher are
    written to that channel's audit log with the check that failed.
    """
    token = _token_from_body(raw_body)
    issuer, provider, kid = unverified_issuer(token, config)
    claims = verify_token(
        token, key=keys.key(issuer, kid), issuer=issuer, provider=provider, config=config, now=now
    )
    spec = PROVIDERS[provider]
    identity = _identity(provider, claims)
    candidates = publishers.candidates(provider, issuer, str(claims[spec.lookup_claim]))
    result = match_publishers(provider, candidates, claims)

    def record_refusal(publisher: Publisher, check: str) -> None:
        audit.append(
            AuditEvent(
                publisher.channel,
                now_iso,
                f"{provider}:{claims[spec.lookup_claim]}",
                "trusted-publishing.refused",
                {"publisher": publisher.id, "check": check, **identity},
            )
        )

    if not result.matched:
        for publisher, check in result.refusals:
            record_refusal(publisher, check)
        raise refuse(
            INVALID_PUBLISHER, result.refusals[0][1] if result.refusals else "no-publisher"
        )
    replay = replay_id(provider, claims, token)
    if not publishers.remember_jti(issuer, replay, replay_expiry(claims), now):
        for publisher in result.matched:
            record_refusal(publisher, "replayed-jti")
        raise refuse(REUSED_TOKEN, "replayed-jti")

    minted = new_minted_token(secret, key_id)
    channels = sorted({p.channel for p in result.matched})
    # The token belongs to these incarnations: after a delete it opens no new channel
    # of the same name (publishers go with their channel; this closes the race).
    incarnations: dict[str, str] | None = None
    if catalog is not None:
        live = {c: catalog.live_incarnation(c) for c in channels}
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
    )
    directory.put_key(key, ttl=expires_at + MINTED_RETENTION_SECONDS)
    for publisher in result.matched:
        publishers.touch(publisher, now_iso)
        audit.append(
            AuditEvent(
                publisher.channel,
                now_iso,
                key.user,
                "trusted-publishing.mint",
                {
                    "publisher": publisher.id,
                    "token": key.key_id,
                    "expires_at": expires_at,
                    **identity,
                },
                incarnation=incarnations.get(publisher.channel) if incarnations else None,
            )
        )
    return minted.secret, key


__all__ = ["OidcRefusal", "add_publisher", "list_publishers", "mint_token", "remove_publisher"]
