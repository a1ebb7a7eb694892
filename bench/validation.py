"""Scenario 4: validation throughput and peak memory for big packages.

For each size a valid .conda is written to bench/.cache: the usual info archive and a
pkg archive holding one file of incompressible (random) bytes, streamed to disk and
never held in memory. A fresh child process then runs
``rillet.core.package.inspect_package`` over the file (the limit raised above the
size) and reports its time and peak RSS (VmHWM); a second child only reads and hashes
the same bytes (sha256 + md5, which validation must compute anyway): the floor.
The file is deleted afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import random
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import common
from bench.common import fmt_bytes, fmt_s, md_table

NAME = "validation"
TITLE = "4. Validation: throughput and peak memory"
_CHUNK = 1 << 20


def size_list(text: str) -> list[int]:
    """``"10MB,100MB,1GB"`` -> bytes (binary units)."""
    units = {"kb": 1 << 10, "mb": 1 << 20, "gb": 1 << 30, "b": 1}
    out = []
    for part in text.lower().replace(" ", "").split(","):
        if not part:
            continue
        for suffix, scale in units.items():
            if part.endswith(suffix):
                out.append(int(float(part[: -len(suffix)]) * scale))
                break
        else:
            out.append(int(part))
    return out


class _RandomReader:
    """``size`` incompressible bytes, produced on demand."""

    def __init__(self, size: int, seed: int) -> None:
        self._left = size
        self._rng = random.Random(seed)

    def read(self, n: int = -1) -> bytes:
        n = self._left if n < 0 else min(n, self._left)
        self._left -= n
        return self._rng.randbytes(n)


def write_package(directory: Path, payload: int) -> Path:
    """A valid .conda whose pkg archive holds ``payload`` random bytes (streamed)."""
    import zstandard

    name, version, build = "bench-big", str(payload), "h0_0"
    stem = f"{name}-{version}-{build}"
    index = {
        "name": name,
        "version": version,
        "build": build,
        "build_number": 0,
        "depends": [],
        "license": "MIT",
        "subdir": "noarch",
        "noarch": "generic",
        "timestamp": common.BASE_TIMESTAMP_MS,
    }
    paths = {
        "paths": [
            {"_path": "share/bench/blob.bin", "path_type": "hardlink", "size_in_bytes": payload}
        ],
        "paths_version": 1,
    }
    info_tar = io.BytesIO()
    with tarfile.open(fileobj=info_tar, mode="w") as tar:
        for member, doc in (("info/index.json", index), ("info/paths.json", paths)):
            data = json.dumps(doc, indent=2, sort_keys=True).encode()
            ti = tarfile.TarInfo(member)
            ti.size = len(data)
            tar.addfile(ti, io.BytesIO(data))
    info = zstandard.ZstdCompressor(level=3).compress(info_tar.getvalue())

    directory.mkdir(parents=True, exist_ok=True)
    pkg_path = directory / f"pkg-{stem}.tar.zst"
    with pkg_path.open("wb") as raw:
        cctx = zstandard.ZstdCompressor(level=1, threads=-1)
        with (
            cctx.stream_writer(raw, closefd=False) as zw,
            tarfile.open(fileobj=zw, mode="w|") as tar,
        ):
            ti = tarfile.TarInfo("share/bench/blob.bin")
            ti.size = payload
            tar.addfile(ti, _RandomReader(payload, seed=payload))
    out = directory / f"{stem}.conda"
    try:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            zf.writestr(zipfile.ZipInfo("metadata.json"), b'{"conda_pkg_format_version": 2}')
            zf.write(pkg_path, arcname=pkg_path.name)  # streamed from disk; sizes known upfront
            zf.writestr(zipfile.ZipInfo(f"info-{stem}.tar.zst"), info)
    finally:
        pkg_path.unlink(missing_ok=True)
    return out


# -- the child ---------------------------------------------------------------------------


def _vm(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def child(path: Path, mode: str) -> dict[str, Any]:
    from rillet.core.package import Limits, inspect_package

    baseline = _vm("VmHWM")
    size = path.stat().st_size
    started = time.perf_counter()
    with path.open("rb") as stream:
        if mode == "validate":
            facts = inspect_package(stream, path.name, Limits(max_package_bytes=size + 1))
            digest = facts.sha256
        else:
            sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
            while chunk := stream.read(256 * 1024):
                sha.update(chunk)
                md5.update(chunk)
            digest = sha.hexdigest()
    seconds = time.perf_counter() - started
    return {
        "mode": mode,
        "size": size,
        "seconds": seconds,
        "peak_rss": _vm("VmHWM"),
        "baseline_rss": baseline,
        "sha256": digest,
    }


def _run_child(path: Path, mode: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.validation", "--child", str(path), "--mode", mode],
        capture_output=True,
        text=True,
        check=False,
        cwd=common.ROOT,
        timeout=3600,
    )
    if out.returncode != 0:
        raise RuntimeError(f"validation child failed: {out.stderr[-2000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# -- the scenario ------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    result = common.new_result(NAME, {"sizes": args.sizes})
    directory = common.ensure_cache() / "validation"
    rows = []
    for payload in args.sizes:
        common.log(f"validation: writing a package with {fmt_bytes(payload)} of random bytes")
        path, gen_s = common.timed(lambda: write_package(directory, payload))  # noqa: B023
        try:
            common.log(f"validation: {path.name} ({fmt_bytes(path.stat().st_size)})")
            floor = _run_child(path, "hash")
            check = _run_child(path, "validate")
        finally:
            path.unlink(missing_ok=True)
        if floor["sha256"] != check["sha256"]:
            raise RuntimeError("validation and the hash floor disagree on the sha256")
        rows.append(
            {
                "payload": payload,
                "size": check["size"],
                "generate_s": gen_s,
                "validate_s": check["seconds"],
                "validate_mb_s": check["size"] / check["seconds"] / (1 << 20),
                "peak_rss": check["peak_rss"],
                "baseline_rss": check["baseline_rss"],
                "hash_s": floor["seconds"],
                "hash_mb_s": floor["size"] / floor["seconds"] / (1 << 20),
                "hash_peak_rss": floor["peak_rss"],
            }
        )
    result["rows"] = rows
    return result


def render(result: dict[str, Any]) -> str:
    head = [
        "package",
        "validate",
        "throughput",
        "peak RSS",
        "of which interpreter + imports",
        "floor: read + sha256 + md5",
        "floor throughput",
        "validate / floor",
    ]
    body = [
        [
            fmt_bytes(r["size"]),
            fmt_s(r["validate_s"]),
            f"{r['validate_mb_s']:.0f} MB/s",
            f"**{fmt_bytes(r['peak_rss'])}**",
            fmt_bytes(r["baseline_rss"]),
            fmt_s(r["hash_s"]),
            f"{r['hash_mb_s']:.0f} MB/s",
            f"{r['validate_s'] / r['hash_s']:.1f}x",
        ]
        for r in result["rows"]
    ]
    return (
        "One package per child process, read from a local file (the page cache is warm: the "
        "file was just written); on Lambda the source is the S3 object stream.\n\n"
        + md_table(head, body)
    )


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = result["rows"]
    big = max(rows, key=lambda r: r["size"])
    label = fmt_bytes(big["size"])
    return [
        {
            "goal": f"validation of {label}: peak RSS",
            "target": "≤ 200 MB"
            + ("" if big["size"] >= 1 << 30 else " (at 1 GB; largest run here)"),
            "measured": f"{fmt_bytes(big['peak_rss'])} at {big['validate_mb_s']:.0f} MB/s",
            "met": big["peak_rss"] <= 200 * (1 << 20),
        }
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.validation", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--sizes",
        type=size_list,
        default=size_list("10MB,100MB,1GB"),
        help="payload sizes, e.g. 10MB,100MB,1GB",
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="validate", help=argparse.SUPPRESS)
    common.add_output_args(parser)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.mode)))
        return
    common.finish(NAME, run(args), args)


if __name__ == "__main__":
    main()
