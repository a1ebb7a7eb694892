"""Which viewer paths belong to the web app, and the headers it is served with.

The web app (``web/``, a single-page app) shares the URL space with the channels: its
pages live under reserved first segments (``/channels/...``, ``/account``, ...) and its
built files under ``/assets/``. ``web_route`` is decided before the read rule
(``core.access.decide_read``), which it never changes for a conda path.

``infra/edge/viewer_request.js`` implements the same routing (``webRoute``) for
CloudFront, where the app's files come from their own bucket; tests/cases/web_routes.json
holds the cases both must pass, so change the two together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

# First path segments of the app's pages (web/src routes). Each is a reserved channel
# name (core.names), so no channel is ever shadowed.
APP_PAGES: Final[frozenset[str]] = frozenset({"channels", "account", "callback", "logout"})
# The one document every page is: the app routes in the browser.
INDEX: Final = "/index.html"
ASSETS_PREFIX: Final = "/assets/"
# Files the build puts at its root (web/public) besides index.html.
ROOT_FILES: Final[frozenset[str]] = frozenset({"favicon.ico", "favicon.svg", "robots.txt"})

# Built files are named by their content hash: cached for a year, never revalidated.
ASSET_CACHE_CONTROL: Final = "public, max-age=31536000, immutable"
# index.html names the current hashed files: browsers and CloudFront revalidate it on
# every load (a 304 when unchanged), so a deployment is seen at once.
INDEX_CACHE_CONTROL: Final = "no-cache"

# Kinds of route.
PAGE: Final = "page"
ASSET: Final = "asset"
REDIRECT: Final = "redirect"

_ASSET_RE: Final = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")
# As core.access: a superset of the channel-name rule.
_CHANNEL_RE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")
# Never redirected: the API and conda's token prefix.
_NOT_CHANNELS: Final = frozenset({"api", "t"})


@dataclass(frozen=True)
class WebRoute:
    kind: str  # PAGE (serve index.html), ASSET (serve a built file), REDIRECT
    uri: str  # the file to serve (from the web build's root), or the redirect target
    headers: Mapping[str, str] = field(default_factory=dict)  # response headers (REDIRECT)


def accepts_html(accept: str) -> bool:
    """A browser navigating: its Accept names text/html. Conda clients never send it."""
    return any(part.split(";", 1)[0].strip().lower() == "text/html" for part in accept.split(","))


def web_route(uri: str, accept: str) -> WebRoute | None:
    """The app's answer for the raw path ``uri`` (no query), or None: not the app's.

    ``/`` and the app's pages serve index.html; ``/assets/<file>`` a built file; a
    browser opening ``/<channel>`` (the URL people share) is sent to the channel's page.
    """
    if uri in ("/", INDEX):
        return WebRoute(PAGE, INDEX)
    segments = uri.split("/")
    first = segments[1] if len(segments) > 1 else ""
    if first in APP_PAGES:
        return WebRoute(PAGE, INDEX)
    if uri.startswith(ASSETS_PREFIX):
        name = uri[len(ASSETS_PREFIX) :]
        # One literal segment: the key is exactly what the build wrote, nothing decoded.
        if _ASSET_RE.fullmatch(name) and ".." not in name:
            return WebRoute(ASSET, uri)
        return None
    if len(segments) == 2 and first in ROOT_FILES:
        return WebRoute(ASSET, uri)
    bare = len(segments) == 2 or (len(segments) == 3 and segments[2] == "")
    if (
        bare
        and _CHANNEL_RE.fullmatch(first)
        and first not in _NOT_CHANNELS
        and accepts_html(accept)
    ):
        return WebRoute(
            REDIRECT,
            f"/channels/{first}",
            {"location": f"/channels/{first}", "cache-control": "no-store", "vary": "Accept"},
        )
    return None


def s3_origin(region: str) -> str:
    """Where the web app PUTs an upload on AWS: the scheme and host of the presigned URLs
    (runtime.wiring's presigner signs path-style URLs on the regional endpoint, us-east-1
    included), so the CSP's connect-src and the staging bucket's CORS rule name it."""
    return f"https://s3.{region}.amazonaws.com"


def content_security_policy(connect_origins: Iterable[str] = ()) -> str:
    """The app's CSP: its own scripts only; the API on this origin, the sign-in provider
    (token endpoint, discovery, keys) besides; logos from any https URL; never framed."""
    connect = " ".join(["'self'", *connect_origins])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            # https: for logo URLs; blob: and data: for the logo preview before upload.
            "img-src 'self' https: data: blob:",
            f"connect-src {connect}",
            "font-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


HSTS: Final = "max-age=63072000; includeSubDomains"
REFERRER_POLICY: Final = "same-origin"
PERMISSIONS_POLICY: Final = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def security_headers(connect_origins: Iterable[str] = ()) -> dict[str, str]:
    """Every response's security headers (CloudFront's response headers policy sets the
    same on AWS: infra/aws/cdn.py builds it from this function)."""
    return {
        "Content-Security-Policy": content_security_policy(connect_origins),
        "Strict-Transport-Security": HSTS,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": REFERRER_POLICY,
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
    }


def cache_control(route: WebRoute) -> str:
    return ASSET_CACHE_CONTROL if route.uri.startswith(ASSETS_PREFIX) else INDEX_CACHE_CONTROL
