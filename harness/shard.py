"""Sharding: which scenarios shard K of N runs (``golive run --shard K/N``).

A scenario belongs to exactly one shard, decided by its node id alone (a
SHA-256 of it, modulo N): the same on every machine and in every run,
whatever else was collected, so N machines that collect the same features
split them without talking to each other, and a merge can tell for each
scenario which shard owed its result.
"""

from __future__ import annotations

import hashlib
import re

from common.errors import GoliveError
from harness.record import ShardInfo

__all__ = ["ShardError", "owner", "parse_shard"]

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
MAX_SHARDS = 1000


class ShardError(GoliveError):
    exit_code = 2
    headline = "invalid --shard"


def parse_shard(text: str) -> ShardInfo:
    """``"2/3"`` → shard 2 of 3; a clear error for anything else."""
    found = _SPEC.match(text)
    if found is None:
        raise ShardError(f"{text!r}: expected K/N, e.g. 1/3 for the first of three shards")
    index, total = int(found.group(1)), int(found.group(2))
    if not 1 <= total <= MAX_SHARDS:
        raise ShardError(f"{text!r}: N must be between 1 and {MAX_SHARDS}")
    if not 1 <= index <= total:
        raise ShardError(f"{text!r}: K must be between 1 and N ({total})")
    return ShardInfo(index=index, total=total)


def owner(nodeid: str, total: int) -> int:
    """The shard (1-based) that runs the scenario ``nodeid`` when there are ``total``."""
    digest = hashlib.sha256(nodeid.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % total + 1
