"""The repodata record of a package, as clients read it from repodata.json and shards."""

from __future__ import annotations

import copy
from typing import Any, Final

from rillet.core.package import PackageFacts

# The service owns these: indexed_timestamp is when *we* indexed the package, and run_exports
# come from info/run_exports.json, never from index.json.
# The attestation fields are the verified upload's, never a package's own claim.
_NOT_FROM_PACKAGE: Final = frozenset(
    {"indexed_timestamp", "run_exports", "attestations_sha256", "attestation"}
)


def package_record(facts: PackageFacts) -> dict[str, Any]:
    """The package's info/index.json plus md5, sha256 and size of its bytes, keys sorted.

    ``run_exports`` is the package's info/run_exports.json as rattler-index puts it in
    the record, or None when the package has none: None is left out of repodata (as
    rattler-index does) but tells the indexer that the package has none, unlike a
    record stored before run_exports were read, which has no such key.

    Unknown index.json keys are kept (clients ignore them); the values are JSON types
    because the index was parsed from JSON, and they are copied so the record is the
    caller's own.
    """
    record = {
        key: copy.deepcopy(value)
        for key, value in facts.index.items()
        if key not in _NOT_FROM_PACKAGE
    }
    record.setdefault("depends", [])
    record["md5"] = facts.md5
    record["sha256"] = facts.sha256
    record["size"] = facts.size
    record["run_exports"] = (
        {key: list(specs) for key, specs in facts.run_exports.items()}
        if facts.run_exports is not None
        else None
    )
    return dict(sorted(record.items()))
