"""CEP-27 attestations end to end, with a real package and its real Sigstore bundle.

The bundle was signed in GitHub Actions by prefix-dev/sigstore-example
(tests/fixtures/sigstore/README.md). The local GitHub issuer mints upload tokens with
the claims of that very workflow run, so the upload client (py-rattler-build) sends the
real bundle as its ``attestation`` part; the server verifies it offline; and py-rattler,
as a client installing from the channel, verifies the served ``.sigs`` itself. Every
refusal says its code and publishes nothing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rattler
import requests

from rillet.core import attestation as a
from tests.e2e.conftest import Api
from tests.e2e.sigstore_example import (
    BUNDLE,
    CHANNEL,
    COMMIT,
    FIXTURES,
    IDENTITY,
    LOG_INDEX,
    PACKAGE,
    REPOSITORY,
    RUN,
    SUBDIR,
    WORKFLOW,
    ci_upload,
    github_issuer,
    publisher,
    signing_run,
)
from tests.oidc_issuer import REQUEST_TOKEN, LocalIssuer
from tests.packages import build_package

pytestmark = pytest.mark.e2e

PROMOTED = "sigstore-promoted"


@pytest.fixture(scope="module")
def github(api: Api) -> Iterator[LocalIssuer]:
    with github_issuer() as issuer:
        yield issuer


@pytest.fixture(scope="module")
def world(api: Api, github: LocalIssuer) -> dict[str, Any]:
    owner = api.create_user("attest-owner")
    api.create_channel(CHANNEL, visibility="private", token=owner)
    api.create_channel(PROMOTED, visibility="private", token=owner)
    for repository in ("sigstore-example", "other-repo"):
        r = api.call("POST", f"/api/v1/channels/{CHANNEL}/publishers", publisher(repository), owner)
        assert r.status_code == 201, r.text
    return {"owner": owner}


def listing(api: Api, owner: str, channel: str = CHANNEL) -> dict[str, dict[str, Any]]:
    r = api.call("GET", f"/api/v1/channels/{channel}/packages", token=owner)
    assert r.status_code == 200, r.text
    return {p["filename"]: p for p in r.json()["packages"]}


def served(api: Api, path: str, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{api.stack.url}/{path}", headers=headers, timeout=30)


def repodata(api: Api, owner: str, channel: str = CHANNEL, subdir: str = SUBDIR) -> dict[str, Any]:
    r = served(api, f"{channel}/{subdir}/repodata.json", owner)
    assert r.status_code == 200, r.text
    return dict(r.json())


def tampered(tmp_path: Path, name: str, change: Any) -> Path:
    bundle = json.loads(BUNDLE.read_text())
    change(bundle)
    path = tmp_path / name
    path.write_text(json.dumps(bundle))
    return path


def flip_signature(bundle: dict[str, Any]) -> None:
    sig = bytearray(base64.b64decode(bundle["dsseEnvelope"]["signatures"][0]["sig"]))
    sig[-1] ^= 0x01
    bundle["dsseEnvelope"]["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()


def swap_subject(bundle: dict[str, Any]) -> None:
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    statement["subject"][0]["name"] = "other-1.0-h0_0.conda"
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()


def assert_nothing_published(api: Api, owner: str, filename: str, subdir: str = SUBDIR) -> None:
    api.stack.wait_idle()
    assert filename not in listing(api, owner)
    index = served(api, f"{CHANNEL}/{subdir}/repodata.json", owner)
    assert index.status_code in (200, 404), index.text  # 404: no index for the subdir yet
    data = index.json() if index.status_code == 200 else {}
    assert filename not in {**data.get("packages", {}), **data.get("packages.conda", {})}
    assert served(api, f"{CHANNEL}/{subdir}/{filename}.sigs", owner).status_code == 404
    assert served(api, f"{CHANNEL}/{subdir}/{filename}", owner).status_code == 404


OTHER_RUNS: list[tuple[dict[str, Any], str]] = [
    ({"ref": "refs/heads/dev"}, "ref"),
    (
        {
            "repository": "prefix-dev/other-repo",
            "workflow_ref": "prefix-dev/other-repo/.github/workflows/action.yaml@refs/heads/main",
            "sub": "repo:prefix-dev/other-repo:ref:refs/heads/main",
        },
        "repository",
    ),
    ({"sha": "f" * 40}, "commit"),
]


def check_refusals(
    api: Api, github: LocalIssuer, owner: str, tmp_path: Path, pkg_dir: Path
) -> None:
    """Each refusal with its code; nothing of the file is published or served."""
    # A token minted for another run (ref, repository, commit) cannot carry the bundle.
    for claims, why in OTHER_RUNS:
        ok, error = ci_upload(github, api.stack.url, tmp_path, [PACKAGE], BUNDLE, **claims)
        assert not ok and a.IDENTITY_MISMATCH in error and why in error, error
        assert_nothing_published(api, owner, PACKAGE.name)
    # The bundle for another file.
    other = build_package(pkg_dir / "attest", "unsigned", "1.0")
    ok, error = ci_upload(github, api.stack.url, tmp_path, [other], BUNDLE)
    assert not ok and a.SUBJECT_MISMATCH in error, error
    assert_nothing_published(api, owner, other.name, "noarch")
    # The real bundle altered: the signature covers the payload.
    for name, change in (("flipped.json", flip_signature), ("swapped.json", swap_subject)):
        ok, error = ci_upload(
            github, api.stack.url, tmp_path, [PACKAGE], tampered(tmp_path, name, change)
        )
        assert not ok and a.NOT_VERIFIED in error, error
        assert_nothing_published(api, owner, PACKAGE.name)
    # Real bundles that are not this one: Sigstore's staging instance, a non-DSSE bundle.
    for asset, code in (
        ("a.dsse.staging-rekor-v2.txt.sigstore.json", a.NOT_VERIFIED),
        ("bundle_v3_github.whl.sigstore", a.MALFORMED),
    ):
        ok, error = ci_upload(github, api.stack.url, tmp_path, [PACKAGE], FIXTURES / asset)
        assert not ok and code in error, error
        assert_nothing_published(api, owner, PACKAGE.name)


def test_an_api_key_cannot_upload_an_attestation(api: Api, world: dict[str, Any]) -> None:
    """No publisher to bind it to: refused (rattler-build refuses it too, client side)."""
    other = f"{CHANNEL}-keyed"
    api.create_channel(other, token=world["owner"])
    data = PACKAGE.read_bytes()
    parts: dict[str, Any] = {
        "file": (PACKAGE.name, data, "application/octet-stream"),
        "attestation": (None, BUNDLE.read_text()),
    }
    r = requests.post(
        f"{api.stack.url}/api/v1/upload/{other}",
        headers={"Authorization": f"Bearer {world['owner']}"},
        files=parts,
        timeout=30,
    )
    assert r.status_code == 422 and r.text.startswith(a.NEEDS_TRUSTED_PUBLISHER), r.text
    r = api.call(
        "POST",
        f"/api/v1/channels/{other}/uploads",
        {
            "filename": PACKAGE.name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "attestation": json.loads(BUNDLE.read_text()),
        },
        world["owner"],
    )
    assert r.status_code == 422 and r.json()["error"] == a.NEEDS_TRUSTED_PUBLISHER, r.text
    assert listing(api, world["owner"], other) == {}


def test_the_real_bundle_is_verified_served_carried_and_verifiable_by_rattler(
    api: Api,
    github: LocalIssuer,
    world: dict[str, Any],
    tmp_path: Path,
    pkg_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner = world["owner"]
    check_refusals(api, github, owner, tmp_path, pkg_dir)
    ok, error = ci_upload(github, api.stack.url, tmp_path, [PACKAGE], BUNDLE)
    assert ok, error
    api.stack.wait_idle()

    sigs = served(api, f"{CHANNEL}/{SUBDIR}/{PACKAGE.name}.sigs", owner)
    assert sigs.status_code == 200
    assert sigs.headers["Content-Type"] == "application/json"
    assert sigs.json() == [json.loads(BUNDLE.read_text())]
    digest = hashlib.sha256(sigs.content).hexdigest()
    pinned = served(api, f"{CHANNEL}/{SUBDIR}/{PACKAGE.name}.sigs.{digest}", owner)
    assert pinned.status_code == 200 and pinned.content == sigs.content
    assert "immutable" in pinned.headers["Cache-Control"]
    # Same access rule as the package: a private channel's sigs need a member's token.
    assert served(api, f"{CHANNEL}/{SUBDIR}/{PACKAGE.name}.sigs", None).status_code == 401

    record = repodata(api, owner)["packages.conda"][PACKAGE.name]
    assert record["attestations_sha256"] == digest
    assert "attestation" not in record  # the API's summary stays out of the index
    listed = listing(api, owner)[PACKAGE.name]
    assert listed["attestations_sha256"] == digest
    assert listed["attestation"] == {
        "provider": "github",
        "issuer": "https://token.actions.githubusercontent.com",
        "identity": IDENTITY,
        "repository": REPOSITORY,
        "workflow": WORKFLOW,
        "ref": "refs/heads/main",
        "commit": COMMIT,
        "run": RUN,
        "target_channel": "https://prefix.dev/sigstore-example",
        "log_index": LOG_INDEX,
        "integrated_time": "2025-09-01T12:13:59Z",
        "sigs": f"{CHANNEL}/{SUBDIR}/{PACKAGE.name}.sigs",
    }
    events = api.call("GET", f"/api/v1/channels/{CHANNEL}/audit", token=owner).json()["events"]
    upload = next(
        e
        for e in events
        if e["action"] == "package.upload" and e["details"]["filename"] == PACKAGE.name
    )
    assert upload["details"]["attested"] is True
    assert upload["details"]["attestations_sha256"] == digest

    # A file without attestation: `.sigs` is [] and its record names no attestation.
    plain = build_package(pkg_dir / "attest-plain", "plain", "1.0")
    status = api.publish(CHANNEL, plain)
    assert status["status"] == "published", status
    empty = served(api, f"{CHANNEL}/noarch/{plain.name}.sigs", owner)
    assert empty.status_code == 200 and empty.json() == []
    plain_record = repodata(api, owner, subdir="noarch")["packages.conda"][plain.name]
    assert "attestations_sha256" not in plain_record
    assert listing(api, owner)[plain.name]["attestation"] is None

    # py-rattler, as a client: the record from both index paths carries the hash, and
    # verify_attestation fetches `.sigs.<hash>` and verifies it for the publisher.
    auth = tmp_path / "rattler-auth.json"
    auth.write_text(json.dumps({"127.0.0.1": {"BearerToken": owner}}))
    monkeypatch.setenv("RATTLER_AUTH_FILE", str(auth))
    for sharded in (True, False):
        record = rattler_record(api, tmp_path / f"cache-{sharded}", sharded=sharded)
        assert record.attestations_sha256 == bytes.fromhex(digest)
    outcome = asyncio.run(
        rattler.verify_attestation(
            record,
            rattler.VerificationPolicy.require(
                rattler.Publisher(identity=IDENTITY, issuer=rattler.Issuer.github_actions()),
                # The bundle names its publisher's host; this channel is served locally.
                channel_check=rattler.ChannelCheck.WARN,
            ),
            client=rattler.Client.default_client(),
            trusted_root=rattler.TrustedRoot.embedded(),
        )
    )
    assert outcome.attestation is not None, outcome.warnings
    assert outcome.attestation.identity == IDENTITY
    assert outcome.attestation.claims is not None
    assert outcome.attestation.claims.source_repository_digest == COMMIT

    check_copy_and_delete(api, owner)
    check_presigned_with_rillet_upload(api, github, owner, tmp_path, digest)


def rattler_record(api: Api, cache: Path, *, sharded: bool) -> Any:
    gateway = rattler.Gateway(
        cache_dir=cache,
        default_config=rattler.SourceConfig(sharded_enabled=sharded),
        client=rattler.Client.default_client(),
    )
    result = asyncio.run(
        gateway.query(
            [rattler.Channel(f"{api.stack.url}/{CHANNEL}")],
            [rattler.Platform("noarch"), rattler.Platform("linux-64")],
            specs=["signed-package"],
        )
    )
    records = [r for per_channel in result for r in per_channel]
    return next(r for r in records if r.file_name == PACKAGE.name)


def check_copy_and_delete(api: Api, owner: str) -> None:
    """Promotion carries the attestation (same bytes, same hash); yank leaves it; delete
    removes it."""
    source = listing(api, owner)[PACKAGE.name]
    r = api.call(
        "POST",
        f"/api/v1/channels/{PROMOTED}/copy",
        {
            "from": CHANNEL,
            "files": [{"subdir": SUBDIR, "filename": PACKAGE.name, "sha256": source["sha256"]}],
        },
        owner,
    )
    assert r.status_code == 200, r.text
    api.stack.wait_idle()
    copied = listing(api, owner, PROMOTED)[PACKAGE.name]
    assert copied["attestations_sha256"] == source["attestations_sha256"]
    assert copied["attestation"]["sigs"] == f"{PROMOTED}/{SUBDIR}/{PACKAGE.name}.sigs"
    assert (
        repodata(api, owner, PROMOTED)["packages.conda"][PACKAGE.name]["attestations_sha256"]
        == source["attestations_sha256"]
    )
    want = served(api, f"{CHANNEL}/{SUBDIR}/{PACKAGE.name}.sigs", owner).content
    digest = source["attestations_sha256"]
    for path in (f"{PACKAGE.name}.sigs", f"{PACKAGE.name}.sigs.{digest}"):
        assert served(api, f"{PROMOTED}/{SUBDIR}/{path}", owner).content == want

    # Yank leaves it; delete removes it.
    r = api.call(
        "POST",
        f"/api/v1/channels/{PROMOTED}/packages/{SUBDIR}/{PACKAGE.name}/yank",
        {"reason": "test"},
        owner,
    )
    assert r.status_code == 200, r.text
    assert served(api, f"{PROMOTED}/{SUBDIR}/{PACKAGE.name}.sigs", owner).status_code == 200
    r = api.call("DELETE", f"/api/v1/delete/{PROMOTED}/{SUBDIR}/{PACKAGE.name}", token=owner)
    assert r.status_code == 200, r.text
    for path in (f"{PACKAGE.name}.sigs", f"{PACKAGE.name}.sigs.{digest}"):
        assert served(api, f"{PROMOTED}/{SUBDIR}/{path}", owner).status_code == 404
    # The source keeps its own.
    assert served(api, f"{CHANNEL}/{SUBDIR}/{PACKAGE.name}.sigs", owner).content == want


def rillet_upload(api: Api, github: LocalIssuer, tmp_path: Path, **claims: Any) -> Any:
    """`rillet upload --attestation` in a GitHub Actions job (presigned path)."""
    from typer.testing import CliRunner

    from rillet.cli.main import app

    github.claims = signing_run(**claims)
    env = {
        "XDG_CONFIG_HOME": str(tmp_path / "cli-config"),
        "RILLET_URL": api.stack.url,
        "RILLET_TOKEN": "",
        "GITHUB_ACTIONS": "true",
        "ACTIONS_ID_TOKEN_REQUEST_URL": github.token_request_url,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": REQUEST_TOKEN,
    }
    args = ["upload", "--json", "--attestation", str(BUNDLE), "-c", CHANNEL, str(PACKAGE)]
    return CliRunner().invoke(app, args, env=env)


def check_presigned_with_rillet_upload(
    api: Api, github: LocalIssuer, owner: str, tmp_path: Path, digest: str
) -> None:
    """The presigned path: the intent carries the bundle, validation verifies it."""
    r = api.call("DELETE", f"/api/v1/delete/{CHANNEL}/{SUBDIR}/{PACKAGE.name}", token=owner)
    assert r.status_code == 200, r.text
    assert served(api, f"{CHANNEL}/{SUBDIR}/{PACKAGE.name}.sigs", owner).status_code == 404
    refused = rillet_upload(api, github, tmp_path, ref="refs/heads/dev")
    assert refused.exit_code == 1
    assert a.IDENTITY_MISMATCH in refused.stdout + refused.stderr
    assert_nothing_published(api, owner, PACKAGE.name)
    result = rillet_upload(api, github, tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    api.stack.wait_idle()
    assert repodata(api, owner)["packages.conda"][PACKAGE.name]["attestations_sha256"] == digest
    sigs = served(api, f"{CHANNEL}/{SUBDIR}/{PACKAGE.name}.sigs.{digest}", owner)
    assert sigs.status_code == 200 and sigs.json() == [json.loads(BUNDLE.read_text())]
    assert listing(api, owner)[PACKAGE.name]["attestation"]["commit"] == COMMIT
