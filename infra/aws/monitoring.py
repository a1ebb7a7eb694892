"""Alarms that mean someone should look: dead letters, function errors and throttles."""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.aws.config import StageConfig
from infra.aws.nag import acknowledge

PERIOD = Duration.minutes(5)


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        functions: Iterable[tuple[str, lambda_.Function]],
        dead_letter_queues: Iterable[tuple[str, sqs.IQueue]],
    ) -> None:
        super().__init__(scope, id)
        self.topic = sns.Topic(
            self, "Alarms", display_name=f"rillet {config.stage} alarms", enforce_ssl=True
        )
        acknowledge(
            self.topic,
            "AwsSolutions-SNS2",
            "Alarm notifications carry only alarm names and states. CloudWatch cannot publish "
            "to a topic under the AWS-managed key, and a customer key costs a monthly fee idle.",
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        action = actions.SnsAction(self.topic)

        for name, queue in dead_letter_queues:
            self._alarm(
                f"{name}DeadLetters",
                queue.metric_approximate_number_of_messages_visible(
                    period=PERIOD, statistic="Maximum"
                ),
                f"{name}: messages gave up after retries; inspect and redrive",
                action,
            )
        for name, fn in functions:
            self._alarm(
                f"{name}Errors",
                fn.metric_errors(period=PERIOD, statistic="Sum"),
                f"{name}: invocations failed",
                action,
            )
            self._alarm(
                f"{name}Throttles",
                fn.metric_throttles(period=PERIOD, statistic="Sum"),
                f"{name}: invocations throttled (account concurrency)",
                action,
            )

    def _alarm(
        self, id: str, metric: cloudwatch.Metric, description: str, action: actions.SnsAction
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            id,
            metric=metric,
            alarm_description=description,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            # No data is the normal state of an idle deployment, not a problem.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(action)
