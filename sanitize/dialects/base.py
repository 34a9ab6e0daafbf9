"""The set-based statements, written once; each dialect supplies a few primitives.

One UPDATE per table covers all its columns: every column's new value is an
expression of the old row (all SET expressions see the original values), so a
``where`` on one column never sees another column's fake. Fakes are picked
by ``keyed_hash % n``: here from the pool table, where a fake equal to its
original is replaced by the next pool entry (so no original survives by
coincidence); PostgreSQL overrides this with packed pools that need neither
the table nor the fallback (see `sanitize.dialects.postgresql`).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from common.errors import GoliveError
from sanitize.strategies import (
    ColumnPlan,
    Constant,
    Fake,
    KeyedHash,
    Mask,
    Null,
    Redirect,
    SqlExpression,
    Strategy,
    TablePlan,
    default_sink,
)

__all__ = ["POOL_TABLE", "Assignment", "Dialect", "Statement", "UnsupportedDialect"]

POOL_TABLE = "golive_pool"
SUFFIX_LENGTH = 16  # hex characters of keyed hash that keep unique fakes unique (64 bits)


class UnsupportedDialect(GoliveError):
    exit_code = 2
    headline = "unsupported database"


@dataclass(frozen=True)
class Statement:
    """SQL text plus bound parameters, and what it does (for messages).

    A staged statement (PostgreSQL) first computes every new value into a
    scratch table with ``stage`` (a plain SELECT the planner may run in
    parallel), then ``sql`` writes them; ``before`` runs first (a lock, so
    nothing changes in between) and ``after`` last (dropping the scratch).
    """

    sql: str
    params: Mapping[str, Any] = field(default_factory=dict)
    what: str = ""
    stage: str | None = None
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assignment:
    """One column's new value; ``hashed`` when it costs a keyed hash per row."""

    column: str  # quoted
    value: str
    hashed: bool


class Dialect(ABC):
    """SQL primitives; subclasses override the ones their engine spells differently."""

    name = "generic"
    hash_method = ""

    # -- primitives ----------------------------------------------------------------
    def quote(self, ident: str) -> str:
        return '"' + ident.replace('"', '""') + '"'

    def literal(self, value: str | int | float | bool | None) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int | float):
            return repr(value)
        return "'" + value.replace("'", "''") + "'"

    @abstractmethod
    def hash_int(self, expr: str) -> str:
        """A non-negative integer keyed hash of ``expr`` (NULL for NULL)."""

    @abstractmethod
    def hash_hex(self, expr: str, length: int) -> str:
        """``length`` hex characters of the keyed hash of ``expr`` (NULL for NULL)."""

    @abstractmethod
    def mask(self, expr: str, keep_last: int, char: str) -> str:
        """``expr`` with all but its last ``keep_last`` characters replaced by ``char``."""

    def params(self) -> dict[str, Any]:
        """Bound parameters every statement needs (the salt on PostgreSQL)."""
        return {}

    @abstractmethod
    def create_pool(self) -> str:
        """DDL of the fake-value pool table in this engine."""

    # -- pools ---------------------------------------------------------------------
    def insert_pool(self) -> str:
        return (f"INSERT INTO {POOL_TABLE} (kind, idx, value) "
                "VALUES (:kind, :idx, :value)")

    def _pick(self, kind: str, index: str) -> str:
        return (f"(SELECT value FROM {POOL_TABLE} WHERE kind = {self.literal(kind)} "
                f"AND idx = {index})")

    # -- strategies ----------------------------------------------------------------
    def expression(self, column: str, strategy: Strategy, sizes: Mapping[str, int],
                   sinks: Mapping[str, str]) -> str:
        """The new value of ``column`` under ``strategy``, as SQL."""
        col = self.quote(column)
        if isinstance(strategy, Fake):
            return self._fake(col, strategy, sizes[strategy.kind])
        if isinstance(strategy, Mask):
            return self.mask(col, strategy.keep_last, strategy.char)
        if isinstance(strategy, KeyedHash):
            hexed = self.hash_hex(col, strategy.length)
            parts = [self.literal(strategy.prefix)] if strategy.prefix else []
            parts.append(hexed)
            if strategy.suffix:
                parts.append(self.literal(strategy.suffix))
            return " || ".join(parts)
        if isinstance(strategy, Null):
            return "NULL"
        if isinstance(strategy, Constant):
            return self.literal(strategy.value)
        if isinstance(strategy, Redirect):
            return self.literal(sinks.get(strategy.sink) or default_sink(strategy.sink,
                                                                        strategy.form))
        assert isinstance(strategy, SqlExpression)
        sql = strategy.by_dialect.get(self.name)
        if sql is None:
            raise ValueError(f"no SQL expression for {self.name}")
        return f"({sql})"

    def _fake(self, col: str, fake: Fake, size: int) -> str:
        source = f"lower(trim({col}))" if fake.kind == "email" else col
        h = self.hash_int(source)
        pick = self._pick(fake.kind, f"{h} % {size}")
        if fake.unique:
            suffix = self.hash_hex(source, SUFFIX_LENGTH)
            if fake.kind == "email":
                return f"replace({pick}, '@', '.' || {suffix} || '@')"
            return f"{pick} || ' ' || {suffix}"
        following = self._pick(fake.kind, f"({h} + 1) % {size}")
        return f"COALESCE(NULLIF({pick}, {col}), {following})"

    # -- statements ----------------------------------------------------------------
    def assignments(self, table: TablePlan, sizes: Mapping[str, int],
                    sinks: Mapping[str, str]) -> tuple[list[Assignment], list[str]]:
        """Every column's new-value expression, and the row filters, for ``table``."""
        by_column: dict[str, list[ColumnPlan]] = {}
        for rule in table.columns:
            by_column.setdefault(rule.column, []).append(rule)
        values: list[Assignment] = []
        conditions: list[str] = []
        unconditional = False
        for column, rules in by_column.items():
            col = self.quote(column)
            whens = [(r.where, self.expression(column, r.strategy, sizes, sinks))
                     for r in rules]
            if whens[-1][0] is None:
                unconditional = True
                *whens, (_, otherwise) = whens
            else:
                otherwise = col
                conditions += [f"({w})" for w, _ in whens]
            if whens:
                cases = " ".join(f"WHEN ({w}) THEN {e}" for w, e in whens)
                value = f"CASE {cases} ELSE {otherwise} END"
            else:
                value = otherwise
            hashed = any(isinstance(r.strategy, Fake | KeyedHash) for r in rules)
            values.append(Assignment(col, value, hashed))
        filters = []
        if not unconditional and conditions:
            filters.append(" OR ".join(conditions))
        if table.where:
            filters.append(table.where)
        return values, filters

    def update(self, table: TablePlan, sizes: Mapping[str, int],
               sinks: Mapping[str, str]) -> Statement:
        """One UPDATE for every column rule of ``table``."""
        values, filters = self.assignments(table, sizes, sinks)
        sql = (f"UPDATE {self.quote(table.table)} SET "
               + ", ".join(f"{a.column} = {a.value}" for a in values)
               + self.where_clause(filters))
        return Statement(sql, self.used_params(sql), self.describe(table))

    @staticmethod
    def where_clause(filters: list[str]) -> str:
        return " WHERE " + " AND ".join(f"({f})" for f in filters) if filters else ""

    @staticmethod
    def describe(table: TablePlan) -> str:
        return f"{table.table} ({', '.join(c.describe() for c in table.columns)})"

    def used_params(self, sql: str) -> dict[str, Any]:
        return {k: v for k, v in self.params().items() if re.search(rf":{k}\b", sql)}

    def delete(self, table: TablePlan) -> Statement:
        """Empty ``table`` inside the transaction (DELETE: transactional, keeps FKs honest)."""
        return Statement(f"DELETE FROM {self.quote(table.table)}", {}, f"{table.table} (truncate)")
