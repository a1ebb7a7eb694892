"""Table, key and queue layout: the one place these names are spelled.

Used by the DynamoDB adapter, by ``infra/local`` and the tests to create
resources, and by ``infra/aws`` to declare them. Single-table design:

    pk                      sk                  item
    CHANNEL#<name>          CHANNEL             channel (name, visibility, owner, incarnation,
                                                lifecycle: absent | deleting | deleted)
    CHANNEL#<name>          SUBDIR#<subdir>     change_seq, indexed_seq
    PKGS#<name>#<subdir>    PKG#<filename>      package record (state claimed|published)
    PKGS#<name>#<subdir>    DEL#<filename>      a removed filename (listed in ``removed``)
    CHANGES#<name>#<subdir> <filename>          changed since the published index (mark)
    UPLOAD#<id>             UPLOAD              upload intent and status (ttl)
    CHANNEL#<name>          MEMBER#<user>       a member's role (owner | maintainer | member)
    USER#<name>             USER                a user
    USER#<name>             MEMBEROF#<channel>  reverse of MEMBER#, for "my channels" and grants
    USER#<name>             KEY#<key id>        an API key's public metadata (never the secret)
    KEY#<sha256 of token>   KEY                 what authenticates a token: user, scope, expiry
    GRANT#<channel>         <sha256 of token>   a channel-limited key's read grant, mirrored to
                                                the edge store (ttl)
    AUDIT#<channel>#<inc>   <iso time>#<id>     an incarnation's append-only audit log
    SUB#<provider sub>      SUB                 a signed-in identity -> username (accounts.py)
    ACCOUNTAUDIT            <iso time>#<id>     account events: sign-up, claims, suspension, keys

GSI ``gsi1`` (gsi1pk, gsi1sk) is sparse: channel items carry gsi1pk = "CHANNELS" so
that every channel can be listed without a scan; signed-in users' items carry
gsi1pk = "USERNAMES#<first letter>", gsi1sk = name, for prefix search. The table
streams NEW_AND_OLD_IMAGES:
``functions/edge_sync`` mirrors channel visibility, GRANT, MEMBER and key items to the
CloudFront KeyValueStore that the viewer-request function reads (adapters/edge.py).
"""

from __future__ import annotations

from typing import Any, Final

from rillet.core.models import LEGACY_INCARNATION

PK: Final = "pk"
SK: Final = "sk"
TTL_ATTRIBUTE: Final = "ttl"
GSI1: Final = "gsi1"
GSI1_PK: Final = "gsi1pk"
GSI1_SK: Final = "gsi1sk"
CHANNELS_GSI_PK: Final = "CHANNELS"
STREAM_VIEW_TYPE: Final = "NEW_AND_OLD_IMAGES"


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


def changes_pk(channel: str, subdir: str) -> str:
    # A partition of its own: reading the few pending marks never touches the records.
    return f"CHANGES#{channel}#{subdir}"


def change_key(channel: str, subdir: str, filename: str) -> dict[str, str]:
    """Written with every change of a filename, removed once an index includes it."""
    return {PK: changes_pk(channel, subdir), SK: filename}


def upload_key(upload_id: str) -> dict[str, str]:
    return {PK: f"UPLOAD#{upload_id}", SK: "UPLOAD"}


def member_key(channel: str, user: str) -> dict[str, str]:
    return {PK: f"CHANNEL#{channel}", SK: f"MEMBER#{user}"}


def user_key(name: str) -> dict[str, str]:
    return {PK: f"USER#{name}", SK: "USER"}


def membership_key(user: str, channel: str) -> dict[str, str]:
    return {PK: f"USER#{user}", SK: f"MEMBEROF#{channel}"}


def user_key_ref(user: str, key_id: str) -> dict[str, str]:
    return {PK: f"USER#{user}", SK: f"KEY#{key_id}"}


def token_key(token_hash: str) -> dict[str, str]:
    return {PK: f"KEY#{token_hash}", SK: "KEY"}


def grant_key(channel: str, token_hash: str) -> dict[str, str]:
    return {PK: f"GRANT#{channel}", SK: token_hash}


def audit_pk(channel: str, incarnation: str = LEGACY_INCARNATION) -> str:
    """One log per incarnation: a channel re-created under a name starts with an empty one."""
    if incarnation == LEGACY_INCARNATION:
        return f"AUDIT#{channel}"
    return f"AUDIT#{channel}#{incarnation}"


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
            {"AttributeName": GSI1_PK, "AttributeType": "S"},
            {"AttributeName": GSI1_SK, "AttributeType": "S"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": GSI1,
                "KeySchema": [
                    {"AttributeName": GSI1_PK, "KeyType": "HASH"},
                    {"AttributeName": GSI1_SK, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": STREAM_VIEW_TYPE},
        "BillingMode": "PAY_PER_REQUEST",
    }
