"""A keyed-hash sample of original values, taken before sanitizing, to prove none survived.

Only HMAC digests are kept (under a key derived from the sanitize salt), never
values. Two checks use it after sanitizing:

- cells: ``(table, column, primary key) → digest`` for columns a rule replaces
  (fake, keyed hash, null, mask). The same cell still holding the same value
  means that rule did not apply. Fakes never equal their own original (the
  SQL takes the next pool entry), so this has no false alarms.
- values: digests of identifying originals (8+ characters with a digit or an
  "@": e-mails, phones, addresses, tokens, keys) looked for as whole values in
  every text column of every table, including tables no rule mentions.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from sanitize.rules import Rules
from sanitize.schema import reflect
from sanitize.strategies import Fake, KeyedHash, Mask, Null, TablePlan, plan

__all__ = ["OriginalSample", "sample_originals"]

_CONTEXT = b"golive original sample v1"


@dataclass
class OriginalSample:
    """Digests of sampled originals; the key stays in memory and out of every output."""

    key: bytes = field(repr=False)
    cells: dict[tuple[str, str], dict[str, bytes]] = field(default_factory=dict)
    values: set[bytes] = field(default_factory=set)

    @classmethod
    def for_salt(cls, salt: str) -> OriginalSample:
        return cls(hmac.new(salt.encode("utf-8"), _CONTEXT, hashlib.sha256).digest())

    def digest(self, value: str) -> bytes:
        return hmac.digest(self.key, value.encode("utf-8"), "sha256")[:16]  # one C call

    @staticmethod
    def identifying(value: str) -> bool:
        return len(value) >= 8 and ("@" in value or any(map(str.isdigit, value)))

    def add(self, table: str, column: str, row_key: str | None, value: str) -> None:
        digest = self.digest(value)
        if row_key is not None:
            self.cells.setdefault((table, column), {})[row_key] = digest
        if self.identifying(value):
            self.values.add(digest)

    def to_dict(self) -> dict[str, Any]:
        """Counts only: what was sampled, never a digest or the key."""
        return {"columns": len(self.cells),
                "cells": sum(len(c) for c in self.cells.values()),
                "values": len(self.values)}


def _where(table: TablePlan, column: str, quote: Any) -> str | None:
    """The rows whose ``column`` a rule surely replaces, or None when not sampleable."""
    chain = [c for c in table.columns if c.column == column]
    sampleable = all(isinstance(c.strategy, Fake | KeyedHash | Null) for c in chain) or (
        len(chain) == 1 and isinstance(chain[0].strategy, Mask))
    if not sampleable:
        return None
    col = quote(column)
    conditions = [f"{col} IS NOT NULL"]
    if all(c.where is not None for c in chain):
        conditions.append("(" + " OR ".join(f"({c.where})" for c in chain) + ")")
    strategy = chain[0].strategy
    if isinstance(strategy, Mask):
        conditions.append(f"length({col}) > {strategy.keep_last}")
    if table.where:
        conditions.append(f"({table.where})")
    return " AND ".join(conditions)


def _masked(value: str, mask: Mask) -> bool:
    head = value[:len(value) - mask.keep_last] if mask.keep_last else value
    return set(head) <= {mask.char}


def sample_originals(conn: Connection, rules: Rules, salt: str,
                     limit: int = 5000) -> OriginalSample:
    """Digest up to ``limit`` originals of every column a rule replaces."""
    sample = OriginalSample.for_salt(salt)
    quote = conn.dialect.identifier_preparer.quote
    schema = reflect(conn)
    for table in plan(rules):
        info = schema.tables.get(table.table)
        if table.action != "update" or info is None:
            continue
        keys = [quote(k) for k in info.primary_key]
        for column in dict.fromkeys(c.column for c in table.columns):
            first = next(c.strategy for c in table.columns if c.column == column)
            where = _where(table, column, quote)
            if where is None or column not in info.columns:
                continue
            selected = ", ".join([*(f"CAST({k} AS TEXT)" for k in keys),
                                  f"CAST({quote(column)} AS TEXT)"])
            sql = f"SELECT {selected} FROM {quote(table.table)} WHERE {where} LIMIT {limit}"
            for row in conn.execute(text(sql)):
                row_key = "|".join(str(v) for v in row[:-1]) if keys else None
                value = str(row[-1])
                if isinstance(first, Mask) and _masked(value, first):
                    continue  # already masked: masking it again leaves it as it is
                sample.add(table.table, column, row_key, value)
    conn.rollback()
    return sample
