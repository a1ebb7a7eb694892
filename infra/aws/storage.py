"""Buckets: the channels bucket CloudFront serves, the staging bucket, and their logs."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.aws.config import StageConfig
from rillet.core.layout import STAGING_EXPIRY_DAYS, STAGING_PREFIX


class Storage(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StageConfig) -> None:
        super().__init__(scope, id)
        common = {
            "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
            "enforce_ssl": True,
            "encryption": s3.BucketEncryption.S3_MANAGED,
            "removal_policy": config.removal_policy,
        }
        # CloudFront standard logs are delivered with ACLs, so this bucket alone allows them.
        self.logs = s3.Bucket(
            self,
            "Logs",
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(config.log_retention_days))],
            **common,
        )

        # Versioned so a bad write or delete can be undone; old index versions pile up on
        # every reindex, hence the noncurrent expiry.
        self.channels = s3.Bucket(
            self,
            "Channels",
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.logs,
            server_access_logs_prefix="s3/channels/",
            lifecycle_rules=[
                s3.LifecycleRule(noncurrent_version_expiration=Duration.days(30)),
                s3.LifecycleRule(abort_incomplete_multipart_upload_after=Duration.days(1)),
            ],
            **common,
        )

        # Uploads that never validate (abandoned, rejected, or never sent) expire by rule;
        # the validator deletes the ones it consumes.
        self.staging = s3.Bucket(
            self,
            "Staging",
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.logs,
            server_access_logs_prefix="s3/staging/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    prefix=STAGING_PREFIX,
                    expiration=Duration.days(STAGING_EXPIRY_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            **common,
        )
