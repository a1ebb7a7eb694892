"""cdk-nag (AwsSolutions) runs inside the session's synthesis; these read its verdict."""

from __future__ import annotations

from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks

from tests.infra.conftest import Synthesis


def test_no_unacknowledged_findings(synthesis: Synthesis) -> None:
    """The app's own synthesis ran the checks (a finding fails it); run them once more
    here too, so that dropping the plugin from build_app cannot hide a finding."""
    reports = (synthesis.validation_report or {}).get("pluginReports", [])
    findings = [
        f"{v['ruleName']} at {c['constructPath']}"
        for r in reports
        for v in r["violations"]
        for c in v["violatingConstructs"]
    ]
    assert not findings, "\n".join(findings)
    assert synthesis.error is None
    report = AwsSolutionsChecks().validate_scope(synthesis.stack)
    assert report.success, [v.rule_name for v in report.violations]


def test_every_acknowledgement_gives_a_reason(synthesis: Synthesis) -> None:
    acknowledged = {}
    for construct in synthesis.app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule, reason in entry.data.items():
                    acknowledged[f"{construct.node.path}: {rule}"] = reason
    ours = {k: v for k, v in acknowledged.items() if "AwsSolutions-" in k}
    assert len(ours) >= 10, "acknowledgements were not found where expected"
    for where, reason in acknowledged.items():
        # A sentence, not a placeholder.
        assert isinstance(reason, str) and len(reason.split()) >= 6, f"{where}: {reason!r}"
