"""``rillet``: the command line of a Rillet deployment (Typer app and its sub-commands).

Every command maps to one or a few API calls. Expected failures (the server's
refusals, an unreachable server, a missing file) print ``error: <code>: <message>``
on stderr and exit 1; usage errors exit 2. ``--json`` prints the API's JSON.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer

from rillet import __version__
from rillet.cli import config, output, trusted
from rillet.cli.client import Api, CliError, segment
from rillet.cli.upload import (
    DEFAULT_MAX_BYTES,
    Outcome,
    PackageFile,
    Uploader,
    check_file,
    describe_file,
    new_progress,
    read_attestation,
    upload_release,
)
from rillet.core.promotion import MAX_COPY_FILES

F = TypeVar("F", bound=Callable[..., Any])

_SETTINGS = {"help_option_names": ["-h", "--help"]}


def _typer(help_text: str) -> typer.Typer:
    return typer.Typer(
        help=help_text,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings=_SETTINGS,
    )


app = _typer(
    "Rillet: conda channels in your own AWS account.\n\n"
    "Start with `rillet login URL` (browser sign-in; `--token TOKEN` for CI), then "
    "`rillet upload -c CHANNEL FILE...`."
)
channel_app = _typer("Create, inspect, change and delete channels.")
member_app = _typer("Who may read, upload to or administer a channel.")
key_app = _typer("Your API keys (tokens).")
publisher_app = _typer("Trusted publishers: CI workflows that may upload without a stored key.")
package_app = _typer("Packages in a channel.")
user_app = _typer("Users of the deployment (the operator creates them).")
app.add_typer(channel_app, name="channel")
app.add_typer(member_app, name="member")
app.add_typer(key_app, name="key")
app.add_typer(publisher_app, name="publisher")
app.add_typer(package_app, name="package")
app.add_typer(user_app, name="user")


class Visibility(StrEnum):
    public = "public"
    private = "private"


class Role(StrEnum):
    member = "member"
    maintainer = "maintainer"
    owner = "owner"


class Scope(StrEnum):
    read = "read"
    upload = "upload"
    admin = "admin"


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
ChannelArg = Annotated[str, typer.Argument(help="Channel name.", show_default=False)]


def handled(func: F) -> F:
    """Turn expected failures into one line on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CliError as exc:
            output.error_line(exc.code, exc.message)
            raise typer.Exit(exc.exit_code) from None
        except OSError as exc:  # a local file we could not read or write
            where = f" ({exc.filename})" if exc.filename else ""
            output.error_line("os-error", f"{exc.strerror or exc}{where}")
            raise typer.Exit(1) from None

    return cast(F, wrapper)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"rillet {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Rillet: conda channels in your own AWS account."""


def _api() -> Api:
    creds = config.load_credentials()
    return Api(creds.url, creds.token)


def _channel_path(channel: str, *rest: str) -> str:
    return "/".join([f"/api/v1/channels/{segment(channel)}", *(segment(r) for r in rest)])


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise CliError("confirmation-required", f"{question} Pass --yes to confirm.")
    typer.confirm(question, abort=True)


# -- credentials -----------------------------------------------------------------------
RattlerFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--rattler-auth-file",
        help="rattler's auth file (implies --rattler). Default: $RATTLER_AUTH_FILE, "
        "else ~/.rattler/credentials.json.",
        show_default=False,
    ),
]


@app.command()
@handled
def login(
    url: Annotated[str, typer.Argument(help="The deployment, e.g. https://conda.example.org.")],
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            "-t",
            help="An API key ('-' reads stdin). Without it: sign in in the browser and "
            "create a key for this machine (prompted for if the deployment has no sign-in).",
        ),
    ] = None,
    username: Annotated[
        str | None,
        typer.Option(
            "--username",
            help="On first sign-in: the username to choose (prompted for when omitted).",
        ),
    ] = None,
    scope: Annotated[
        str,
        typer.Option("--scope", help="Scope of the key created by a browser sign-in."),
    ] = "admin",
    rattler: Annotated[
        bool,
        typer.Option(
            "--rattler",
            help="Also store the token in rattler's auth file, so pixi, rattler-build and "
            "py-rattler read private channels with it.",
        ),
    ] = False,
    rattler_auth_file: RattlerFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Sign in (browser) or check a token, and store the key (a file only you can read)."""
    url = config.normalize_url(url)
    if token is None:
        token = _browser_login(url, username, scope)
    if token is None:
        token = typer.prompt("Token", hide_input=True)
    elif token == "-":  # noqa: S105 - the stdin convention, not a password
        token = sys.stdin.readline()
    token = token.strip()
    if not token:
        raise CliError("invalid-token", "the token is empty")
    with Api(url, token) as api:
        me = api.get("/api/v1/users/me")
    path = config.save_credentials(url, token)
    host = None
    auth_file = None
    if rattler or rattler_auth_file is not None:
        auth_file = config.rattler_auth_path(rattler_auth_file)
        host = config.write_rattler_auth(auth_file, url, token)
    shadowed = [v for v in (config.URL_VAR, config.TOKEN_VAR) if os.environ.get(v)]
    if json_out:
        output.emit_json(
            {
                "url": url,
                "user": me,
                "credentials_file": str(path),
                "rattler_auth_file": str(auth_file) if auth_file else None,
                "rattler_host": host,
            }
        )
    else:
        output.say(f"Logged in to {url} as {me.get('name')}; token saved in {path}")
        if auth_file:
            output.say(f"rattler, pixi and rattler-build will send it to {host} ({auth_file})")
    if shadowed:
        output.warn(f"note: {' and '.join(shadowed)} set in the environment take precedence")


def _browser_login(url: str, username: str | None, scope: str) -> str | None:
    """Sign in, choose a username if this is the first time, create a key for this machine."""
    import socket
    import webbrowser

    from rillet.cli.signin import browser_sign_in

    session = browser_sign_in(url, open_browser=webbrowser.open, say=output.warn)
    if session is None:
        return None
    with Api(url, session) as api:
        me = api.get("/api/v1/users/me")
        if me.get("needs_name"):
            name = username or typer.prompt("Choose your username")
            me = api.post("/api/v1/users/me", {"name": name.strip()})
        machine = socket.gethostname() or "this machine"
        key = api.post(
            "/api/v1/users/me/keys",
            {"scope": scope, "description": f"rillet login on {machine}"[:200]},
        )
    output.warn(f"Created API key {key.get('id')} for {machine}")
    return str(key["secret"])


@app.command()
@handled
def logout(
    rattler_auth_file: RattlerFileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Forget the stored token (and rattler's entry for the host, if `login` wrote it)."""
    stored = config.stored_credentials()
    removed = config.delete_credentials()
    auth_file = config.rattler_auth_path(rattler_auth_file)
    rattler_removed = False
    if stored.get("url") and stored.get("token"):
        rattler_removed = config.remove_rattler_auth(auth_file, stored["url"], stored["token"])
    if json_out:
        output.emit_json(
            {
                "removed": str(removed) if removed else None,
                "rattler_entry_removed": rattler_removed,
            }
        )
        return
    output.say(f"Removed {removed}" if removed else "No stored token")
    if rattler_removed:
        output.say(f"Removed the entry for {config.rattler_host(stored['url'])} from {auth_file}")


@app.command()
@handled
def whoami(json_out: JsonOpt = False) -> None:
    """Who the token belongs to, its scope, and where it was read from."""
    creds = config.load_credentials()
    with Api(creds.url, creds.token) as api:
        me = api.get("/api/v1/users/me")
    if json_out:
        output.emit_json({**me, "url": creds.url, "credentials": creds.source})
        return
    output.fields(
        [
            ("user", me.get("name")),
            ("url", creds.url),
            ("key", me.get("key")),
            ("scope", "operator" if me.get("superuser") else me.get("scope")),
            ("channels", me.get("channels") or "all"),
            ("credentials", creds.source),
        ]
    )


# -- upload ----------------------------------------------------------------------------
@app.command()
@handled
def upload(
    files: Annotated[
        list[Path], typer.Argument(help="Package files (.conda, .tar.bz2).", show_default=False)
    ],
    channel: Annotated[
        str, typer.Option("--channel", "-c", help="Target channel.", show_default=False)
    ],
    skip_existing: Annotated[
        bool,
        typer.Option(
            "--skip-existing", help="A file that already exists is skipped, not an error."
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace existing files (channel owners only)."),
    ] = False,
    no_wait: Annotated[
        bool,
        typer.Option("--no-wait", help="Return after sending; print the upload ids."),
    ] = False,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, max=32, help="Files sent at the same time.")
    ] = 4,
    timeout: Annotated[
        float,
        typer.Option(min=1, help="Seconds to wait for each file's verdict after sending it."),
    ] = 600.0,
    max_size: Annotated[
        int,
        typer.Option(
            "--max-size",
            min=1,
            envvar="RILLET_MAX_PACKAGE_BYTES",
            help="Largest file accepted by the local check, in bytes (the deployment's limit).",
        ),
    ] = DEFAULT_MAX_BYTES,
    no_check: Annotated[
        bool,
        typer.Option(
            "--no-check",
            help="Send without reading the packages first (the server still validates them).",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="The deployment, e.g. https://conda.example.org (default: $RILLET_URL, "
            "else the one you logged in to).",
            show_default=False,
        ),
    ] = None,
    trusted_publishing: Annotated[
        bool,
        typer.Option(
            "--trusted-publishing",
            help="Mint a short-lived token from the CI job's OIDC ID token (GitHub Actions, "
            "GitLab CI, or $RILLET_ID_TOKEN) even if a token is configured. Without any "
            "token this is automatic there.",
        ),
    ] = False,
    attestation: Annotated[
        Path | None,
        typer.Option(
            "--attestation",
            help="A CEP-27 Sigstore bundle (e.g. from actions/attest) for the one FILE; "
            "verified by the server. Trusted publishing only.",
            show_default=False,
        ),
    ] = None,
    release: Annotated[
        bool,
        typer.Option(
            "--release",
            help="Publish all files together or none (one release: e.g. every platform of a "
            "build). A refused file publishes nothing.",
        ),
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Upload packages through presigned URLs and wait until each is published or rejected.

    Every file is checked locally first (extension, metadata, size); if one fails,
    nothing is sent. Exit code 0 only when every file is published (or skipped).
    In GitHub Actions or GitLab CI with no token configured, the job's OIDC identity is
    exchanged for an upload token (trusted publishing), for files of any size.
    """
    if force and skip_existing:
        raise typer.BadParameter("--force and --skip-existing exclude each other")
    if release and (force or skip_existing or no_wait):
        raise typer.BadParameter("--release excludes --force, --skip-existing and --no-wait")
    base, token = config.upload_target(url)
    use_oidc = trusted_publishing or token is None
    if use_oidc and not trusted_publishing and trusted.detect_ci() is None:
        raise CliError(
            "not-logged-in",
            f"no token for {base}: run `rillet login {base}`, set {config.TOKEN_VAR}, "
            "or upload from GitHub Actions / GitLab CI (or with RILLET_ID_TOKEN) with a "
            "trusted publisher",
        )
    bundle = None
    if attestation is not None:
        if not use_oidc:
            raise CliError(
                "attestation-needs-trusted-publisher",
                "--attestation works with trusted publishing only (the signer must be the "
                "publisher that mints the upload token); this upload uses a stored token",
            )
        if len(files) != 1:
            raise CliError("invalid-attestation", "--attestation names one file: upload one")
        bundle = read_attestation(attestation)
    channel_url = f"{base}/{channel}"
    packages, refused = _prepare(files, max_size, no_check)
    if refused:
        _report_upload(channel, channel_url, refused, json_out, note_nothing_sent=True)
        raise typer.Exit(1)
    if use_oidc:
        # Only after the local checks: a refused file costs no ID token.
        minted = trusted.mint(base)
        token = minted.token
        output.warn(
            f"trusted publishing: {minted.source} ID token (audience {minted.audience}) "
            "exchanged for a 15-minute upload token"
        )
    stderr = output.err()
    with Api(base, token) as api:
        progress = new_progress(
            visible=not (quiet or json_out) and stderr.is_terminal, console=stderr
        )
        uploader = Uploader(
            api,
            channel,
            progress,
            jobs=jobs,
            force=force,
            skip_existing=skip_existing,
            wait=not no_wait,
            timeout=timeout,
            attestation=bundle,
        )
        with progress:
            if release:
                outcomes = upload_release(uploader, packages, timeout=timeout)
            else:
                outcomes = uploader.run(packages)
    _report_upload(channel, channel_url, outcomes, json_out)
    if not all(o.ok for o in outcomes):
        raise typer.Exit(1)


def _prepare(
    files: list[Path], max_size: int, no_check: bool
) -> tuple[list[PackageFile], list[Outcome]]:
    packages: list[PackageFile] = []
    refused: list[Outcome] = []
    seen: dict[tuple[str | None, str], Path] = {}
    resolved: set[Path] = set()
    for path in files:
        real = path.resolve()
        if real in resolved:
            continue  # the same file named twice
        resolved.add(real)
        try:
            package = describe_file(path) if no_check else check_file(path, max_size)
        except CliError as exc:
            refused.append(Outcome(path, "refused", reason=exc.code, message=exc.message))
            continue
        key = (package.subdir, package.filename)
        if key in seen:
            refused.append(
                Outcome(
                    path,
                    "refused",
                    package,
                    reason="duplicate-file",
                    message=f"{seen[key]} has the same subdir and filename",
                )
            )
            continue
        seen[key] = path
        packages.append(package)
    return packages, refused


def _report_upload(
    channel: str,
    channel_url: str,
    outcomes: list[Outcome],
    json_out: bool,
    *,
    note_nothing_sent: bool = False,
) -> None:
    ok = all(o.ok for o in outcomes) and not note_nothing_sent
    if json_out:
        output.emit_json(
            {
                "channel": channel,
                "channel_url": channel_url,
                "ok": ok,
                "files": [o.to_json() for o in outcomes],
            }
        )
        return
    for o in outcomes:
        where = f"{o.subdir}/{o.filename}" if o.subdir else o.filename
        if o.status == "published":
            output.say(f"published  {where}")
        elif o.status == "skipped":
            output.say(f"skipped    {where} (already in the channel)")
        elif o.status == "uploaded":
            output.say(f"uploaded   {where} (upload id {o.upload_id}; validation continues)")
        else:
            output.error_line(o.reason or o.status, f"{o.path}: {o.message or o.status}")
    if note_nothing_sent:
        output.error_line(
            "local-check", f"{len(outcomes)} file(s) refused before upload; nothing was sent"
        )
        return
    failed = sum(not o.ok for o in outcomes)
    if failed:
        output.error_line("upload-failed", f"{failed} of {len(outcomes)} file(s) not published")
    names = sorted({o.package.name for o in outcomes if o.ok and o.package and o.package.name})
    if names:
        output.say("")
        output.say(f"channel: {channel_url}")
        output.say(f"install: conda install -c {channel_url} {' '.join(names)}")


# -- channels --------------------------------------------------------------------------
def _channel_json(api: Api, channel: dict[str, Any]) -> dict[str, Any]:
    return {**channel, "url": f"{api.url}/{channel.get('name')}"}


@channel_app.command("create")
@handled
def channel_create(
    name: ChannelArg,
    visibility: Annotated[Visibility, typer.Option(help="Who may read it.")] = Visibility.public,
    description: Annotated[str | None, typer.Option(help="A short description.")] = None,
    owner: Annotated[
        str | None, typer.Option(help="Create it for this user (operator only).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Create a channel; you become its owner."""
    body: dict[str, Any] = {"name": name, "visibility": visibility.value}
    if description is not None:
        body["description"] = description
    if owner is not None:
        body["owner"] = owner
    with _api() as api:
        created = _channel_json(api, api.post("/api/v1/channels", body))
    if json_out:
        output.emit_json(created)
        return
    output.say(f"Created {created['visibility']} channel {created['name']}: {created['url']}")


@channel_app.command("list")
@handled
def channel_list(json_out: JsonOpt = False) -> None:
    """Public channels and the private ones you are a member of."""
    with _api() as api:
        found = [_channel_json(api, c) for c in api.get("/api/v1/channels").get("channels", [])]
    if json_out:
        output.emit_json({"channels": found})
        return
    output.table(
        ["NAME", "VISIBILITY", "OWNER", "DESCRIPTION", "URL"],
        [
            (c.get("name"), c.get("visibility"), c.get("owner"), c.get("description"), c["url"])
            for c in found
        ],
        empty="No channels",
    )


@channel_app.command("show")
@handled
def channel_show(name: ChannelArg, json_out: JsonOpt = False) -> None:
    """A channel's settings and your role on it."""
    with _api() as api:
        found = _channel_json(api, api.get(_channel_path(name)))
    if json_out:
        output.emit_json(found)
        return
    output.fields(
        (k, found.get(k))
        for k in (
            "name",
            "visibility",
            "owner",
            "description",
            "logo_url",
            "created_at",
            "role",
            "url",
        )
    )


@channel_app.command("update")
@handled
def channel_update(
    name: ChannelArg,
    visibility: Annotated[Visibility | None, typer.Option(help="public or private.")] = None,
    description: Annotated[str | None, typer.Option(help="New description.")] = None,
    logo_url: Annotated[
        str | None, typer.Option(help="https:// URL of a logo ('' removes it).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Change a channel's visibility, description or logo."""
    body: dict[str, Any] = {}
    if visibility is not None:
        body["visibility"] = visibility.value
    if description is not None:
        body["description"] = description
    if logo_url is not None:
        body["logo_url"] = logo_url
    if not body:
        raise typer.BadParameter(
            "nothing to change: give --visibility, --description or --logo-url"
        )
    with _api() as api:
        updated = _channel_json(api, api.patch(_channel_path(name), body))
    if json_out:
        output.emit_json(updated)
        return
    output.say(f"Updated channel {name}: {', '.join(f'{k}={v!r}' for k, v in body.items())}")


@channel_app.command("transfer")
@handled
def channel_transfer(
    name: ChannelArg,
    owner: Annotated[str, typer.Argument(help="The new owner.", show_default=False)],
    json_out: JsonOpt = False,
) -> None:
    """Make another user an owner; you step down to maintainer."""
    with _api() as api:
        updated = _channel_json(api, api.post(_channel_path(name, "transfer"), {"owner": owner}))
    if json_out:
        output.emit_json(updated)
        return
    output.say(f"Channel {name} now belongs to {updated.get('owner')}")


@channel_app.command("reindex")
@handled
def channel_reindex(
    name: ChannelArg,
    subdir: Annotated[
        str | None, typer.Option(help="Only this subdir (default: every subdir).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Rebuild the channel's index from its records (owners; rarely needed)."""
    with _api() as api:
        result = api.post(_channel_path(name, "reindex"), {"subdir": subdir} if subdir else {})
    if json_out:
        output.emit_json(result)
        return
    output.say(f"Rebuilding {name}: {', '.join(result.get('subdirs') or []) or 'nothing to do'}")


@channel_app.command("delete")
@handled
def channel_delete(name: ChannelArg, yes: YesOpt = False, json_out: JsonOpt = False) -> None:
    """Delete a channel with all its packages (owners only; cannot be undone)."""
    _confirm(f"Delete channel {name} and every package in it?", yes)
    with _api() as api:
        result = api.delete(_channel_path(name))
    if json_out:
        output.emit_json(result)
        return
    output.say(f"Deleted channel {name} ({result.get('objects_removed', 0)} files removed)")


# -- members ---------------------------------------------------------------------------
UserArg = Annotated[str, typer.Argument(help="User name.", show_default=False)]


@member_app.command("add")
@handled
def member_add(
    channel: ChannelArg,
    user: UserArg,
    role: Annotated[Role, typer.Option(help="The role to give (or change to).")] = Role.member,
    json_out: JsonOpt = False,
) -> None:
    """Add a member, or change a member's role."""
    with _api() as api:
        member = api.put(_channel_path(channel, "members", user), {"role": role.value})
    if json_out:
        output.emit_json(member)
        return
    output.say(f"{member.get('user')} is {member.get('role')} of {channel}")


@member_app.command("list")
@handled
def member_list(channel: ChannelArg, json_out: JsonOpt = False) -> None:
    """Members of a channel and their roles."""
    with _api() as api:
        found = api.get(_channel_path(channel, "members"))
    if json_out:
        output.emit_json(found)
        return
    output.table(
        ["USER", "ROLE", "ADDED BY", "ADDED AT"],
        [
            (m.get("user"), m.get("role"), m.get("added_by"), m.get("added_at"))
            for m in found.get("members", [])
        ],
        empty="No members",
    )


@member_app.command("remove")
@handled
def member_remove(channel: ChannelArg, user: UserArg, json_out: JsonOpt = False) -> None:
    """Remove a member (their keys stop reading a private channel)."""
    with _api() as api:
        result = api.delete(_channel_path(channel, "members", user))
    if json_out:
        output.emit_json(result)
        return
    output.say(f"Removed {user} from {channel}")


# -- keys ------------------------------------------------------------------------------
@key_app.command("create")
@handled
def key_create(
    scope: Annotated[
        Scope, typer.Option(help="read: download; upload: also publish; admin: everything.")
    ] = Scope.admin,
    channel: Annotated[
        list[str] | None,
        typer.Option("--channel", "-c", help="Limit the key to this channel (repeatable)."),
    ] = None,
    expires_in_days: Annotated[
        int | None, typer.Option(min=1, max=3650, help="Expire after this many days.")
    ] = None,
    description: Annotated[str | None, typer.Option(help="What the key is for.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Create an API key for yourself; the secret is shown once."""
    body: dict[str, Any] = {"scope": scope.value}
    if channel:
        body["channels"] = list(channel)
    if expires_in_days is not None:
        body["expires_in_days"] = expires_in_days
    if description is not None:
        body["description"] = description
    with _api() as api:
        key = api.post("/api/v1/users/me/keys", body)
    if json_out:
        output.emit_json(key)
        return
    output.say(f"Created key {key.get('id')} (scope {key.get('scope')})")
    output.say(f"secret: {key.get('secret')}")
    output.warn("Store the secret now: it is not shown again.")


@key_app.command("list")
@handled
def key_list(json_out: JsonOpt = False) -> None:
    """Your API keys (never their secrets)."""
    with _api() as api:
        found = api.get("/api/v1/users/me/keys")
    if json_out:
        output.emit_json(found)
        return
    output.table(
        ["ID", "SCOPE", "CHANNELS", "EXPIRES", "REVOKED", "CREATED", "DESCRIPTION"],
        [
            (
                k.get("id"),
                k.get("scope"),
                k.get("channels") or "all",
                k.get("expires_at"),
                k.get("revoked"),
                k.get("created_at"),
                k.get("description"),
            )
            for k in found.get("keys", [])
        ],
        empty="No keys",
    )


@key_app.command("revoke")
@handled
def key_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id.", show_default=False)],
    json_out: JsonOpt = False,
) -> None:
    """Revoke a key at once."""
    with _api() as api:
        key = api.delete(f"/api/v1/users/me/keys/{segment(key_id)}")
    if json_out:
        output.emit_json(key)
        return
    output.say(f"Revoked key {key.get('id', key_id)}")


# -- trusted publishers ----------------------------------------------------------------
@publisher_app.command("add")
@handled
def publisher_add(
    channel: ChannelArg,
    github: Annotated[
        str | None, typer.Option(help="GitHub repository as OWNER/REPO.", show_default=False)
    ] = None,
    workflow: Annotated[
        str | None, typer.Option(help="GitHub: the workflow file, e.g. release.yml.")
    ] = None,
    owner_id: Annotated[
        str | None, typer.Option(help="GitHub: the owner's numeric id (guards renames).")
    ] = None,
    gitlab: Annotated[
        str | None,
        typer.Option(help="GitLab project as NAMESPACE/PROJECT (namespace may have /)."),
    ] = None,
    config_path: Annotated[
        str | None, typer.Option(help="GitLab: the CI file, e.g. .gitlab-ci.yml.")
    ] = None,
    namespace_id: Annotated[str | None, typer.Option(help="GitLab: the namespace id.")] = None,
    project_id: Annotated[str | None, typer.Option(help="GitLab: the project id.")] = None,
    issuer: Annotated[
        str | None, typer.Option(help="GitLab: a self-managed instance's issuer URL.")
    ] = None,
    google: Annotated[
        str | None,
        typer.Option(help="Google Cloud service account email (its ID tokens may upload)."),
    ] = None,
    sub: Annotated[
        str | None,
        typer.Option(help="Google: the service account's unique id (guards re-creation)."),
    ] = None,
    environment: Annotated[
        str | None, typer.Option(help="Only jobs in this deployment environment.")
    ] = None,
    name_pattern: Annotated[
        list[str] | None,
        typer.Option("--name-pattern", help="Package names it may publish (repeatable, globs)."),
    ] = None,
    subdir: Annotated[
        list[str] | None, typer.Option("--subdir", help="Subdirs it may publish to (repeatable).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Let a GitHub Actions workflow, a GitLab CI pipeline or a Google Cloud service
    account upload to the channel."""
    if sum(x is not None for x in (github, gitlab, google)) != 1:
        raise typer.BadParameter(
            "give exactly one of --github OWNER/REPO, --gitlab NS/PROJECT or --google EMAIL"
        )
    body: dict[str, Any]
    if google is not None:
        if environment:
            raise typer.BadParameter("--environment is for GitHub and GitLab publishers")
        body = {"provider": "google", "email": google}
        extra: dict[str, Any] = {"sub": sub}
    elif github is not None:
        owner, sep, repository = github.partition("/")
        if not sep or not owner or not repository or "/" in repository:
            raise typer.BadParameter("--github must be OWNER/REPO")
        if not workflow:
            raise typer.BadParameter("--github needs --workflow (e.g. release.yml)")
        body = {
            "provider": "github",
            "owner": owner,
            "repository": repository,
            "workflow": workflow,
        }
        extra = {"owner_id": owner_id}
    else:
        assert gitlab is not None
        namespace, sep, project = gitlab.rpartition("/")
        if not sep or not namespace or not project:
            raise typer.BadParameter("--gitlab must be NAMESPACE/PROJECT")
        if not config_path:
            raise typer.BadParameter("--gitlab needs --config-path (e.g. .gitlab-ci.yml)")
        body = {
            "provider": "gitlab",
            "namespace": namespace,
            "project": project,
            "config_path": config_path,
        }
        extra = {"namespace_id": namespace_id, "project_id": project_id, "issuer": issuer}
    extra |= {"environment": environment, "name_patterns": name_pattern, "subdirs": subdir}
    body |= {k: v for k, v in extra.items() if v}
    with _api() as api:
        created = api.post(_channel_path(channel, "publishers"), body)
    if json_out:
        output.emit_json(created)
        return
    output.say(
        f"Added trusted publisher {created.get('id')} to {channel}: {_publisher_text(created)}"
    )


def _publisher_text(p: dict[str, Any]) -> str:
    if p.get("provider") == "google":
        text = f"google {p.get('email')}" + (f" (sub {p['sub']})" if p.get("sub") else "")
    elif p.get("provider") == "gitlab":
        text = f"gitlab {p.get('namespace')}/{p.get('project')} ({p.get('config_path')})"
    else:
        text = f"github {p.get('owner')}/{p.get('repository')} ({p.get('workflow')})"
    if p.get("environment"):
        text += f" environment {p['environment']}"
    return text


@publisher_app.command("list")
@handled
def publisher_list(channel: ChannelArg, json_out: JsonOpt = False) -> None:
    """Trusted publishers of a channel."""
    with _api() as api:
        found = api.get(_channel_path(channel, "publishers"))
    if json_out:
        output.emit_json(found)
        return
    output.table(
        ["ID", "PUBLISHER", "NAMES", "SUBDIRS"],
        [
            (
                p.get("id"),
                _publisher_text(p),
                p.get("name_patterns") or "all",
                p.get("subdirs") or "all",
            )
            for p in found.get("publishers", [])
        ],
        empty="No trusted publishers",
    )


@publisher_app.command("remove")
@handled
def publisher_remove(
    channel: ChannelArg,
    publisher_id: Annotated[str, typer.Argument(help="The publisher's id.", show_default=False)],
    json_out: JsonOpt = False,
) -> None:
    """Remove a trusted publisher."""
    with _api() as api:
        result = api.delete(_channel_path(channel, "publishers", publisher_id))
    if json_out:
        output.emit_json(result)
        return
    output.say(f"Removed trusted publisher {publisher_id} from {channel}")


# -- packages and audit ----------------------------------------------------------------
@package_app.command("list")
@handled
def package_list(
    channel: ChannelArg,
    subdir: Annotated[str | None, typer.Option(help="Only this subdir.")] = None,
    name: Annotated[str | None, typer.Option(help="Only this package name.")] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="At most this many (default: all).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Packages in a channel."""
    with _api() as api:
        found = list(
            api.pages(
                _channel_path(channel, "packages"),
                "packages",
                limit=limit,
                subdir=subdir,
                name=name,
            )
        )
    if json_out:
        output.emit_json({"packages": found})
        return
    output.table(
        ["SUBDIR", "NAME", "VERSION", "BUILD", "SIZE", "FILENAME", "YANKED"],
        [
            (
                p.get("subdir"),
                p.get("name"),
                p.get("version"),
                p.get("build"),
                output.human_size(p.get("size")),
                p.get("filename"),
                _yanked_text(p.get("yanked")),
            )
            for p in found
        ],
        empty="No packages",
    )


def _yanked_text(yanked: Any) -> str | None:
    if not isinstance(yanked, dict):
        return None
    return f"{yanked.get('reason')} ({yanked.get('by')}, {yanked.get('at')})"


PackageArg = Annotated[
    str,
    typer.Argument(help="SUBDIR/FILENAME, e.g. noarch/foo-1.0-0.conda.", show_default=False),
]


def _subdir_file(package: str) -> tuple[str, str]:
    subdir, sep, filename = package.partition("/")
    if not sep or not subdir or not filename or "/" in filename:
        raise typer.BadParameter("expected SUBDIR/FILENAME, e.g. noarch/foo-1.0-0.conda")
    return subdir, filename


@package_app.command("yank")
@handled
def package_yank(
    channel: ChannelArg,
    package: PackageArg,
    reason: Annotated[
        str,
        typer.Option(help="Why (one line, shown to users of the channel).", show_default=False),
    ],
    json_out: JsonOpt = False,
) -> None:
    """Stop solvers choosing a package; it stays downloadable, so lock files keep working."""
    subdir, filename = _subdir_file(package)
    with _api() as api:
        result = api.post(
            _channel_path(channel, "packages", subdir, filename, "yank"), {"reason": reason}
        )
    if json_out:
        output.emit_json(result)
        return
    if result.get("changed"):
        output.say(f"Yanked {channel}/{subdir}/{filename}")
    else:
        output.say(f"{channel}/{subdir}/{filename} was already yanked")
    output.fields([("reason", (result.get("yanked") or {}).get("reason"))])


@package_app.command("unyank")
@handled
def package_unyank(channel: ChannelArg, package: PackageArg, json_out: JsonOpt = False) -> None:
    """Offer a yanked package to solvers again."""
    subdir, filename = _subdir_file(package)
    with _api() as api:
        result = api.post(_channel_path(channel, "packages", subdir, filename, "unyank"), {})
    if json_out:
        output.emit_json(result)
        return
    if result.get("changed"):
        output.say(f"Unyanked {channel}/{subdir}/{filename}")
    else:
        output.say(f"{channel}/{subdir}/{filename} was not yanked")


@package_app.command("copy")
@handled
def package_copy(
    source: Annotated[str, typer.Argument(help="Channel to copy from, e.g. mychan-dev.")],
    destination: Annotated[str, typer.Argument(help="Channel to copy into, e.g. mychan.")],
    packages: Annotated[
        list[str] | None,
        typer.Argument(help="SUBDIR/FILENAME of each file to copy.", show_default=False),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Every file of this package name (with --version: of it).")
    ] = None,
    version: Annotated[str | None, typer.Option(help="With --name: only this version.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Promote exact files (same bytes, same record) from one channel to another, all or
    nothing: e.g. what passed in mychan-dev goes to mychan."""
    if not packages and not name:
        raise typer.BadParameter("name the files (SUBDIR/FILENAME ...) or give --name")
    if version and not name:
        raise typer.BadParameter("--version needs --name")
    wanted = [_subdir_file(p) for p in packages or []]
    with _api() as api:
        # The sha256 sent is the one the source serves now: what you saw is what is copied.
        listed = {
            (p.get("subdir"), p.get("filename")): p
            for p in api.pages(_channel_path(source, "packages"), "packages", name=name)
        }
        files: list[dict[str, Any]] = []
        for subdir, filename in wanted:
            found = listed.get((subdir, filename))
            if found is None:
                raise CliError(
                    "source-file-not-found", f"{subdir}/{filename} is not in channel {source}"
                )
            files.append(found)
        if name and not packages:
            files = [
                p
                for p in listed.values()
                if (version is None or p.get("version") == version) and not p.get("yanked")
            ]
            if not files:
                what = f"{name} {version}" if version else name
                raise CliError("source-file-not-found", f"no unyanked {what} in channel {source}")
        if len(files) > MAX_COPY_FILES:
            raise CliError(
                "too-many-files", f"{len(files)} files; one copy takes at most {MAX_COPY_FILES}"
            )
        body = {
            "from": source,
            "files": [
                {"subdir": f["subdir"], "filename": f["filename"], "sha256": f["sha256"]}
                for f in sorted(files, key=lambda f: (f["subdir"], f["filename"]))
            ],
        }
        result = api.post(_channel_path(destination, "copy"), body)
    if json_out:
        output.emit_json(result)
        return
    for f in result.get("files") or []:
        where = f"{f.get('subdir')}/{f.get('filename')}"
        if f.get("status") == "copied":
            output.say(f"copied   {where}")
        else:
            output.say(f"present  {where} (already in {destination} with these bytes)")


@package_app.command("delete")
@handled
def package_delete(
    channel: ChannelArg,
    package: PackageArg,
    yes: YesOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Stop serving a package (its filename can only come back with the same bytes)."""
    subdir, filename = _subdir_file(package)
    _confirm(f"Delete {subdir}/{filename} from {channel}?", yes)
    with _api() as api:
        result = api.delete(
            f"/api/v1/delete/{segment(channel)}/{segment(subdir)}/{segment(filename)}"
        )
    if json_out:
        output.emit_json(result)
        return
    output.say(f"Deleted {channel}/{subdir}/{filename}")


@app.command()
@handled
def audit(
    channel: ChannelArg,
    limit: Annotated[int, typer.Option(min=1, help="At most this many events.")] = 50,
    json_out: JsonOpt = False,
) -> None:
    """A channel's audit log, newest first (owners only)."""
    with _api() as api:
        events = list(api.pages(_channel_path(channel, "audit"), "events", limit=limit))
    if json_out:
        output.emit_json({"events": events})
        return
    output.table(
        ["AT", "ACTOR", "ACTION", "DETAILS"],
        [(e.get("at"), e.get("actor"), e.get("action"), e.get("details")) for e in events],
        empty="No events",
    )


# -- users -----------------------------------------------------------------------------
@user_app.command("create")
@handled
def user_create(name: UserArg, json_out: JsonOpt = False) -> None:
    """Create a user and its first key (operator token only); the secret is shown once."""
    with _api() as api:
        user = api.post("/api/v1/users", {"name": name})
    if json_out:
        output.emit_json(user)
        return
    output.say(f"Created user {user.get('name')} with key {user.get('key', {}).get('id')}")
    output.say(f"secret: {user.get('key', {}).get('secret')}")
    output.warn("Hand the secret over now: it is not shown again.")


@user_app.command("search")
@handled
def user_search(
    prefix: Annotated[str, typer.Argument(help="The start of a username.", show_default=False)],
    json_out: JsonOpt = False,
) -> None:
    """Usernames starting with PREFIX (people who signed in), e.g. to add a member."""
    with _api() as api:
        found = api.get("/api/v1/users", q=prefix)
    if json_out:
        output.emit_json(found)
        return
    for name in found.get("users") or []:
        output.say(str(name))


@user_app.command("suspend")
@handled
def user_suspend(name: UserArg, json_out: JsonOpt = False) -> None:
    """Suspend a user (operator): their sessions and keys stop working, API and edge."""
    with _api() as api:
        result = api.post(f"/api/v1/users/{segment(name)}/suspend", {})
    if json_out:
        output.emit_json(result)
        return
    output.say(f"Suspended {name}")


@user_app.command("reinstate")
@handled
def user_reinstate(name: UserArg, json_out: JsonOpt = False) -> None:
    """Undo a suspension (operator): sessions and still-valid keys work again."""
    with _api() as api:
        result = api.post(f"/api/v1/users/{segment(name)}/reinstate", {})
    if json_out:
        output.emit_json(result)
        return
    output.say(f"Reinstated {name}")


if __name__ == "__main__":
    app()
