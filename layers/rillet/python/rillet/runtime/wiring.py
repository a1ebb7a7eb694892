"""Composition root: the one place services meet adapters.

Clients are built lazily (never at import time) so that moto's in-process
mock, started by the local stack and the tests, sees every call.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Final, TypeVar, cast

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
from rillet.adapters.sigstore import SigstoreVerifier
from rillet.adapters.sqs import SqsReindexQueue
from rillet.core.accounts import utc_iso
from rillet.core.attestation import AttestationVerifier
from rillet.core.clock import IdSource
from rillet.core.policy import Principal
from rillet.core.ports import Cdn, EdgeStore
from rillet.core.tokens import SECRET_ALPHABET, SECRET_LENGTH
from rillet.runtime.observability import put_edge_store_size
from rillet.runtime.settings import EDGE_KVS_ARN, Settings, SettingsError
from rillet.services.auth import AuditTrail, Auth, Guard, SignedIn
from rillet.services.channels import Channels
from rillet.services.identity import Identity
from rillet.services.indexing import Indexing, Settle
from rillet.services.ingest import Ingest
from rillet.services.keys import Keys
from rillet.services.logos import Logos
from rillet.services.members import Members
from rillet.services.packages import Packages
from rillet.services.promotion import Promotion
from rillet.services.provenance import Provenance
from rillet.services.publishing import Publishing
from rillet.services.releases import Releases
from rillet.services.uploads import Uploads

S = TypeVar("S")  # a service: a dataclass


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


class Ids:
    """Fresh random identifiers; tests substitute their own (core.clock.IdSource)."""

    def upload_id(self) -> str:
        return secrets.token_hex(16)

    def publisher_id(self) -> str:
        return f"pub_{secrets.token_hex(6)}"

    def incarnation(self) -> str:
        return secrets.token_hex(8)

    def key_secret(self) -> tuple[str, str]:
        return random_secret(), secrets.token_hex(6)


# What Container(overrides=...) and with_ports(...) may replace: every port below.
PORTS: Final = frozenset(
    {
        "session",
        "s3",
        "dynamodb",
        "catalog",
        "channels",
        "staging",
        "presigner",
        "directory",
        "audit",
        "cdn",
        "publishers",
        "jwks",
        "edge_view",
        "edge_store",
        "reindex_queue",
        "accounts",
        "attestation_verifier",
    }
)


class Container:
    """Settings, a clock, an id source and the ports (built lazily), and the services.

    Test seam: ``Container(settings, clock=..., ids=..., overrides={"jwks": fake})``, or
    ``container.with_ports(jwks=fake)`` for a copy that keeps the clients already built.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        ids: IdSource | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or Clock()
        self.ids: IdSource = ids or Ids()
        unknown = set(overrides or {}) - PORTS
        if unknown:
            raise TypeError(f"not a port of the container: {', '.join(sorted(unknown))}")
        # A cached_property reads the instance dict first: an override is a port built.
        self.__dict__.update(overrides or {})
        self._service_overrides: dict[str, Any] = {}

    def with_services(self, **services: Any) -> Container:
        """A copy (sharing the ports) whose named services are replaced, e.g. a fake ingest."""
        copy = self.with_ports()
        copy._service_overrides = {**self._service_overrides, **services}
        return copy

    def with_ports(self, **ports: Any) -> Container:
        """A new container with these ports (and ``clock``/``ids``) replaced; the ports this
        one built already are shared, the services are built again over the result."""
        clock = ports.pop("clock", self.clock)
        ids = ports.pop("ids", self.ids)
        built = {name: self.__dict__[name] for name in PORTS if name in self.__dict__}
        return Container(self.settings, clock=clock, ids=ids, overrides={**built, **ports})

    @cached_property
    def session(self) -> Any:
        return boto3.session.Session()

    @cached_property
    def s3(self) -> Any:
        return self.session.client("s3", config=_RETRIES)

    @cached_property
    def catalog(self) -> DynamoCatalog:
        return DynamoCatalog(self.dynamodb, self.settings.table_name)

    @cached_property
    def channels(self) -> S3ObjectStore:
        return S3ObjectStore(self.s3, self.settings.channels_bucket)

    @cached_property
    def staging(self) -> S3ObjectStore:
        return S3ObjectStore(self.s3, self.settings.staging_bucket)

    @cached_property
    def presigner(self) -> S3Presigner:
        # SigV4 is required to sign x-amz-checksum-sha256; path style lets the
        # local stack serve the PUT under its own host. On AWS the URLs name the regional
        # endpoint (us-east-1's too, not s3.amazonaws.com): the web app's CSP allows
        # exactly that origin (core.webapp.s3_origin).
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path", "us_east_1_regional_endpoint": "regional"},
        )
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
    def attestation_verifier(self) -> AttestationVerifier:
        # Cheap to build: sigstore itself is imported at the first attestation.
        return SigstoreVerifier(self.settings.sigstore_trusted_root)

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

    @cached_property
    def services(self) -> Services:
        return Services(self, self._service_overrides)

    # Shorthands for the two questions every request asks first.
    def signed_in(self, authorization: str | None) -> SignedIn | None:
        return self.services.auth.signed_in(authorization)

    def authenticate(self, authorization: str | None) -> Principal | None:
        return self.services.auth.authenticate(authorization)


class Services:
    """Every service, each built once (on first use) over the container's ports.

    A builder names only what is particular to its service: ``_build`` fills in every
    field named like the shared wiring, which means one thing in every service.
    """

    # Fields that are services themselves, built once and shared.
    SHARED_SERVICES: Final = frozenset({"guard", "trail"})
    # Field name -> the container's port (``store`` is the channels bucket, which the CDN
    # serves; ``queue`` the reindex queue).
    SHARED_PORTS: Final = {
        "catalog": "catalog",
        "directory": "directory",
        "accounts": "accounts",
        "publishers": "publishers",
        "audit": "audit",
        "store": "channels",
        "staging": "staging",
        "presigner": "presigner",
        "queue": "reindex_queue",
        "cdn": "cdn",
        "clock": "clock",
        "ids": "ids",
        "verifier": "attestation_verifier",
    }

    def __init__(self, c: Container, overrides: Mapping[str, Any] | None = None) -> None:
        self._c = c
        unknown = {
            n
            for n in overrides or {}
            if not isinstance(getattr(Services, n, None), cached_property)
        }
        if unknown:
            raise TypeError(f"not a service: {', '.join(sorted(unknown))}")
        self.__dict__.update(overrides or {})  # a cached_property reads the instance dict first

    def _build(self, service: type[S], **own: Any) -> S:
        """``service`` over the shared wiring its fields name, plus ``own`` (the rest)."""
        shared: dict[str, Any] = {}
        for f in fields(cast(Any, service)):  # every service is a dataclass
            if f.name in own:
                continue
            if f.name in self.SHARED_SERVICES:
                shared[f.name] = getattr(self, f.name)
            elif f.name in self.SHARED_PORTS:
                shared[f.name] = getattr(self._c, self.SHARED_PORTS[f.name])  # built now
        return service(**shared, **own)

    @cached_property
    def guard(self) -> Guard:
        return self._build(Guard)

    @cached_property
    def trail(self) -> AuditTrail:
        return self._build(AuditTrail)

    @cached_property
    def auth(self) -> Auth:
        c = self._c
        return self._build(
            Auth,
            sessions=c.settings.signin,
            key_for=c.jwks.key,
            admin_token=lambda: c.admin_token,
        )

    @cached_property
    def keys(self) -> Keys:
        return self._build(Keys)

    @cached_property
    def identity(self) -> Identity:
        return self._build(Identity)

    @cached_property
    def channels(self) -> Channels:
        return self._build(Channels)

    @cached_property
    def logos(self) -> Logos:
        return self._build(Logos, public_url=self._c.settings.public_url)

    @cached_property
    def provenance(self) -> Provenance:
        return self._build(Provenance)

    @cached_property
    def members(self) -> Members:
        return self._build(Members)

    @cached_property
    def ingest(self) -> Ingest:
        return self._build(Ingest, auth=self.auth, limits=self._c.settings.limits)

    @cached_property
    def packages(self) -> Packages:
        return self._build(Packages, ingest=self.ingest, limits=self._c.settings.limits)

    @cached_property
    def uploads(self) -> Uploads:
        settings = self._c.settings
        return self._build(
            Uploads,
            max_package_bytes=settings.max_package_bytes,
            ttl_seconds=settings.upload_url_ttl,
        )

    @cached_property
    def publishing(self) -> Publishing:
        c = self._c
        return self._build(
            Publishing,
            keys=c.jwks,
            config=c.settings.oidc,
            github_issuer=c.settings.github_issuer,
            gitlab_issuers=c.settings.gitlab_issuers,
            google_issuer=c.settings.google_issuer,
        )

    @cached_property
    def promotion(self) -> Promotion:
        return self._build(Promotion)

    @cached_property
    def releases(self) -> Releases:
        return self._build(Releases, ttl_seconds=self._c.settings.release_ttl)

    @cached_property
    def indexing(self) -> Indexing:
        c = self._c
        return self._build(Indexing, settle=settle_for(c.settings, c.clock.now_ms, time.sleep))


def settle_for(
    settings: Settings, now_ms: Callable[[], int], sleep: Callable[[float], None]
) -> Settle:
    """The settle window of this deployment (the benchmarks use it too)."""
    return Settle(
        quiet_ms=settings.reindex_quiet_ms,
        max_wait_ms=settings.reindex_max_wait_ms,
        now_ms=now_ms,
        sleep=sleep,
    )


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
