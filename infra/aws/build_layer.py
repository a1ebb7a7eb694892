"""Build the third-party Lambda layer (``layers/deps/python``) without Docker.

pip installs exactly the pinned, hashed wheels of ``layers/requirements.lock`` (compiled
from ``layers/requirements.in`` for the Lambda platform: ``make layer-lock``) as manylinux
wheels for CPython 3.12 on ``ARCHITECTURE`` into the layer directory; ``--only-binary=:all:``
makes it fail rather than compile anything for the build machine, ``--require-hashes`` and
``--no-deps`` rather than take anything the lock does not name. A manifest records what
was built, so the build is skipped when nothing changed and the CDK app can refuse a layer
built for another platform or from another lock.

    python -m infra.aws.build_layer [--force]
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parents[2]
LAYER_DIR: Final = ROOT / "layers" / "deps"
TARGET: Final = LAYER_DIR / "python"
MANIFEST: Final = TARGET / ".rillet-layer.json"

PYTHON_VERSION: Final = "3.12"
# Every runtime dependency ships manylinux aarch64 wheels (checked by tests/infra/test_layer.py),
# so the functions run on Graviton: cheaper per GB-second than x86_64.
ARCHITECTURE: Final = "arm64"
PLATFORMS: Final = {
    # Several tags: zstandard ships only manylinux2014 wheels, newer packages only 2_28.
    "arm64": ("manylinux2014_aarch64", "manylinux_2_28_aarch64"),
    "x86_64": ("manylinux2014_x86_64", "manylinux_2_28_x86_64"),
}
REQUIREMENTS_IN: Final = ROOT / "layers" / "requirements.in"
LOCK: Final = ROOT / "layers" / "requirements.lock"
# How the lock is made: resolved for the Lambda platform, not for the build machine.
LOCK_COMMAND: Final = (
    "uv",
    "pip",
    "compile",
    "layers/requirements.in",
    "--python-version",
    PYTHON_VERSION,
    "--python-platform",
    "aarch64-manylinux_2_28",
    "--generate-hashes",
    "--no-annotate",
    "--quiet",
    "-o",
    "layers/requirements.lock",
)


def requirements(lock: Path = LOCK) -> list[str]:
    """The pinned distributions of the lock, ``name==version`` (hashes left out)."""
    pins = []
    for line in lock.read_text().splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            pins.append(line.split(" ", 1)[0].split(";", 1)[0].strip())
    return pins


def fingerprint(reqs: list[str], architecture: str) -> str:
    # The whole lock, hashes included: a re-lock of the same versions is a new build too.
    spec = json.dumps(
        {
            "requirements": reqs,
            "lock": hashlib.sha256(LOCK.read_bytes()).hexdigest(),
            "arch": architecture,
            "python": PYTHON_VERSION,
        }
    )
    return hashlib.sha256(spec.encode()).hexdigest()


def read_manifest() -> dict[str, Any] | None:
    try:
        return dict(json.loads(MANIFEST.read_text()))
    except (OSError, ValueError):
        return None


def pip_command(architecture: str, lock: Path = LOCK) -> list[str]:
    platforms = [arg for tag in PLATFORMS[architecture] for arg in ("--platform", tag)]
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",  # the runtime compiles on import; .pyc here would only add size
        *platforms,
        "--only-binary=:all:",
        "--python-version",
        PYTHON_VERSION,
        "--implementation",
        "cp",
        "--require-hashes",
        "--no-deps",  # the lock names every distribution: nothing unpinned comes along
        "--target",
        str(TARGET),
        "-r",
        str(lock),
    ]


@contextmanager
def _exclusive() -> Iterator[None]:
    """One build at a time per checkout (parallel test workers, make synth beside a test run)."""
    tag = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    with (Path(tempfile.gettempdir()) / f"rillet-deps-layer-{tag}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def build(*, architecture: str = ARCHITECTURE, force: bool = False) -> Path:
    """Install the layer unless an identical build is already there; return its directory."""
    with _exclusive():
        return _build(architecture, force)


def _build(architecture: str, force: bool) -> Path:
    reqs = requirements()
    digest = fingerprint(reqs, architecture)
    manifest = read_manifest()
    if not force and manifest and manifest.get("fingerprint") == digest:
        return TARGET
    shutil.rmtree(TARGET, ignore_errors=True)
    TARGET.mkdir(parents=True)
    subprocess.run(pip_command(architecture), check=True)
    for cache in TARGET.rglob("__pycache__"):
        shutil.rmtree(cache)
    # boto3 brings its own bin/ scripts; the layer only needs importable packages.
    shutil.rmtree(TARGET / "bin", ignore_errors=True)
    MANIFEST.write_text(
        json.dumps(
            {
                "fingerprint": digest,
                "architecture": architecture,
                "python": PYTHON_VERSION,
                "requirements": reqs,
            },
            indent=2,
        )
        + "\n"
    )
    return TARGET


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    parser.add_argument("--architecture", choices=sorted(PLATFORMS), default=ARCHITECTURE)
    parser.add_argument(
        "--lock", action="store_true", help="re-compile layers/requirements.lock (needs uv)"
    )
    args = parser.parse_args()
    if args.lock:
        subprocess.run(LOCK_COMMAND, check=True, cwd=ROOT)
        print(f"locked: {LOCK.relative_to(ROOT)}")
        return
    target = build(architecture=args.architecture, force=args.force)
    print(f"deps layer ({args.architecture}, cp{PYTHON_VERSION}): {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
