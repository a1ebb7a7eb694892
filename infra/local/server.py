"""The local stack: moto-backed AWS, the real handlers, and one HTTP port.

One WSGI app on 127.0.0.1 plays three AWS parts:
- API Gateway HTTP API: ``/api/*`` becomes a payload-v2 event for functions/api;
- CloudFront in front of the channels bucket: ``GET|HEAD /<channel>/<subdir>/<file>``,
  and in front of the web app's build (``web/dist``): ``/``, the app's pages, ``/assets/``
  (core.webapp routes them, as infra/edge does on AWS; the same headers and cache rules);
- the S3 endpoint of presigned PUTs: ``PUT /_s3/<bucket>/<key>?X-Amz-...``;
and a pump feeds S3 notifications and SQS messages to functions/validate and reindex.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from mimetypes import guess_type
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, unquote_plus

import boto3
import botocore.exceptions
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from infra.local import moto_limits
from infra.local.pump import EventPump, LambdaContext, QueuePump
from infra.local.resources import REGION, Provisioned, provision
from rillet.core import webapp
from rillet.core.layout import STAGING_PREFIX

ROOT = Path(__file__).resolve().parents[2]
# What `make serve` builds (npm run build in web/); tests may pass another build.
WEB_DIST = ROOT / "web" / "dist"

# API Gateway refuses larger bodies before the function runs (HTTP API: 10 MB).
API_GATEWAY_MAX_BODY = 10 * 1024 * 1024
_TEXT_TYPES = ("application/json", "text/", "application/x-www-form-urlencoded")

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_SERVICE_NAME": "rillet",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


def _import_handler(name: str) -> Any:
    import importlib

    return importlib.import_module(f"functions.{name}.handler").lambda_handler


# -- API Gateway emulation ---------------------------------------------------------
def api_gateway_event(request: Request, body: bytes) -> dict[str, Any]:
    """An API Gateway HTTP API payload-v2 event, as AWS builds it."""
    content_type = request.headers.get("content-type", "")
    is_text = any(content_type.startswith(t) for t in _TEXT_TYPES)
    now = datetime.now(UTC)
    headers = {k.lower(): v for k, v in request.headers.items()}
    query = {k: ",".join(v) for k, v in parse_qs(request.query_string.decode()).items()}
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": request.path,
        "rawQueryString": request.query_string.decode(),
        "headers": headers,
        "queryStringParameters": query or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": request.host,
            "domainPrefix": "local",
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": body.decode("utf-8", "replace") if is_text else base64.b64encode(body).decode(),
        "isBase64Encoded": not is_text,
    }


def lambda_response(result: dict[str, Any]) -> Response:
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
    response = Response(data, status=int(result.get("statusCode", 200)))
    for key, value in (result.get("headers") or {}).items():
        response.headers[key] = value
    for key, values in (result.get("multiValueHeaders") or {}).items():
        for value in values:
            response.headers.add(key, value)
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", cookie)
    return response


class LocalStack:
    """Everything ``make serve`` runs, usable from tests with an ephemeral port."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        admin_token: str | None = None,
        signin: bool = False,
        signin_port: int = 0,
        web_dist: Path | None = None,
    ):
        self.host = host
        # The web app's build, served as CloudFront serves it from its bucket.
        self.web_dist = web_dist or WEB_DIST
        # signin: also run the local OpenID Provider (infra/local/signin.py) and let the
        # API accept its access tokens, as a deployment accepts Cognito's.
        self.signin = signin
        self.signin_port = signin_port
        self.provider: Any = None
        self.port = port
        if admin_token is None:
            from rillet.core.tokens import new_admin_token
            from rillet.runtime.wiring import random_secret

            # Only [A-Za-z0-9-]: conda can carry it in a /t/<token>/ URL too.
            admin_token = new_admin_token(random_secret())
        self.admin_token = admin_token
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._mock: Any = None
        self.pump: EventPump | None = None
        self.provisioned: Provisioned | None = None
        self.session: Any = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> LocalStack:
        from moto import mock_aws

        from rillet.runtime import wiring

        os.environ.update(FAKE_AWS_ENV)
        moto_limits.install()
        self._mock = mock_aws()
        self._mock.start()
        self.session = boto3.session.Session(region_name=REGION)
        self.provisioned = provision(self.session)
        # Bind first: the port is part of the public URL the handlers need.
        self._server = make_server(self.host, self.port, self.wsgi, threaded=True)
        self.port = self._server.server_port
        os.environ.update(self.provisioned.environment(self.url, self.admin_token))
        self._start_signin()
        wiring.reset()
        self.api_handler = _import_handler("api")
        self._api_lock = threading.Lock()
        sqs = self.session.client("sqs")
        self.validate_pump = QueuePump(
            sqs, self.provisioned.validate_queue_url, _import_handler("validate"), "validate"
        )
        self.reindex_pump = QueuePump(
            sqs, self.provisioned.reindex_queue_url, _import_handler("reindex"), "reindex"
        )
        # Messages past max receives move to the validate DLQ (moto applies the redrive
        # policy); validate_dead ends their uploads, as on AWS.
        self.validate_dead_pump = QueuePump(
            sqs,
            self.provisioned.validate_dlq_url,
            _import_handler("validate_dead"),
            "validate_dead",
        )
        self.pump = EventPump([self.validate_pump, self.reindex_pump, self.validate_dead_pump])
        self.pump.start()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def _start_signin(self) -> None:
        from infra.local.signin import SIGNIN_VARIABLES, LocalProvider

        for name in SIGNIN_VARIABLES:  # a previous stack in this process may have set them
            os.environ.pop(name, None)
        if not self.signin:
            return
        # The web app (next issue) will be served here; `rillet login` uses any loopback port.
        callbacks = [f"{self.url}/callback", "http://127.0.0.1/callback"]
        # Where the web app lands after signing out (web/src/auth/oidc.ts), as on Cognito.
        logouts = [f"{self.url}/logout", f"{self.url}/"]
        self.provider = LocalProvider(
            f"{self.url}/api", callbacks, self.signin_port, post_logout_uris=logouts
        ).start()
        os.environ.update(self.provider.environment())

    def stop(self) -> None:
        if self.provider:
            self.provider.stop()
        if self.pump:
            self.pump.stop()
        if self._server:
            self._server.shutdown()
        if self._mock:
            self._mock.stop()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Block until every queue is drained and no handler runs (for tests and scripts).

        A handler that raised meanwhile fails it at once with its traceback
        (``HandlerCrashed``), rather than leaving its message to time the wait out."""
        assert self.pump is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump.check()
            if self.pump.idle():
                return
            time.sleep(0.02)
        self.pump.check()
        raise TimeoutError("the local stack did not become idle")

    # -- HTTP --------------------------------------------------------------------
    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        path = request.path
        if path == "/api" or path.startswith("/api/"):
            response = self.handle_api(request)
        elif path.startswith("/_s3/"):
            response = self.handle_s3_put(request)
        else:
            response = self.handle_web(request) or self.handle_cdn(request)
        # CloudFront's response headers policy (infra/aws/cdn.py) sets these on every
        # behavior; only the emulated S3 endpoint is another host on AWS.
        if not path.startswith("/_s3/"):
            for name, value in self.security_headers().items():
                response.headers[name] = value
        return response(environ, start_response)

    def security_headers(self) -> dict[str, str]:
        issuer = [self.provider.issuer] if self.provider is not None else []
        return webapp.security_headers(issuer)

    def handle_web(self, request: Request) -> Response | None:
        """The web app's paths (core.webapp.web_route), or None for the read rule."""
        if request.method not in ("GET", "HEAD"):
            return None
        raw_uri = str(
            request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path
        )
        route = webapp.web_route(raw_uri.split("?", 1)[0], request.headers.get("accept", ""))
        if route is None:
            return None
        if route.kind == webapp.REDIRECT:
            return Response("", status=302, headers=dict(route.headers))
        file = self.web_dist / route.uri.lstrip("/")
        if not file.is_file():
            if route.kind == webapp.PAGE:
                return Response(
                    "the web app is not built: run `make serve` (or npm ci && npm run build "
                    "in web/)\n",
                    status=503,
                    content_type="text/plain",
                )
            return Response("not found\n", status=404, content_type="text/plain")
        data = file.read_bytes()
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        content_type = guess_type(file.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        headers = {
            "ETag": etag,
            "Content-Type": content_type,
            "Cache-Control": webapp.cache_control(route),
        }
        inm = request.headers.get("If-None-Match")
        if inm is not None and etag in [t.strip().removeprefix("W/") for t in inm.split(",")]:
            return NotModified(status=304, headers=headers)
        return Response(b"" if request.method == "HEAD" else data, status=200, headers=headers)

    def handle_api(self, request: Request) -> Response:
        length = request.content_length or 0
        if length > API_GATEWAY_MAX_BODY:
            return Response(
                '{"message":"Request Entity Too Large"}',
                status=413,
                content_type="application/json",
            )
        body = request.get_data(cache=False)
        # Lambda gives each execution environment one event at a time, and the
        # Powertools resolver keeps the current event on its module-global app: the
        # threaded server must not run the handler concurrently.
        with self._api_lock:
            result = self.api_handler(api_gateway_event(request, body), LambdaContext("api"))
        return lambda_response(result)

    def handle_s3_put(self, request: Request) -> Response:
        """The presigned PUT, refused as S3 (and the API role's IAM policy) would refuse it:
        a bad or missing SigV4 signature, an expired URL, another bucket or key than the
        staging uploads, or bytes other than the signed checksum. A refusal writes nothing."""
        if request.method != "PUT":
            return _s3_error(405, "MethodNotAllowed", "only presigned PUTs are served here")
        assert self.provisioned is not None
        raw_uri = str(request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or "")
        refusal = verify_presigned(
            request.method,
            request.headers.get("host", ""),
            raw_uri,
            {k.lower(): v for k, v in request.headers.items()},
            time.time(),
            # The credentials the handlers sign with: the fake ones moto's mock provides.
            self.session.get_credentials().get_frozen_credentials(),
        )
        if refusal is not None:
            return refusal
        _, _, rest = request.path.partition("/_s3/")
        bucket, _, key = rest.partition("/")
        # The API role may put only staging uploads: anything else is AccessDenied on AWS.
        if bucket != self.provisioned.names.staging_bucket or not key.startswith(STAGING_PREFIX):
            return _s3_error(403, "AccessDenied", "Access Denied")
        body = request.get_data(cache=False)
        signed_length = request.headers.get("content-length")
        if signed_length is not None and int(signed_length) != len(body):
            return _s3_error(400, "IncompleteBody", "fewer bytes than Content-Length")
        expected = request.headers.get("x-amz-checksum-sha256")
        if expected and base64.b64encode(hashlib.sha256(body).digest()).decode() != expected:
            return _s3_error(
                400, "BadDigest", "The SHA256 you specified did not match the calculated checksum."
            )
        s3 = self.session.client("s3")
        result = s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ContentType=request.headers.get("content-type", "application/octet-stream"),
        )
        return Response(b"", status=200, headers={"ETag": result["ETag"]})

    def handle_cdn(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD"):
            return Response("method not allowed\n", status=405, content_type="text/plain")
        from rillet.core.access import decide_read, viewer_cache_control
        from rillet.runtime.wiring import container

        # The viewer-request rule, exactly as CloudFront runs it (infra/edge), on the raw URI.
        raw_uri = str(
            request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path
        )
        headers = {k.lower(): v for k, v in request.headers.items()}
        edge = container().edge_view
        decision = decide_read(raw_uri.split("?", 1)[0], headers, edge, int(time.time()))
        if decision.status != 200:
            return Response(decision.body, status=decision.status, headers=dict(decision.headers))
        # S3 decodes the path as a form would: a literal '+' is a space (hence the edge's %2B).
        key = unquote_plus(decision.uri).lstrip("/")
        if not key or any(part in ("", ".", "..") for part in key.split("/")) or "\\" in key:
            return Response("not found\n", status=404, content_type="text/plain")
        s3 = self.session.client("s3")
        assert self.provisioned is not None
        bucket = self.provisioned.names.channels_bucket
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except botocore.exceptions.ClientError:
            # Never a 403 for a missing key: rattler caches a 404 but fails on a 403.
            return Response("not found\n", status=404, content_type="text/plain")
        etag, size = str(head["ETag"]), int(head["ContentLength"])
        modified = head["LastModified"].replace(microsecond=0)
        headers = {
            "ETag": etag,
            "Content-Type": head.get("ContentType") or "application/octet-stream",
            "Last-Modified": http_date(modified),
            "Accept-Ranges": "bytes",
        }
        # What infra/edge/viewer_response.js does on AWS: private channels' files are private.
        cache_control = viewer_cache_control(decision.uri, head.get("CacheControl"), edge)
        if cache_control or head.get("CacheControl"):
            headers["Cache-Control"] = cache_control or head["CacheControl"]
        if not_modified(request.headers, etag, modified):
            return NotModified(status=304, headers=headers)
        span = byte_range(request.headers, etag, modified, size)
        if isinstance(span, str):
            headers["Content-Range"] = f"bytes */{size}"
            return Response("range not satisfiable\n", status=416, headers=headers)
        status, extra, length = 200, {}, size
        if span is not None:
            first, last = span
            status, length = 206, last - first + 1
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
            extra = {"Range": f"bytes={first}-{last}"}
        headers["Content-Length"] = str(length)
        if request.method == "HEAD":
            return Response(status=status, headers=headers)
        try:
            obj = s3.get_object(Bucket=bucket, Key=key, IfMatch=etag, **extra)
        except botocore.exceptions.ClientError:
            # Replaced or removed between the two calls: the client retries.
            return Response("changed, retry\n", status=503, content_type="text/plain")
        return Response(
            _chunks(obj["Body"]), status=status, headers=headers, direct_passthrough=True
        )


class NotModified(Response):
    """A 304 that keeps Last-Modified, as CloudFront's does (werkzeug drops it)."""

    def get_wsgi_headers(self, environ: Any) -> Any:
        headers = super().get_wsgi_headers(environ)
        for name in ("Last-Modified", "Cache-Control"):
            if name in self.headers and name not in headers:
                headers[name] = self.headers[name]
        return headers


def http_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


def not_modified(headers: Any, etag: str, modified: datetime) -> bool:
    """RFC 9110 conditionals as CloudFront answers them: If-None-Match wins over
    If-Modified-Since; a date that cannot be parsed is ignored."""
    inm = headers.get("If-None-Match")
    if inm is not None:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return "*" in tags or etag in tags
    since = parse_date(headers.get("If-Modified-Since"))
    return since is not None and modified <= since


def byte_range(
    headers: Any, etag: str, modified: datetime, size: int
) -> tuple[int, int] | str | None:
    """The one byte range to serve (first, last), "unsatisfiable", or None for the whole.

    A single ``bytes=`` range as S3 serves it; several ranges, a malformed header or an
    If-Range that no longer matches get the whole object (200), as from CloudFront+S3.
    """
    value = headers.get("Range")
    if not value:
        return None
    if_range = headers.get("If-Range")
    if if_range is not None:
        if if_range.startswith('"') or if_range.startswith("W/"):
            if if_range != etag:
                return None
        elif parse_date(if_range) != modified:
            return None
    unit, _, spec = value.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_s, dash, last_s = spec.strip().partition("-")
    if (
        not dash
        or not (first_s.isdigit() or first_s == "")
        or not (last_s.isdigit() or last_s == "")
    ):
        return None
    if first_s == "":
        if last_s == "":
            return None
        suffix = int(last_s)
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        return max(size - suffix, 0), size - 1
    first = int(first_s)
    if last_s and int(last_s) < first:
        return None
    if first >= size:
        return "unsatisfiable"
    return first, min(int(last_s) if last_s else size - 1, size - 1)


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(chunk_size=1024 * 1024)
    finally:
        body.close()


# S3's bounds on X-Amz-Expires, and its tolerance for a request dated in the future.
_MAX_EXPIRES = 7 * 24 * 3600
_CLOCK_SKEW = 15 * 60
_AUTH_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
)


def verify_presigned(
    method: str, host: str, raw_uri: str, headers: dict[str, str], now: float, credentials: Any
) -> Response | None:
    """Check a SigV4 presigned request as S3 does; None if it holds, else S3's refusal.

    The signature is recomputed with botocore's own signer over the request as received
    (raw path, query without the signature, the signed headers), with the local stack's
    fake credentials: a URL it did not sign, or any byte of one changed, fails.
    """
    path, _, query = raw_uri.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True)
    args = dict(pairs)
    if any(name not in args for name in _AUTH_PARAMS):
        return _s3_error(403, "AccessDenied", "Query-string authentication is required")
    if args["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256":
        return _s3_error(400, "AuthorizationQueryParametersError", "unsupported algorithm")
    access_key, _, scope = args["X-Amz-Credential"].partition("/")
    if access_key != credentials.access_key:
        return _s3_error(403, "InvalidAccessKeyId", "The AWS Access Key Id does not exist")
    amz_date, expires = args["X-Amz-Date"], args["X-Amz-Expires"]
    try:
        signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        lifetime = int(expires)
    except ValueError:
        return _s3_error(400, "AuthorizationQueryParametersError", "bad X-Amz-Date or Expires")
    if scope != f"{amz_date[:8]}/{REGION}/s3/aws4_request":
        return _s3_error(400, "AuthorizationQueryParametersError", "bad credential scope")
    if not 0 <= lifetime <= _MAX_EXPIRES:
        return _s3_error(400, "AuthorizationQueryParametersError", "bad X-Amz-Expires")
    if now > signed_at.timestamp() + lifetime:
        return _s3_error(403, "AccessDenied", "Request has expired")
    if signed_at.timestamp() > now + _CLOCK_SKEW:
        return _s3_error(403, "AccessDenied", "Request is not yet valid")
    signed = args["X-Amz-SignedHeaders"].split(";")
    if "host" not in signed:
        return _s3_error(400, "AuthorizationQueryParametersError", "host must be signed")
    for name in signed:
        if name != "host" and name not in headers:
            return _s3_error(403, "SignatureDoesNotMatch", f"missing signed header {name}")
    unsigned_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
        for k, v in pairs
        if k != "X-Amz-Signature"
    )
    signer = S3SigV4QueryAuth(
        Credentials(credentials.access_key, credentials.secret_key, credentials.token),
        "s3",
        REGION,
        expires=lifetime,
    )
    to_sign = AWSRequest(
        method=method,
        url=f"http://{host}{path}?{unsigned_query}",
        headers={name: headers[name] for name in signed if name != "host"},
    )
    to_sign.context["timestamp"] = amz_date
    string_to_sign = signer.string_to_sign(to_sign, signer.canonical_request(to_sign))
    if not hmac.compare_digest(signer.signature(string_to_sign, to_sign), args["X-Amz-Signature"]):
        return _s3_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    return None


def _s3_error(status: int, code: str, message: str) -> Response:
    xml = (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return Response(xml, status=status, content_type="application/xml")
