"""Table keys are spelled once, in adapters/schema.py: no other module, test, local
stack or bench script writes a key prefix (they call the codec instead)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from rillet.adapters import schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "layers" / "rillet" / "python" / "rillet" / "adapters" / "schema.py"
SCANNED = ("layers", "functions", "infra", "tests", "bench")
SKIPPED_PARTS = {"node_modules", ".venv", "cdk.out", "__pycache__"}


def key_prefixes() -> set[str]:
    """Every literal a key template starts a segment with ("CHANNEL#", "PKG#", ...)."""
    found = {schema.USERNAMES_GSI_PREFIX, schema.account_audit_pk()}
    for kind in schema.LAYOUT:
        for template in (kind.pk, kind.sk):
            literals = re.split(r"\{\w+\}", template)
            found.update(m for part in literals for m in re.findall(r"[A-Z][A-Z_]*#", part))
    return found


PREFIX_RE = re.compile(
    r"(?<![A-Za-z0-9_])(" + "|".join(re.escape(p) for p in sorted(key_prefixes())) + ")"
)


def spelled_prefixes(path: Path) -> list[tuple[int, str]]:
    """(line, prefix) of every string literal (f-string parts and docstrings included)
    that spells a key prefix."""
    tree = ast.parse(path.read_text(), filename=str(path))
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            hits += [(node.lineno, m) for m in PREFIX_RE.findall(node.value)]
    return sorted(set(hits))


def scanned_files() -> list[Path]:
    return [
        p
        for top in SCANNED
        for p in sorted((ROOT / top).rglob("*.py"))
        if not SKIPPED_PARTS & set(p.relative_to(ROOT).parts)
        and p not in (SCHEMA, Path(__file__).resolve())  # this file spells them as examples
    ]


def test_no_key_prefix_is_spelled_outside_the_codec() -> None:
    offenders = {
        str(p.relative_to(ROOT)): hits for p in scanned_files() if (hits := spelled_prefixes(p))
    }
    assert not offenders, f"use rillet.adapters.schema instead of spelling keys: {offenders}"


def test_the_rule_sees_keys_in_strings_f_strings_and_docstrings(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        '"""Items: USER#<name>."""\n'
        'pk = f"CHANNEL#{name}"\n'
        'sk = "MEMBEROF#" + channel\n'
        "ok = 'a #comment-like string'  # CHANNEL# in a comment is prose\n"
    )
    assert spelled_prefixes(bad) == [(1, "USER#"), (2, "CHANNEL#"), (3, "MEMBEROF#")]
    assert spelled_prefixes(SCHEMA)  # the codec itself spells them all


def test_every_prefix_comes_from_the_codec() -> None:
    assert {"CHANNEL#", "PKGS#", "PKG#", "DEL#", "SUB#", "JTI#", "PUBLISHERS#", "AUDIT#"} <= (
        key_prefixes()
    )
    assert "ACCOUNTAUDIT" in key_prefixes()


def test_key_formats_on_disk_do_not_change() -> None:
    """Existing tables keep working: the codec writes exactly the keys it always did."""
    h = "ab" * 32
    assert schema.channel_key("c") == {"pk": "CHANNEL#c", "sk": "CHANNEL"}
    assert schema.subdir_key("c", "noarch") == {"pk": "CHANNEL#c", "sk": "SUBDIR#noarch"}
    assert schema.member_key("c", "u") == {"pk": "CHANNEL#c", "sk": "MEMBER#u"}
    assert schema.publisher_key("c", "p1") == {"pk": "CHANNEL#c", "sk": "PUBLISHER#p1"}
    assert schema.package_key("c", "noarch", "a-1-0.conda") == {
        "pk": "PKGS#c#noarch",
        "sk": "PKG#a-1-0.conda",
    }
    assert schema.removed_key("c", "noarch", "f") == {"pk": "PKGS#c#noarch", "sk": "DEL#f"}
    assert schema.change_key("c", "noarch", "f") == {"pk": "CHANGES#c#noarch", "sk": "f"}
    assert schema.upload_key("u1") == {"pk": "UPLOAD#u1", "sk": "UPLOAD"}
    assert schema.release_key("r1") == {"pk": "RELEASE#r1", "sk": "RELEASE"}
    assert schema.user_key("u") == {"pk": "USER#u", "sk": "USER"}
    assert schema.membership_key("u", "c") == {"pk": "USER#u", "sk": "MEMBEROF#c"}
    assert schema.user_key_ref("u", "k1") == {"pk": "USER#u", "sk": "KEY#k1"}
    assert schema.token_key(h) == {"pk": f"KEY#{h}", "sk": "KEY"}
    assert schema.grant_key("c", h) == {"pk": "GRANT#c", "sk": h}
    assert schema.audit_pk("c") == "AUDIT#c"  # a channel from before incarnations
    assert schema.audit_pk("c", "i1") == "AUDIT#c#i1"
    assert schema.audit_sk("2026-12-01T00:00:00Z", "0a1b") == "2026-12-01T00:00:00Z#0a1b"
    assert schema.account_audit_pk() == "ACCOUNTAUDIT"
    assert schema.sub_key("google|1") == {"pk": "SUB#google|1", "sk": "SUB"}
    assert schema.publisher_lookup_key("github", "token.example", "Org/Repo", "c", "p1") == {
        "pk": "PUBLISHERS#github#token.example#org/repo",
        "sk": "c#p1",
    }
    assert schema.jti_key("https://issuer.example", "j#1") == {
        "pk": "JTI#https://issuer.example#j#1",
        "sk": "JTI",
    }
    assert schema.channels_gsi("c") == {"gsi1pk": "CHANNELS", "gsi1sk": "c"}
    assert schema.username_gsi("bob") == {"gsi1pk": "USERNAMES#b", "gsi1sk": "bob"}


def test_every_kind_reads_back_what_it_writes() -> None:
    values = {
        "channel": "chan",
        "subdir": "linux-64",
        "user": "bob",
        "publisher_id": "p1",
        "filename": "a-1.0-0.conda",
        "upload_id": "u1",
        "release_id": "r1",
        "key_id": "k1",
        "token_hash": "cd" * 32,
        "incarnation": "i1",
        "at": "2026-12-01T00:00:00Z",
        "event_id": "0a1b",
        "sub": "github|12",
        "provider": "github",
        "issuer_host": "token.example",
        "lookup": "org/repo#x",  # the last field of a key may hold a '#'
        "issuer": "https://token.example",
        "jti": "j1",
    }
    for kind in schema.LAYOUT:
        assert getattr(schema, kind.name) is kind
        key = kind.key(**values)
        fields = kind.parse(key["pk"], key["sk"])
        assert fields is not None, kind.name
        assert fields == {f: values[f] for f in fields}, kind.name
        assert schema.kind_of(key["pk"], key["sk"]) is kind, kind.name
    assert schema.kind_of("NOPE#x", "y") is None
    assert schema.CHANNEL.parse("CHANNEL#chan", "MEMBER#bob") is None
    with pytest.raises(ValueError, match="not a MEMBER key"):
        schema.MEMBER.decode("CHANNEL#chan", "CHANNEL")


def test_the_architecture_doc_shows_the_codec_table() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    assert schema.layout_table() in text, "paste schema.layout_table() into docs/architecture.md"
