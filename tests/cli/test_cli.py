"""The `rillet` command against the local stack: login, upload, channels, members, keys."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from infra.local.server import LocalStack
from tests.cli.conftest import Cli
from tests.e2e.rattler_client import query, solve_and_install
from tests.packages import build_package

pytestmark = pytest.mark.e2e

UNREACHABLE = "http://127.0.0.1:9"  # nothing listens there: any request would fail loudly


@pytest.fixture(scope="module")
def pkgs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real packages, built once; the bad ones are derived from them."""
    root = tmp_path_factory.mktemp("cli-packages")
    built = {
        "base": build_package(root / "a", "clibase", "1.0", subdir="noarch"),
        "top": build_package(root / "a", "clitop", "1.0", subdir="linux-64", depends=["clibase"]),
        "extra": build_package(root / "a", "cliextra", "1.0", subdir="noarch", tar_bz2=True),
        "single": build_package(root / "b", "clisingle", "1.0"),
        "nowait": build_package(root / "c", "clinowait", "1.0"),
        "forced": build_package(root / "d", "cliforce", "1.0", files={"share/f.txt": "one\n"}),
        "forced2": build_package(root / "e", "cliforce", "1.0", files={"share/f.txt": "two\n"}),
    }
    assert built["forced"].name == built["forced2"].name
    assert built["forced"].read_bytes() != built["forced2"].read_bytes()
    bad = root / "bad"
    bad.mkdir()
    built["not-zip"] = bad / "clibroken-1.0-h0_0.conda"
    built["not-zip"].write_bytes(b"this is not a zip archive at all\n" * 10)
    # Valid bytes under a name that does not match info/index.json (version 2.0 vs 1.0).
    built["mismatch"] = bad / "clisingle-2.0-h0_0.conda"
    shutil.copy(built["single"], built["mismatch"])
    built["text"] = bad / "notes.txt"
    built["text"].write_text("not a package\n")
    return built


def stderr_of(result: Any) -> str:
    return str(result.stderr)


def wait_published(stack: LocalStack, channel: str, upload_id: str, token: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r = httpx.get(
            f"{stack.url}/api/v1/channels/{channel}/uploads/{upload_id}",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 200, r.text
        if r.json()["status"] in ("published", "rejected"):
            return dict(r.json())
        time.sleep(0.05)
    raise TimeoutError(upload_id)


# -- the installed entry point ------------------------------------------------------------
def rillet_command() -> list[str]:
    found = shutil.which("rillet") or str(Path(sys.executable).parent / "rillet")
    return [found] if Path(found).exists() else [sys.executable, "-m", "rillet.cli"]


def test_the_installed_console_script(
    stack: LocalStack, tokens: dict[str, str], tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path),
        "RILLET_URL": stack.url,
        "RILLET_TOKEN": tokens["olga"],
    }
    me = subprocess.run(
        [*rillet_command(), "whoami", "--json"], capture_output=True, text=True, env=env, timeout=60
    )
    assert me.returncode == 0, me.stderr
    assert json.loads(me.stdout)["name"] == "olga"
    missing = subprocess.run(
        [*rillet_command(), "channel", "show", "no-such-channel"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert missing.returncode == 1
    assert missing.stderr == "error: channel-not-found: no channel named no-such-channel\n"
    assert "Traceback" not in missing.stderr + missing.stdout
    usage = subprocess.run(
        [*rillet_command(), "upload", "--version"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert usage.returncode == 2


# -- credentials ----------------------------------------------------------------------------
def test_login_stores_a_private_file_and_the_environment_wins(
    admin_cli: Cli, stack: LocalStack, tokens: dict[str, str], tmp_path: Path
) -> None:
    cli = Cli(stack, tmp_path / "cfg")
    no_env = {"RILLET_URL": None, "RILLET_TOKEN": None}
    refused = cli.run("login", stack.url, "--token", "rlt_not_a_real_key", env=no_env)
    assert refused.exit_code == 1
    assert stderr_of(refused).startswith("error: unauthenticated: ")
    assert not (tmp_path / "cfg" / "rillet" / "credentials.json").exists()

    logged = cli.run("login", stack.url + "/api/", "--token", tokens["olga"], env=no_env)
    assert logged.exit_code == 0, logged.output
    path = tmp_path / "cfg" / "rillet" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"url": stack.url, "token": tokens["olga"]}
    assert "as olga" in logged.stdout

    me = json.loads(cli.run("whoami", "--json", env=no_env).stdout)
    assert (me["name"], me["url"], me["credentials"]) == ("olga", stack.url, str(path))
    # The environment wins over the file, variable by variable.
    me = json.loads(
        cli.run("whoami", "--json", env={"RILLET_URL": None, "RILLET_TOKEN": tokens["mia"]}).stdout
    )
    assert me["name"] == "mia" and me["credentials"].startswith("RILLET_TOKEN and ")
    moved = cli.run("whoami", env={"RILLET_URL": UNREACHABLE, "RILLET_TOKEN": None})
    assert moved.exit_code == 1 and stderr_of(moved).startswith("error: connection-failed: ")
    table = cli.run("whoami", env=no_env)
    assert "olga" in table.stdout and str(path) in table.stdout

    out = cli.run("logout", env=no_env)
    assert out.exit_code == 0 and not path.exists()
    from_stdin = cli.run("login", stack.url, "--token", "-", env=no_env, input=tokens["mia"] + "\n")
    assert from_stdin.exit_code == 0, from_stdin.output
    assert json.loads(path.read_text())["token"] == tokens["mia"]
    assert cli.run("logout", "--json", env=no_env).exit_code == 0
    gone = cli.run("whoami", env=no_env)
    assert gone.exit_code == 1 and stderr_of(gone).startswith("error: not-logged-in: ")


def test_rattler_auth_file_reads_a_private_channel(
    admin_cli: Cli,
    stack: LocalStack,
    tokens: dict[str, str],
    pkgs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    olga = admin_cli.as_user(tokens["olga"])
    olga.json("channel", "create", "cli-secret", "--visibility", "private")
    assert olga.json("upload", "-c", "cli-secret", str(pkgs["single"]))["ok"]
    stack.wait_idle()
    auth = tmp_path / "rattler" / "credentials.json"
    auth.parent.mkdir()
    auth.write_text(json.dumps({"conda.example.org": {"BearerToken": "keep-me"}}))
    monkeypatch.setenv("RATTLER_AUTH_FILE", str(auth))
    url = f"{stack.url}/cli-secret"
    with pytest.raises(Exception):  # noqa: B017 - rattler's own error types: no token, no access
        query(url, ["clisingle"], tmp_path / "q0", sharded=True)

    cli = Cli(stack, tmp_path / "cfg")
    logged = cli.run(
        "login",
        stack.url,
        "--token",
        tokens["olga"],
        "--rattler",
        "--json",
        env={"RILLET_URL": None, "RILLET_TOKEN": None, "RATTLER_AUTH_FILE": str(auth)},
    )
    assert logged.exit_code == 0, logged.output
    assert json.loads(logged.stdout)["rattler_host"] == "127.0.0.1"
    assert json.loads(auth.read_text()) == {
        "conda.example.org": {"BearerToken": "keep-me"},
        "127.0.0.1": {"BearerToken": tokens["olga"]},
    }
    assert stat.S_IMODE(auth.stat().st_mode) == 0o600
    found = query(url, ["clisingle"], tmp_path / "q1", sharded=True)
    assert [r["name"] for r in found.values()] == ["clisingle"]
    assert query(url, ["clisingle"], tmp_path / "q2", sharded=False) == found

    # logout removes the entry it wrote, and only that one.
    out = cli.run("logout", env={"RATTLER_AUTH_FILE": str(auth)})
    assert out.exit_code == 0, out.output
    assert json.loads(auth.read_text()) == {"conda.example.org": {"BearerToken": "keep-me"}}


# -- upload ---------------------------------------------------------------------------------
def test_upload_three_in_parallel_then_install_then_skip_existing(
    admin_cli: Cli, stack: LocalStack, tokens: dict[str, str], pkgs: dict[str, Path], tmp_path: Path
) -> None:
    olga = admin_cli.as_user(tokens["olga"])
    created = olga.json("channel", "create", "cli-pub", "--description", "from the CLI")
    assert created["url"] == f"{stack.url}/cli-pub"
    files = [str(pkgs["base"]), str(pkgs["top"]), str(pkgs["extra"])]
    result = olga.json("upload", "-c", "cli-pub", "--jobs", "3", *files)
    assert result["ok"] is True and result["channel_url"] == f"{stack.url}/cli-pub"
    assert [(f["status"], f["subdir"]) for f in result["files"]] == [
        ("published", "noarch"),
        ("published", "linux-64"),
        ("published", "noarch"),
    ]
    assert all(f["id"] and len(f["sha256"]) == 64 for f in result["files"])
    # No waiting here: `rillet upload` returns once the files are in the index.
    installed = solve_and_install(f"{stack.url}/cli-pub", ["clitop", "cliextra"], tmp_path / "i")
    assert installed == ["clibase", "cliextra", "clitop"]
    assert (tmp_path / "i" / "env" / "share" / "clitop" / "clitop.txt").exists()

    again = olga.run("upload", "-c", "cli-pub", "--skip-existing", *files)
    assert again.exit_code == 0, again.output
    assert again.stdout.count("skipped") == 3
    assert f"channel: {stack.url}/cli-pub" in again.stdout
    assert f"install: conda install -c {stack.url}/cli-pub clibase cliextra clitop" in again.stdout

    duplicate = olga.run("upload", "-c", "cli-pub", files[0])
    assert duplicate.exit_code == 1
    assert "error: already-exists: " in stderr_of(duplicate)
    assert "noarch/clibase-1.0-h0_0.conda already exists in channel cli-pub" in stderr_of(duplicate)


def test_bad_packages_are_refused_locally_before_any_request(
    admin_cli: Cli, pkgs: dict[str, Path]
) -> None:
    # An unreachable server: the checks must fail first, without a single request.
    env = {"RILLET_URL": UNREACHABLE}
    for key, code in (
        ("text", "unknown-extension"),
        ("not-zip", "not-a-zip"),
        ("mismatch", "filename-mismatch"),
    ):
        result = admin_cli.run(
            "upload", "-c", "cli-pub", str(pkgs["single"]), str(pkgs[key]), env=env
        )
        assert result.exit_code == 1, result.output
        assert f"error: {code}: {pkgs[key]}: " in stderr_of(result)
        assert "nothing was sent" in stderr_of(result)
        assert "connection-failed" not in result.output
    as_json = admin_cli.run("upload", "-c", "cli-pub", str(pkgs["text"]), "--json", env=env)
    assert as_json.exit_code == 1
    body = json.loads(as_json.stdout)
    assert body["ok"] is False and body["files"][0]["status"] == "refused"
    assert body["files"][0]["reason"] == "unknown-extension"
    missing = admin_cli.run("upload", "-c", "cli-pub", "/no/such/pkg-1.0-0.conda", env=env)
    assert missing.exit_code == 1 and "error: not-a-file: " in stderr_of(missing)
    too_big = admin_cli.run(
        "upload", "-c", "cli-pub", "--max-size", "100", str(pkgs["single"]), env=env
    )
    assert too_big.exit_code == 1 and "error: too-large: " in stderr_of(too_big)


def test_bad_packages_get_the_servers_reason(
    admin_cli: Cli, tokens: dict[str, str], pkgs: dict[str, Path]
) -> None:
    olga = admin_cli.as_user(tokens["olga"])
    olga.json("channel", "create", "cli-bad")
    result = olga.run(
        "upload",
        "-c",
        "cli-bad",
        "--no-check",
        "--json",
        str(pkgs["not-zip"]),
        str(pkgs["mismatch"]),
    )
    assert result.exit_code == 1, result.output
    files = json.loads(result.stdout)["files"]
    assert [(f["status"], f["reason"]) for f in files] == [
        ("rejected", "not-a-zip"),
        ("rejected", "filename-mismatch"),
    ]
    assert all(f["message"] and f["id"] for f in files)
    text = olga.run("upload", "-c", "cli-bad", "--no-check", str(pkgs["mismatch"]))
    assert text.exit_code == 1
    assert f"error: filename-mismatch: {pkgs['mismatch']}: " in stderr_of(text)
    assert "error: upload-failed: 1 of 1 file(s) not published" in stderr_of(text)
    assert olga.json("package", "list", "cli-bad") == {"packages": []}


def test_no_wait_returns_after_the_put_with_the_ids(
    admin_cli: Cli, stack: LocalStack, tokens: dict[str, str], pkgs: dict[str, Path]
) -> None:
    olga = admin_cli.as_user(tokens["olga"])
    olga.json("channel", "create", "cli-nowait")
    result = olga.json("upload", "-c", "cli-nowait", "--no-wait", str(pkgs["nowait"]))
    (uploaded,) = result["files"]
    assert uploaded["status"] == "uploaded" and result["ok"] is True
    assert (
        wait_published(stack, "cli-nowait", uploaded["id"], tokens["olga"])["status"] == "published"
    )
    text = olga.run("upload", "-c", "cli-nowait", "--no-wait", "--force", str(pkgs["nowait"]))
    assert text.exit_code == 0, text.output
    assert "uploaded   clinowait-1.0-h0_0.conda (upload id " in text.stdout


def test_force_by_the_owner_replaces_and_is_refused_to_others(
    admin_cli: Cli, stack: LocalStack, tokens: dict[str, str], pkgs: dict[str, Path]
) -> None:
    olga, mia = admin_cli.as_user(tokens["olga"]), admin_cli.as_user(tokens["mia"])
    olga.json("channel", "create", "cli-force")
    olga.json("member", "add", "cli-force", "mia", "--role", "maintainer")
    first = olga.json("upload", "-c", "cli-force", str(pkgs["forced"]))["files"][0]
    taken = mia.run("upload", "-c", "cli-force", str(pkgs["forced2"]))
    assert taken.exit_code == 1 and "error: already-exists: " in stderr_of(taken)
    denied = mia.run("upload", "-c", "cli-force", "--force", str(pkgs["forced2"]))
    assert denied.exit_code == 1
    assert f"error: forbidden: {pkgs['forced2']}: only channel owners can overwrite" in stderr_of(
        denied
    )
    assert (
        olga.run(
            "upload", "-c", "cli-force", "--force", "--skip-existing", str(pkgs["forced2"])
        ).exit_code
        == 2
    )

    replaced = olga.json("upload", "-c", "cli-force", "--force", str(pkgs["forced2"]))["files"][0]
    assert replaced["status"] == "published" and replaced["sha256"] != first["sha256"]
    (listed,) = olga.json("package", "list", "cli-force")["packages"]
    assert listed["sha256"] == replaced["sha256"]
    actions = [e["action"] for e in olga.json("audit", "cli-force")["events"]]
    assert actions[:2] == ["package.overwrite", "package.upload"]


# -- channels, members, keys, packages, audit --------------------------------------------
def test_channel_commands_round_trip(
    admin_cli: Cli, stack: LocalStack, tokens: dict[str, str]
) -> None:
    olga, mia = admin_cli.as_user(tokens["olga"]), admin_cli.as_user(tokens["mia"])
    created = olga.json(
        "channel", "create", "cli-chan", "--visibility", "private", "--description", "first"
    )
    assert (created["name"], created["visibility"], created["owner"]) == (
        "cli-chan",
        "private",
        "olga",
    )
    taken = olga.run("channel", "create", "cli-chan")
    assert taken.exit_code == 1 and stderr_of(taken).startswith("error: ")
    assert "cli-chan" in [c["name"] for c in olga.json("channel", "list")["channels"]]
    assert "cli-chan" not in [c["name"] for c in mia.json("channel", "list")["channels"]]
    assert "cli-chan" in olga.ok("channel", "list").stdout

    shown = olga.json("channel", "show", "cli-chan")
    assert (shown["role"], shown["description"], shown["url"]) == (
        "owner",
        "first",
        f"{stack.url}/cli-chan",
    )
    assert "owner" in olga.ok("channel", "show", "cli-chan").stdout
    hidden = mia.run("channel", "show", "cli-chan")
    assert hidden.exit_code == 1 and stderr_of(hidden).startswith("error: channel-not-found: ")

    updated = olga.json(
        "channel", "update", "cli-chan", "--visibility", "public", "--description", "second"
    )
    assert (updated["visibility"], updated["description"]) == ("public", "second")
    assert mia.json("channel", "show", "cli-chan")["description"] == "second"
    assert olga.run("channel", "update", "cli-chan").exit_code == 2
    bad = olga.run(
        "channel", "update", "cli-chan", "--logo-url", "http://insecure.example/logo.png"
    )
    assert bad.exit_code == 1 and stderr_of(bad).startswith(
        "error: invalid-request: logo_url must be"
    )

    assert olga.json("channel", "reindex", "cli-chan") == {
        "channel": "cli-chan",
        "subdirs": ["noarch"],
    }
    assert "Rebuilding cli-chan: noarch" in olga.ok("channel", "reindex", "cli-chan").stdout
    unknown = olga.run("channel", "reindex", "cli-chan", "--subdir", "osx-arm64")
    assert unknown.exit_code == 1 and stderr_of(unknown).startswith("error: subdir-not-found: ")
    stack.wait_idle()

    transferred = olga.json("channel", "transfer", "cli-chan", "mia")
    assert transferred["owner"] == "mia"
    assert olga.json("channel", "show", "cli-chan")["role"] == "maintainer"

    unconfirmed = mia.run("channel", "delete", "cli-chan")
    assert unconfirmed.exit_code == 1 and "confirmation-required" in stderr_of(unconfirmed)
    denied = olga.run("channel", "delete", "cli-chan", "--yes")
    assert denied.exit_code == 1 and stderr_of(denied).startswith("error: forbidden: ")
    assert mia.json("channel", "delete", "cli-chan", "--yes")["deleted"] == "cli-chan"
    gone = mia.run("channel", "show", "cli-chan")
    assert gone.exit_code == 1 and stderr_of(gone).startswith("error: channel-not-found: ")


def test_member_commands_round_trip(admin_cli: Cli, tokens: dict[str, str]) -> None:
    olga, zed = admin_cli.as_user(tokens["olga"]), admin_cli.as_user(tokens["zed"])
    olga.json("channel", "create", "cli-team", "--visibility", "private")
    assert zed.run("channel", "show", "cli-team").exit_code == 1
    added = olga.json("member", "add", "cli-team", "zed")
    assert (added["user"], added["role"]) == ("zed", "member")
    assert zed.json("channel", "show", "cli-team")["role"] == "member"
    olga.json("member", "add", "cli-team", "zed", "--role", "maintainer")
    members = {m["user"]: m["role"] for m in olga.json("member", "list", "cli-team")["members"]}
    assert members == {"olga": "owner", "zed": "maintainer"}
    table = olga.ok("member", "list", "cli-team").stdout
    assert "zed" in table and "maintainer" in table
    unknown = olga.run("member", "add", "cli-team", "nobody-here")
    assert unknown.exit_code == 1 and stderr_of(unknown).startswith("error: ")
    assert olga.run("member", "add", "cli-team", "zed", "--role", "emperor").exit_code == 2
    assert olga.json("member", "remove", "cli-team", "zed") == {"removed": "zed"}
    assert [m["user"] for m in olga.json("member", "list", "cli-team")["members"]] == ["olga"]
    assert zed.run("channel", "show", "cli-team").exit_code == 1


def test_key_commands_round_trip(admin_cli: Cli, tokens: dict[str, str]) -> None:
    zed = admin_cli.as_user(tokens["zed"])
    key = zed.json(
        "key",
        "create",
        "--scope",
        "read",
        "--channel",
        "cli-pub",
        "--description",
        "ci",
        "--expires-in-days",
        "7",
    )
    assert (key["scope"], key["channels"], key["description"]) == ("read", ["cli-pub"], "ci")
    assert key["secret"] and key["expires_at"]
    me = admin_cli.as_user(key["secret"]).json("whoami")
    assert (me["name"], me["scope"], me["channels"]) == ("zed", "read", ["cli-pub"])
    listed = {k["id"]: k for k in zed.json("key", "list")["keys"]}
    assert key["id"] in listed and "secret" not in listed[key["id"]]
    assert key["id"] in zed.ok("key", "list").stdout
    # A read key cannot manage keys: the server's reason, not a traceback.
    refused = admin_cli.as_user(key["secret"]).run("key", "list")
    assert refused.exit_code == 1 and stderr_of(refused).startswith("error: forbidden: ")
    assert zed.json("key", "revoke", key["id"])["revoked"] is True
    revoked = admin_cli.as_user(key["secret"]).run("whoami")
    assert revoked.exit_code == 1 and stderr_of(revoked).startswith("error: unauthenticated: ")
    text = zed.ok("key", "create", "--scope", "upload")
    assert "secret: " in text.stdout and "not shown again" in stderr_of(text)


def test_package_commands_and_audit(
    admin_cli: Cli, tokens: dict[str, str], pkgs: dict[str, Path]
) -> None:
    olga = admin_cli.as_user(tokens["olga"])
    olga.json("channel", "create", "cli-pkgs")
    olga.json("upload", "-c", "cli-pkgs", str(pkgs["base"]), str(pkgs["top"]), str(pkgs["extra"]))
    found = olga.json("package", "list", "cli-pkgs")["packages"]
    assert sorted(p["filename"] for p in found) == sorted(
        [pkgs["base"].name, pkgs["top"].name, pkgs["extra"].name]
    )
    assert [
        p["name"]
        for p in olga.json("package", "list", "cli-pkgs", "--subdir", "linux-64")["packages"]
    ] == ["clitop"]
    assert [
        p["name"]
        for p in olga.json("package", "list", "cli-pkgs", "--name", "cliextra")["packages"]
    ] == ["cliextra"]
    assert len(olga.json("package", "list", "cli-pkgs", "--limit", "2")["packages"]) == 2
    table = olga.ok("package", "list", "cli-pkgs").stdout
    assert pkgs["top"].name in table and "linux-64" in table

    target = f"noarch/{pkgs['base'].name}"
    assert olga.json("package", "delete", "cli-pkgs", target, "--yes") == {
        "deleted": f"cli-pkgs/{target}"
    }
    assert pkgs["base"].name not in [
        p["filename"] for p in olga.json("package", "list", "cli-pkgs")["packages"]
    ]
    assert olga.run("package", "delete", "cli-pkgs", "no-slash.conda", "--yes").exit_code == 2
    again = olga.run("package", "delete", "cli-pkgs", "linux-64/missing-1.0-0.conda", "--yes")
    assert again.exit_code == 1
    assert (
        stderr_of(again)
        == "error: package-not-found: no package linux-64/missing-1.0-0.conda in channel cli-pkgs\n"
    )

    events = olga.json("audit", "cli-pkgs")["events"]
    assert events[0]["action"] == "package.delete"
    assert [e["action"] for e in events].count("package.upload") == 3
    assert len(olga.json("audit", "cli-pkgs", "--limit", "1")["events"]) == 1
    assert "package.delete" in olga.ok("audit", "cli-pkgs").stdout
    outsider = admin_cli.as_user(tokens["zed"]).run("audit", "cli-pkgs")
    assert outsider.exit_code == 1 and stderr_of(outsider).startswith("error: forbidden: ")


def test_package_yank_and_unyank(
    admin_cli: Cli, tokens: dict[str, str], pkgs: dict[str, Path]
) -> None:
    olga = admin_cli.as_user(tokens["olga"])
    olga.json("channel", "create", "cli-yank")
    olga.json("upload", "-c", "cli-yank", str(pkgs["base"]), str(pkgs["top"]))
    target = f"linux-64/{pkgs['top'].name}"

    yanked = olga.json("package", "yank", "cli-yank", target, "--reason", "segfaults on start")
    assert yanked["changed"] is True
    assert (yanked["yanked"]["reason"], yanked["yanked"]["by"]) == ("segfaults on start", "olga")
    by_name = {p["filename"]: p for p in olga.json("package", "list", "cli-yank")["packages"]}
    assert by_name[pkgs["top"].name]["yanked"]["reason"] == "segfaults on start"
    assert by_name[pkgs["base"].name]["yanked"] is None
    table = olga.ok("package", "list", "cli-yank").stdout
    assert "YANKED" in table and "segfaults on start (olga, " in table
    again = olga.ok("package", "yank", "cli-yank", target, "--reason", "other")
    assert "already yanked" in again.stdout and "segfaults on start" in again.stdout

    # The reason is required, and checked by the server.
    assert olga.run("package", "yank", "cli-yank", target).exit_code == 2
    bad = olga.run("package", "yank", "cli-yank", target, "--reason", "two\nlines")
    assert bad.exit_code == 1 and stderr_of(bad).startswith("error: invalid-reason: ")
    missing = olga.run("package", "yank", "cli-yank", "noarch/nope-1.0-0.conda", "--reason", "x")
    assert missing.exit_code == 1 and stderr_of(missing).startswith("error: package-not-found: ")
    assert olga.run("package", "yank", "cli-yank", "no-slash.conda", "--reason", "x").exit_code == 2

    assert "Unyanked" in olga.ok("package", "unyank", "cli-yank", target).stdout
    assert olga.json("package", "unyank", "cli-yank", target)["changed"] is False
    assert "was not yanked" in olga.ok("package", "unyank", "cli-yank", target).stdout
    actions = [e["action"] for e in olga.json("audit", "cli-yank")["events"]]
    assert actions[:2] == ["package.unyank", "package.yank"]
    outsider = admin_cli.as_user(tokens["zed"]).run("package", "unyank", "cli-yank", target)
    assert outsider.exit_code == 1 and stderr_of(outsider).startswith("error: forbidden: ")


def test_publisher_commands_round_trip(
    admin_cli: Cli, stack: LocalStack, tokens: dict[str, str]
) -> None:
    olga = admin_cli.as_user(tokens["olga"])
    olga.json("channel", "create", "cli-tp")
    # The publisher API is part of the product: a 404 here is a failure, never a skip.
    probe = httpx.get(
        f"{stack.url}/api/v1/channels/cli-tp/publishers",
        headers={"Authorization": f"Bearer {tokens['olga']}"},
    )
    assert probe.status_code == 200, probe.text
    gh = olga.json(
        "publisher",
        "add",
        "cli-tp",
        "--github",
        "octo/widgets",
        "--workflow",
        "release.yml",
        "--environment",
        "pypi",
        "--name-pattern",
        "widget*",
        "--subdir",
        "noarch",
    )
    assert (gh["provider"], gh["owner"], gh["repository"], gh["workflow"]) == (
        "github",
        "octo",
        "widgets",
        "release.yml",
    )
    gl = olga.json(
        "publisher",
        "add",
        "cli-tp",
        "--gitlab",
        "group/sub/proj",
        "--config-path",
        ".gitlab-ci.yml",
    )
    assert (gl["provider"], gl["namespace"], gl["project"]) == ("gitlab", "group/sub", "proj")
    sa = "Release@My-Project.iam.gserviceaccount.com"
    gc = olga.json("publisher", "add", "cli-tp", "--google", sa, "--sub", "117820335960485764321")
    assert (gc["provider"], gc["email"], gc["sub"], gc["issuer"]) == (
        "google",
        sa.lower(),
        "117820335960485764321",
        "https://accounts.google.com",
    )
    listed = {p["id"] for p in olga.json("publisher", "list", "cli-tp")["publishers"]}
    assert listed == {gh["id"], gl["id"], gc["id"]}
    assert (
        f"google {sa.lower()} (sub 117820335960485764321)"
        in olga.ok("publisher", "list", "cli-tp").stdout
    )
    both = olga.run("publisher", "add", "cli-tp", "--google", sa, "--github", "octo/widgets")
    assert both.exit_code == 2
    assert "octo/widgets" in olga.ok("publisher", "list", "cli-tp").stdout
    assert olga.run("publisher", "add", "cli-tp", "--github", "octo/widgets").exit_code == 2
    assert olga.run("publisher", "add", "cli-tp", "--workflow", "x.yml").exit_code == 2
    olga.ok("publisher", "remove", "cli-tp", gh["id"])
    left = [p["id"] for p in olga.json("publisher", "list", "cli-tp")["publishers"]]
    assert left == [gl["id"], gc["id"]]
    outsider = admin_cli.as_user(tokens["zed"]).run("publisher", "list", "cli-tp")
    assert outsider.exit_code == 1 and stderr_of(outsider).startswith("error: ")
