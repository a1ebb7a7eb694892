"""py-rattler as pixi uses it: Gateway queries (shards or repodata.json), solve, install."""

from __future__ import annotations

import asyncio
from pathlib import Path

import rattler
from rattler import Channel, Client, Gateway, Platform, SourceConfig

PLATFORMS = [Platform("linux-64"), Platform("noarch")]


def client() -> Client:
    """The client pixi builds: default middleware, auth read from RATTLER_AUTH_FILE now."""
    return Client.default_client()


def query(url: str, specs: list[str], cache: Path, *, sharded: bool) -> dict[str, dict[str, str]]:
    """Records reachable from ``specs``, keyed by filename (fresh cache each call)."""
    gateway = Gateway(
        cache_dir=cache, default_config=SourceConfig(sharded_enabled=sharded), client=client()
    )
    result = asyncio.run(gateway.query([Channel(url)], PLATFORMS, specs=specs, recursive=True))
    records = {}
    for per_spec in result:
        for record in per_spec:
            records[record.file_name] = {
                "name": record.name.normalized,
                "version": str(record.version),
                "sha256": record.sha256.hex() if record.sha256 else "",
                "subdir": record.subdir,
            }
    return records


def solve_and_install(url: str, specs: list[str], workdir: Path) -> list[str]:
    """Solve ``specs`` from the channel and install into ``workdir/env``; return names."""
    http = client()
    gateway = Gateway(cache_dir=workdir / "cache", client=http)
    records = asyncio.run(
        rattler.solve([Channel(url)], specs, gateway=gateway, platforms=PLATFORMS)
    )
    asyncio.run(
        rattler.install(
            records, workdir / "env", cache_dir=workdir / "pkgs", show_progress=False, client=http
        )
    )
    return sorted(r.name.normalized for r in records)
