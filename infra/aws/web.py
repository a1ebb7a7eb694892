"""The web app's build (web/dist) deployed into its bucket, with its cache rules.

Two deployments: the content-hashed files first (kept across deployments, so a page
loaded before an update still finds its scripts), then index.html and the other root
files, which name them. The cache rules are core.webapp's, as the local stack serves them.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Stack
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct, IConstruct

from infra.aws.config import ConfigError
from infra.aws.nag import acknowledge, acknowledge_arn_wildcard
from rillet.core import webapp

# Build bookkeeping (the Makefile's stamp) that is not part of the app.
NOT_SERVED = (".rillet-build",)


class WebApp(Construct):
    def __init__(self, scope: Construct, id: str, *, bucket: s3.IBucket, dist: Path) -> None:
        super().__init__(scope, id)
        if not (dist / "index.html").is_file() or not (dist / "assets").is_dir():
            raise ConfigError(
                f"the web app is not built ({dist.name}/index.html and assets/ are missing): "
                "run `make web`, or set -c web_dist=<a build directory>"
            )
        assets = s3deploy.BucketDeployment(
            self,
            "Assets",
            sources=[s3deploy.Source.asset(str(dist / "assets"))],
            destination_bucket=bucket,
            destination_key_prefix=webapp.ASSETS_PREFIX.strip("/") + "/",
            cache_control=[s3deploy.CacheControl.from_string(webapp.ASSET_CACHE_CONTROL)],
            prune=False,
            memory_limit=256,
        )
        pages = s3deploy.BucketDeployment(
            self,
            "Pages",
            sources=[s3deploy.Source.asset(str(dist), exclude=["assets", "assets/*", *NOT_SERVED])],
            destination_bucket=bucket,
            cache_control=[s3deploy.CacheControl.from_string(webapp.INDEX_CACHE_CONTROL)],
            # Pruning would delete the hashed files the other deployment just wrote.
            prune=False,
            memory_limit=256,
        )
        pages.node.add_dependency(assets)
        self.deployments = (assets, pages)
        # The deployments share one provider function that CDK creates at the stack level.
        for child in Stack.of(self).node.children:
            if child.node.id.startswith("Custom::CDKBucketDeployment"):
                _acknowledge_provider(child, bucket)


# What CDK's provider role holds: read the CDK asset bucket, sync into the web bucket.
_PROVIDER_FINDINGS = (
    "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
    "AWSLambdaBasicExecutionRole]",
    "AwsSolutions-IAM5[Action::s3:GetBucket*]",
    "AwsSolutions-IAM5[Action::s3:GetObject*]",
    "AwsSolutions-IAM5[Action::s3:List*]",
    "AwsSolutions-IAM5[Action::s3:Abort*]",
    "AwsSolutions-IAM5[Action::s3:DeleteObject*]",
    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-"
    "<AWS::AccountId>-<AWS::Region>/*]",
    "AwsSolutions-L1",
)


def _acknowledge_provider(provider: IConstruct, bucket: s3.IBucket) -> None:
    for finding in _PROVIDER_FINDINGS:
        acknowledge(
            provider,
            finding,
            "CDK's bucket-deployment provider (runtime and policy are aws-cdk-lib's): it "
            "reads the deployment's assets from the CDK asset bucket and syncs them into "
            "the web bucket, which holds nothing else (no versions to purge).",
        )
    acknowledge_arn_wildcard(
        provider,
        bucket,
        "/*",
        "The web app's files: every object of the web bucket is the provider's to sync.",
    )
