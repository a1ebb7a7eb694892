"""Shared pieces of the benchmarks: machine facts, packages, the local stack, results.

Everything generated (package pools, channel directories, the 1 GB package) lives
under ``bench/.cache``; result JSON goes to ``bench/results`` and the report to
``docs/performance.md`` (rendered by ``bench.run_all``).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import zstandard

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "performance.md"

SUBDIR = "linux-64"
# Synthetic records: 20 versions per package name, so N records -> N/20 names (shards).
# conda-forge's linux-64 has roughly 25 records per name.
VERSIONS_PER_NAME = 20
BASE_TIMESTAMP_MS = 1_767_323_045_000  # 2026-01-02T03:04:05Z


# -- machine -----------------------------------------------------------------------------


def _meminfo_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return 0.0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _command(args: Sequence[str]) -> str:
    try:
        out = subprocess.run(list(args), capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    return out.stdout.strip() or "unavailable"


def machine_info() -> dict[str, Any]:
    """The facts a reader needs to weigh the numbers."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    commit = _command(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = _command(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"])
    return {
        "cores": usable,
        "cpu": _cpu_model(),
        "memory_gib": _meminfo_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "node": _command(["node", "--version"]),
        "versions": {
            dist: _version(dist)
            for dist in (
                "py-rattler",
                "py-rattler-build",
                "moto",
                "boto3",
                "botocore",
                "zstandard",
                "msgpack",
                "werkzeug",
            )
        },
        "commit": commit + ("+dirty" if dirty not in ("", "unavailable") else ""),
    }


# -- arguments and results ---------------------------------------------------------------


def int_list(text: str) -> list[int]:
    """``"1000,10k,100k"`` -> [1000, 10000, 100000]."""
    out = []
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            continue
        scale = 1
        if part.endswith("k"):
            scale, part = 1000, part[:-1]
        elif part.endswith("m"):
            scale, part = 1_000_000, part[:-1]
        out.append(int(float(part) * scale))
    return out


def add_output_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", default=str(RESULTS), help="directory for <scenario>.json (default bench/results)"
    )
    parser.add_argument(
        "--doc",
        default=str(DOC),
        help="re-render this report from every result in --out ('' = leave it alone)",
    )


def finish(name: str, result: dict[str, Any], args: argparse.Namespace) -> Path:
    """Write ``<out>/<name>.json``, print the scenario's section, re-render the report."""
    from bench import run_all

    if "_t0" in result:
        result["duration_s"] = round(time.time() - result.pop("_t0"), 1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(run_all.render_section(name, result))
    print(f"\nresults: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    if args.doc:
        doc = run_all.write_doc(out, Path(args.doc))
        print(f"report:  {doc}")
    return path


def new_result(name: str, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "scenario": name,
        "params": params,
        "machine": machine_info(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "_t0": time.time(),
    }


# -- numbers -----------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sample."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 100:
        return f"{seconds:.0f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 0.001:
        return f"{seconds * 1000:.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return "-"
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} B"


def fmt_n(n: int) -> str:
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# -- synthetic packages ------------------------------------------------------------------


def synthetic_index(i: int, subdir: str = SUBDIR) -> dict[str, Any]:
    """info/index.json of synthetic package ``i``: shaped like a small conda-forge build."""
    name = f"bench-{i // VERSIONS_PER_NAME:05d}"
    build_hash = (i * 2_654_435_761) % (1 << 32)
    index: dict[str, Any] = {
        "name": name,
        "version": f"1.{i % VERSIONS_PER_NAME}.{i}",
        "build": f"h{build_hash:08x}_0",
        "build_number": 0,
        "depends": [
            f"bench-{(i * 7919) % 50:05d} >=1.0",
            "libzlib >=1.3.1,<2.0a0",
            "__glibc >=2.17,<3.0.a0",
        ],
        "constrains": ["python >=3.10"],
        "license": "MIT",
        "license_family": "MIT",
        "subdir": subdir,
        "timestamp": BASE_TIMESTAMP_MS + i * 1000,
    }
    if subdir != "noarch":
        plat, _, bits = subdir.partition("-")
        index["platform"] = plat
        index["arch"] = {"64": "x86_64", "32": "x86"}.get(bits, bits)
    return index


def _tar(members: Sequence[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


_ZSTD = zstandard.ZstdCompressor(level=3, write_content_size=True)


def synthetic_conda(index: dict[str, Any]) -> tuple[str, bytes]:
    """A valid, minimal .conda for ``index``: metadata.json, an info tar, an empty pkg tar."""
    stem = f"{index['name']}-{index['version']}-{index['build']}"
    info = _ZSTD.compress(
        _tar(
            [
                ("info/index.json", json.dumps(index, indent=2, sort_keys=True).encode()),
                ("info/paths.json", b'{"paths": [], "paths_version": 1}'),
                ("info/about.json", b'{"summary": "synthetic benchmark package"}'),
            ]
        )
    )
    pkg = _ZSTD.compress(_tar([]))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in (
            ("metadata.json", b'{"conda_pkg_format_version": 2}'),
            (f"pkg-{stem}.tar.zst", pkg),
            (f"info-{stem}.tar.zst", info),
        ):
            entry = zipfile.ZipInfo(name, date_time=(2026, 1, 2, 3, 4, 4))
            zf.writestr(entry, data)
    return f"{stem}.conda", buf.getvalue()


def record_for(index: dict[str, Any], data: bytes) -> dict[str, Any]:
    """The repodata record ingest would store (rillet.core.records.package_record)."""
    record = {k: v for k, v in index.items() if k not in ("indexed_timestamp", "run_exports")}
    record.setdefault("depends", [])
    record["md5"] = hashlib.md5(data, usedforsecurity=False).hexdigest()
    record["sha256"] = hashlib.sha256(data).hexdigest()
    record["size"] = len(data)
    return dict(sorted(record.items()))


@dataclass(frozen=True)
class PoolEntry:
    filename: str
    record: dict[str, Any]


def pool_dir(subdir: str = SUBDIR) -> Path:
    return CACHE / "pool" / subdir


def ensure_pool(n: int, subdir: str = SUBDIR) -> tuple[list[PoolEntry], float]:
    """The first ``n`` synthetic packages on disk (generated once, then cached).

    Returns the entries and the seconds spent generating missing ones (0 if cached).
    """
    directory = pool_dir(subdir)
    directory.mkdir(parents=True, exist_ok=True)
    manifest = directory.with_suffix(".jsonl")
    entries: list[PoolEntry] = []
    if manifest.exists():
        with manifest.open() as fh:
            for line in fh:
                if len(entries) >= n:
                    break
                raw = json.loads(line)
                if not (directory / raw["filename"]).exists():
                    break  # the cache was damaged: regenerate from here
                entries.append(PoolEntry(raw["filename"], raw["record"]))
    if len(entries) >= n:
        return entries[:n], 0.0
    started = time.perf_counter()
    # Rewrite the manifest up to what is verified, then append.
    with manifest.open("w") as fh:
        for e in entries:
            fh.write(json.dumps({"filename": e.filename, "record": e.record}) + "\n")
        for i in range(len(entries), n):
            index = synthetic_index(i, subdir)
            filename, data = synthetic_conda(index)
            (directory / filename).write_bytes(data)
            entry = PoolEntry(filename, record_for(index, data))
            fh.write(json.dumps({"filename": entry.filename, "record": entry.record}) + "\n")
            entries.append(entry)
    return entries, time.perf_counter() - started


def link_channel(channel_dir: Path, entries: Sequence[PoolEntry], subdir: str = SUBDIR) -> None:
    """A fresh channel directory holding ``entries`` (hard links into the pool)."""
    shutil.rmtree(channel_dir, ignore_errors=True)
    target = channel_dir / subdir
    target.mkdir(parents=True)
    (channel_dir / "noarch").mkdir(exist_ok=True)
    source = pool_dir(subdir)
    for e in entries:
        try:
            os.link(source / e.filename, target / e.filename)
        except OSError:
            shutil.copyfile(source / e.filename, target / e.filename)


def real_package(out_dir: Path, name: str, version: str, subdir: str = "noarch") -> Path:
    """A real package built by rattler-build's assembler (cached by file name)."""
    from tests.packages import build_package

    build = "h0_0"
    cached = out_dir / f"{name}-{version}-{build}.conda"
    if cached.exists():
        return cached
    return build_package(out_dir, name, version, subdir=subdir, build=build)


# -- the local stack ---------------------------------------------------------------------


@contextmanager
def local_stack(*, reindex_pump: bool = True) -> Iterator[Any]:
    """The local stack on an ephemeral loopback port.

    Without ``reindex_pump`` the reindex queue is left alone, so a benchmark can run
    (and time) the rebuild itself.
    """
    from infra.local.pump import EventPump
    from infra.local.server import LocalStack

    import logging  # noqa: PLC0415

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    stack = LocalStack(host="127.0.0.1", port=0).start()
    try:
        if not reindex_pump:
            assert stack.pump is not None
            stack.pump.stop()
            stack.pump = EventPump([stack.validate_pump])
            stack.pump.start()
        yield stack
    finally:
        stack.stop()


class Client:
    """The HTTP calls an uploader makes (thread-safe: one requests session per thread)."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.token = token
        self._local = threading.local()

    def _http(self) -> Any:
        import requests

        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return self._http().request(
            method,
            self.base_url + path,
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=60,
        )

    def create_channel(self, name: str, visibility: str = "public") -> None:
        r = self.call("POST", "/api/v1/channels", {"name": name, "visibility": visibility})
        if r.status_code != 201:
            raise RuntimeError(f"create channel: {r.status_code} {r.text}")

    def request_upload(self, channel: str, filename: str, data: bytes) -> dict[str, Any]:
        body = {"filename": filename, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        r = self.call("POST", f"/api/v1/channels/{channel}/uploads", body)
        if r.status_code != 201:
            raise RuntimeError(f"presign: {r.status_code} {r.text}")
        return dict(r.json())

    def put(self, ticket: dict[str, Any], data: bytes) -> None:
        r = self._http().put(ticket["url"], data=data, headers=ticket["headers"], timeout=120)
        if r.status_code != 200:
            raise RuntimeError(f"PUT: {r.status_code} {r.text}")

    def status(self, channel: str, upload_id: str) -> dict[str, Any]:
        r = self.call("GET", f"/api/v1/channels/{channel}/uploads/{upload_id}")
        if r.status_code != 200:
            raise RuntimeError(f"status: {r.status_code} {r.text}")
        return dict(r.json())

    def wait_final(
        self, channel: str, upload_id: str, timeout: float = 120, poll: float = 0.02
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status(channel, upload_id)
            if status["status"] in ("published", "rejected"):
                return status
            time.sleep(poll)
        raise TimeoutError(f"upload {upload_id} did not finish in {timeout} s")


def seed_catalog(stack: Any, channel: str, subdir: str, entries: Sequence[PoolEntry]) -> float:
    """Write ``entries`` as published package items straight into the table.

    Exactly the items ingest leaves behind (record JSON, state, upload_id, sha256,
    indexed_timestamp), then the subdir's change counter moves on by len(entries),
    so the next reindex rebuilds. Returns the seconds it took.
    """
    from rillet.adapters import schema

    started = time.perf_counter()
    ddb = stack.session.client("dynamodb")
    table = stack.provisioned.names.table
    pk = schema.packages_pk(channel, subdir)
    for start in range(0, len(entries), 25):
        batch = [
            {
                "PutRequest": {
                    "Item": {
                        "pk": {"S": pk},
                        "sk": {"S": f"PKG#{e.filename}"},
                        "record": {"S": json.dumps(e.record, sort_keys=True)},
                        "state": {"S": "published"},
                        "upload_id": {"S": f"seed{start + k:07d}"},
                        "sha256": {"S": e.record["sha256"]},
                        "indexed_timestamp": {"N": str(BASE_TIMESTAMP_MS + start + k)},
                    }
                }
            }
            for k, e in enumerate(entries[start : start + 25])
        ]
        request = {table: batch}
        for _ in range(20):
            unprocessed = ddb.batch_write_item(RequestItems=request).get("UnprocessedItems")
            if not unprocessed:
                break
            request = unprocessed
            time.sleep(0.05)
        else:
            raise RuntimeError("DynamoDB kept items unprocessed")
    key = schema.subdir_key(channel, subdir)
    ddb.update_item(
        TableName=table,
        Key={k: {"S": v} for k, v in key.items()},
        UpdateExpression="ADD change_seq :n SET indexed_seq = if_not_exists(indexed_seq, :z)",
        ExpressionAttributeValues={":n": {"N": str(len(entries))}, ":z": {"N": "0"}},
    )
    return time.perf_counter() - started


class ServerClock:
    """Time spent inside moto (the emulated AWS side) per thread, via botocore hooks.

    moto answers from a ``before-send`` handler; handlers registered first and last on
    the same event bracket it. What is left of a call is the client's own work
    (serialising the request, parsing the response), which real AWS would not remove.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def attach(self, events: Any) -> ServerClock:
        events.register_first("before-send", self._start, unique_id="bench-server-clock-start")
        events.register_last("before-send", self._stop, unique_id="bench-server-clock-stop")
        return self

    def _start(self, **_: Any) -> None:
        self._local.started = time.perf_counter()

    def _stop(self, **_: Any) -> None:
        started = getattr(self._local, "started", None)
        if started is None:
            return
        elapsed = time.perf_counter() - started
        self._local.started = None
        self._local.total = getattr(self._local, "total", 0.0) + elapsed
        self._local.count = getattr(self._local, "count", 0) + 1
        name = threading.current_thread().name
        with self._lock:
            self.seconds[name] = self.seconds.get(name, 0.0) + elapsed
            self.calls[name] = self.calls.get(name, 0) + 1

    def mine(self) -> tuple[float, int]:
        """(seconds, calls) inside moto so far on the calling thread."""
        return getattr(self._local, "total", 0.0), getattr(self._local, "count", 0)


@dataclass
class HandlerEvent:
    kind: str  # "validate" | "reindex"
    started: float  # time.monotonic()
    ended: float
    moto_s: float  # time spent inside moto during the call (this thread)
    info: dict[str, Any]


class HandlerProbe:
    """Times every validation and every reindex the stack's pumps run.

    Wraps the service functions the two handlers call (``ingest_staged`` and
    ``reindex``, looked up as module globals) without changing the handlers.
    """

    def __init__(self, clock: ServerClock | None = None) -> None:
        self.clock = clock
        self.events: list[HandlerEvent] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._restore: list[tuple[Any, str, Any]] = []

    def install(self) -> HandlerProbe:
        import functions.reindex.handler as reindex_handler  # noqa: PLC0415
        import functions.validate.handler as validate_handler  # noqa: PLC0415

        self._wrap(validate_handler, "ingest_staged", "validate", self._validate_info)
        self._wrap(reindex_handler, "reindex", "reindex", self._reindex_info)
        return self

    def uninstall(self) -> None:
        for module, attr, original in reversed(self._restore):
            setattr(module, attr, original)
        self._restore.clear()

    @staticmethod
    def _validate_info(args: tuple[Any, ...], kwargs: dict[str, Any], value: Any) -> dict[str, Any]:
        return {
            "key": kwargs.get("key"),
            "upload_id": getattr(value, "upload_id", None),
            "status": getattr(value, "status", None),
        }

    @staticmethod
    def _reindex_info(args: tuple[Any, ...], kwargs: dict[str, Any], value: Any) -> dict[str, Any]:
        return {
            "channel": value.channel,
            "subdir": value.subdir,
            "rebuilt": value.rebuilt,
            "indexed_seq": value.indexed_seq,
            "requested_seq": args[4] if len(args) > 4 else kwargs.get("seq"),
            "objects_written": value.stats.objects_written,
        }

    def _wrap(self, module: Any, attr: str, kind: str, info: Callable[..., dict[str, Any]]) -> None:
        original = getattr(module, attr)
        probe = self

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            moto0 = probe.clock.mine()[0] if probe.clock else 0.0
            started = time.monotonic()
            value = original(*args, **kwargs)
            ended = time.monotonic()
            moto = (probe.clock.mine()[0] - moto0) if probe.clock else 0.0
            event = HandlerEvent(kind, started, ended, moto, info(args, kwargs, value))
            with probe._changed:
                probe.events.append(event)
                probe._changed.notify_all()
            return value

        setattr(module, attr, wrapper)
        self._restore.append((module, attr, original))

    def of(self, kind: str) -> list[HandlerEvent]:
        with self._lock:
            return [e for e in self.events if e.kind == kind]

    def wait_for(self, predicate: Callable[[HandlerEvent], bool], timeout: float) -> HandlerEvent:
        """The first recorded event matching ``predicate`` (waits for it, bounded)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the expected handler event did not happen")
                self._changed.wait(min(left, 0.5))


# -- py-rattler as a client --------------------------------------------------------------


def rattler_sees(
    url: str, name: str, subdir: str, *, sharded: bool = True, cache: Path | None = None
) -> set[str]:
    """File names py-rattler's Gateway finds for ``name`` (fresh cache unless given)."""
    from rattler import Channel, Client, Gateway, Platform, SourceConfig

    with tempfile.TemporaryDirectory(dir=_tmp_root()) as tmp:
        gateway = Gateway(
            cache_dir=cache or Path(tmp),
            default_config=SourceConfig(sharded_enabled=sharded),
            client=Client.default_client(),
        )
        platforms = [Platform(subdir)] + ([Platform("noarch")] if subdir != "noarch" else [])
        result = asyncio.run(
            gateway.query([Channel(url)], platforms, specs=[name], recursive=False)
        )
        return {record.file_name for per_spec in result for record in per_spec}


def _tmp_root() -> Path:
    root = CACHE / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    return root


# -- misc --------------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
