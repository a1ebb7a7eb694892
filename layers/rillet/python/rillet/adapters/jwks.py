"""Signing keys of OIDC issuers: discovered, fetched and cached (per warm Lambda).

Refreshed only when a token names an unknown ``kid``, at most once per cool-down;
an empty key set is never cached; when a fetch fails the cached keys still serve.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import jwt

from rillet.core.oidc import INVALID_TOKEN, JWKS_HOSTS, refuse

MAX_DOCUMENT_BYTES = 512 * 1024
FETCH_TIMEOUT_SECONDS = 5
REFRESH_COOLDOWN_SECONDS = 60
MAX_AGE_SECONDS = 24 * 3600


def fetch_json(url: str) -> Any:
    """GET a small JSON document over HTTP(S) with a timeout and a size cap."""
    if urlparse(url).scheme not in ("https", "http"):
        raise ValueError(f"unsupported URL {url}")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310
        data = response.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ValueError(f"{url} is larger than {MAX_DOCUMENT_BYTES} bytes")
    return json.loads(data)


@dataclass
class _Entry:
    keys: dict[str, Any] = field(default_factory=dict)
    fetched_at: float = 0.0
    attempted_at: float = float("-inf")


class JwksCache:
    def __init__(
        self,
        fetch: Callable[[str], Any] = fetch_json,
        clock: Callable[[], float] = time.monotonic,
        cooldown: float = REFRESH_COOLDOWN_SECONDS,
        max_age: float = MAX_AGE_SECONDS,
        jwks_hosts: Mapping[str, frozenset[str]] = JWKS_HOSTS,
    ) -> None:
        self.fetch = fetch
        self.jwks_hosts = jwks_hosts
        self.clock = clock
        self.cooldown = cooldown
        self.max_age = max_age
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self.fetches = 0

    def key(self, issuer: str, kid: str) -> Any:
        """The public key ``kid`` of ``issuer``; raises an invalid-token refusal if unknown."""
        with self._lock:
            entry = self._entries.setdefault(issuer, _Entry())
            now = self.clock()
            stale = now - entry.fetched_at > self.max_age
            if (kid not in entry.keys or stale) and now - entry.attempted_at >= self.cooldown:
                entry.attempted_at = now
                keys = self._load(issuer)
                if keys:  # never replace good keys with an empty or failed answer
                    entry.keys, entry.fetched_at = keys, now
            found = entry.keys.get(kid)
        if found is None:
            raise refuse(INVALID_TOKEN, "unknown-kid")
        return found

    def _load(self, issuer: str) -> dict[str, Any]:
        self.fetches += 1
        try:
            config = self.fetch(issuer.rstrip("/") + "/.well-known/openid-configuration")
            jwks_uri = str(config["jwks_uri"])
            # The key set must come from the issuer's own origin, or (Google) from the
            # host its issuer is known to publish keys on, over https.
            where = urlparse(jwks_uri)
            known = where.scheme == "https" and where.netloc in self.jwks_hosts.get(
                issuer, frozenset()
            )
            if where.netloc != urlparse(issuer).netloc and not known:
                return {}
            keys = jwt.PyJWKSet.from_dict(self.fetch(jwks_uri)).keys
        except Exception:
            return {}
        return {k.key_id: k.key for k in keys if k.key_id and k.key_type in ("RSA", "EC")}
