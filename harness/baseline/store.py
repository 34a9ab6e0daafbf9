"""Where the baseline is kept, with its provenance, replaced atomically when recaptured.

Two forms, chosen in the profile (``population.baseline``):

- a **SQLite file** (default ``<state_dir>/baseline.sqlite``): self-contained and
  portable, needs no server, can be attached to a change request and opened read-only
  anywhere; one table per dataset clustered on its key (``WITHOUT ROWID``), so reading
  it in key order is a sequential scan. Written to a temporary file and renamed into
  place, so a reader never sees half a baseline.
- **tables in a PostgreSQL database of golive's own** (``dsn``): schema
  ``golive_baseline``, text keys in ``COLLATE "C"`` (byte order, as the merge needs).
  Against a PostgreSQL staging database both sides then hash their rows inside their
  servers (the two-phase method). Loaded into ``golive_baseline_new`` and swapped in
  with one transaction.

Either holds the provenance (`BaselineInfo`) beside the rows and is read through a
read-only connection.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from common.dsn import Dsn
from common.errors import EnvironmentProblem
from harness.baseline.profile import Dataset, Population
from harness.baseline.readonly import read_only_engine
from harness.baseline.sources import ColumnType, CompareError, Row, RowSource
from harness.baseline.values import Kind, encode
from harness.record import BaselineInfo

__all__ = ["BaselineStore", "PostgresStore", "SqliteStore", "StoreWriter", "open_store"]

FORMAT = 1
SCHEMA = "golive_baseline"


def _key_is_integer(types: dict[str, ColumnType], column: str) -> bool:
    return types[column].family == "integer"


class StoreWriter(ABC):
    """Loads one new baseline; only `finish` makes it the baseline."""

    @abstractmethod
    def create(self, name: str, dataset: Dataset, types: dict[str, ColumnType]) -> None: ...

    @abstractmethod
    def insert(self, name: str, dataset: Dataset, rows: Iterable[Row]) -> None: ...

    @abstractmethod
    def finish(self, info: BaselineInfo) -> None: ...

    @abstractmethod
    def abort(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None:
            self.abort()


class BaselineStore(ABC):
    """The baseline of one profile."""

    backend: str
    location: str  # as it may be printed

    @abstractmethod
    def provenance(self) -> BaselineInfo | None:
        """The stored baseline's provenance; None when there is none yet."""

    @abstractmethod
    def writer(self) -> StoreWriter: ...

    @abstractmethod
    def source(self, name: str, dataset: Dataset) -> RowSource:
        """The stored rows of ``name``, read-only, in key order."""

    @abstractmethod
    def close(self) -> None:
        """Release connections; idempotent."""


def _info(data: Any, where: str) -> BaselineInfo:
    try:
        fields = {f.name for f in dataclasses.fields(BaselineInfo)}
        return BaselineInfo(**{k: v for k, v in dict(data).items() if k in fields})
    except (TypeError, ValueError) as exc:
        raise CompareError(f"{where} is not a golive baseline: {exc}") from None


# -- SQLite ---------------------------------------------------------------------------
def _sqlite_type(dataset: Dataset, column: str, types: dict[str, ColumnType]) -> str:
    spec = dataset.fields.get(column)
    if spec is None:
        return "INTEGER" if column in dataset.key and _key_is_integer(types, column) else "TEXT"
    return "INTEGER" if spec.kind is Kind.INT else "TEXT"


def _sqlite_value(value: object) -> object:
    return value if value is None or isinstance(value, int | str) else encode(value)  # type: ignore[arg-type]


class _SqliteWriter(StoreWriter):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp.unlink(missing_ok=True)
        self.conn = sqlite3.connect(self.tmp)
        self.conn.execute("PRAGMA journal_mode = OFF")
        self.conn.execute("PRAGMA synchronous = OFF")
        self.conn.execute("CREATE TABLE golive_baseline (format INTEGER, provenance TEXT)")

    def create(self, name: str, dataset: Dataset, types: dict[str, ColumnType]) -> None:
        cols = ", ".join(f'"{c}" {_sqlite_type(dataset, c, types)}' for c in dataset.columns)
        keys = ", ".join(f'"{k}"' for k in dataset.key)
        self.conn.execute(f'CREATE TABLE "ds_{name}" ({cols}, PRIMARY KEY ({keys})) '
                          "WITHOUT ROWID")

    def insert(self, name: str, dataset: Dataset, rows: Iterable[Row]) -> None:
        marks = ", ".join("?" for _ in dataset.columns)
        sql = f'INSERT INTO "ds_{name}" VALUES ({marks})'
        try:
            self.conn.executemany(sql, ([_sqlite_value(v) for v in row] for row in rows))
        except sqlite3.IntegrityError:
            raise CompareError(f"production: the {name} query returns a key "
                               f"({', '.join(dataset.key)}) more than once") from None

    def finish(self, info: BaselineInfo) -> None:
        self.conn.execute("INSERT INTO golive_baseline VALUES (?, ?)",
                          (FORMAT, json.dumps(dataclasses.asdict(info))))
        self.conn.commit()
        self.conn.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.conn.close()
        self.tmp.unlink(missing_ok=True)


class SqliteStore(BaselineStore):
    backend = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)
        self._engine: Engine | None = None

    def _read(self) -> Engine:
        if self._engine is None:
            self._engine = read_only_engine(str(self.path))
        return self._engine

    def provenance(self) -> BaselineInfo | None:
        if not self.path.is_file():
            return None
        try:
            with self._read().connect() as conn:
                row = conn.execute(text("SELECT format, provenance FROM golive_baseline")).first()
        except DBAPIError as exc:
            raise CompareError(f"{self.path} is not a golive baseline: {exc.orig}") from None
        if row is None or row[0] != FORMAT:
            raise CompareError(f"{self.path} is not a golive baseline of format {FORMAT}")
        return _info(json.loads(row[1]), str(self.path))

    def writer(self) -> StoreWriter:
        self.close()
        return _SqliteWriter(self.path)

    def source(self, name: str, dataset: Dataset) -> RowSource:
        return RowSource(self._read(), f'SELECT * FROM "ds_{name}"', name, dataset, "baseline")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


# -- PostgreSQL -----------------------------------------------------------------------
_PG_KIND = {Kind.DATE: "date", Kind.INT: "bigint", Kind.TEXT: "text"}


def _pg_type(dataset: Dataset, column: str, types: dict[str, ColumnType]) -> str:
    spec = dataset.fields.get(column)
    if spec is not None:  # money at the field's scale: what golive compares, declared
        return f"numeric(38,{spec.scale})" if spec.kind is Kind.MONEY else _PG_KIND[spec.kind]
    if column in dataset.key and _key_is_integer(types, column):
        return "bigint"
    return 'text COLLATE "C"'


def libpq(dsn: str) -> str:
    """A profile's PostgreSQL URL as libpq takes it (no SQLAlchemy driver suffix)."""
    scheme, _, rest = dsn.partition("://")
    return f"postgresql://{rest}" if scheme.startswith("postgres") else dsn


class _PostgresWriter(StoreWriter):
    def __init__(self, conninfo: str, location: str) -> None:
        import psycopg

        self.location = location
        try:
            self.conn = psycopg.connect(conninfo)
        except psycopg.Error as exc:
            raise EnvironmentProblem(f"baseline database {location}: "
                                     f"{str(exc).strip().splitlines()[0]}") from None
        self._run(f"DROP SCHEMA IF EXISTS {SCHEMA}_new CASCADE", f"CREATE SCHEMA {SCHEMA}_new",
                  f"CREATE TABLE {SCHEMA}_new.provenance (format integer, data jsonb)")

    def _run(self, *statements: str) -> None:
        import psycopg

        try:
            with self.conn.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql.encode())
            self.conn.commit()
        except psycopg.Error as exc:
            self.conn.rollback()
            raise EnvironmentProblem(f"baseline database {self.location}: "
                                     f"{str(exc).strip().splitlines()[0]}") from None

    def create(self, name: str, dataset: Dataset, types: dict[str, ColumnType]) -> None:
        cols = ", ".join(f'"{c}" {_pg_type(dataset, c, types)}' for c in dataset.columns)
        self._run(f'CREATE TABLE {SCHEMA}_new."{name}" ({cols})')

    def insert(self, name: str, dataset: Dataset, rows: Iterable[Row]) -> None:
        import psycopg

        cols = ", ".join(f'"{c}"' for c in dataset.columns)
        keys = ", ".join(f'"{k}"' for k in dataset.key)
        try:
            with self.conn.cursor() as cursor:
                copy_sql = f'COPY {SCHEMA}_new."{name}" ({cols}) FROM STDIN'.encode()
                with cursor.copy(copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.execute(f'ALTER TABLE {SCHEMA}_new."{name}" ADD PRIMARY KEY ({keys})'
                               .encode())
            self.conn.commit()
        except psycopg.errors.UniqueViolation:
            self.conn.rollback()
            raise CompareError(f"production: the {name} query returns a key "
                               f"({', '.join(dataset.key)}) more than once") from None
        except psycopg.Error as exc:
            self.conn.rollback()
            raise EnvironmentProblem(f"baseline database {self.location}: "
                                     f"{str(exc).strip().splitlines()[0]}") from None

    def finish(self, info: BaselineInfo) -> None:
        data = json.dumps(dataclasses.asdict(info))
        with self.conn.cursor() as cursor:
            cursor.execute(f"INSERT INTO {SCHEMA}_new.provenance VALUES (%s, %s)".encode(),
                           (FORMAT, data))
            cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE".encode())
            cursor.execute(f"ALTER SCHEMA {SCHEMA}_new RENAME TO {SCHEMA}".encode())
        self.conn.commit()
        self.conn.autocommit = True
        with self.conn.cursor() as cursor:
            cursor.execute(f"ANALYZE {SCHEMA}.provenance".encode())
        self.conn.close()

    def abort(self) -> None:
        try:
            self.conn.rollback()
            self._run(f"DROP SCHEMA IF EXISTS {SCHEMA}_new CASCADE")
        finally:
            self.conn.close()


class PostgresStore(BaselineStore):
    backend = "postgresql"

    def __init__(self, dsn: Dsn) -> None:
        self.dsn = dsn
        self.location = dsn.masked
        self._engine: Engine | None = None

    def _read(self) -> Engine:
        if self._engine is None:
            self._engine = read_only_engine(self.dsn.reveal())
        return self._engine

    def provenance(self) -> BaselineInfo | None:
        sql = text(f"SELECT format, data FROM {SCHEMA}.provenance")
        try:
            with self._read().connect() as conn:
                present = conn.scalar(text("SELECT to_regclass(:t)"),
                                      {"t": f"{SCHEMA}.provenance"})
                if present is None:
                    return None
                row = conn.execute(sql).first()
        except DBAPIError as exc:
            raise EnvironmentProblem(f"baseline database {self.location}: "
                                     f"{str(exc.orig).strip().splitlines()[0]}") from None
        if row is None or row[0] != FORMAT:
            raise CompareError(f"{self.location}: {SCHEMA} is not a golive baseline of "
                               f"format {FORMAT}")
        return _info(row[1], self.location)

    def writer(self) -> StoreWriter:
        self.close()
        return _PostgresWriter(libpq(self.dsn.reveal()), self.location)

    def source(self, name: str, dataset: Dataset) -> RowSource:
        return RowSource(self._read(), f'SELECT * FROM {SCHEMA}."{name}"', name, dataset,
                         "baseline")

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def open_store(population: Population, state_dir: Path) -> BaselineStore:
    """The profile's baseline store (not opened until used)."""
    if population.baseline.dsn is not None:
        return PostgresStore(population.baseline.dsn)
    return SqliteStore(population.baseline.path or state_dir / "baseline.sqlite")
