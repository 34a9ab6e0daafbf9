"""The live schema as the sanitizer and scanner need it: tables, columns, text-ness, keys.

Also opens connections: an unreachable database is an EnvironmentProblem whose
message shows the DSN with its password hidden, never a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, String, Text, create_engine, event, inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeEngine

from common.dsn import Dsn, mask, sqlalchemy_url
from common.errors import ConfigError, EnvironmentProblem, Problem, redact

__all__ = ["Column", "Schema", "TableInfo", "closest", "connect", "reflect", "safe_url"]

_TEXT_NAMES = ("CHAR", "TEXT", "CLOB", "JSON", "STRING")


def safe_url(url: str) -> str:
    """``url`` as it may be printed: every credential hidden (`common.dsn.mask`)."""
    return mask(url)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    text: bool  # scanned for residue; may take fakes
    json: bool


@dataclass
class TableInfo:
    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    primary_key: list[str] = field(default_factory=list)
    unique: set[str] = field(default_factory=set)  # single-column unique constraints/indexes


@dataclass
class Schema:
    tables: dict[str, TableInfo] = field(default_factory=dict)


def _is_text(kind: TypeEngine[object]) -> bool:
    if isinstance(kind, String | Text | JSON):
        return True
    return any(word in str(kind).upper() for word in _TEXT_NAMES)


def reflect(conn: Connection) -> Schema:
    """Every table of the default schema with its columns, primary key and unique columns."""
    inspector = inspect(conn)
    schema = Schema()
    for name in inspector.get_table_names():
        info = TableInfo(name)
        for col in inspector.get_columns(name):
            kind = col["type"]
            info.columns[col["name"]] = Column(
                col["name"], str(kind), bool(col.get("nullable", True)), _is_text(kind),
                isinstance(kind, JSON) or "JSON" in str(kind).upper())
        info.primary_key = list(inspector.get_pk_constraint(name).get("constrained_columns")
                                or [])
        for constraint in inspector.get_unique_constraints(name):
            if len(constraint["column_names"]) == 1:
                info.unique.add(constraint["column_names"][0])
        sqlite = conn.dialect.name == "sqlite"  # column-level UNIQUE is an auto index there
        indexes = (inspector.get_indexes(name, include_auto_indexes=True) if sqlite
                   else inspector.get_indexes(name))
        for index in indexes:
            columns = [c for c in index["column_names"] if c]
            if index.get("unique") and len(columns) == 1:
                info.unique.add(columns[0])
        schema.tables[name] = info
    return schema


def closest(word: str, choices: list[str]) -> list[str]:
    """Up to three names of ``choices`` nearest to ``word`` (for "unknown …" messages)."""
    return difflib.get_close_matches(word, choices, n=3, cutoff=0.5)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; ConfigError for a URL that cannot be read."""
    try:
        return create_engine(sqlalchemy_url(url))
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        raise ConfigError([Problem("command line", None, None,
                                   f"cannot use database URL {safe_url(url)}: {exc}")]) from None


def _real_sqlite_transactions(engine: Engine) -> None:
    """pysqlite begins transactions lazily and not before DDL; let SQLAlchemy's BEGIN be
    the real one so the pool table, savepoints and every UPDATE share one transaction."""

    def no_autobegin(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None

    def begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    event.listen(engine, "connect", no_autobegin)
    event.listen(engine, "begin", begin)


@contextmanager
def connect(url: str) -> Iterator[Connection]:
    """A connection to ``url``; EnvironmentProblem (exit 3) when it cannot be reached."""
    try:
        file = Dsn(url).sqlite
    except (ArgumentError, ValueError):
        file = None  # make_engine says what is wrong with it
    if file is not None and file.path is not None and not file.path.is_file():
        raise EnvironmentProblem(f"cannot reach the database {safe_url(url)}: "
                                 "no such SQLite file")
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        _real_sqlite_transactions(engine)
    try:
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise EnvironmentProblem(f"cannot reach the database {safe_url(url)}: "
                                     f"{redact(reason)}") from None
        try:
            yield conn
        finally:
            conn.close()
    finally:
        engine.dispose()
