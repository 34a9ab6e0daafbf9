"""A population as rows in key order: a profile query on a live database, or a stored
baseline table. Either is read through a read-only engine, in batches, so memory stays
bounded whatever the population's size.

Rows are tuples ``(key…, group, field…)`` of canonical values (`values.coerce`), in the
order of `Dataset.columns`. Text keys are ordered by their bytes on every engine
(PostgreSQL ``COLLATE "C"``, SQLite's BINARY), which is also Python's order of `str`,
so two sides on different engines merge correctly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Date, Engine, TextClause, bindparam, text
from sqlalchemy.exc import DBAPIError

from common.errors import EnvironmentProblem, GoliveError
from harness.baseline.profile import Dataset
from harness.baseline.values import Kind, Value, coerce

__all__ = ["BATCH", "ColumnType", "CompareError", "Row", "RowSource", "bound", "connect"]

BATCH = 20_000
Row = tuple[Value, ...]
_TEXT_TYPES = {"text", "varchar", "bpchar", "name", "character varying", "character"}


class CompareError(GoliveError):
    """A comparison that cannot be made as configured (exit 2)."""

    headline = "cannot compare with production"


@dataclass(frozen=True)
class ColumnType:
    """A column's type as one side reports it: ``family`` is what must agree
    (numeric, integer, float, text, date, timestamp, bool, number); ``scale`` a numeric's
    declared decimals; ``name`` the type as the database says it."""

    family: str
    name: str
    scale: int | None = None
    observed: bool = False  # SQLite: guessed from values, not declared

    def __str__(self) -> str:
        return self.name

    def encode(self) -> str:
        """How the baseline's provenance keeps it (`decode` reads it back)."""
        scale = "" if self.scale is None else str(self.scale)
        return f"{self.family}|{scale}|{int(self.observed)}|{self.name}"

    @classmethod
    def decode(cls, text: str) -> ColumnType:
        family, scale, observed, name = [*text.split("|", 3), "", "", "", ""][:4]
        return cls(family, name or family, int(scale) if scale.isdigit() else None,
                   observed == "1")


def _pg_family(name: str) -> str:
    if name in _TEXT_TYPES:
        return "text"
    if name in ("int2", "int4", "int8", "smallint", "integer", "bigint"):
        return "integer"
    if name in ("float4", "float8", "real", "double precision"):
        return "float"
    if name.startswith("timestamp"):
        return "timestamp"
    return name  # numeric, date, bool, json, …


def bound(sql: str, run_date: dt.date | None) -> TextClause:
    """``sql`` with golive's bind (``:bill_run_date``) typed as a date on every engine."""
    clause = text(sql)
    if ":bill_run_date" in sql:
        clause = clause.bindparams(bindparam("bill_run_date", value=run_date, type_=Date()))
    return clause


def connect(engine: Engine, side: str) -> Connection:
    """A connection, or EnvironmentProblem naming the side that cannot be reached."""
    try:
        return engine.connect()
    except DBAPIError as exc:
        raise EnvironmentProblem(f"{side}: cannot connect: "
                                 f"{str(exc.orig or exc).strip().splitlines()[0]}") from None


class RowSource:
    """One side of a comparison: ``sql`` (a query or a stored table) on an engine."""

    def __init__(self, engine: Engine, sql: str, name: str, dataset: Dataset, side: str,
                 run_date: dt.date | None = None) -> None:
        self.engine = engine
        self.sql = sql
        self.name = name  # the dataset: accounts, packages, charges
        self.dataset = dataset
        self.side = side  # "production", "staging" or "baseline": named in every error
        self.run_date = run_date
        self.backend = engine.dialect.name
        self._types: dict[str, ColumnType] | None = None

    # -- SQL -----------------------------------------------------------------------
    def statement(self, sql: str) -> TextClause:
        return bound(sql, self.run_date)

    def quoted(self, column: str) -> str:
        return f'q."{column}"'

    def order_by(self) -> str:
        types = self.describe()
        parts = []
        for name in self.dataset.key:
            col = self.quoted(name)
            if self.backend == "postgresql" and types[name].family == "text":
                col += ' COLLATE "C"'
            parts.append(col)
        return ", ".join(parts)

    def select(self, where: str = "", order: bool = True) -> str:
        cols = ", ".join(self.quoted(c) for c in self.dataset.columns)
        sql = f"SELECT {cols} FROM ({self.sql}) q"
        if where:
            sql += f" WHERE {where}"
        if order:
            sql += f" ORDER BY {self.order_by()}"
        return sql

    # -- types -----------------------------------------------------------------------
    def describe(self) -> dict[str, ColumnType]:
        """Every column's type on this side; CompareError naming a missing column."""
        if self._types is None:
            self._types = self._describe()
        return self._types

    def _describe(self) -> dict[str, ColumnType]:
        limit = 0 if self.backend == "postgresql" else 200
        sql = f"SELECT * FROM ({self.sql}) q LIMIT {limit}"
        with self.connect() as conn:
            result = conn.execute(self.statement(sql))
            names = [str(c).lower() for c in result.keys()]  # noqa: SIM118
            description = result.cursor.description if result.cursor is not None else []
            sample = result.fetchall()
        missing = [c for c in self.dataset.columns if c not in names]
        if missing:
            raise CompareError(f"{self.side}: the {self.name} query returns no column "
                               f"{', '.join(missing)} (it returns {', '.join(names)})")
        if self.backend == "postgresql":
            return {n: self._pg_type(d) for n, d in zip(names, description, strict=True)}
        return {n: _observed([row[i] for row in sample]) for i, n in enumerate(names)}

    def _pg_type(self, column: Any) -> ColumnType:
        import psycopg

        info = psycopg.adapters.types.get(column.type_code)
        name = info.name if info is not None else f"oid {column.type_code}"
        scale = column.scale if name == "numeric" else None
        shown = f"numeric({column.precision},{scale})" if scale is not None else name
        return ColumnType(_pg_family(name), shown, scale)

    # -- rows ------------------------------------------------------------------------
    def connect(self) -> Connection:
        return connect(self.engine, self.side)

    def rows(self, where: str = "", params: dict[str, Any] | None = None) -> Iterator[Row]:
        """Canonical rows in key order (``where`` filters on ``q``)."""
        kinds = self._kinds()
        scales = self._scales()
        clause = self.statement(self.select(where))
        with self.connect() as conn:
            if self.backend == "postgresql":
                # a cursor is planned for its first rows (an index walk in key order over
                # the whole table); golive reads them all: plan for all
                conn.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))
            result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
                clause, params or {})
            for raw in result:
                yield tuple(_value(k, v, s, self.side, c)
                            for k, v, s, c in zip(kinds, raw, scales, self.dataset.columns,
                                                  strict=True))

    def _kinds(self) -> list[Kind | None]:
        """Per column: the field's kind, None for keys and the group (kept as they are)."""
        return [self.dataset.fields[c].kind if c in self.dataset.fields else None
                for c in self.dataset.columns]

    def _scales(self) -> list[int]:
        return [self.dataset.fields[c].scale if c in self.dataset.fields else 0
                for c in self.dataset.columns]


def _value(kind: Kind | None, raw: Any, scale: int, side: str, column: str) -> Value:
    if kind is None:
        if raw is None or isinstance(raw, str | int):
            return raw
        return str(raw)
    try:
        return coerce(kind, raw, scale)
    except ValueError as exc:
        raise CompareError(f"{side}: column {column} ({kind.value}): {exc}") from None


def _observed(values: Sequence[Any]) -> ColumnType:
    """A SQLite column's type, from what its first values are."""
    seen = {type(v) for v in values if v is not None}
    if not seen:
        return ColumnType("unknown", "no values", observed=True)
    if seen <= {int}:
        return ColumnType("integer", "integer", observed=True)
    if seen <= {int, float}:
        return ColumnType("number", "real", observed=True)
    if seen <= {str}:
        return ColumnType("text", "text", observed=True)
    names = "/".join(sorted(t.__name__ for t in seen))
    return ColumnType("mixed", names, observed=True)
