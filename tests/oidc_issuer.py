"""A local OIDC issuer on loopback, shaped like GitHub Actions' and GitLab's.

Serves ``/.well-known/openid-configuration`` and a JWKS, signs tokens with the
claims a test asks for, and answers GitHub's token request
(``ACTIONS_ID_TOKEN_REQUEST_URL`` + bearer ``ACTIONS_ID_TOKEN_REQUEST_TOKEN``,
JSON ``{"value": ...}``) with the requested audience.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

REQUEST_TOKEN = "gh-request-token-for-tests"


class LocalIssuer:
    def __init__(self) -> None:
        self.keys = {"k1": rsa.generate_private_key(public_exponent=65537, key_size=2048)}
        self.published = ["k1"]  # kids in the JWKS
        self.claims: dict[str, Any] = {}  # claims for the GitHub-style token endpoint
        self.requests: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()

    @property
    def token_request_url(self) -> str:
        return f"{self.url}/_actions/token?api-version=2.0"

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid in self.published:
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.keys[kid].public_key()))
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    def sign(self, claims: dict[str, Any], *, kid: str = "k1", **overrides: Any) -> str:
        """A token with sensible defaults (iss, iat, exp, jti) overridden by ``claims``."""
        now = int(time.time())
        body = {
            "iss": self.url,
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
            **claims,
        }
        body = {k: v for k, v in body.items() if v is not None}
        key = self.keys.get(kid, self.keys["k1"])
        return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid, **overrides})

    def add_key(self, kid: str, publish: bool = True) -> None:
        self.keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if publish:
            self.published.append(kid)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                issuer.requests.append(parsed.path)
                if parsed.path == "/.well-known/openid-configuration":
                    self._json(200, {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/jwks"})
                elif parsed.path == "/jwks":
                    self._json(200, issuer.jwks())
                elif parsed.path == "/_actions/token":
                    if self.headers.get("Authorization") != f"Bearer {REQUEST_TOKEN}":
                        self._json(401, {"message": "bad request token"})
                        return
                    audience = parse_qs(parsed.query).get("audience", [""])[-1]
                    self._json(200, {"value": issuer.sign({"aud": audience, **issuer.claims})})
                else:
                    self._json(404, {"message": "not found"})

        return Handler


@contextmanager
def local_issuer() -> Iterator[LocalIssuer]:
    issuer = LocalIssuer()
    try:
        yield issuer
    finally:
        issuer.stop()


def github_claims(
    owner: str = "octo-org",
    repo: str = "widgets",
    workflow: str = "release.yml",
    owner_id: str = "4242",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "sub": f"repo:{owner}/{repo}:ref:refs/heads/main",
        "repository": f"{owner}/{repo}",
        "repository_owner": owner,
        "repository_owner_id": owner_id,
        "repository_id": "99",
        "workflow_ref": f"{owner}/{repo}/.github/workflows/{workflow}@refs/heads/main",
        "event_name": "push",
        "ref": "refs/heads/main",
        "sha": "0123456789abcdef0123456789abcdef01234567",
        "run_id": "777",
        **extra,
    }


def gitlab_claims(
    host: str, namespace: str = "grp", project: str = "proj", **extra: Any
) -> dict[str, Any]:
    return {
        "sub": f"project_path:{namespace}/{project}:ref_type:branch:ref:main",
        "project_path": f"{namespace}/{project}",
        "namespace_path": namespace,
        "namespace_id": "11",
        "project_id": "22",
        "ci_config_ref_uri": f"{host}/{namespace}/{project}//.gitlab-ci.yml@refs/heads/main",
        "ref": "main",
        "sha": "89abcdef0123456789abcdef0123456789abcdef",
        "pipeline_id": "555",
        **extra,
    }


def google_claims(
    email: str = "release@my-project.iam.gserviceaccount.com",
    sub: str = "117820335960485764321",
    **extra: Any,
) -> dict[str, Any]:
    """A Google Cloud service account's ID token (metadata server, ``format=full``):
    no ``jti``; ``azp`` and ``sub`` are the account's unique id."""
    return {
        "sub": sub,
        "azp": sub,
        "email": email,
        "email_verified": True,
        "google": {
            "compute_engine": {
                "instance_creation_timestamp": 1789990000,
                "instance_id": "4242424242424242424",
                "instance_name": "builder-1",
                "project_id": "my-project",
                "project_number": 123456789012,
                "zone": "europe-west1-b",
            }
        },
        **extra,
    }
