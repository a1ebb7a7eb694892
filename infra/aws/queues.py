"""The work queues, each with a dead-letter queue, and the S3 -> validate queue wiring."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.aws.nag import acknowledge
from rillet.core.layout import STAGING_PREFIX
from rillet.runtime.settings import QUEUE_MAX_RECEIVES

MAX_RECEIVES = QUEUE_MAX_RECEIVES  # the validate handler's last attempt depends on it
# The AWS guidance for SQS event sources: at least six times the function timeout, so a
# batch still being retried by the poller is not redelivered to a second invocation.
VISIBILITY_FACTOR = 6
DLQ_RETENTION = Duration.days(14)


class Queues(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        staging: s3.Bucket,
        validate_timeout: Duration,
        validate_dead_timeout: Duration,
        reindex_timeout: Duration,
    ) -> None:
        super().__init__(scope, id)
        # S3 cannot notify a FIFO queue: staging -> standard queue -> validate -> FIFO.
        # Consumed by validate_dead, which ends the uploads whose validation died.
        self.validate_dlq = _queue(
            self, "ValidateDLQ", visibility=validate_dead_timeout, retention=DLQ_RETENTION
        )
        self.validate = _queue(self, "Validate", visibility=validate_timeout, dlq=self.validate_dlq)
        # One index writer per subdir (message group = channel/subdir); duplicate
        # {channel, subdir, seq} messages collapse by content.
        self.reindex_dlq = _queue(self, "ReindexDLQ", fifo=True, retention=DLQ_RETENTION)
        self.reindex = _queue(
            self, "Reindex", fifo=True, visibility=reindex_timeout, dlq=self.reindex_dlq
        )
        # Where table-stream batches go when edge_sync keeps failing on them.
        self.edge_sync_dlq = _queue(self, "EdgeSyncDLQ", retention=DLQ_RETENTION)
        acknowledge(
            self.edge_sync_dlq,
            "AwsSolutions-SQS3",
            "This is a dead-letter queue (the table stream's on-failure destination), "
            "alarmed on depth like the others.",
        )
        _notify_on_upload(staging, self.validate)


def _queue(
    scope: Construct,
    id: str,
    *,
    fifo: bool = False,
    visibility: Duration | None = None,
    dlq: sqs.Queue | None = None,
    retention: Duration | None = None,
) -> sqs.Queue:
    return sqs.Queue(
        scope,
        id,
        fifo=fifo or None,
        content_based_deduplication=fifo or None,
        visibility_timeout=(
            Duration.seconds(visibility.to_seconds() * VISIBILITY_FACTOR) if visibility else None
        ),
        dead_letter_queue=(
            sqs.DeadLetterQueue(queue=dlq, max_receive_count=MAX_RECEIVES) if dlq else None
        ),
        retention_period=retention,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
    )


def _notify_on_upload(staging: s3.Bucket, queue: sqs.Queue) -> None:
    """Declare the notification on the bucket itself rather than with ``add_event_notification``.

    The L2 helper deploys a custom-resource Lambda with a ``Resource: *`` policy to call
    PutBucketNotification; CloudFormation can do it natively. The queue must admit S3
    before the bucket is configured (CloudFormation sends a test event), so the policy
    names the account rather than the bucket ARN, which would make a cycle.
    """
    queue.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("s3.amazonaws.com")],
            actions=["sqs:SendMessage"],
            resources=[queue.queue_arn],
            conditions={"StringEquals": {"aws:SourceAccount": staging.stack.account}},
        )
    )
    bucket = staging.node.default_child
    assert isinstance(bucket, s3.CfnBucket)
    bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
        queue_configurations=[
            s3.CfnBucket.QueueConfigurationProperty(
                event="s3:ObjectCreated:*",
                queue=queue.queue_arn,
                filter=s3.CfnBucket.NotificationFilterProperty(
                    s3_key=s3.CfnBucket.S3KeyFilterProperty(
                        rules=[s3.CfnBucket.FilterRuleProperty(name="prefix", value=STAGING_PREFIX)]
                    )
                ),
            )
        ]
    )
    bucket.node.add_dependency(queue.node.find_child("Policy"))
