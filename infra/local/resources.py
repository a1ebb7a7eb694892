"""Create the AWS resources of a deployment inside moto, from the shared schema."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from rillet.adapters import schema
from rillet.core.layout import STAGING_PREFIX
from rillet.runtime import settings as s

REGION = "us-east-1"
# Redelivery after a failed batch; short so local retries are quick (AWS: above the timeout).
VISIBILITY_TIMEOUT = 2
MAX_RECEIVES = s.QUEUE_MAX_RECEIVES  # the validate handler's last attempt depends on it


@dataclass(frozen=True)
class Resources:
    table: str = "rillet"
    channels_bucket: str = "rillet-channels"
    staging_bucket: str = "rillet-staging"
    validate_queue: str = "rillet-validate"
    reindex_queue: str = "rillet-reindex.fifo"

    @classmethod
    def unique(cls, prefix: str) -> Resources:
        """Names of their own, for tests: moto's in-process backend is shared by every
        mock in the process, so a second stack with the default names would collide."""
        suffix = uuid.uuid4().hex[:8]
        return cls(
            table=f"{prefix}-{suffix}",
            channels_bucket=f"{prefix}-channels-{suffix}",
            staging_bucket=f"{prefix}-staging-{suffix}",
            validate_queue=f"{prefix}-validate-{suffix}",
            reindex_queue=f"{prefix}-reindex-{suffix}.fifo",
        )


@dataclass(frozen=True)
class Provisioned:
    names: Resources
    validate_queue_url: str
    reindex_queue_url: str
    validate_dlq_url: str  # consumed by validate_dead, as on AWS

    def environment(self, public_url: str, admin_token: str) -> dict[str, str]:
        """The function environment, exactly as infra/aws sets it (plus local-only values)."""
        return {
            s.TABLE_NAME: self.names.table,
            s.CHANNELS_BUCKET: self.names.channels_bucket,
            s.STAGING_BUCKET: self.names.staging_bucket,
            s.REINDEX_QUEUE_URL: self.reindex_queue_url,
            s.PUBLIC_URL: public_url,
            s.ADMIN_TOKEN: admin_token,
            s.S3_ENDPOINT_URL: f"{public_url}/_s3",
            # No sign-in unless a local OpenID Provider is started (infra/local/signin.py):
            # empty values also clear what an earlier stack in this process set.
            s.SIGNIN_ISSUER: "",
            s.SIGNIN_CLIENT_ID: "",
            s.SIGNIN_AUDIENCE: "",
            s.SIGNIN_SCOPES: "",
            s.SIGNIN_CLI_REDIRECT_URI: "",
        }


def _queue_with_dlq(sqs: Any, name: str, fifo: bool) -> tuple[str, str]:
    """(queue URL, its dead-letter queue's URL)."""
    attrs: dict[str, str] = {"FifoQueue": "true"} if fifo else {}
    dlq_name = name.replace(".fifo", "-dlq.fifo") if fifo else f"{name}-dlq"
    dlq_url = sqs.create_queue(QueueName=dlq_name, Attributes=attrs)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue_attrs = {
        **attrs,
        "VisibilityTimeout": str(VISIBILITY_TIMEOUT),
        "RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)}
        ),
    }
    if fifo:
        queue_attrs["ContentBasedDeduplication"] = "true"
    return str(sqs.create_queue(QueueName=name, Attributes=queue_attrs)["QueueUrl"]), str(dlq_url)


def provision(session: Any, names: Resources | None = None) -> Provisioned:
    names = names or Resources()
    s3 = session.client("s3", region_name=REGION)
    sqs = session.client("sqs", region_name=REGION)
    ddb = session.client("dynamodb", region_name=REGION)

    ddb.create_table(**schema.table_definition(names.table))
    s3.create_bucket(Bucket=names.channels_bucket)
    s3.create_bucket(Bucket=names.staging_bucket)
    validate_url, validate_dlq_url = _queue_with_dlq(sqs, names.validate_queue, fifo=False)
    reindex_url, _ = _queue_with_dlq(sqs, names.reindex_queue, fifo=True)
    validate_arn = sqs.get_queue_attributes(QueueUrl=validate_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    # S3 cannot notify a FIFO queue: staging -> standard queue -> validate -> FIFO.
    s3.put_bucket_notification_configuration(
        Bucket=names.staging_bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": validate_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {
                        "Key": {"FilterRules": [{"Name": "prefix", "Value": STAGING_PREFIX}]}
                    },
                }
            ]
        },
    )
    return Provisioned(
        names=names,
        validate_queue_url=validate_url,
        reindex_queue_url=reindex_url,
        validate_dlq_url=validate_dlq_url,
    )
