"""`rillet upload --attestation`: only with trusted publishing, one file, a JSON bundle;
refused before anything is sent (the upload itself is in tests/e2e/test_attestations.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from rillet.cli.main import app

BUNDLE = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "sigstore"
    / "conda-attestation.sigstore.json"
)


def _upload(tmp_path: Path, env: dict[str, str], *args: str) -> Any:
    base = {
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "GITHUB_ACTIONS": "",
        "GITLAB_CI": "",
        "RILLET_ID_TOKEN": "",
    }
    return CliRunner().invoke(app, ["upload", *args], env={**base, **env})


def test_an_attestation_with_a_stored_token_is_refused(tmp_path: Path) -> None:
    # Port 9 (discard): a request sent would fail differently.
    env = {"RILLET_URL": "http://127.0.0.1:9", "RILLET_TOKEN": "rillet_key"}
    result = _upload(tmp_path, env, "--attestation", str(BUNDLE), "-c", "c", "x.conda")
    assert result.exit_code == 1
    assert "error: attestation-needs-trusted-publisher:" in result.stderr


def test_an_attestation_names_one_file(tmp_path: Path) -> None:
    env = {"RILLET_URL": "http://127.0.0.1:9", "RILLET_ID_TOKEN": "header.claims.sig"}
    result = _upload(
        tmp_path,
        env,
        "--trusted-publishing",
        "--attestation",
        str(BUNDLE),
        "-c",
        "c",
        "a.conda",
        "b.conda",
    )
    assert result.exit_code == 1
    assert "error: invalid-attestation:" in result.stderr


def test_an_attestation_that_is_not_json_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bundle.json"
    bad.write_text("not json")
    env = {"RILLET_URL": "http://127.0.0.1:9", "RILLET_ID_TOKEN": "header.claims.sig"}
    result = _upload(
        tmp_path, env, "--trusted-publishing", "--attestation", str(bad), "-c", "c", "a.conda"
    )
    assert result.exit_code == 1
    assert "error: invalid-attestation:" in result.stderr
