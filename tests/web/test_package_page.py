"""The package page's attestation line, as a person reads it, on the local stack.

GitHub: a real attested upload. The real package and its real Sigstore bundle
(tests/fixtures/sigstore/, signed in GitHub Actions by prefix-dev/sigstore-example) go
through py-rattler-build's trusted publishing to the stack, which verifies the bundle,
stores it and serves ``.sigs``; the page shows what the stack's listing says.

Google and crafted values: by interception. No bundle signed by a Google service account
exists in tests/fixtures/sigstore/, so that line is the stack's real listing with an
``attestation`` built from the ``Attestation`` model's example added (and checked against
the response model). The hostile test feeds the page values no verified certificate
would carry, to test that the page refuses to link unsafe API data.
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
from tests.e2e import sigstore_example as real
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
FILES = {
    "1.1.0": f"{PACKAGE}-1.1.0-h0_0.conda",  # GitHub-shaped, crafted (the hostile test)
    "1.0.1": f"{PACKAGE}-1.0.1-h0_0.conda",  # attested by a Google service account
}
GOOGLE_ACCOUNT = "release@acme-ci.iam.gserviceaccount.com"
REAL_NAME = "signed-package"  # the real package's name (tests/fixtures/sigstore/)
PLAIN_VERSION = "2.0.0"  # the same package, uploaded without attestation


def _upload(stack: LocalStack, channel: str, pkg: Path) -> None:
    """As the operator, without attestation."""
    data = pkg.read_bytes()
    r = requests.post(
        f"{stack.url}/api/v1/upload/{channel}",
        data=data,
        headers={
            "Authorization": f"Bearer {stack.admin_token}",
            "Content-Type": "application/octet-stream",
            "X-File-Name": pkg.name,
            "X-File-Sha256": hashlib.sha256(data).hexdigest(),
        },
        timeout=30,
    )
    assert r.status_code == 201, r.text


def _create_channel(stack: LocalStack, name: str, description: str) -> None:
    r = requests.post(
        f"{stack.url}/api/v1/channels",
        json={"name": name, "description": description},
        headers={"Authorization": f"Bearer {stack.admin_token}"},
        timeout=10,
    )
    assert r.status_code == 201, r.text


@pytest.fixture(scope="module")
def published(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A public channel holding two versions of one package, uploaded and indexed."""
    _create_channel(stack, CHANNEL, "Signed builds")
    out = tmp_path_factory.mktemp("pkgs")
    for version in FILES:
        _upload(stack, CHANNEL, build_package(out, PACKAGE, version))
    stack.wait_idle()


@pytest.fixture(scope="module")
def attested(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The public channel ``sigstore-example``: the real package uploaded from its signing
    run with its real bundle, and another version of it uploaded without attestation."""
    _create_channel(stack, real.CHANNEL, "Built and signed in GitHub Actions")
    out = tmp_path_factory.mktemp("attested")
    # The publisher names the issuer the stack trusts as GitHub's when it is registered.
    with real.github_issuer() as github:
        r = requests.post(
            f"{stack.url}/api/v1/channels/{real.CHANNEL}/publishers",
            json=real.publisher(),
            headers={"Authorization": f"Bearer {stack.admin_token}"},
            timeout=10,
        )
        assert r.status_code == 201, r.text
        ok, error = real.ci_upload(github, stack.url, out, [real.PACKAGE], real.BUNDLE)
    assert ok, error
    _upload(stack, real.CHANNEL, build_package(out, REAL_NAME, PLAIN_VERSION))
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
    _attest(session.page, attestations)
    return _open_page(session, CHANNEL, PACKAGE)


def _open_page(session: Session, channel: str, package: str) -> Page:
    page = session.goto(f"/channels/{channel}/packages/{package}")
    expect(page.get_by_role("heading", name="Versions")).to_be_visible()
    return page


GOOGLE = {
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


def test_a_real_attested_upload_says_who_attested_it_and_a_plain_one_that_none_did(
    new_session: Any, attested: None
) -> None:
    person = new_session()
    page = _open_page(person, real.CHANNEL, REAL_NAME)
    name = real.PACKAGE.name
    short = real.COMMIT[:7]

    signed = page.get_by_role("group", name=f"Attestation of {name}")
    expect(signed).to_contain_text(
        "Attested by prefix-dev/sigstore-example .github/workflows/action.yaml at 193b5bd"
    )
    expect(signed.get_by_role("link", name=real.REPOSITORY)).to_have_attribute(
        "href", f"https://github.com/{real.REPOSITORY}"
    )
    commit = signed.get_by_role("link", name=short)
    expect(commit).to_have_attribute("title", real.COMMIT)
    expect(commit).to_have_attribute(
        "href", f"https://github.com/{real.REPOSITORY}/commit/{real.COMMIT}"
    )
    expect(signed.get_by_role("button", name=f"Copy commit of {name}")).to_be_visible()
    expect(signed).to_contain_text("branch main")
    # Rekor's integrated time: the viewer's zone (UTC in this browser), exact UTC on hover.
    when = signed.locator("time")
    expect(when).to_have_text("Sep 1, 2025, 12:13 PM")
    expect(when).to_have_attribute("title", "2025-09-01 12:13:59 UTC")
    expect(signed.get_by_role("link", name=f"#{real.LOG_INDEX} of {name}")).to_have_attribute(
        "href", f"https://search.sigstore.dev/?logIndex={real.LOG_INDEX}"
    )
    expect(signed.get_by_role("link", name=f"CI run of {name}")).to_have_attribute("href", real.RUN)
    # A public channel: no word about API keys.
    expect(signed).not_to_contain_text("API key")
    sigs = signed.get_by_role("link", name=f"signatures (.sigs) of {name}")
    expect(sigs).to_have_attribute("href", f"/{real.CHANNEL}/{real.SUBDIR}/{name}.sigs")
    # What the browser gets from that link: the stored bundle, as a JSON array of one.
    got = sigs.evaluate(
        """async a => {
            const r = await fetch(a.href);
            return {status: r.status, type: r.headers.get("content-type"), body: await r.json()};
        }"""
    )
    assert got["status"] == 200 and got["type"] == "application/json", got
    assert got["body"] == [json.loads(real.BUNDLE.read_text())]

    # Not attested: said once, quietly, where the attestation would be.
    plain = page.get_by_role("table", name=f"{PLAIN_VERSION} for noarch")
    expect(plain.get_by_text("Not attested", exact=True)).to_be_visible()
    expect(plain.get_by_text(re.compile("Attested by"))).to_have_count(0)
    expect(plain.get_by_role("link", name=re.compile("signatures"))).to_have_count(0)

    assert_accessible(page, "package page with attestations")
    shot = screenshot(page, "package-attestation")
    # The screenshot shows the docs' origin, not the stack's random port; the page's
    # own text is back once it is taken.
    assert shot.is_file()
    expect(page.get_by_text(f"{person.stack.url}/{real.CHANNEL}").first).to_be_visible()
    with docs_origin(page):
        expect(page.get_by_text(f"{DOCS_ORIGIN}/{real.CHANNEL}").first).to_be_visible()
        expect(page.get_by_text(person.stack.url)).to_have_count(0)
    expect(page.get_by_text(f"{DOCS_ORIGIN}/{real.CHANNEL}")).to_have_count(0)

    phone = new_session(width=375, height=800)
    narrow = _open_page(phone, real.CHANNEL, REAL_NAME)
    expect(narrow.get_by_role("group", name=f"Attestation of {name}")).to_contain_text(
        f"Attested by {real.REPOSITORY} {real.WORKFLOW} at {short}"
    )
    assert_fits(narrow, "package page with attestations")
    assert_accessible(narrow, "package page with attestations at 375 px")
    screenshot(narrow, "package-attestation-375")
    assert not person.console_errors, person.console_errors
    assert not phone.console_errors, phone.console_errors


def test_a_google_service_account_attestation_names_the_account(
    new_session: Any, published: None
) -> None:
    """By interception: no real bundle signed by a Google service account is at hand."""
    person = new_session()
    page = _open(person, GOOGLE)
    google = page.get_by_role("group", name=f"Attestation of {FILES['1.0.1']}")
    expect(google).to_contain_text(f"Attested by service account {GOOGLE_ACCOUNT}")
    # No repository, workflow, commit or CI run: nothing to say or link about them.
    expect(google.get_by_role("link", name=re.compile("^CI run"))).to_have_count(0)
    expect(google).not_to_contain_text(re.compile(r" at |branch |tag "))
    expect(google.get_by_role("link", name=f"#456061810 of {FILES['1.0.1']}")).to_have_attribute(
        "href", "https://search.sigstore.dev/?logIndex=456061810"
    )
    expect(
        google.get_by_role("link", name=f"signatures (.sigs) of {FILES['1.0.1']}")
    ).to_have_attribute("href", f"/{CHANNEL}/noarch/{FILES['1.0.1']}.sigs")
    # The file without an (injected) attestation says so.
    other = page.get_by_role("table", name="1.1.0 for noarch")
    expect(other.get_by_text("Not attested", exact=True)).to_be_visible()
    assert_accessible(page, "package page with a Google attestation")
    assert not person.console_errors, person.console_errors


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
