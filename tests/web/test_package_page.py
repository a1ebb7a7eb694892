"""The package page's attestation line, as a person reads it, on the local stack.

The packages are really uploaded and indexed. Their attestations come from the API
contract, not yet from an attested upload: until the attestation work (verify, store,
serve ``.sigs``) is merged, the listing the page fetches is the stack's real answer with
``attestation`` / ``attestations_sha256`` added to some files, each value built from
the ``Attestation`` model's example and checked against the response model. After
that merge, an attested upload (tests/e2e/test_attestations.py's bundles) replaces
``_attest``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, Route, expect

from infra.local.server import LocalStack
from rillet.api.models.packages import Attestation, PackageList
from tests.packages import build_package
from tests.web.conftest import Session
from tests.web.helpers import (
    DOCS_ORIGIN,
    assert_accessible,
    assert_fits,
    docs_origin,
    screenshot,
)

pytestmark = pytest.mark.browser
CHANNEL = "signedtools"
PACKAGE = "alpha"
# The response model's own example: what the API documents an attestation to be.
EXAMPLE: dict[str, Any] = Attestation.model_json_schema()["examples"][0]
COMMIT = EXAMPLE["commit"]
FILES = {
    "1.1.0": f"{PACKAGE}-1.1.0-h0_0.conda",  # attested from GitHub Actions
    "1.0.1": f"{PACKAGE}-1.0.1-h0_0.conda",  # attested by a Google service account
    "1.0.0": f"{PACKAGE}-1.0.0-h0_0.conda",  # not attested
}
GOOGLE_ACCOUNT = "release@acme-ci.iam.gserviceaccount.com"


@pytest.fixture(scope="module")
def published(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A public channel holding three versions of one package, uploaded and indexed."""
    admin = {"Authorization": f"Bearer {stack.admin_token}"}
    r = requests.post(
        f"{stack.url}/api/v1/channels",
        json={"name": CHANNEL, "description": "Signed builds"},
        headers=admin,
        timeout=10,
    )
    assert r.status_code == 201, r.text
    out = tmp_path_factory.mktemp("pkgs")
    for version in FILES:
        pkg = build_package(out, PACKAGE, version)
        data = pkg.read_bytes()
        r = requests.post(
            f"{stack.url}/api/v1/upload/{CHANNEL}",
            data=data,
            headers={
                **admin,
                "Content-Type": "application/octet-stream",
                "X-File-Name": pkg.name,
                "X-File-Sha256": hashlib.sha256(data).hexdigest(),
            },
            timeout=30,
        )
        assert r.status_code == 201, r.text
    stack.wait_idle()


def _attestation(filename: str, **changes: Any) -> dict[str, Any]:
    body = {**copy.deepcopy(EXAMPLE), "sigs": f"{CHANNEL}/noarch/{filename}.sigs", **changes}
    return Attestation.model_validate(body).model_dump(mode="json")


def _attest(page: Page, attestations: dict[str, dict[str, Any]]) -> None:
    """Add ``attestation`` to the named files of the stack's real package listing."""

    def handle(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        for f in body["packages"]:
            a = attestations.get(f["filename"])
            f["attestation"] = a
            f["attestations_sha256"] = (
                hashlib.sha256(json.dumps([{"bundle": f["filename"]}]).encode()).hexdigest()
                if a
                else None
            )
        PackageList.model_validate(body)  # what the API may answer, nothing else
        route.fulfill(response=response, json=body)

    matches: Callable[[str], bool] = lambda url: f"/api/v1/channels/{CHANNEL}/packages?" in url  # noqa: E731
    page.route(matches, handle)


def _open(session: Session, attestations: dict[str, dict[str, Any]]) -> Page:
    page = session.page
    _attest(page, attestations)
    session.goto(f"/channels/{CHANNEL}/packages/{PACKAGE}")
    expect(page.get_by_role("heading", name="Versions")).to_be_visible()
    return page


ATTESTED = {
    FILES["1.1.0"]: _attestation(FILES["1.1.0"]),
    FILES["1.0.1"]: _attestation(
        FILES["1.0.1"],
        provider="google",
        issuer="https://accounts.google.com",
        identity=GOOGLE_ACCOUNT,
        repository=None,
        workflow=None,
        ref=None,
        commit=None,
        run=None,
    ),
}


def test_each_file_says_who_attested_it_or_quietly_that_none_did(
    new_session: Any, published: None, tmp_path: Path
) -> None:
    person = new_session()
    page = _open(person, ATTESTED)

    github = page.get_by_role("group", name=f"Attestation of {FILES['1.1.0']}")
    expect(github).to_contain_text(
        f"Attested by acme/alpha .github/workflows/release.yml at {COMMIT[:7]}"
    )
    expect(github.get_by_role("link", name="acme/alpha")).to_have_attribute(
        "href", "https://github.com/acme/alpha"
    )
    commit = github.get_by_role("link", name=COMMIT[:7])
    expect(commit).to_have_attribute("title", COMMIT)
    expect(commit).to_have_attribute("href", f"https://github.com/acme/alpha/commit/{COMMIT}")
    expect(github.get_by_role("button", name=f"Copy commit of {FILES['1.1.0']}")).to_be_visible()
    expect(github).to_contain_text("tag v1.0")
    # The viewer's zone (UTC in this browser), the exact UTC time on hover.
    signed = github.locator("time")
    expect(signed).to_have_text("Nov 30, 2026, 12:00 PM")
    expect(signed).to_have_attribute("title", "2026-11-30 12:00:00 UTC")
    expect(github.get_by_role("link", name=f"#456061810 of {FILES['1.1.0']}")).to_have_attribute(
        "href", "https://search.sigstore.dev/?logIndex=456061810"
    )
    expect(github.get_by_role("link", name=f"CI run of {FILES['1.1.0']}")).to_have_attribute(
        "href", EXAMPLE["run"]
    )
    expect(
        github.get_by_role("link", name=f"signatures (.sigs) of {FILES['1.1.0']}")
    ).to_have_attribute("href", f"/{CHANNEL}/noarch/{FILES['1.1.0']}.sigs")

    google = page.get_by_role("group", name=f"Attestation of {FILES['1.0.1']}")
    expect(google).to_contain_text(f"Attested by service account {GOOGLE_ACCOUNT}")
    expect(google.get_by_role("link", name=re.compile("^CI run"))).to_have_count(0)

    # Not attested: said once, quietly, where the attestation would be.
    unattested = page.get_by_role("table", name="1.0.0 for noarch")
    expect(unattested.get_by_text("Not attested", exact=True)).to_be_visible()
    expect(unattested.get_by_text(re.compile("Attested by"))).to_have_count(0)

    assert_accessible(page, "package page with attestations")
    shot = screenshot(page, "package-attestation")
    # The screenshot shows the docs' origin, not the stack's random port; the page's
    # own text is back once it is taken.
    assert shot.is_file()
    expect(page.get_by_text(f"{person.stack.url}/{CHANNEL}").first).to_be_visible()
    with docs_origin(page):
        expect(page.get_by_text(f"{DOCS_ORIGIN}/{CHANNEL}").first).to_be_visible()
        expect(page.get_by_text(person.stack.url)).to_have_count(0)
    expect(page.get_by_text(f"{DOCS_ORIGIN}/{CHANNEL}")).to_have_count(0)

    phone = new_session(width=375, height=800)
    narrow = _open(phone, ATTESTED)
    expect(narrow.get_by_role("group", name=f"Attestation of {FILES['1.1.0']}")).to_contain_text(
        "Attested by acme/alpha"
    )
    assert_fits(narrow, "package page with attestations")
    assert_accessible(narrow, "package page with attestations at 375 px")
    screenshot(narrow, "package-attestation-375")
    assert not person.console_errors, person.console_errors
    assert not phone.console_errors, phone.console_errors


def test_a_crafted_attestation_never_becomes_a_link_elsewhere(
    new_session: Any, published: None
) -> None:
    """The certificate's values are CI's to choose: whatever they say, the page links
    only https on the provider's own host and paths of this site."""
    hostile = {
        FILES["1.1.0"]: _attestation(
            FILES["1.1.0"],
            repository="javascript:alert(1)//",
            run="javascript:alert(document.domain)",
            commit='"><img src=x onerror=alert(1)>',
            sigs="https://evil.example/x.sigs",
        ),
        FILES["1.0.1"]: _attestation(
            FILES["1.0.1"],
            provider="gitlab",
            issuer="http://gitlab.evil.example",
            identity="https://gitlab.evil.example/acme/alpha//.gitlab-ci.yml@refs/heads/main",
            repository="acme/alpha",
            workflow=".gitlab-ci.yml",
            run="https://gitlab.evil.example/acme/alpha/-/jobs/1",
        ),
    }
    person = new_session()
    page = _open(person, hostile)
    first = page.get_by_role("group", name=f"Attestation of {FILES['1.1.0']}")
    # Shown as text, as given: the person sees what the certificate says.
    expect(first).to_contain_text("Attested by javascript:alert(1)// .github/workflows/release.yml")
    expect(first).to_contain_text('at "><img src=x onerror=alert(1)>')
    second = page.get_by_role("group", name=f"Attestation of {FILES['1.0.1']}")
    expect(second).to_contain_text("Attested by acme/alpha .gitlab-ci.yml")
    expect(first.get_by_role("link", name=re.compile("signatures"))).to_have_count(0)
    expect(second.get_by_role("link", name=re.compile("signatures"))).to_have_count(1)
    for group in (first, second):
        hrefs = group.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        # The log entry (a number) and the .sigs path this page builds; nothing else.
        safe = ("https://search.sigstore.dev/?logIndex=", f"/{CHANNEL}/noarch/{PACKAGE}-")
        assert all(h.startswith(safe) for h in hrefs), hrefs
    assert page.locator("img[src=x]").count() == 0
    everywhere = page.locator("a[href]").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert not [h for h in everywhere if not re.match(r"^(/|#|https://)", h)], everywhere
    assert not person.console_errors, person.console_errors
