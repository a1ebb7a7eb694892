"""RilletStack composes the constructs and decides who may do what; build_app adds cdk-nag."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App, Aws, CfnOutput, Duration, Stack, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from infra.aws.admin import AdminToken
from infra.aws.api import HttpApi
from infra.aws.cdn import Cdn
from infra.aws.config import StageConfig
from infra.aws.functions import (
    API,
    EDGE_SYNC,
    REINDEX,
    REINDEX_BATCH_SIZE,
    ROOT,
    VALIDATE,
    VALIDATE_DEAD,
    Functions,
)
from infra.aws.identity import Identity, IdentityConfig
from infra.aws.monitoring import Monitoring
from infra.aws.nag import acknowledge, acknowledge_arn_wildcard
from infra.aws.queues import Queues
from infra.aws.storage import Storage
from infra.aws.table import Table
from infra.aws.web import WebApp
from rillet.core import webapp
from rillet.core.layout import STAGING_PREFIX
from rillet.runtime import settings as s

# Object actions spelled out rather than CDK's bucket grants: those include
# s3:DeleteObject*, i.e. DeleteObjectVersion, and the channels bucket is versioned so
# that mistakes can be undone. No function can purge that history.
READ = ("s3:GetObject",)
WRITE = ("s3:PutObject",)
DELETE = ("s3:DeleteObject",)
# Managed copies above boto3's multipart threshold abort their upload on failure.
ABORT = ("s3:AbortMultipartUpload",)
KVS_WRITE = (
    "cloudfront-keyvaluestore:DescribeKeyValueStore",
    # Deletes are sent only for keys that exist (GetKey first): see adapters/edge.py.
    "cloudfront-keyvaluestore:GetKey",
    "cloudfront-keyvaluestore:UpdateKeys",
)


class RilletStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        identity: IdentityConfig | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, description=f"Rillet conda channels ({config.stage})", **kwargs)
        self.storage = Storage(self, "Storage", config=config)
        self.table = Table(self, "Table", config=config).table
        self.queues = Queues(
            self,
            "Queues",
            staging=self.storage.staging,
            validate_timeout=VALIDATE.timeout,
            validate_dead_timeout=VALIDATE_DEAD.timeout,
            reindex_timeout=REINDEX.timeout,
        )
        admin = AdminToken(self, "AdminToken", config=config)
        self.admin_token = admin.secret
        self.functions = Functions(
            self,
            "Functions",
            config=config,
            environment={
                s.TABLE_NAME: self.table.table_name,
                s.CHANNELS_BUCKET: self.storage.channels.bucket_name,
                s.STAGING_BUCKET: self.storage.staging.bucket_name,
                s.REINDEX_QUEUE_URL: self.queues.reindex.queue_url,
                s.ADMIN_TOKEN_SECRET: self.admin_token.secret_arn,
                s.MAX_PACKAGE_BYTES: str(config.max_package_bytes),
                s.STAGE: config.stage,
            },
        )
        self.http_api = HttpApi(self, "HttpApi", config=config, handler=self.functions[API.name])
        identity = identity or IdentityConfig()
        self.cdn = Cdn(
            self,
            "Cdn",
            config=config,
            channels=self.storage.channels,
            logs=self.storage.logs,
            api_domain_name=self.http_api.domain_name,
            web=self.storage.web,
            # The web app signs in with the pool: discovery, keys and the token endpoint.
            # And uploads go straight to the staging bucket (presigned URLs).
            connect_origins=(
                *(identity.connect_origins(config.stage) if identity.enabled else ()),
                webapp.s3_origin(Aws.REGION),
            ),
        )
        # The web app PUTs uploads straight to the staging bucket (presigned URLs): from
        # the public URL only, to the origin its CSP names.
        self.storage.allow_uploads_from([self.cdn.public_url])
        dist = Path(config.web_dist)
        self.web = WebApp(
            self, "Web", bucket=self.storage.web, dist=dist if dist.is_absolute() else ROOT / dist
        )
        # No cycle: the distribution depends on the HTTP API resource, not on its routes
        # or the function behind them, so every function may name the distribution.
        self.functions.add_environment(s.PUBLIC_URL, self.cdn.public_url)
        self.functions.add_environment(s.DISTRIBUTION_ID, self.cdn.distribution.distribution_id)
        self.functions[EDGE_SYNC.name].add_environment(
            s.EDGE_KVS_ARN, self.cdn.edge_store.key_value_store_arn
        )
        self.identity: Identity | None = None
        if identity.enabled:
            # Sign-in (issue 12): the API accepts this pool's access tokens.
            self.identity = Identity(
                self,
                "Identity",
                config=identity,
                public_url=self.cdn.public_url,
                stage=config.stage,
                removal_policy=config.removal_policy,
                log_retention=config.log_retention,
            )
            for name, value in self.identity.environment().items():
                self.functions.add_environment(name, value)
        self._triggers(config)
        self._grants()
        monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            functions=list(self.functions.items()),
            # The validate DLQ is drained by validate_dead: a dead letter that waits there
            # is one validate_dead could not process (its OldestMessage alarm).
            work_queues=[
                (VALIDATE.name, self.queues.validate),
                (REINDEX.name, self.queues.reindex),
                (VALIDATE_DEAD.name, self.queues.validate_dlq),
            ],
            dead_letter_queues=[
                (REINDEX.name, self.queues.reindex_dlq),
                (EDGE_SYNC.name, self.queues.edge_sync_dlq),
            ],
            stream_consumer=self.functions[EDGE_SYNC.name],
            http_api=self.http_api.api,
            distribution=self.cdn.distribution,
        )

        url = self.cdn.public_url
        CfnOutput(self, "ChannelUrl", value=url, description="Channels: <ChannelUrl>/<channel>")
        CfnOutput(self, "ApiUrl", value=f"{url}/api", description="Control plane")
        CfnOutput(
            self,
            "AdminTokenSecretArn",
            value=self.admin_token.secret_arn,
            description="aws secretsmanager get-secret-value --secret-id <this>",
        )
        CfnOutput(self, "DistributionDomainName", value=self.cdn.distribution.domain_name)
        CfnOutput(self, "DistributionId", value=self.cdn.distribution.distribution_id)
        CfnOutput(self, "AlarmTopicArn", value=monitoring.topic.topic_arn)
        if self.identity is not None:
            CfnOutput(self, "UserPoolId", value=self.identity.pool.user_pool_id)
            CfnOutput(self, "SignInIssuer", value=self.identity.issuer)
            CfnOutput(self, "SignInClientId", value=self.identity.client.user_pool_client_id)
            CfnOutput(self, "SignInDomain", value=self.identity.domain.base_url())

    def _triggers(self, config: StageConfig) -> None:
        # Each reports partial batch failures: a bad message is retried on its own and
        # reaches its dead-letter queue without holding back the rest of the batch.
        # The pollers never run more copies than are reserved (maximum concurrency):
        # a throttled SQS delivery would count as a receive and push messages to the DLQ.
        self.functions[VALIDATE.name].add_event_source(
            sources.SqsEventSource(
                self.queues.validate,
                batch_size=4,
                report_batch_item_failures=True,
                max_concurrency=config.validate_concurrency or None,
            )
        )
        self.functions[VALIDATE_DEAD.name].add_event_source(
            sources.SqsEventSource(
                self.queues.validate_dlq,
                batch_size=10,
                report_batch_item_failures=True,
                max_concurrency=self.functions.reserved[VALIDATE_DEAD.name] or None,
            )
        )
        self.functions[REINDEX.name].add_event_source(
            sources.SqsEventSource(
                self.queues.reindex,
                batch_size=REINDEX_BATCH_SIZE,
                report_batch_item_failures=True,
                max_concurrency=config.reindex_concurrency or None,
            )
        )
        # Order matters per key (a grant added, then revoked): one batch per shard at a
        # time, failing batches split in halves to isolate a poison record, then parked.
        self.functions[EDGE_SYNC.name].add_event_source(
            sources.DynamoEventSource(
                self.table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=100,
                bisect_batch_on_error=True,
                retry_attempts=10,
                max_record_age=Duration.days(1),
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(self.queues.edge_sync_dlq),
            )
        )

    def _grants(self) -> None:
        """Exactly what each function's code calls; triggers granted their own reads."""
        channels, staging = self.storage.channels, self.storage.staging
        api, validate = self.functions[API.name], self.functions[VALIDATE.name]
        reindex, edge_sync = self.functions[REINDEX.name], self.functions[EDGE_SYNC.name]
        validate_dead = self.functions[VALIDATE_DEAD.name]

        _grant_table(api, self.table)
        _grant_objects(api, channels, READ + WRITE + DELETE, listing=True)
        # A presigned PUT acts with the signer's rights: the api role must hold them.
        _grant_objects(api, staging, WRITE, prefix=STAGING_PREFIX)
        self.queues.reindex.grant_send_messages(api)
        self.admin_token.grant_read(api)
        # Overwrites, deletes and channel deletion purge immutable cached copies.
        self.cdn.distribution.grant_create_invalidation(api)

        _grant_table(validate, self.table)
        _grant_objects(validate, staging, READ + DELETE, prefix=STAGING_PREFIX)
        _grant_objects(validate, channels, READ + WRITE + ABORT, listing=True)
        self.queues.reindex.grant_send_messages(validate)
        self.cdn.distribution.grant_create_invalidation(validate)

        # Reads the upload, rejects it, removes its staged object: nothing else.
        _grant_table(validate_dead, self.table)
        _grant_objects(validate_dead, staging, DELETE, prefix=STAGING_PREFIX)

        _grant_table(reindex, self.table)
        _grant_objects(reindex, channels, READ + WRITE, listing=True)

        edge_sync.add_to_role_policy(
            iam.PolicyStatement(
                actions=list(KVS_WRITE), resources=[self.cdn.edge_store.key_value_store_arn]
            )
        )
        acknowledge(
            _role(edge_sync),
            "AwsSolutions-IAM5[Resource::*]",
            "dynamodb:ListStreams, added by the stream event source, has no resource-level "
            "permissions; the stream read actions are on this table's stream only.",
        )


def _role(fn: lambda_.Function) -> iam.IRole:
    assert fn.role is not None
    return fn.role


def _grant_table(fn: lambda_.Function, table: dynamodb.Table) -> None:
    table.grant_read_write_data(fn)
    acknowledge_arn_wildcard(
        _role(fn), table, "/index/*", "Queries on this one table's indexes (gsi1 lists channels)."
    )


def _grant_objects(
    fn: lambda_.Function,
    bucket: s3.IBucket,
    actions: tuple[str, ...],
    *,
    prefix: str = "",
    listing: bool = False,
) -> None:
    pattern = f"{prefix}*"
    fn.add_to_role_policy(
        iam.PolicyStatement(actions=list(actions), resources=[bucket.arn_for_objects(pattern)])
    )
    acknowledge_arn_wildcard(
        _role(fn),
        bucket,
        f"/{pattern}",
        f"Object actions need an object ARN pattern: {pattern} in this one bucket.",
    )
    if listing:
        # ListBucket turns a missing key into 404 (not 403) and lets a channel be deleted.
        fn.add_to_role_policy(
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn])
        )


def build_app(context: Mapping[str, Any] | None = None, outdir: str | None = None) -> App:
    """The app with the stack and the AwsSolutions checks (synth fails on a finding)."""
    app = App(context=dict(context or {}), outdir=outdir)
    config = StageConfig.from_context(app.node.try_get_context)
    identity = IdentityConfig.from_context(app.node.try_get_context)
    RilletStack(app, f"Rillet-{config.stage}", config=config, identity=identity)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app
