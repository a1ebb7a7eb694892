"""The HTTP API in front of the api function; CloudFront is its public face."""

from __future__ import annotations

import json

import jsii
from aws_cdk import Fn
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.aws.config import StageConfig
from infra.aws.nag import acknowledge


class HttpApi(Construct):
    def __init__(
        self, scope: Construct, id: str, *, config: StageConfig, handler: lambda_.IFunction
    ) -> None:
        super().__init__(scope, id)
        self.api = apigwv2.HttpApi(self, "Api", create_default_stage=False)
        # Every path under /api (the v1 routes and /api/oidc/...) goes to one function;
        # its resolver does the routing and answers 404/405 itself.
        self.api.add_routes(
            path="/api/{proxy+}",
            methods=[apigwv2.HttpMethod.ANY],
            integration=integrations.HttpLambdaIntegration("Handler", handler),
        )
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=config.log_retention,
            removal_policy=config.removal_policy,
        )
        apigwv2.HttpStage(
            self,
            "Stage",
            http_api=self.api,
            stage_name="$default",
            auto_deploy=True,
            # A ceiling on what a runaway client can cost; far above real publishing rates.
            throttle=apigwv2.ThrottleSettings(rate_limit=50, burst_limit=100),
            access_log_settings=_AccessLogs(access_logs),
        )
        acknowledge(
            self.api,
            "AwsSolutions-APIG4",
            "The function authenticates every request itself (admin token, API keys, OIDC), "
            "and some routes must stay anonymous (/api/oidc/mint_token).",
        )
        # "https://<id>.execute-api.<region>.amazonaws.com" -> the host, for the CDN origin.
        self.domain_name = Fn.select(2, Fn.split("/", self.api.api_endpoint))


# JSON like the function logs; HTTP API $context variables (the REST API presets differ).
_ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "time": "$context.requestTimeEpoch",
    "ip": "$context.identity.sourceIp",
    "method": "$context.httpMethod",
    "path": "$context.path",
    "status": "$context.status",
    "bytes": "$context.responseLength",
    "latencyMs": "$context.responseLatency",
    "integrationError": "$context.integrationErrorMessage",
}


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogs:
    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return apigw.AccessLogFormat.custom(json.dumps(_ACCESS_LOG_FIELDS))
