"""cdk-nag acknowledgements: every one names the finding and says why it is accepted."""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Accept ``finding`` (e.g. ``AwsSolutions-SMG4``) on scope and everything below it."""
    Validations.of(scope).acknowledge(Acknowledgment(id=finding, reason=reason))


def acknowledge_arn_wildcard(
    scope: IConstruct, owner: IConstruct, suffix: str, reason: str
) -> None:
    """Accept an IAM5 finding for ``<owner's ARN><suffix>``, e.g. a bucket's ``/*``.

    cdk-nag names the resource by logical ID, so the finding is computed, not spelled.
    """
    resource = owner.node.default_child
    assert isinstance(resource, CfnResource)
    logical_id = Stack.of(owner).resolve(resource.logical_id)
    acknowledge(scope, f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>{suffix}]", reason)
