"""The local CDN answers conditional and range requests the way CloudFront in front of S3
does: clients (and resumable downloaders) rely on 304 and 206 exactly as on AWS."""

from __future__ import annotations

import pytest
import requests

from tests.e2e.conftest import Api

CHANNEL = "cdn-checks"
BLOB = bytes(range(256)) * 4  # 1024 bytes, every offset distinguishable


@pytest.fixture(scope="module")
def blob_url(api: Api) -> str:
    assert api.stack.provisioned is not None
    api.create_channel(CHANNEL)
    s3 = api.stack.session.client("s3")
    bucket = api.stack.provisioned.names.channels_bucket
    s3.put_object(Bucket=bucket, Key=f"{CHANNEL}/noarch/blob-1.0-0.conda", Body=BLOB)
    s3.put_object(Bucket=bucket, Key=f"{CHANNEL}/noarch/w-1.0+local-0.conda", Body=b"plus")
    s3.put_object(Bucket=bucket, Key=f"{CHANNEL}/noarch/w-1.0 local-0.conda", Body=b"space")
    return f"{api.stack.url}/{CHANNEL}/noarch/blob-1.0-0.conda"


def get(url: str, method: str = "GET", **headers: str) -> requests.Response:
    return requests.request(method, url, headers=headers, timeout=10)


@pytest.mark.e2e
def test_if_modified_since(blob_url: str) -> None:
    first = get(blob_url)
    assert first.status_code == 200 and first.content == BLOB
    modified = first.headers["Last-Modified"]
    again = get(blob_url, **{"If-Modified-Since": modified})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["Last-Modified"] == modified
    assert again.headers["ETag"] == first.headers["ETag"]
    older = get(blob_url, **{"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert older.status_code == 200 and older.content == BLOB
    assert get(blob_url, **{"If-Modified-Since": "yesterday"}).status_code == 200
    # If-None-Match decides when both are sent.
    both = get(blob_url, **{"If-Modified-Since": modified, "If-None-Match": '"other"'})
    assert both.status_code == 200


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("spec", "first", "last"),
    [("0-99", 0, 99), ("1000-", 1000, 1023), ("-5", 1019, 1023), ("1020-5000", 1020, 1023)],
)
def test_range(blob_url: str, spec: str, first: int, last: int) -> None:
    r = get(blob_url, Range=f"bytes={spec}")
    assert r.status_code == 206
    assert r.headers["Content-Range"] == f"bytes {first}-{last}/1024"
    assert r.content == BLOB[first : last + 1]
    assert r.headers["Content-Length"] == str(last - first + 1)


@pytest.mark.e2e
def test_range_edges(blob_url: str) -> None:
    past = get(blob_url, Range="bytes=1024-")
    assert past.status_code == 416
    assert past.headers["Content-Range"] == "bytes */1024"
    assert get(blob_url, Range="bytes=-0").status_code == 416
    # Several ranges, nonsense, or an If-Range that no longer matches: the whole file.
    for headers in (
        {"Range": "bytes=0-1,5-6"},
        {"Range": "pages=1-2"},
        {"Range": "bytes=9-3"},
        {"Range": "bytes=0-9", "If-Range": '"stale"'},
    ):
        r = get(blob_url, **headers)
        assert (r.status_code, r.content) == (200, BLOB), headers
    etag = get(blob_url).headers["ETag"]
    matching = get(blob_url, Range="bytes=0-9", **{"If-Range": etag})
    assert (matching.status_code, matching.content) == (206, BLOB[:10])
    head = get(blob_url, "HEAD", Range="bytes=0-9")
    assert head.status_code == 206 and head.headers["Content-Range"] == "bytes 0-9/1024"


@pytest.mark.e2e
def test_plus_in_a_filename_is_the_plus_file(blob_url: str, api: Api) -> None:
    r = get(f"{api.stack.url}/{CHANNEL}/noarch/w-1.0+local-0.conda")
    assert (r.status_code, r.content) == (200, b"plus")
