"""The operator's bootstrap credential: a generated admin token in Secrets Manager."""

from __future__ import annotations

from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.aws.config import StageConfig
from infra.aws.nag import acknowledge


class AdminToken(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StageConfig) -> None:
        super().__init__(scope, id)
        self.secret = secretsmanager.Secret(
            self,
            "Secret",
            # No fixed name: a retained secret from a destroyed stack would make the next
            # deployment of the stage fail on the name. The AdminTokenSecretArn output
            # finds it (docs/deploy.md).
            description="Rillet bootstrap admin token (Authorization: Bearer <token>)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=48, exclude_punctuation=True
            ),
            removal_policy=config.removal_policy,
        )
        acknowledge(
            self.secret,
            "AwsSolutions-SMG4",
            "A bearer token, not a database password: there is no service to rotate it "
            "against. Operators rotate it with put-secret-value (docs/deploy.md); the api "
            "function picks the new value up within five minutes.",
        )
