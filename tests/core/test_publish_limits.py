"""The one publisher-limits rule every upload path uses, and how a minted token's
limits are re-read from the publishers that still exist."""

from __future__ import annotations

import pytest

from rillet.core.errors import Forbidden
from rillet.core.oidc import Publisher, live_limits, publish_limits, publisher_summary
from rillet.core.policy import Principal, Scope, require_publish

GH = Publisher(
    id="pub_gh",
    channel="chan",
    provider="github",
    issuer="https://token.actions.githubusercontent.com",
    owner="octo-org",
    repository="widgets",
    workflow="release.yml",
    name_patterns=("widget-*",),
    subdirs=("noarch", "linux-64"),
)
GL = Publisher(
    id="pub_gl",
    channel="other",
    provider="gitlab",
    issuer="https://gitlab.com",
    namespace="grp",
    project="proj",
    config_path=".gitlab-ci.yml",
    environment="release",
)


def minted(*publishers: Publisher) -> Principal:
    limits = publish_limits(publishers)
    return Principal("ci", Scope.UPLOAD, frozenset(limits), minted=True, publish_limits=limits)


@pytest.mark.parametrize(
    ("name", "subdir", "allowed"),
    [
        ("widget-core", "noarch", True),
        ("Widget-Core", "linux-64", True),  # names compare case-insensitively
        ("widget-core", "osx-arm64", False),
        ("gadget", "noarch", False),
        # Not known yet (a presigned request without a subdir): the name alone decides.
        ("widget-core", None, True),
        ("gadget", None, False),
    ],
)
def test_publishing_rule(name: str, subdir: str | None, allowed: bool) -> None:
    principal = minted(GH)
    assert principal.may_publish("chan", name, subdir) is allowed
    rule = principal.publishing_rule("chan", name, subdir)
    assert (rule is not None) is allowed
    if allowed:
        require_publish(principal, "chan", name, subdir)
        assert rule is not None and rule["publisher"]["id"] == "pub_gh"
    else:
        with pytest.raises(Forbidden) as refused:
            require_publish(principal, "chan", name, subdir)
        assert refused.value.code == "outside-publisher-limits"


def test_a_rule_is_per_channel_and_an_unlimited_key_is_not_limited() -> None:
    assert not minted(GH).may_publish("other", "widget-core", "noarch")
    assert minted(GH, GL).may_publish("other", "anything", "win-64")  # GL has no limits
    assert Principal("alice").may_publish("chan", "gadget", "osx-64")


def test_publisher_summary_names_the_workflow_or_pipeline() -> None:
    assert publisher_summary(GH) == {
        "id": "pub_gh",
        "provider": "github",
        "repository": "octo-org/widgets",
        "workflow": "release.yml",
    }
    assert publisher_summary(GL) == {
        "id": "pub_gl",
        "provider": "gitlab",
        "project": "grp/proj",
        "config_path": ".gitlab-ci.yml",
        "environment": "release",
    }


def test_live_limits_keep_only_publishers_that_still_exist() -> None:
    stored = publish_limits([GH, GL])
    everyone = {(p.channel, p.id): p for p in (GH, GL)}
    assert live_limits(stored, lambda c, i: everyone.get((c, i))) == stored
    only_gl = {("other", "pub_gl"): GL}
    assert live_limits(stored, lambda c, i: only_gl.get((c, i))) == publish_limits([GL])
    assert live_limits(stored, lambda c, i: None) == {}
    # A rule naming no publisher (or one of another channel) grants nothing.
    legacy: dict[str, list[dict[str, list[str]]]] = {"chan": [{"name_patterns": [], "subdirs": []}]}
    assert live_limits(legacy, lambda c, i: GH) == {}
    assert live_limits({"chan": stored["other"]}, lambda c, i: GL) == {}
    assert live_limits(None, lambda c, i: GH) == {}
