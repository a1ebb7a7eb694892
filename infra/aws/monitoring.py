"""Alarms that mean someone should look, and the SNS topic they publish to.

docs/deploy.md (Operations) lists every alarm, what it means and what to do.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import ArnFormat, Aws, CfnCondition, Duration, Fn, Stack, Token
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.aws.config import StageConfig
from infra.aws.nag import acknowledge
from rillet.runtime import observability

PERIOD = Duration.minutes(5)
# A change to channel access reaches the edge in seconds; a minute behind means a
# revoked token still reads private channels at the edge.
STREAM_AGE_LIMIT = Duration.minutes(1)
# Work is picked up in seconds; a message this old is stuck or being retried.
QUEUE_AGE_LIMIT = Duration.minutes(15)
API_5XX_LIMIT = 5  # per PERIOD: a handful, not one transient 503
CDN_5XX_RATE_LIMIT = 5  # percent of requests, two periods running
CDN_MIN_REQUESTS = 20  # per PERIOD: below that a rate is noise (1 of 2 is 50 %)
# CloudFront's documented KeyValueStore limit is 5 MB (read as 5,000,000 bytes, the
# smaller reading); past it UpdateKeys fails and edge_sync stops mirroring changes.
EDGE_STORE_LIMIT_BYTES = 5_000_000
EDGE_STORE_ALARM_BYTES = EDGE_STORE_LIMIT_BYTES * 8 // 10
# CloudFront publishes its metrics in us-east-1 only, and an alarm can only watch metrics
# of its own region and notify a topic of its own region.
CLOUDFRONT_METRICS_REGION = "us-east-1"


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        functions: Iterable[tuple[str, lambda_.Function]],
        work_queues: Iterable[tuple[str, sqs.IQueue]],
        dead_letter_queues: Iterable[tuple[str, sqs.IQueue]],
        stream_consumer: lambda_.Function,
        http_api: apigwv2.HttpApi,
        distribution: cloudfront.Distribution,
    ) -> None:
        super().__init__(scope, id)
        self.topic = sns.Topic(
            self, "Alarms", display_name=f"rillet {config.stage} alarms", enforce_ssl=True
        )
        self._allow_cloudwatch()
        acknowledge(
            self.topic,
            "AwsSolutions-SNS2",
            "Alarm notifications carry only alarm names and states. CloudWatch cannot publish "
            "to a topic under the AWS-managed key, and a customer key costs a monthly fee idle.",
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self._action = actions.SnsAction(self.topic)
        self.alarms: dict[str, cloudwatch.Alarm] = {}

        for name, queue in dead_letter_queues:
            self._alarm(
                f"{name}DeadLetters",
                queue.metric_approximate_number_of_messages_visible(
                    period=PERIOD, statistic="Maximum"
                ),
                f"{name}: messages gave up after retries; inspect and redrive",
            )
        for name, queue in work_queues:
            self._alarm(
                f"{name}OldestMessage",
                queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum"),
                f"{name}: a message has waited over {QUEUE_AGE_LIMIT.to_minutes()} minutes",
                threshold=QUEUE_AGE_LIMIT.to_seconds(),
            )
        for name, fn in functions:
            self._alarm(
                f"{name}Errors",
                fn.metric_errors(period=PERIOD, statistic="Sum"),
                f"{name}: invocations failed",
            )
            self._alarm(
                f"{name}Throttles",
                fn.metric_throttles(period=PERIOD, statistic="Sum"),
                f"{name}: invocations throttled (reserved or account concurrency)",
            )
        self._alarm(
            "EdgeSyncIteratorAge",
            stream_consumer.metric("IteratorAge", period=PERIOD, statistic="Maximum"),
            "edge_sync: the edge store lags the table by over a minute "
            "(access changes and revocations are not reaching CloudFront)",
            threshold=STREAM_AGE_LIMIT.to_milliseconds(),
        )
        self._alarm(
            "Api5xx",
            http_api.metric_server_error(period=PERIOD, statistic="Sum"),
            f"HTTP API: {API_5XX_LIMIT} or more 5xx answers in five minutes",
            threshold=API_5XX_LIMIT,
        )
        self._alarm(
            "EdgeStoreSize",
            cloudwatch.Metric(
                namespace=observability.METRICS_NAMESPACE,
                metric_name=observability.EDGE_STORE_BYTES,
                dimensions_map={observability.STAGE_DIMENSION: config.stage},
                period=PERIOD,
                statistic="Maximum",
            ),
            "edge store: over 80% of CloudFront's 5 MB KeyValueStore limit",
            threshold=EDGE_STORE_ALARM_BYTES,
            # Published only when edge_sync writes: a full store stays in alarm while
            # nothing changes, instead of clearing itself five minutes later.
            missing=cloudwatch.TreatMissingData.IGNORE,
        )
        self._cdn_errors(distribution)

    def _allow_cloudwatch(self) -> None:
        """enforce_ssl gives the topic a policy, and a topic policy replaces the default
        one: without an Allow, CloudWatch may not publish and alarms never arrive."""
        stack = Stack.of(self)
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarms",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="cloudwatch",
                            resource="alarm",
                            resource_name="*",
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    },
                },
            )
        )

    def _cdn_errors(self, distribution: cloudfront.Distribution) -> None:
        """CloudFront 5xx rate: only where its metrics are (us-east-1), see docs/deploy.md."""
        region = Stack.of(self).region
        if not Token.is_unresolved(region) and region != CLOUDFRONT_METRICS_REGION:
            return

        def metric(name: str, statistic: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/CloudFront",
                metric_name=name,
                dimensions_map={"DistributionId": distribution.distribution_id, "Region": "Global"},
                period=PERIOD,
                statistic=statistic,
            )

        rate = cloudwatch.MathExpression(
            expression=f"IF(requests >= {CDN_MIN_REQUESTS}, errors, 0)",
            using_metrics={
                "errors": metric("5xxErrorRate", "Average"),
                "requests": metric("Requests", "Sum"),
            },
            label="5xx error rate (%)",
            period=PERIOD,
        )
        alarm = self._alarm(
            "Cdn5xxErrorRate",
            rate,
            f"CloudFront: over {CDN_5XX_RATE_LIMIT}% of requests answered 5xx for ten minutes",
            threshold=CDN_5XX_RATE_LIMIT,
            periods=2,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        if Token.is_unresolved(region):
            # An environment-agnostic stack learns its region at deploy time.
            in_us_east_1 = CfnCondition(
                self,
                "InCloudFrontMetricsRegion",
                expression=Fn.condition_equals(Aws.REGION, CLOUDFRONT_METRICS_REGION),
            )
            resource = alarm.node.default_child
            assert isinstance(resource, cloudwatch.CfnAlarm)
            resource.cfn_options.condition = in_us_east_1

    def _alarm(
        self,
        id: str,
        metric: cloudwatch.IMetric,
        description: str,
        *,
        threshold: float = 1,
        periods: int = 1,
        comparison: cloudwatch.ComparisonOperator = (
            cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
        ),
        # No data is the normal state of an idle deployment, not a problem.
        missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            id,
            metric=metric,
            alarm_description=description,
            threshold=threshold,
            evaluation_periods=periods,
            comparison_operator=comparison,
            treat_missing_data=missing,
        )
        alarm.add_alarm_action(self._action)
        self.alarms[id] = alarm
        return alarm
