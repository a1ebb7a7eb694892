"""The local stack's OpenID Provider: ``infra/local/oidc`` (oidc-provider on Node) as a child.

Installs its npm dependencies on first use (``npm ci`` from the committed lock file,
again whenever the lock file changes), starts it on 127.0.0.1, and hands the API
the same settings a deployment gets from Cognito.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import IO, Any

from rillet.runtime import settings as s

OIDC_DIR = Path(__file__).parent / "oidc"
CLIENT_ID = "rillet-local"
API_SCOPE = "rillet:api"
SCOPES = f"openid profile email offline_access {API_SCOPE}"
_STAMP = OIDC_DIR / "node_modules" / ".rillet-lock"
_install_lock = threading.Lock()


class SignInError(RuntimeError):
    """Node or the provider's dependencies are missing, or it did not start."""


def ensure_installed() -> None:
    """``npm ci`` unless node_modules matches the lock file (what ``make serve`` runs too)."""
    lock = (OIDC_DIR / "package-lock.json").read_bytes()
    with _install_lock:
        if _STAMP.exists() and _STAMP.read_bytes() == lock:
            return
        npm = shutil.which("npm")
        if npm is None:
            raise SignInError("the local sign-in provider needs Node.js and npm on PATH")
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=OIDC_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SignInError(f"npm ci failed in {OIDC_DIR.name}: {result.stderr[-2000:]}")
        _STAMP.write_bytes(lock)


class LocalProvider:
    """One oidc-provider process for one local stack."""

    def __init__(
        self,
        audience: str,
        redirect_uris: list[str],
        port: int = 0,
        post_logout_uris: list[str] | None = None,
    ) -> None:
        self.audience = audience
        self.redirect_uris = redirect_uris
        self.post_logout_uris = post_logout_uris or []
        self.port = port
        self.issuer = ""
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> LocalProvider:
        ensure_installed()
        node = shutil.which("node")
        if node is None:
            raise SignInError("the local sign-in provider needs Node.js on PATH")
        env = {
            **os.environ,
            "OIDC_PORT": str(self.port),
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_AUDIENCE": self.audience,
            "OIDC_API_SCOPE": API_SCOPE,
            "OIDC_REDIRECT_URIS": ",".join(self.redirect_uris),
            "OIDC_POST_LOGOUT_URIS": ",".join(self.post_logout_uris),
            "NODE_NO_WARNINGS": "1",
        }
        self._process = subprocess.Popen(
            [node, "server.mjs"],
            cwd=OIDC_DIR,
            env=env,
            stdin=subprocess.PIPE,  # closed when this process ends: the provider exits too
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            errors = self._process.stderr.read() if self._process.stderr else ""
            self.stop()
            raise SignInError(f"the local sign-in provider did not start: {errors[-2000:]}")
        self.issuer = str(json.loads(line)["issuer"])
        # Keep draining its output so a chatty provider never blocks on a full pipe.
        for stream in (self._process.stdout, self._process.stderr):
            threading.Thread(target=_drain, args=(stream,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            if self._process.stdin is not None:
                self._process.stdin.close()
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def environment(self) -> dict[str, str]:
        """The API's sign-in settings, as infra/aws sets them for Cognito."""
        return {
            s.SIGNIN_ISSUER: self.issuer,
            s.SIGNIN_CLIENT_ID: CLIENT_ID,
            s.SIGNIN_AUDIENCE: self.audience,
            s.SIGNIN_SCOPES: SCOPES,
        }


SIGNIN_VARIABLES = (
    s.SIGNIN_ISSUER,
    s.SIGNIN_CLIENT_ID,
    s.SIGNIN_AUDIENCE,
    s.SIGNIN_SCOPES,
    s.SIGNIN_CLI_REDIRECT_URI,
)


def _drain(stream: IO[Any] | None) -> None:
    if stream is None:
        return
    for _ in stream:
        pass
