"""The HTTP API from the command line: base URL, Bearer token, errors as ``CliError``."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from rillet import __version__

USER_AGENT = f"rillet-cli/{__version__}"
DEFAULT_TIMEOUT = 30.0
MAX_PAGE = 1000  # the API's largest page

_S3_CODE = re.compile(r"<Code>([^<]*)</Code>")
_S3_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")


class CliError(Exception):
    """An expected failure, printed as ``error: <code>: <message>`` (never a traceback)."""

    def __init__(
        self, code: str, message: str, *, status: int | None = None, exit_code: int = 1
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status  # the HTTP status, when a server answered
        self.exit_code = exit_code

    @property
    def transient(self) -> bool:
        """Worth asking again: no answer, throttled, or a server-side failure."""
        return self.status is None or self.status == 429 or self.status >= 500


def segment(value: str) -> str:
    """One URL path segment: user input never adds or climbs path levels."""
    return quote(value, safe="")


def error_from_response(response: httpx.Response) -> CliError:
    """The server's reason: our JSON ``{"error", "message"}``, S3's XML, or the status."""
    text = response.text
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return CliError(
            body["error"], str(body.get("message") or response.reason_phrase), status=status
        )
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        # API Gateway's own refusals (413, 429, 5xx) carry only a message.
        return CliError(f"http-{status}", body["message"], status=status)
    code = _S3_CODE.search(text)
    if code:
        message = _S3_MESSAGE.search(text)
        detail = message.group(1) if message else response.reason_phrase
        return CliError(code.group(1), detail, status=status)
    detail = text.strip().splitlines()[0][:300] if text.strip() else response.reason_phrase
    return CliError(f"http-{status}", detail, status=status)


def transport_error(url: str, exc: httpx.HTTPError) -> CliError:
    if isinstance(exc, httpx.TimeoutException):
        return CliError("timeout", f"no answer from {url} in time ({type(exc).__name__})")
    reason = str(exc) or type(exc).__name__
    return CliError("connection-failed", f"cannot reach {url}: {reason}")


class Api:
    """A deployment's API with one credential; safe to share between threads."""

    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=timeout,
            # Retries cover failed connects only; a request that reached the server is not
            # repeated, so nothing is ever done twice.
            transport=transport or httpx.HTTPTransport(retries=2),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int | None] | None = None,
    ) -> Any:
        """Send one request; return the parsed JSON body. Raises CliError."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self._http.request(method, path, json=json, params=query)
        except httpx.HTTPError as exc:
            raise transport_error(self.url, exc) from None
        if not response.is_success:
            raise error_from_response(response)
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise CliError(
                "bad-response",
                f"{method} {path} answered {response.status_code} with a body that is not JSON",
                status=response.status_code,
            ) from None

    def get(self, path: str, **params: str | int | None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, json=body)

    def put(self, path: str, body: Any) -> Any:
        return self.request("PUT", path, json=body)

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, json=body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def pages(
        self, path: str, key: str, *, limit: int | None = None, **params: str | int | None
    ) -> Iterator[dict[str, Any]]:
        """Follow ``cursor`` through a listing, yielding at most ``limit`` items."""
        cursor: str | None = None
        seen = 0
        while limit is None or seen < limit:
            size = MAX_PAGE if limit is None else min(MAX_PAGE, limit - seen)
            page = self.get(path, **params, limit=size, cursor=cursor)
            for item in page.get(key) or []:
                if limit is not None and seen >= limit:
                    return
                seen += 1
                yield item
            cursor = page.get("cursor")
            if not cursor:
                return
