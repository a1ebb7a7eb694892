"""Table, key and queue layout: the one place these names are spelled.

Single-table design. Every item kind is an ``ItemKind`` below (``LAYOUT`` lists them
all, docs/architecture.md's table is ``layout_table()``): its partition and sort key
templates, and the typed functions adapters, ``infra/local``, the tests and ``bench``
build keys with. Nothing else writes a key prefix (tests/architecture enforces it).
Key formats on disk never change here without a migration: existing tables keep
working.

Reading keys back: ``Kind.query(...)`` is the (pk, sort key prefix) of every item of a
kind in one partition, ``Kind.parse(pk, sk)`` the fields of a key (None when the key
is of another kind), ``kind_of(pk, sk)`` which kind a key is (stream images).

GSI ``gsi1`` (gsi1pk, gsi1sk) is sparse: live channel items carry gsi1pk = "CHANNELS"
so every channel is listed without a scan (``channels_gsi``); signed-in users carry
gsi1pk = "USERNAMES#<first letter>", gsi1sk = name for prefix search
(``username_gsi``). The table streams NEW_AND_OLD_IMAGES: ``functions/edge_sync``
mirrors channel visibility, GRANT, MEMBER and key items to the CloudFront
KeyValueStore that the viewer-request function reads (adapters/edge.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

from rillet.core.models import LEGACY_INCARNATION

PK: Final = "pk"
SK: Final = "sk"
TTL_ATTRIBUTE: Final = "ttl"
GSI1: Final = "gsi1"
GSI1_PK: Final = "gsi1pk"
GSI1_SK: Final = "gsi1sk"
CHANNELS_GSI_PK: Final = "CHANNELS"
USERNAMES_GSI_PREFIX: Final = "USERNAMES#"
STREAM_VIEW_TYPE: Final = "NEW_AND_OLD_IMAGES"

_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class ItemKind:
    """One kind of item: key templates with ``{field}`` placeholders.

    A field matches up to the next ``#``, except the last field of a key, which takes
    the rest (file names, subjects and token ids are not split)."""

    name: str  # the constant below that holds it
    pk: str
    sk: str
    about: str

    def key(self, **fields: str) -> dict[str, str]:
        return {PK: self.pk.format(**fields), SK: self.sk.format(**fields)}

    def partition(self, **fields: str) -> str:
        return self.pk.format(**fields)

    def sort_key(self, **fields: str) -> str:
        return self.sk.format(**fields)

    def query(self, **fields: str) -> tuple[str, str]:
        """(pk, sort key prefix) that selects every item of this kind in a partition."""
        return self.pk.format(**fields), self.sk_prefix

    def decode(self, pk: str, sk: str) -> dict[str, str]:
        """The fields of a key known to be of this kind; raises ValueError otherwise."""
        fields = self.parse(pk, sk)
        if fields is None:
            raise ValueError(f"not a {self.name} key: {pk!r} / {sk!r}")
        return fields

    @property
    def sk_prefix(self) -> str:
        return self.sk.split("{", 1)[0]

    def parse(self, pk: str, sk: str) -> dict[str, str] | None:
        found = self._pk_re.fullmatch(pk)
        if found is None:
            return None
        more = self._sk_re.fullmatch(sk)
        if more is None:
            return None
        return {**found.groupdict(), **more.groupdict()}

    @cached_property
    def _pk_re(self) -> re.Pattern[str]:
        return _template_re(self.pk)

    @cached_property
    def _sk_re(self) -> re.Pattern[str]:
        return _template_re(self.sk)


def _template_re(template: str) -> re.Pattern[str]:
    parts = _FIELD.split(template)  # literal, field, literal, field, ..., literal
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(re.escape(part))
        else:
            last = i == len(parts) - 2
            out.append(f"(?P<{part}>{'.*' if last else '[^#]*'})")
    return re.compile("".join(out))


# fmt: off
CHANNEL = ItemKind("CHANNEL", "CHANNEL#{channel}", "CHANNEL",
    "channel: name, visibility, owner, owner_count, incarnation; lifecycle absent (live), "
    "`deleting` (+ deleting_since: the delete's lease) or `deleted` (a tombstone, ttl)")
SUBDIR = ItemKind("SUBDIR", "CHANNEL#{channel}", "SUBDIR#{subdir}",
    "a subdir's change_seq, indexed_seq, changed_at, indexed_at")
MEMBER = ItemKind("MEMBER", "CHANNEL#{channel}", "MEMBER#{user}",
    "a member's role (owner, maintainer or member)")
PUBLISHER = ItemKind("PUBLISHER", "CHANNEL#{channel}", "PUBLISHER#{publisher_id}",
    "a trusted publisher (owner's view; `ref` names its lookup item)")
PACKAGE = ItemKind("PACKAGE", "PKGS#{channel}#{subdir}", "PKG#{filename}",
    "package record (state claimed or published; yank)")
REMOVED = ItemKind("REMOVED", "PKGS#{channel}#{subdir}", "DEL#{filename}",
    "a removed filename and the sha256 it had (listed in `removed`)")
CHANGE = ItemKind("CHANGE", "CHANGES#{channel}#{subdir}", "{filename}",
    "changed since the published index (mark); removed once an index includes it")
UPLOAD = ItemKind("UPLOAD", "UPLOAD#{upload_id}", "UPLOAD",
    "upload intent and status (ttl)")
USER = ItemKind("USER", "USER#{user}", "USER",
    "a user (+ sub, suspended, username_gsi once signed in)")
MEMBERSHIP = ItemKind("MEMBERSHIP", "USER#{user}", "MEMBEROF#{channel}",
    "reverse of MEMBER, for \"my channels\" and grants")
KEY_REF = ItemKind("KEY_REF", "USER#{user}", "KEY#{key_id}",
    "an API key's public metadata (never the secret)")
TOKEN = ItemKind("TOKEN", "KEY#{token_hash}", "KEY",
    "what authenticates a token (sha256): user, scope, expiry; kind api or minted (ttl)")
GRANT = ItemKind("GRANT", "GRANT#{channel}", "{token_hash}",
    "a channel-limited key's read grant, mirrored to the edge store (ttl)")
AUDIT = ItemKind("AUDIT", "AUDIT#{channel}#{incarnation}", "{at}#{event_id}",
    "an incarnation's append-only audit log")
LEGACY_AUDIT = ItemKind("LEGACY_AUDIT", "AUDIT#{channel}", "{at}#{event_id}",
    "the audit log of a channel created before incarnations")
ACCOUNT_AUDIT = ItemKind("ACCOUNT_AUDIT", "ACCOUNTAUDIT", "{at}#{event_id}",
    "account events: sign-up, claims, suspension, keys")
SUB = ItemKind("SUB", "SUB#{sub}", "SUB",
    "a signed-in identity (provider subject) -> its username once chosen")
PUBLISHER_LOOKUP = ItemKind("PUBLISHER_LOOKUP",
    "PUBLISHERS#{provider}#{issuer_host}#{lookup}", "{channel}#{publisher_id}",
    "a trusted publisher found by claim (lookup lower-cased)")
RELEASE = ItemKind("RELEASE", "RELEASE#{release_id}", "RELEASE",
    "a release transaction: status, files (subdir/filename -> upload id), expiry (ttl)")
JTI = ItemKind("JTI", "JTI#{issuer}#{jti}", "JTI",
    "a used OIDC token id: the replay guard of minting (ttl)")
# fmt: on

# In the order ``kind_of`` tries them (AUDIT before LEGACY_AUDIT: both start AUDIT#).
LAYOUT: Final = (
    CHANNEL,
    SUBDIR,
    MEMBER,
    PUBLISHER,
    PACKAGE,
    REMOVED,
    CHANGE,
    UPLOAD,
    USER,
    MEMBERSHIP,
    KEY_REF,
    TOKEN,
    GRANT,
    AUDIT,
    LEGACY_AUDIT,
    ACCOUNT_AUDIT,
    SUB,
    PUBLISHER_LOOKUP,
    JTI,
    RELEASE,
)


def parse_key(pk: str, sk: str) -> tuple[ItemKind, dict[str, str]] | None:
    """The kind of the item with this key and its fields (None for a key no kind spells)."""
    for kind in LAYOUT:
        fields = kind.parse(pk, sk)
        if fields is not None:
            return kind, fields
    return None


def kind_of(pk: str, sk: str) -> ItemKind | None:
    parsed = parse_key(pk, sk)
    return parsed[0] if parsed else None


def item_key(item: dict[str, Any]) -> dict[str, str]:
    """Just the primary key of a (plain) item."""
    return {PK: str(item[PK]), SK: str(item[SK])}


def layout_table() -> str:
    """The Markdown table of every item kind (docs/architecture.md holds a copy)."""
    rows = ["| codec | pk | sk | item |", "| --- | --- | --- | --- |"]
    for kind in LAYOUT:
        pk, sk = (_FIELD.sub(r"<\1>", t) for t in (kind.pk, kind.sk))
        rows.append(f"| `{kind.name}` | `{pk}` | `{sk}` | {kind.about} |")
    return "\n".join(rows)


# -- typed key builders ---------------------------------------------------------------


def channel_key(name: str) -> dict[str, str]:
    return CHANNEL.key(channel=name)


def subdir_key(channel: str, subdir: str) -> dict[str, str]:
    return SUBDIR.key(channel=channel, subdir=subdir)


def packages_pk(channel: str, subdir: str) -> str:
    return PACKAGE.partition(channel=channel, subdir=subdir)


def package_key(channel: str, subdir: str, filename: str) -> dict[str, str]:
    return PACKAGE.key(channel=channel, subdir=subdir, filename=filename)


def removed_key(channel: str, subdir: str, filename: str) -> dict[str, str]:
    return REMOVED.key(channel=channel, subdir=subdir, filename=filename)


def changes_pk(channel: str, subdir: str) -> str:
    # A partition of its own: reading the few pending marks never touches the records.
    return CHANGE.partition(channel=channel, subdir=subdir)


def change_key(channel: str, subdir: str, filename: str) -> dict[str, str]:
    """Written with every change of a filename, removed once an index includes it."""
    return CHANGE.key(channel=channel, subdir=subdir, filename=filename)


def upload_key(upload_id: str) -> dict[str, str]:
    return UPLOAD.key(upload_id=upload_id)


def release_key(release_id: str) -> dict[str, str]:
    return RELEASE.key(release_id=release_id)


def member_key(channel: str, user: str) -> dict[str, str]:
    return MEMBER.key(channel=channel, user=user)


def user_key(name: str) -> dict[str, str]:
    return USER.key(user=name)


def membership_key(user: str, channel: str) -> dict[str, str]:
    return MEMBERSHIP.key(user=user, channel=channel)


def user_key_ref(user: str, key_id: str) -> dict[str, str]:
    return KEY_REF.key(user=user, key_id=key_id)


def token_key(token_hash: str) -> dict[str, str]:
    return TOKEN.key(token_hash=token_hash)


def grant_key(channel: str, token_hash: str) -> dict[str, str]:
    return GRANT.key(channel=channel, token_hash=token_hash)


def grants_pk(channel: str) -> str:
    return GRANT.partition(channel=channel)


def audit_pk(channel: str, incarnation: str = LEGACY_INCARNATION) -> str:
    """One log per incarnation: a channel re-created under a name starts with an empty one."""
    if incarnation == LEGACY_INCARNATION:
        return LEGACY_AUDIT.partition(channel=channel)
    return AUDIT.partition(channel=channel, incarnation=incarnation)


def audit_sk(at: str, event_id: str) -> str:
    """Sorts by time (newest first when read backwards); ``event_id`` breaks ties."""
    return AUDIT.sort_key(at=at, event_id=event_id)


def account_audit_pk() -> str:
    return ACCOUNT_AUDIT.partition()


def sub_key(sub: str) -> dict[str, str]:
    return SUB.key(sub=sub)


def publisher_key(channel: str, publisher_id: str) -> dict[str, str]:
    return PUBLISHER.key(channel=channel, publisher_id=publisher_id)


def publisher_lookup_pk(provider: str, issuer_host: str, lookup: str) -> str:
    return PUBLISHER_LOOKUP.partition(
        provider=provider, issuer_host=issuer_host, lookup=lookup.lower()
    )


def publisher_lookup_key(
    provider: str, issuer_host: str, lookup: str, channel: str, publisher_id: str
) -> dict[str, str]:
    return {
        PK: publisher_lookup_pk(provider, issuer_host, lookup),
        SK: PUBLISHER_LOOKUP.sort_key(channel=channel, publisher_id=publisher_id),
    }


def jti_key(issuer: str, jti: str) -> dict[str, str]:
    return JTI.key(issuer=issuer, jti=jti)


def channels_gsi(name: str) -> dict[str, str]:
    """The index attributes that list a live channel."""
    return {GSI1_PK: CHANNELS_GSI_PK, GSI1_SK: name}


def username_shard(name: str) -> str:
    return USERNAMES_GSI_PREFIX + name[:1]


def username_gsi(name: str) -> dict[str, str]:
    """The index attributes that make a signed-in user findable by prefix."""
    return {GSI1_PK: username_shard(name), GSI1_SK: name}


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
