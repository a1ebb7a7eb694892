"""cdk-nag acknowledgements: every one names the finding and says why it is accepted."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Accept ``finding`` (e.g. ``AwsSolutions-IAM5[Action::s3:List*]``) on scope and below."""
    Validations.of(scope).acknowledge(Acknowledgment(id=finding, reason=reason))
