"""Composition root: the one place services meet adapters.

Clients are built lazily (never at import time) so that moto's in-process
mock, started by the local stack and the tests, sees every call.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Final

import boto3
from botocore.config import Config

from rillet.adapters.accounts import DynamoAccounts
from rillet.adapters.cdn import CloudFrontCdn, NoCdn
from rillet.adapters.directory import DynamoAuditLog, DynamoDirectory
from rillet.adapters.dynamodb import DynamoCatalog
from rillet.adapters.edge import DynamoEdgeView, KvsEdgeStore
from rillet.adapters.jwks import JwksCache
from rillet.adapters.publishers import DynamoPublishers
from rillet.adapters.s3 import S3ObjectStore, S3Presigner
from rillet.adapters.secrets import CachedSecret
from rillet.adapters.sqs import SqsReindexQueue
from rillet.core.accounts import utc_iso
from rillet.core.policy import Principal
from rillet.core.ports import Cdn, EdgeStore
from rillet.core.sessions import looks_like_jwt
from rillet.core.tokens import SECRET_ALPHABET, SECRET_LENGTH
from rillet.runtime.observability import put_edge_store_size
from rillet.runtime.settings import EDGE_KVS_ARN, Settings, SettingsError
from rillet.services import identity
from rillet.services.auth import authenticate, credential


def random_secret() -> str:
    """The random part of a new token: letters and digits only (see core.tokens)."""
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


_RETRIES = Config(retries={"max_attempts": 5, "mode": "standard"})
# A rotated admin token is accepted, and the old one refused, this long after the
# rotation at the latest (docs/deploy.md).
ADMIN_TOKEN_MAX_AGE_S: Final = 300


class Clock:
    """Wall clock; tests substitute their own."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def now_ms(self) -> int:
        return int(time.time() * 1000)

    def iso(self) -> str:
        return utc_iso(self.now())

    def epoch(self) -> int:
        return int(time.time())


@dataclass
class Container:
    settings: Settings
    clock: Clock = field(default_factory=Clock)

    def new_id(self) -> str:
        return secrets.token_hex(16)

    @cached_property
    def session(self) -> Any:
        return boto3.session.Session()

    @cached_property
    def s3(self) -> Any:
        return self.session.client("s3", config=_RETRIES)

    @cached_property
    def catalog(self) -> DynamoCatalog:
        return DynamoCatalog(
            self.session.client("dynamodb", config=_RETRIES), self.settings.table_name
        )

    @cached_property
    def channels(self) -> S3ObjectStore:
        return S3ObjectStore(self.s3, self.settings.channels_bucket)

    @cached_property
    def staging(self) -> S3ObjectStore:
        return S3ObjectStore(self.s3, self.settings.staging_bucket)

    @cached_property
    def presigner(self) -> S3Presigner:
        # SigV4 is required to sign x-amz-checksum-sha256; path style lets the
        # local stack serve the PUT under its own host.
        config = Config(signature_version="s3v4", s3={"addressing_style": "path"})
        client = self.session.client(
            "s3", endpoint_url=self.settings.s3_endpoint_url, config=config
        )
        return S3Presigner(client, self.settings.staging_bucket)

    @cached_property
    def dynamodb(self) -> Any:
        return self.session.client("dynamodb", config=_RETRIES)

    @cached_property
    def directory(self) -> DynamoDirectory:
        return DynamoDirectory(self.dynamodb, self.settings.table_name)

    @cached_property
    def audit(self) -> DynamoAuditLog:
        return DynamoAuditLog(self.dynamodb, self.settings.table_name)

    @cached_property
    def cdn(self) -> Cdn:
        if self.settings.distribution_id:
            return CloudFrontCdn(self.session.client("cloudfront"), self.settings.distribution_id)
        return NoCdn()

    @cached_property
    def publishers(self) -> DynamoPublishers:
        return DynamoPublishers(self.dynamodb, self.settings.table_name)

    @cached_property
    def jwks(self) -> JwksCache:
        return JwksCache()

    @cached_property
    def edge_view(self) -> DynamoEdgeView:
        return DynamoEdgeView(self.dynamodb, self.settings.table_name)

    @cached_property
    def edge_store(self) -> EdgeStore:
        if not self.settings.edge_kvs_arn:
            raise SettingsError(
                f"{EDGE_KVS_ARN} is not set: this function cannot write the edge store"
            )
        stage = self.settings.stage
        return KvsEdgeStore(
            self.session.client("cloudfront-keyvaluestore"),
            self.settings.edge_kvs_arn,
            on_size=lambda size, items: put_edge_store_size(size, items, stage=stage),
        )

    @cached_property
    def reindex_queue(self) -> SqsReindexQueue:
        return SqsReindexQueue(
            self.session.client("sqs", config=_RETRIES), self.settings.reindex_queue_url
        )

    @cached_property
    def _admin_secret(self) -> CachedSecret:
        return CachedSecret(
            self.session.client("secretsmanager", config=_RETRIES),
            self.settings.admin_token_secret or "",
            max_age_s=ADMIN_TOKEN_MAX_AGE_S,
            now_s=lambda: self.clock.now_ms() / 1000,
        )

    @property
    def admin_token(self) -> str:
        """Re-read from Secrets Manager at most every ADMIN_TOKEN_MAX_AGE_S (rotation)."""
        if self.settings.admin_token:
            return self.settings.admin_token
        return self._admin_secret.get()

    @cached_property
    def accounts(self) -> DynamoAccounts:
        return DynamoAccounts(self.dynamodb, self.settings.table_name)

    def signed_in(self, authorization: str | None) -> identity.Identity | None:
        """The signed-in identity behind a provider access token (None: not a session)."""
        token = credential(authorization)
        if token is None or not looks_like_jwt(token):
            return None
        return identity.resolve_session(
            self.accounts,
            token,
            config=self.settings.signin,
            key_for=self.jwks.key,
            now=self.clock.epoch(),
            now_iso=self.clock.iso(),
        )

    def authenticate(self, authorization: str | None) -> Principal | None:
        """The caller behind an Authorization header (None: anonymous).

        A JWT is a sign-in session (its user must have chosen a name); anything else
        is an API key or the operator token. Raises Unauthenticated for a bad,
        revoked or expired credential, or a minted one whose trusted publishers were
        removed."""
        signed_in = self.signed_in(authorization)
        if signed_in is not None:
            return identity.session_principal(signed_in)
        return authenticate(
            self.directory,
            admin_token=self.admin_token,
            authorization=authorization,
            now=self.clock.epoch(),
            publishers=self.publishers,
        )

    def new_secret(self) -> tuple[str, str]:
        """(secret part, public id part) for a new key."""
        return random_secret(), secrets.token_hex(6)


_container: Container | None = None


def container() -> Container:
    """The process-wide container, built on first use (cold start)."""
    global _container
    if _container is None:
        _container = Container(Settings.from_env())
    return _container


def reset(new: Container | None = None) -> None:
    """For the local stack and tests: drop (or replace) the cached container."""
    global _container
    _container = new
