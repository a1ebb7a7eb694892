"""Where the credential lives: a 0600 file, overridden by RILLET_URL / RILLET_TOKEN.

Also writes rattler's auth file (the ``RATTLER_AUTH_FILE`` format), so pixi,
rattler-build and py-rattler read private channels with the same token.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from rillet.cli.client import CliError

URL_VAR = "RILLET_URL"
TOKEN_VAR = "RILLET_TOKEN"  # noqa: S105 - the name of a variable, not a secret
RATTLER_AUTH_VAR = "RATTLER_AUTH_FILE"


@dataclass(frozen=True)
class Credentials:
    url: str
    token: str
    source: str  # where they came from, for `rillet whoami`


def config_dir(env: Mapping[str, str] = os.environ) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "rillet"


def credentials_path(env: Mapping[str, str] = os.environ) -> Path:
    return config_dir(env) / "credentials.json"


def normalize_url(url: str) -> str:
    """``https://host[:port][/prefix]`` without a trailing slash; an ``/api`` suffix is dropped
    (people paste the ApiUrl output). Raises CliError."""
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise CliError(
            "invalid-url", f"expected an http(s) URL like https://conda.example.org, got {url!r}"
        )
    if parsed.query or parsed.fragment:
        raise CliError("invalid-url", f"the URL must not have a query or fragment: {url!r}")
    path = parsed.path.rstrip("/")
    path = path.removesuffix("/api")
    return f"{parsed.scheme}://{parsed.netloc}{path}"


def _write_private(path: Path, data: Any) -> None:
    """Write JSON readable by the owner only, atomically (a crash never leaves half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)  # mkstemp already uses 0600; say so explicitly
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_json_object(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise CliError("bad-config", f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise CliError("bad-config", f"{path} does not hold a JSON object")
    return data


def save_credentials(url: str, token: str, env: Mapping[str, str] = os.environ) -> Path:
    path = credentials_path(env)
    _write_private(path, {"url": url, "token": token})
    return path


def delete_credentials(env: Mapping[str, str] = os.environ) -> Path | None:
    path = credentials_path(env)
    try:
        path.unlink()
    except FileNotFoundError:
        return None
    return path


def stored_credentials(env: Mapping[str, str] = os.environ) -> dict[str, str]:
    data = _read_json_object(credentials_path(env)) or {}
    return {k: v for k, v in data.items() if k in ("url", "token") and isinstance(v, str) and v}


def load_credentials(env: Mapping[str, str] = os.environ) -> Credentials:
    """The environment wins over the file, variable by variable. Raises CliError."""
    stored = stored_credentials(env)
    url = env.get(URL_VAR) or stored.get("url")
    token = env.get(TOKEN_VAR) or stored.get("token")
    if not url or not token:
        raise CliError(
            "not-logged-in",
            f"run `rillet login URL --token TOKEN`, or set {URL_VAR} and {TOKEN_VAR}",
        )
    from_env = [name for name in (URL_VAR, TOKEN_VAR) if env.get(name)]
    if len(from_env) == 2:
        source = "environment"
    elif from_env:
        source = f"{from_env[0]} and {credentials_path(env)}"
    else:
        source = str(credentials_path(env))
    return Credentials(normalize_url(url), token, source)


def upload_target(url: str | None, env: Mapping[str, str] = os.environ) -> tuple[str, str | None]:
    """Where to upload and with which token, if any (``None``: trusted publishing may
    supply one). ``url`` (the ``--url`` option) wins; the stored token is only sent to
    the URL it was stored for. Raises CliError."""
    stored = stored_credentials(env)
    chosen = url or env.get(URL_VAR) or stored.get("url")
    if not chosen:
        raise CliError(
            "not-logged-in",
            f"run `rillet login URL --token TOKEN`, set {URL_VAR} and {TOKEN_VAR}, or pass "
            "--url in a CI job with trusted publishing",
        )
    chosen = normalize_url(chosen)
    token = env.get(TOKEN_VAR)
    if not token and stored.get("url") and normalize_url(stored["url"]) == chosen:
        token = stored.get("token")
    return chosen, token or None


# -- rattler's auth file -------------------------------------------------------------
def rattler_auth_path(option: Path | None, env: Mapping[str, str] = os.environ) -> Path:
    """``--rattler-auth-file``, else $RATTLER_AUTH_FILE, else rattler's default file."""
    if option is not None:
        return option
    if env.get(RATTLER_AUTH_VAR):
        return Path(env[RATTLER_AUTH_VAR])
    return Path.home() / ".rattler" / "credentials.json"


def rattler_host(url: str) -> str:
    # rattler looks credentials up by host name, without scheme or port.
    host = urlparse(url).hostname
    if not host:
        raise CliError("invalid-url", f"no host in {url!r}")
    return host


def write_rattler_auth(path: Path, url: str, token: str) -> str:
    """Set the Bearer entry for the URL's host, keeping every other entry. Returns the host."""
    host = rattler_host(url)
    entries = _read_json_object(path) or {}
    entries[host] = {"BearerToken": token}
    _write_private(path, entries)
    return host


def remove_rattler_auth(path: Path, url: str, token: str) -> bool:
    """Drop the host's entry if it is still the one we wrote (same token)."""
    host = rattler_host(url)
    entries = _read_json_object(path)
    if not entries or entries.get(host) != {"BearerToken": token}:
        return False
    del entries[host]
    _write_private(path, entries)
    return True
