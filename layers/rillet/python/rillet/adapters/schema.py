"""Table, key and queue layout: the one place these names are spelled.

Used by the DynamoDB adapter, by ``infra/local`` and the tests to create
resources, and by ``infra/aws`` to declare them. Single-table design:

    pk                      sk                  item
    CHANNEL#<name>          CHANNEL             channel (name, visibility, owner, ...)
    CHANNEL#<name>          SUBDIR#<subdir>     change_seq, indexed_seq
    PKGS#<name>#<subdir>    PKG#<filename>      package record (state claimed|published)
    PKGS#<name>#<subdir>    DEL#<filename>      a removed filename (listed in ``removed``)
    UPLOAD#<id>             UPLOAD              upload intent and status (ttl)
"""

from __future__ import annotations

from typing import Any, Final

PK: Final = "pk"
SK: Final = "sk"
TTL_ATTRIBUTE: Final = "ttl"


def channel_key(name: str) -> dict[str, str]:
    return {PK: f"CHANNEL#{name}", SK: "CHANNEL"}


def subdir_key(channel: str, subdir: str) -> dict[str, str]:
    return {PK: f"CHANNEL#{channel}", SK: f"SUBDIR#{subdir}"}


def packages_pk(channel: str, subdir: str) -> str:
    return f"PKGS#{channel}#{subdir}"


def package_key(channel: str, subdir: str, filename: str) -> dict[str, str]:
    return {PK: packages_pk(channel, subdir), SK: f"PKG#{filename}"}


def removed_key(channel: str, subdir: str, filename: str) -> dict[str, str]:
    return {PK: packages_pk(channel, subdir), SK: f"DEL#{filename}"}


def upload_key(upload_id: str) -> dict[str, str]:
    return {PK: f"UPLOAD#{upload_id}", SK: "UPLOAD"}


def table_definition(table_name: str) -> dict[str, Any]:
    """``create_table`` arguments for the local stack and tests (CDK mirrors these)."""
    return {
        "TableName": table_name,
        "KeySchema": [
            {"AttributeName": PK, "KeyType": "HASH"},
            {"AttributeName": SK, "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": PK, "AttributeType": "S"},
            {"AttributeName": SK, "AttributeType": "S"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
