"""The DynamoDB table, declared from the same schema module the code and local stack use."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.aws.config import StageConfig
from rillet.adapters import schema

_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


class Table(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StageConfig) -> None:
        super().__init__(scope, id)
        definition = schema.table_definition("unused")
        types = {a["AttributeName"]: a["AttributeType"] for a in definition["AttributeDefinitions"]}
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=_attribute(types, definition["KeySchema"], "HASH"),
            sort_key=_attribute(types, definition["KeySchema"], "RANGE"),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=schema.TTL_ATTRIBUTE,
            # edge_sync mirrors channel visibility and read-token hashes into the edge store.
            stream=dynamodb.StreamViewType(definition["StreamSpecification"]["StreamViewType"]),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            deletion_protection=config.retain,
            removal_policy=config.removal_policy,
        )
        for index in definition.get("GlobalSecondaryIndexes", ()):
            self.table.add_global_secondary_index(
                index_name=index["IndexName"],
                partition_key=_attribute(types, index["KeySchema"], "HASH"),
                sort_key=_attribute(types, index["KeySchema"], "RANGE"),
                projection_type=dynamodb.ProjectionType(index["Projection"]["ProjectionType"]),
                non_key_attributes=index["Projection"].get("NonKeyAttributes"),
            )


def _attribute(
    types: dict[str, str], key_schema: list[dict[str, Any]], key_type: str
) -> dynamodb.Attribute | None:
    for key in key_schema:
        if key["KeyType"] == key_type:
            name = key["AttributeName"]
            return dynamodb.Attribute(name=name, type=_TYPES[types[name]])
    return None
