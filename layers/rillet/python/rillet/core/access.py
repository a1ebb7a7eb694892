"""May this request read this channel file? The rule the edge enforces on every read.

``infra/edge/viewer_request.js`` (the CloudFront Function) implements the same rule in
JavaScript; ``tests/cases/read_access.json`` holds the cases both must pass, so change
the two together. The local stack calls ``decide_read`` where CloudFront would run the
function.

Edge data (the CloudFront KeyValueStore; here any mapping-like ``EdgeData``):

- ``c:<channel>`` -> ``private`` (public channels have no entry: absent = public or
  unknown; any value but ``public`` is private)
- ``r:<channel>:<sha256 hex of token>`` -> expiry, epoch seconds in decimal, ``0`` = never
- ``t:<sha256 hex of token>`` -> expiry (optional): the token is a known read credential.
  Only used to answer 403 (valid token, no grant) instead of 401 (unknown token).
- ``u:<sha256 hex of token>`` -> ``<expiry>:<user>``: a key that reads every channel its
  user is a member of (not limited to channels); with
- ``m:<channel>:<user>`` -> role: a membership. Together they grant per user and channel,
  so the store grows with memberships, not keys x memberships. Channel-limited keys keep
  per-key ``r:`` grants (their reach is not their user's memberships).

Tokens are never stored: only their sha256 as lower-case hex.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Protocol

# Reason codes (stable, like those in core.errors); S105 mistakes the *_TOKEN ones for secrets.
OK: Final = "ok"
PUBLIC: Final = "public"
UNKNOWN_CHANNEL: Final = "unknown-channel"
API: Final = "api"
BAD_PATH: Final = "bad-path"
NO_TOKEN: Final = "no-token"  # noqa: S105
UNKNOWN_TOKEN: Final = "unknown-token"  # noqa: S105
EXPIRED_TOKEN: Final = "expired-token"  # noqa: S105
NO_ACCESS: Final = "no-access"
NOT_FOUND: Final = "not-found"

# Two challenges in one header value (RFC 9110 allows a list). Basic comes first because
# some browsers read only the first challenge of a header line; conda and rattler ignore it.
WWW_AUTHENTICATE: Final = 'Basic realm="rillet", Bearer realm="rillet"'
_TEXT: Final = "text/plain; charset=utf-8"

_MESSAGES: Final[Mapping[str, str]] = {
    BAD_PATH: "bad request path",
    NO_TOKEN: "this channel is private: send a token (Bearer, Basic password or /t/<token>/)",
    UNKNOWN_TOKEN: "unknown token",
    EXPIRED_TOKEN: "expired token",
    NO_ACCESS: "this token may not read this channel",
    NOT_FOUND: "not found",
}

# RFC 6750 token characters without '/', so one rule fits the header and the path forms.
# Anything else is not a credential at all (and is ignored, as on a public channel).
_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9._~+=-]{1,256}")
_AUTHORIZATION_RE: Final = re.compile(r"[ \t]*([A-Za-z]+)[ \t]+([^ \t]+)[ \t]*")
# Strict base64 (standard alphabet, padded): the JS side validates the same way before
# handing the text to the lenient Buffer decoder, so both accept exactly the same input.
_BASE64_RE: Final = re.compile(r"[A-Za-z0-9+/]+={0,2}")
# A superset of core.names' channel rule: anything outside it cannot be a channel, so it
# is passed to the origin without a store lookup (and 404s there).
_CHANNEL_RE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")
_EXPIRY_RE: Final = re.compile(r"[0-9]{1,15}")
# A superset of core.accounts' user-name rule (a corrupt u: value names no one).
_USER_RE: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,38}")
# Encoded '/', '\' and NUL: the origin (S3) decodes them into the key.
_BANNED_ESCAPES: Final = ("%2f", "%5c", "%00")


class EdgeData(Protocol):
    """The edge key-value data; ``get`` returns None for a missing key and raises on failure."""

    def get(self, key: str) -> str | None: ...


@dataclass(frozen=True)
class ReadDecision:
    status: int  # 200 = forward to the origin
    uri: str  # origin URI (leading '/'), any /t/<token> prefix removed
    headers: Mapping[str, str]  # response headers when status != 200
    reason: str  # one of the reason codes above
    body: str = ""  # short plain-text body when status != 200


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def visibility_key(channel: str) -> str:
    return f"c:{channel}"


def grant_key(channel: str, token_hash: str) -> str:
    return f"r:{channel}:{token_hash}"


def token_key(token_hash: str) -> str:
    return f"t:{token_hash}"


def user_key(token_hash: str) -> str:
    return f"u:{token_hash}"


def user_value(expires_at: int | None, user: str) -> str:
    return f"{int(expires_at or 0)}:{user}"


def member_key(channel: str, user: str) -> str:
    return f"m:{channel}:{user}"


def _valid_token(candidate: str) -> str | None:
    return candidate if _TOKEN_RE.fullmatch(candidate) else None


def _basic_password(credentials: str) -> str | None:
    if len(credentials) % 4 or not _BASE64_RE.fullmatch(credentials):
        return None
    # Padded, strict alphabet: b64decode cannot fail on what passed the checks above.
    _user, colon, password = base64.b64decode(credentials, validate=True).partition(b":")
    if not colon:
        return None
    try:
        text = password.decode("ascii")
    except UnicodeDecodeError:
        return None
    return _valid_token(text)


def _header_token(authorization: str) -> str | None:
    match = _AUTHORIZATION_RE.fullmatch(authorization)
    if match is None:
        return None
    scheme, credentials = match.group(1).lower(), match.group(2)
    if scheme == "bearer":
        return _valid_token(credentials)
    if scheme == "basic":
        return _basic_password(credentials)
    return None


def extract_token(uri: str, headers: Mapping[str, str]) -> tuple[str | None, str]:
    """Return (token, uri without a /t/<token> prefix); the path token wins over the header.

    A malformed credential counts as none (a malformed path token is still stripped). A /t/
    prefix with an empty token or nothing after it is left in place: ``decide_read`` refuses it.
    """
    path_token: str | None = None
    end = uri.find("/", 3) if uri.startswith("/t/") else -1
    if end > 3:
        path_token, uri = _valid_token(uri[3:end]), uri[end:]
    if path_token is not None:
        return path_token, uri
    return _header_token(headers.get("authorization", "")), uri


def _bad_path(uri: str) -> bool:
    if not uri.startswith("/") or "\\" in uri or "//" in uri:
        return True
    lowered = uri.lower()
    if any(escape in lowered for escape in _BANNED_ESCAPES):
        return True
    return any(seg.replace("%2e", ".") in (".", "..") for seg in lowered.split("/"))


def _live(expiry: str | None, now: int) -> bool | None:
    """None: absent or unreadable (fail closed); else whether it has not yet expired."""
    if expiry is None or not _EXPIRY_RE.fullmatch(expiry):
        return None
    value = int(expiry)
    return value == 0 or now < value


def _user_of(value: str | None, now: int) -> tuple[bool | None, str | None]:
    """A ``u:`` value: (liveness as ``_live``, user); (None, None) if absent or unreadable."""
    if value is None:
        return None, None
    expiry, colon, user = value.partition(":")
    if not colon or not _USER_RE.fullmatch(user):
        return None, None
    live = _live(expiry, now)
    return live, (user if live is not None else None)


def _refuse(status: int, reason: str, uri: str) -> ReadDecision:
    headers = {"content-type": _TEXT}
    if status == 401:
        headers["www-authenticate"] = WWW_AUTHENTICATE
    return ReadDecision(status, uri, headers, reason, f"{reason}: {_MESSAGES[reason]}\n")


def _forward(uri: str, reason: str) -> ReadDecision:
    # S3 behind CloudFront decodes a literal '+' in the path as a space: send it encoded.
    return ReadDecision(200, uri.replace("+", "%2B"), {}, reason)


def _no_file(path: str) -> bool:
    """Not ``/<channel>/.../<file>``: the origin could only answer it as a listing."""
    segments = path.split("/")
    return len(segments) < 3 or not segments[1] or not segments[-1]


def decide_read(uri: str, headers: Mapping[str, str], data: EdgeData, now: int) -> ReadDecision:
    """Decide one read: ``uri`` is the raw (still percent-encoded) path, no query string.

    ``headers`` has lower-case names; ``now`` is epoch seconds. Raises only what
    ``data.get`` raises (a store failure must not turn into an answer).
    """
    if _bad_path(uri):
        return _refuse(400, BAD_PATH, uri)
    if uri == "/api" or uri.startswith("/api/"):
        return _forward(uri, API)
    if (uri == "/t" or uri.startswith("/t/")) and uri.find("/", 3) < 0:
        return _refuse(400, BAD_PATH, uri)
    token, path = extract_token(uri, headers)
    if _no_file(path):
        # '/', '/t/<token>/', '/acme/': never forwarded, whatever the store says.
        return _refuse(404, NOT_FOUND, path)
    channel = path[1:].split("/", 1)[0]
    if "%" in channel:
        # S3 would decode '%61cme' to 'acme': the channel must be spelled literally.
        return _refuse(400, BAD_PATH, uri)
    if not _CHANNEL_RE.fullmatch(channel):
        return _forward(path, UNKNOWN_CHANNEL)
    visibility = data.get(visibility_key(channel))
    if visibility is None:
        # Let the origin answer 404: a 403 for a missing channel is fatal to clients.
        return _forward(path, UNKNOWN_CHANNEL)
    if visibility == "public":
        return _forward(path, PUBLIC)
    # Any other value is private: a corrupt entry must not open a channel.
    if token is None:
        return _refuse(401, NO_TOKEN, path)
    digest = token_hash(token)
    grant = _live(data.get(grant_key(channel, digest)), now)
    if grant:
        return _forward(path, OK)
    holder, user = _user_of(data.get(user_key(digest)), now)
    if holder and user is not None and data.get(member_key(channel, user)) is not None:
        return _forward(path, OK)
    known = _live(data.get(token_key(digest)), now)
    if known or holder:
        return _refuse(403, NO_ACCESS, path)
    if grant is False or known is False or holder is False:
        return _refuse(401, EXPIRED_TOKEN, path)
    return _refuse(401, UNKNOWN_TOKEN, path)


# Cache-Control directives that let a shared cache store or serve a response.
_SHARED_RE: Final = re.compile(r"public|private|s-maxage=.*|proxy-revalidate", re.IGNORECASE)


def _channel_of(uri: str) -> str:
    if uri.startswith("/t/"):
        end = uri.find("/", 3)
        uri = uri[end:] if end >= 0 else ""
    return uri[1:].split("/", 1)[0]


def viewer_cache_control(uri: str, cache_control: str | None, data: EdgeData) -> str | None:
    """The Cache-Control a viewer gets for ``uri`` (None: the origin's, unchanged).

    Files of private channels are ``private``: no shared cache may keep them. The edge's
    viewer-response function (infra/edge/viewer_response.js) applies the same rule.
    """
    channel = _channel_of(uri)
    if not _CHANNEL_RE.fullmatch(channel):
        return None
    visibility = data.get(visibility_key(channel))
    if visibility is None or visibility == "public":
        return None
    kept = [d.strip() for d in (cache_control or "").split(",")]
    return ", ".join(["private", *(d for d in kept if d and not _SHARED_RE.fullmatch(d))])
