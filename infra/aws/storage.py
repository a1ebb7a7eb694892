"""Buckets: the channels bucket CloudFront serves, the staging bucket, and their logs."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.aws.config import StageConfig
from rillet.core.layout import STAGING_EXPIRY_DAYS, STAGING_PREFIX

# The headers a browser's presigned PUT may carry: the ones the upload ticket tells it to
# send (adapters.s3.S3Presigner: Content-Type, Content-Length, x-amz-checksum-sha256) and
# the checksum algorithm SDK clients add. Content-Length is the browser's own, but listed.
UPLOAD_HEADERS = (
    "Content-Type",
    "Content-Length",
    "x-amz-checksum-sha256",
    "x-amz-sdk-checksum-algorithm",
)
# How long a browser may reuse a preflight answer.
UPLOAD_CORS_MAX_AGE = 3000


class Storage(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StageConfig) -> None:
        super().__init__(scope, id)
        # CloudFront standard logs are delivered with ACLs, so this bucket alone allows them.
        self.logs = _private_bucket(
            self,
            "Logs",
            config,
            ownership=s3.ObjectOwnership.OBJECT_WRITER,
            rules=[s3.LifecycleRule(expiration=Duration.days(config.log_retention_days))],
        )
        # Versioned so a bad write or delete can be undone; old index versions pile up on
        # every reindex, hence the noncurrent expiry.
        self.channels = _private_bucket(
            self,
            "Channels",
            config,
            versioned=True,
            access_logs=(self.logs, "s3/channels/"),
            rules=[
                s3.LifecycleRule(noncurrent_version_expiration=Duration.days(30)),
                s3.LifecycleRule(abort_incomplete_multipart_upload_after=Duration.days(1)),
            ],
        )
        # The web app's build (infra/aws/web.py deploys it), read only by the distribution.
        self.web = _private_bucket(
            self, "Web", config, access_logs=(self.logs, "s3/web/"), rules=[]
        )
        # Uploads that never validate (abandoned, rejected, or never sent) expire by rule;
        # the validator deletes the ones it consumes.
        self.staging = _private_bucket(
            self,
            "Staging",
            config,
            access_logs=(self.logs, "s3/staging/"),
            rules=[
                s3.LifecycleRule(
                    prefix=STAGING_PREFIX,
                    expiration=Duration.days(STAGING_EXPIRY_DAYS),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )

    def allow_uploads_from(self, origins: Sequence[str]) -> None:
        """The web app's presigned PUTs (and their preflight) from these origins only."""
        self.staging.add_cors_rule(
            allowed_methods=[s3.HttpMethods.PUT],
            allowed_origins=list(origins),
            allowed_headers=list(UPLOAD_HEADERS),
            exposed_headers=["ETag"],
            max_age=UPLOAD_CORS_MAX_AGE,
        )


def _private_bucket(
    scope: Construct,
    id: str,
    config: StageConfig,
    *,
    rules: Sequence[s3.LifecycleRule],
    ownership: s3.ObjectOwnership = s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: bool = False,
    access_logs: tuple[s3.IBucket, str] | None = None,
) -> s3.Bucket:
    """No public access of any kind, TLS only, S3-managed encryption (no KMS key to pay for)."""
    return s3.Bucket(
        scope,
        id,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        encryption=s3.BucketEncryption.S3_MANAGED,
        object_ownership=ownership,
        versioned=versioned,
        lifecycle_rules=rules,
        server_access_logs_bucket=access_logs[0] if access_logs else None,
        server_access_logs_prefix=access_logs[1] if access_logs else None,
        removal_policy=config.removal_policy,
    )
