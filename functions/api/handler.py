"""HTTP API: API Gateway HTTP API (payload v2) -> routes -> one service call each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.api_gateway import Response

from rillet import __version__
from rillet.core.errors import PayloadTooLarge, Unauthenticated
from rillet.core.policy import Principal, parse_role
from rillet.runtime import http
from rillet.runtime.observability import logger
from rillet.runtime.prefix_upload import parse_upload_request
from rillet.runtime.settings import API_VALIDATION_MARGIN_MS
from rillet.runtime.wiring import Container, container
from rillet.services import accounts, channels, identity, members, packages, publishing, uploads
from rillet.services.logos import Logos
from rillet.services.provenance import Provenance

app = APIGatewayHttpResolver()
http.install_error_handlers(app)


def _ctx() -> tuple[Container, Principal | None]:
    c = container()
    return c, c.authenticate(app.current_event.headers.get("authorization"))


def _out_of_time(margin_ms: int) -> Callable[[], bool]:
    """Whether the invocation is about to run out of time (API Gateway waits 30 s)."""
    context = app.lambda_context

    def check() -> bool:
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        return remaining is not None and remaining() < margin_ms

    return check


def _query(name: str) -> str | None:
    return (app.current_event.query_string_parameters or {}).get(name)


# -- users and keys -------------------------------------------------------------------
@app.post("/api/v1/users")
def create_user() -> Response[str]:
    c, p = _ctx()
    secret, key_id = c.new_secret()
    user, key, token = accounts.create_user(
        c.directory,
        http.principal(p),
        http.json_body(app),
        now_iso=c.clock.iso(),
        secret=secret,
        key_id=key_id,
    )
    return http.json_response(201, {**user.to_json(), "key": {**key.to_json(), "secret": token}})


@app.get("/api/v1/users/me")
def whoami() -> Response[str]:
    c = container()
    signed_in = c.signed_in(app.current_event.headers.get("authorization"))
    if signed_in is not None:  # a session, possibly before a username is chosen
        return http.json_response(200, identity.me(signed_in))
    _, p = _ctx()
    return http.json_response(200, accounts.whoami(http.principal(p)))


@app.post("/api/v1/users/me")
def claim_username() -> Response[str]:
    c = container()
    signed_in = c.signed_in(app.current_event.headers.get("authorization"))
    if signed_in is None:
        raise Unauthenticated(
            "choosing a username needs a sign-in token from the identity provider",
            code="session-required",
        )
    user = identity.claim_name(c.accounts, signed_in, http.json_body(app), now_iso=c.clock.iso())
    return http.json_response(201, identity.me(identity.Identity(signed_in.sub, user.name)))


@app.get("/api/v1/users")
def search_users() -> Response[str]:
    c, p = _ctx()
    return http.json_response(200, {"users": identity.search_users(c.accounts, p, _query("q"))})


@app.post("/api/v1/users/<name>/suspend")
def suspend_user(name: str) -> Response[str]:
    c, p = _ctx()
    return http.json_response(
        200,
        identity.suspend_user(
            c.accounts, c.directory, http.principal(p), name, now_iso=c.clock.iso()
        ),
    )


@app.post("/api/v1/users/<name>/reinstate")
def reinstate_user(name: str) -> Response[str]:
    c, p = _ctx()
    return http.json_response(
        200,
        identity.reinstate_user(
            c.accounts,
            c.directory,
            http.principal(p),
            name,
            now=c.clock.epoch(),
            now_iso=c.clock.iso(),
        ),
    )


@app.get("/api/v1/audit/accounts")
def account_audit() -> Response[str]:
    c, p = _ctx()
    events, cursor = identity.read_account_audit(
        c.accounts,
        http.principal(p),
        limit=http.int_param(_query("limit"), 100),
        cursor=_query("cursor"),
    )
    body = {"events": [{**e.to_json()} for e in events], "cursor": cursor}
    return http.json_response(200, body)


@app.get("/api/v1/config")
def public_config() -> Response[str]:
    settings = container().settings
    return http.json_response(
        200,
        identity.public_config(
            settings.signin,
            max_package_bytes=settings.max_package_bytes,
            max_api_body_bytes=settings.max_api_body_bytes,
            version=__version__,
        ),
    )


@app.post("/api/v1/users/me/keys")
def create_key() -> Response[str]:
    c, p = _ctx()
    secret, key_id = c.new_secret()
    key, token = accounts.create_key(
        c.directory,
        http.principal(p),
        http.json_body(app),
        now=c.clock.epoch(),
        now_iso=c.clock.iso(),
        secret=secret,
        key_id=key_id,
    )
    identity.audit_key(
        c.accounts, http.principal(p), identity.KEY_CREATED, key.key_id, now_iso=c.clock.iso()
    )
    return http.json_response(201, {**key.to_json(), "secret": token})


@app.get("/api/v1/users/me/keys")
def list_keys() -> Response[str]:
    c, p = _ctx()
    return http.json_response(
        200, {"keys": [k.to_json() for k in accounts.list_keys(c.directory, http.principal(p))]}
    )


@app.delete("/api/v1/users/me/keys/<key_id>")
def revoke_key(key_id: str) -> Response[str]:
    c, p = _ctx()
    revoked = accounts.revoke_key(c.directory, http.principal(p), key_id)
    identity.audit_key(
        c.accounts, http.principal(p), identity.KEY_REVOKED, key_id, now_iso=c.clock.iso()
    )
    return http.json_response(200, revoked.to_json())


# -- channels -------------------------------------------------------------------------
@app.post("/api/v1/channels")
def create_channel() -> Response[str]:
    c, p = _ctx()
    channel = channels.create_channel(
        c.catalog,
        c.channels,
        http.json_body(app),
        principal=p,
        now_iso=c.clock.iso(),
        now=c.clock.epoch(),
        directory=c.directory,
        cdn=c.cdn,
    )
    return http.json_response(201, channel.to_json())


@app.get("/api/v1/channels")
def list_channels() -> Response[str]:
    c, p = _ctx()
    return http.json_response(
        200, {"channels": [ch.to_json() for ch in channels.list_channels(c.directory, p)]}
    )


@app.get("/api/v1/channels/<channel>")
def get_channel(channel: str) -> Response[str]:
    c, p = _ctx()
    found, role = channels.get_channel(c.catalog, c.directory, p, channel)
    return http.json_response(200, {**found.to_json(), "role": role.value if role else None})


@app.patch("/api/v1/channels/<channel>")
def update_channel(channel: str) -> Response[str]:
    c, p = _ctx()
    updated = channels.update_channel(
        c.catalog, c.directory, c.audit, p, channel, http.json_body(app), now_iso=c.clock.iso()
    )
    return http.json_response(200, updated.to_json())


@app.put("/api/v1/channels/<channel>/logo")
def upload_logo(channel: str) -> Response[str]:
    """The body is the image itself (PNG, JPEG or WebP; services/logos.py)."""
    c, p = _ctx()
    logos = Logos(c.catalog, c.directory, c.channels, c.audit, c.settings.public_url)
    updated = logos.upload(p, channel, http.raw_body(app), now_iso=c.clock.iso())
    return http.json_response(200, updated.to_json())


@app.post("/api/v1/channels/<channel>/transfer")
def transfer_channel(channel: str) -> Response[str]:
    c, p = _ctx()
    updated = channels.transfer_channel(
        c.catalog,
        c.directory,
        c.audit,
        p,
        channel,
        http.json_body(app),
        now_iso=c.clock.iso(),
        now=c.clock.epoch(),
    )
    return http.json_response(200, updated.to_json())


@app.delete("/api/v1/channels/<channel>")
def delete_channel(channel: str) -> Response[str]:
    c, p = _ctx()
    removed = channels.delete_channel(
        c.catalog, c.directory, c.channels, c.cdn, p, channel, now=c.clock.epoch()
    )
    return http.json_response(200, {"deleted": channel, "objects_removed": removed})


@app.post("/api/v1/channels/<channel>/reindex")
def rebuild_index(channel: str) -> Response[str]:
    c, p = _ctx()
    queued = channels.rebuild_index(
        c.catalog,
        c.directory,
        c.reindex_queue,
        c.audit,
        p,
        channel,
        http.json_body(app),
        now_iso=c.clock.iso(),
    )
    return http.json_response(202, {"channel": channel, "subdirs": queued})


# -- members --------------------------------------------------------------------------
@app.get("/api/v1/channels/<channel>/members")
def list_members(channel: str) -> Response[str]:
    c, p = _ctx()
    found = members.list_members(c.catalog, c.directory, p, channel)
    return http.json_response(200, {"members": [m.to_json() for m in found]})


@app.put("/api/v1/channels/<channel>/members/<user>")
def set_member(channel: str, user: str) -> Response[str]:
    c, p = _ctx()
    role = parse_role(http.json_body(app).get("role"))
    member = members.set_member(
        c.catalog,
        c.directory,
        c.audit,
        p,
        channel,
        user,
        role,
        now=c.clock.epoch(),
        now_iso=c.clock.iso(),
    )
    return http.json_response(200, member.to_json())


@app.delete("/api/v1/channels/<channel>/members/<user>")
def remove_member(channel: str, user: str) -> Response[str]:
    c, p = _ctx()
    members.remove_member(c.catalog, c.directory, c.audit, p, channel, user, now_iso=c.clock.iso())
    return http.json_response(200, {"removed": user})


# -- packages -------------------------------------------------------------------------
@app.get("/api/v1/channels/<channel>/packages")
def list_packages(channel: str) -> Response[str]:
    c, p = _ctx()
    found, cursor = packages.list_packages(
        c.catalog,
        c.directory,
        p,
        channel,
        subdir=_query("subdir"),
        name=_query("name"),
        limit=http.int_param(_query("limit"), 100),
        cursor=_query("cursor"),
    )
    # Who and when, for the package page (services/provenance.py).
    origin = Provenance(c.catalog, c.directory).of(found)
    body = {
        "packages": [
            {
                "subdir": s.subdir,
                "filename": s.filename,
                **s.record,
                "yanked": s.yank.to_json() if s.yank else None,
                **origin[(s.subdir, s.filename)],
            }
            for s in found
        ],
        "cursor": cursor,
    }
    return http.json_response(200, body)


@app.post("/api/v1/upload/<channel>")
def prefix_upload(channel: str) -> Response[str]:
    c, p = _ctx()
    raw = http.raw_body(app)
    if len(raw) > c.settings.max_api_body_bytes:
        raise PayloadTooLarge(http.too_large_message(c.settings.max_api_body_bytes, channel))
    request = parse_upload_request(app.current_event.headers, raw)
    published = packages.upload_package(
        c.catalog,
        c.directory,
        c.channels,
        c.reindex_queue,
        c.audit,
        c.cdn,
        p,
        channel,
        filename=request.filename,
        declared_sha256=request.sha256,
        body=request.body,
        force=_query("force") == "true",
        limits=c.settings.limits,
        upload_id=c.new_id(),
        now_ms=c.clock.now_ms(),
        now_iso=c.clock.iso(),
        commit_ms=c.clock.now_ms,
        out_of_time=_out_of_time(API_VALIDATION_MARGIN_MS),
    )
    return http.text_response(201, f"published {published.subdir}/{published.filename}")


@app.delete("/api/v1/delete/<channel>/<subdir>/<filename>")
def delete_package(channel: str, subdir: str, filename: str) -> Response[str]:
    c, p = _ctx()
    packages.delete_package(
        c.catalog,
        c.directory,
        c.channels,
        c.reindex_queue,
        c.audit,
        c.cdn,
        p,
        channel,
        subdir,
        filename,
        now_iso=c.clock.iso(),
    )
    return http.json_response(200, {"deleted": f"{channel}/{subdir}/{filename}"})


@app.post("/api/v1/channels/<channel>/packages/<subdir>/<filename>/yank")
def yank_package(channel: str, subdir: str, filename: str) -> Response[str]:
    c, p = _ctx()
    outcome = packages.yank_package(
        c.catalog,
        c.directory,
        c.reindex_queue,
        c.audit,
        p,
        channel,
        subdir,
        filename,
        http.json_body(app),
        now_ms=c.clock.now_ms(),
        now_iso=c.clock.iso(),
    )
    return http.json_response(200, outcome.to_json())


@app.post("/api/v1/channels/<channel>/packages/<subdir>/<filename>/unyank")
def unyank_package(channel: str, subdir: str, filename: str) -> Response[str]:
    c, p = _ctx()
    outcome = packages.unyank_package(
        c.catalog,
        c.directory,
        c.reindex_queue,
        c.audit,
        p,
        channel,
        subdir,
        filename,
        now_ms=c.clock.now_ms(),
        now_iso=c.clock.iso(),
    )
    return http.json_response(200, outcome.to_json())


@app.get("/api/v1/channels/<channel>/audit")
def read_audit(channel: str) -> Response[str]:
    c, p = _ctx()
    events, cursor = packages.read_audit(
        c.catalog,
        c.directory,
        c.audit,
        p,
        channel,
        limit=http.int_param(_query("limit"), 100),
        cursor=_query("cursor"),
    )
    return http.json_response(200, {"events": [e.to_json() for e in events], "cursor": cursor})


# -- trusted publishing ---------------------------------------------------------------
@app.post("/api/oidc/mint_token")
def mint_token() -> Response[str]:
    c = container()
    secret, key_id = c.new_secret()
    token, _ = publishing.mint_token(
        c.publishers,
        c.directory,
        c.audit,
        c.jwks,
        c.settings.oidc,
        http.raw_body(app),
        now=c.clock.epoch(),
        now_iso=c.clock.iso(),
        secret=secret,
        key_id=key_id,
        catalog=c.catalog,
    )
    # The client uses the whole body as the token: no JSON, no trailing newline.
    return http.text_response(200, token)


@app.post("/api/v1/channels/<channel>/publishers")
def add_publisher(channel: str) -> Response[str]:
    c, p = _ctx()
    publisher = publishing.add_publisher(
        c.catalog,
        c.directory,
        c.publishers,
        c.audit,
        p,
        channel,
        http.json_body(app),
        publisher_id=f"pub_{c.new_id()[:12]}",
        now_iso=c.clock.iso(),
        github_issuer=c.settings.github_issuer,
        gitlab_issuers=c.settings.gitlab_issuers,
    )
    return http.json_response(201, publisher.to_json())


@app.get("/api/v1/channels/<channel>/publishers")
def list_publishers(channel: str) -> Response[str]:
    c, p = _ctx()
    found = publishing.list_publishers(c.catalog, c.directory, c.publishers, p, channel)
    return http.json_response(200, {"publishers": [pub.to_json() for pub in found]})


@app.delete("/api/v1/channels/<channel>/publishers/<publisher_id>")
def remove_publisher(channel: str, publisher_id: str) -> Response[str]:
    c, p = _ctx()
    publishing.remove_publisher(
        c.catalog,
        c.directory,
        c.publishers,
        c.audit,
        p,
        channel,
        publisher_id,
        now_iso=c.clock.iso(),
    )
    return http.json_response(200, {"removed": publisher_id})


# -- presigned uploads ----------------------------------------------------------------
@app.post("/api/v1/channels/<channel>/uploads")
def request_upload(channel: str) -> Response[str]:
    c, p = _ctx()
    ticket = uploads.request_upload(
        c.catalog,
        c.directory,
        c.presigner,
        p,
        channel,
        http.json_body(app),
        upload_id=c.new_id(),
        now_iso=c.clock.iso(),
        now_epoch=c.clock.epoch(),
        max_package_bytes=c.settings.max_package_bytes,
        ttl_seconds=c.settings.upload_url_ttl,
    )
    return http.json_response(201, ticket.to_json())


@app.get("/api/v1/channels/<channel>/uploads/<upload_id>")
def upload_status(channel: str, upload_id: str) -> Response[str]:
    c, p = _ctx()
    upload = uploads.upload_status(c.catalog, c.directory, p, channel, upload_id)
    return http.json_response(200, uploads.upload_status_json(c.catalog, upload))


@app.get("/api/openapi.json")
def openapi() -> Response[str]:
    return http.json_response(200, http.openapi_document(app))


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)
