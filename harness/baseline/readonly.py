"""Connections that cannot write: production, a stored baseline, staging under comparison.

Read-only is enforced by the database, not promised by golive's SQL: SQLite files are
opened with ``mode=ro`` (and ``PRAGMA query_only``); a PostgreSQL session starts with
``default_transaction_read_only`` and ``SET SESSION CHARACTERISTICS AS TRANSACTION READ
ONLY``, so any INSERT, UPDATE, DELETE or DDL a query might carry is refused by the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import ConnectionPoolEntry

from common.errors import ConfigError, EnvironmentProblem, Problem, redact

__all__ = ["engine_url", "open_engine", "read_only_engine"]


def engine_url(dsn: str) -> str:
    """psycopg 3 for a bare ``postgresql://``; a bare path is a SQLite file."""
    text = dsn if "://" in dsn else f"sqlite:///{dsn}"
    for scheme in ("postgresql://", "postgres://"):
        if text.startswith(scheme):
            return "postgresql+psycopg://" + text[len(scheme):]
    return text


def _backend(dsn: str) -> str:
    try:
        return make_url(engine_url(dsn)).get_backend_name()
    except ArgumentError:
        raise ConfigError([Problem("profile", None, None,
                                   f"not a database URL: {redact(dsn)}")]) from None


def read_only_engine(dsn: str) -> Engine:
    """An engine whose every connection is read-only (SQLite or PostgreSQL)."""
    backend = _backend(dsn)
    if backend == "sqlite":
        path = _sqlite_file(dsn)
        if not path.is_file():
            raise EnvironmentProblem(f"no such SQLite database: {path}")
        uri = f"sqlite:///file:{quote(str(path.resolve()))}?mode=ro&uri=true"
        engine = create_engine(uri)
        event.listen(engine, "connect", _sqlite_query_only)
        return engine
    if backend == "postgresql":
        engine = create_engine(engine_url(dsn),
                               connect_args={"options": "-c default_transaction_read_only=on"})
        event.listen(engine, "connect", _pg_read_only)
        return engine
    raise ConfigError([Problem("profile", None, None,
                               f"{backend}: golive compares SQLite and PostgreSQL databases")])


def open_engine(dsn: str) -> Engine:
    """A writable engine: only for golive's own baseline store."""
    backend = _backend(dsn)
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError([Problem("profile", None, None,
                                   f"{backend}: the baseline is kept in SQLite or PostgreSQL")])
    return create_engine(engine_url(dsn))


def _sqlite_file(dsn: str) -> Path:
    database = make_url(engine_url(dsn)).database or ""
    if database in ("", ":memory:"):
        raise ConfigError([Problem("profile", None, None,
                                   "an in-memory SQLite database has no results to read")])
    return Path(database).expanduser()


def _sqlite_query_only(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()


def _pg_read_only(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    finally:
        dbapi_connection.autocommit = autocommit
