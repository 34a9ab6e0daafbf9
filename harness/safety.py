"""The guard in front of every destructive step: golive writes only to staging.

Restore, sanitize and bill run call `assert_staging(profile, dsn)` before
their first write. It refuses any database that is not the profile's staging
database marked ``staging: true``, and a staging database that is the
production database under another spelling (compared after normalising: same
engine, host, port and database, or the same SQLite file). Messages show DSNs
with the password hidden. A target opened on any other environment
(production: the comparison, the post-go-live smoke) gets a read-only
connection from `read_only`: the database itself refuses a write, whoever
attempts it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from common.errors import SafetyError
from common.errors import redact as redact_urls

__all__ = ["SafetyError", "assert_staging", "environment", "normalise", "read_only", "redact",
           "reveal", "safe_dsn"]

_LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1", "[::1]"}
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mssql": 1433, "oracle": 1521}


def reveal(dsn: object) -> str:
    """The DSN text of a profile field (a password-hiding wrapper has `.reveal()`)."""
    if dsn is None:
        return ""
    revealer = getattr(dsn, "reveal", None)
    return str(revealer()) if callable(revealer) else str(dsn)


def _url(text: str) -> URL:
    if "://" not in text:  # a bare path is a SQLite file, as the demo accepts
        text = f"sqlite:///{text}"
    return make_url(text)


def safe_dsn(dsn: object) -> str:
    """The DSN as it may be printed: password replaced by ***."""
    text = reveal(dsn)
    try:
        return _url(text).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<unparseable DSN>"


def redact(message: str, dsns: Iterable[object]) -> str:
    """``message`` with every password of ``dsns`` (and of any URL in it) replaced by ***."""
    for dsn in dsns:
        try:
            password = _url(reveal(dsn)).password
        except (ArgumentError, ValueError):
            continue
        if password:
            message = message.replace(str(password), "***")
    return redact_urls(message)


def normalise(dsn: object) -> tuple[str, str, int | None, str]:
    """(backend, host, port, database) identifying one database, whatever the spelling.

    SQLite: the resolved absolute file path. Servers: loopback names, an empty
    host and a unix-socket directory all count as "local" (the same machine may
    answer on each), the default port is filled in, the driver is ignored. When
    in doubt two spellings compare equal, so the guard refuses rather than writes.
    """
    text = reveal(dsn)
    try:
        url = _url(text)
    except (ArgumentError, ValueError) as exc:
        raise SafetyError(f"cannot read the database URL {safe_dsn(text)}: {exc}") from None
    backend = url.get_backend_name()
    backend = "postgresql" if backend == "postgres" else backend  # libpq's short scheme
    if backend == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:"):
            return backend, "", None, ":memory:"
        return backend, "", None, str(Path(database).expanduser().resolve())
    host = (url.host or _query(url, "host") or "").lower()
    if host in _LOCAL_HOSTS or host.startswith("/"):
        host = "local"
    port_text = url.port or _query(url, "port")
    port = int(port_text) if port_text else _DEFAULT_PORTS.get(backend)
    database = url.database or _query(url, "dbname") or url.username or ""
    return backend, host, port, database


def _query(url: URL, key: str) -> str | None:
    value: Any = url.query.get(key)
    if isinstance(value, tuple):
        value = value[0] if value else None
    return str(value) if value else None


def environment(profile: Any, name: str) -> Any:
    """The profile's environment ``name`` (attribute or mapping), None when absent."""
    envs = getattr(profile, "environments", None)
    if envs is None:
        return None
    if isinstance(envs, Mapping):
        return envs.get(name)
    return getattr(envs, name, None)


def assert_staging(profile: Any, dsn: object) -> None:
    """Refuse (SafetyError) unless ``dsn`` is the profile's staging database, marked
    ``staging: true``, and not the production database."""
    shown = safe_dsn(dsn)
    staging = environment(profile, "staging")
    if staging is None:
        raise SafetyError(
            f"refusing to write to {shown}: the profile has no environments.staging"
        )
    if getattr(staging, "staging", False) is not True:
        raise SafetyError(
            f"refusing to write to {shown}: environments.staging is not marked "
            "'staging: true' in the profile"
        )
    if normalise(dsn) != normalise(staging.dsn):
        raise SafetyError(
            f"refusing to write to {shown}: it is not the profile's staging database "
            f"({safe_dsn(staging.dsn)})"
        )
    production = environment(profile, "production")
    prod_dsn = getattr(production, "dsn", None) if production is not None else None
    if prod_dsn and normalise(prod_dsn) == normalise(staging.dsn):
        raise SafetyError(
            f"refusing to write to {shown}: the staging database is the production "
            f"database ({safe_dsn(prod_dsn)}); point environments.staging.dsn elsewhere"
        )


def read_only(engine: Engine) -> Engine:
    """Make every connection of ``engine`` read-only at the database: SQLite's
    ``query_only`` pragma, PostgreSQL's ``default_transaction_read_only``. Connections
    already pooled are dropped, so none escapes the rule."""
    dialect = engine.dialect.name
    if dialect == "sqlite":
        statement = "PRAGMA query_only = ON"
    elif dialect == "postgresql":
        statement = "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"
    else:
        raise SafetyError(f"cannot open {dialect} read-only; golive reads production only "
                          "through SQLite or PostgreSQL connections it can make read-only")

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute(statement)
        cursor.close()
        if dialect == "postgresql":
            dbapi_conn.commit()  # psycopg opens a transaction for the SET; keep the setting

    engine.dispose()
    return engine
