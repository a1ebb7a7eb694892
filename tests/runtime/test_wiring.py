"""The composition root: every service is built once, over the container's own ports."""

from __future__ import annotations

import dataclasses
from functools import cached_property
from typing import Any

import pytest

from rillet.runtime import wiring
from tests import fakes
from tests.fakes import FixedClock, NamedIds

SETTINGS = fakes.settings(admin_token="rlt_admin_wiring_test_token_0123456789")
SERVICES = sorted(n for n, v in vars(wiring.Services).items() if isinstance(v, cached_property))


class Port:
    """Stands for one port; the builders only hand it on (``key`` is the JWKS lookup)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def key(self, issuer: str, kid: str) -> Any:
        raise AssertionError("not called while wiring")


@pytest.fixture
def c() -> wiring.Container:
    ports = {name: Port(name) for name in wiring.PORTS}
    return wiring.Container(SETTINGS, clock=FixedClock(0), ids=NamedIds(), overrides=ports)


def test_every_field_named_like_shared_wiring_gets_the_one_object(c: wiring.Container) -> None:
    s = c.services
    expected = {
        "guard": s.guard,
        "trail": s.trail,
        "catalog": c.catalog,
        "directory": c.directory,
        "accounts": c.accounts,
        "publishers": c.publishers,
        "audit": c.audit,
        "store": c.channels,  # the channels bucket, which the CDN serves
        "staging": c.staging,
        "presigner": c.presigner,
        "queue": c.reindex_queue,
        "cdn": c.cdn,
        "clock": c.clock,
        "ids": c.ids,
        "verifier": c.attestation_verifier,
    }
    assert set(expected) == wiring.Services.SHARED_SERVICES | set(wiring.Services.SHARED_PORTS)
    for name in SERVICES:
        service = getattr(s, name)
        assert getattr(s, name) is service  # built once
        for field in dataclasses.fields(service):
            if field.name in expected:
                assert getattr(service, field.name) is expected[field.name], (name, field.name)


def test_what_is_particular_to_a_service_comes_from_its_builder(c: wiring.Container) -> None:
    s = c.services
    assert s.ingest.auth is s.auth and s.packages.ingest is s.ingest
    assert s.ingest.limits == SETTINGS.limits and s.packages.limits == SETTINGS.limits
    assert s.publishing.keys is c.jwks and s.publishing.config == SETTINGS.oidc
    assert s.publishing.github_issuer == SETTINGS.github_issuer
    assert s.publishing.google_issuer == SETTINGS.google_issuer
    assert s.logos.public_url == SETTINGS.public_url
    assert s.uploads.max_package_bytes == SETTINGS.max_package_bytes
    assert s.uploads.ttl_seconds == SETTINGS.upload_url_ttl
    assert s.auth.sessions == SETTINGS.signin and s.auth.admin_token() == SETTINGS.admin_token
    assert s.indexing.settle is not None
    assert s.indexing.settle.quiet_ms == SETTINGS.reindex_quiet_ms


def test_a_replaced_service_is_what_the_others_get(c: wiring.Container) -> None:
    fake_auth = object()
    s = c.with_services(auth=fake_auth).services
    assert s.auth is fake_auth and s.ingest.auth is fake_auth
    with pytest.raises(TypeError, match="not a service: nope"):
        c.with_services(nope=1).services  # noqa: B018
