"""Where the demo keeps its state, and how a command reaches its database.

Everything the demo writes (the default SQLite database, backups, the billing
service's pidfile and log) lives under one state directory: ``$DEMO_HOME`` when
set, else ``demo/var/`` in the repository. Tests point ``$DEMO_HOME`` at a
temporary directory so they never touch a developer's demo database.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from demo.db import make_engine, normalise_url, safe_url, sqlite_path

HOME_ENV = "DEMO_HOME"
DB_ENV = "DEMO_DB"
REPO_ROOT = Path(__file__).resolve().parent.parent


class DatabaseUnavailable(Exception):
    """The database cannot be reached or is not a demo database (an environment error)."""


class BadDatabaseUrl(ValueError):
    """The database URL itself is malformed (a usage error)."""


def state_dir() -> Path:
    return Path(os.environ.get(HOME_ENV) or REPO_ROOT / "demo" / "var")


def default_db_url() -> str:
    """``$DEMO_DB`` when set, else the SQLite database in the state directory."""
    return os.environ.get(DB_ENV) or f"sqlite:///{state_dir() / 'demo.db'}"


def backups_dir() -> Path:
    return state_dir() / "backups"


def canonical_url(url: str) -> str:
    """The URL with a driver, an absolute SQLite path and no password.

    Two spellings of one database (relative/absolute path, with/without a
    password) give the same canonical URL, so they share one billing service.
    """
    url = normalise_url(url)
    path = sqlite_path(url)
    if path is not None:
        return f"sqlite:///{path.resolve()}"
    return make_url(url).set(password=None).render_as_string(hide_password=False)


def absolute_url(url: str) -> str:
    """The URL with a driver and an absolute SQLite path (password kept)."""
    url = normalise_url(url)
    path = sqlite_path(url)
    return f"sqlite:///{path.resolve()}" if path is not None else url


def db_key(url: str) -> str:
    """A short stable key of a database, for per-database file names."""
    return hashlib.sha256(canonical_url(url).encode()).hexdigest()[:12]


def pidfile(url: str) -> Path:
    return state_dir() / f"service-{db_key(url)}.pid"


def service_log(url: str) -> Path:
    return state_dir() / f"service-{db_key(url)}.log"


def scrub(message: str, url: str) -> str:
    """``message`` with the URL's password (if any) replaced, first line only."""
    line = (message.strip().splitlines() or [""])[0]
    try:
        password = make_url(normalise_url(url)).password
    except ArgumentError:
        return line
    return line.replace(str(password), "***") if password else line


def open_database(url: str, must_exist: bool = True, demo_schema: bool = True) -> Engine:
    """An engine on ``url`` after proving it can be reached.

    ``must_exist`` refuses a missing SQLite file instead of silently creating an
    empty one; ``demo_schema`` refuses a database without the demo's tables.
    """
    try:
        path = sqlite_path(url)
        if must_exist and path is not None and not path.is_file():
            raise DatabaseUnavailable(
                f"no database at {path} (create one with: python -m demo generate)"
            )
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise BadDatabaseUrl(f"bad database URL {url!r}: {scrub(str(exc), url)}") from None
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            if demo_schema and not inspect(conn).has_table("accounts"):
                raise DatabaseUnavailable(
                    f"{safe_url(url)} is not a demo database (no accounts table; "
                    "create one with: python -m demo generate)"
                )
    except DBAPIError as exc:  # unreachable server, refused login, not a database file
        engine.dispose()
        reason = scrub(str(exc.orig or exc), url)
        raise DatabaseUnavailable(f"cannot connect to {safe_url(url)}: {reason}") from None
    return engine
