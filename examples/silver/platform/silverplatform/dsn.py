"""Which database a command works on: one DSN or SQLite path, from --db or the environment.

golive hands a command its staging database in ``$GOLIVE_DSN``; people set ``$SILVER_DSN``.
GOLIVE_DSN wins, so a shell that still has SILVER_DSN pointing at production can never
redirect a command golive started. Accepted forms: a bare path or ``sqlite:///path`` (SQLite),
``postgresql://user:pw@host:port/db`` with any ``+driver`` suffix and libpq query options
(``?host=/socket/dir&port=5432``), as SQLAlchemy and libpq write them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

ENV_VARS = ("GOLIVE_DSN", "SILVER_DSN")


class DsnError(ValueError):
    """The DSN is missing or not one this platform can use."""


@dataclass(frozen=True)
class Database:
    """A parsed DSN: SQLite file or PostgreSQL database."""

    engine: str  # "sqlite" | "postgresql"
    name: str  # SQLite: absolute file path; PostgreSQL: database name
    user: str = ""
    password: str = field(default="", repr=False)
    host: str = ""
    port: str = ""
    options: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return Path(self.name)

    def django(self) -> dict[str, object]:
        """The Django DATABASES entry."""
        if self.engine == "sqlite":
            return {"ENGINE": "django.db.backends.sqlite3", "NAME": self.name}
        return {"ENGINE": "django.db.backends.postgresql", "NAME": self.name, "USER": self.user,
                "PASSWORD": self.password, "HOST": self.host, "PORT": self.port,
                "OPTIONS": dict(self.options), "CONN_MAX_AGE": 0}

    def libpq(self) -> str:
        """A libpq connection string (key=value form) for pg_dump, pg_restore and psycopg2."""
        if self.engine != "postgresql":
            raise DsnError("not a PostgreSQL database")
        parts = {"dbname": self.name, "user": self.user, "password": self.password,
                 "host": self.host, "port": self.port, **self.options}
        return " ".join(f"{k}={_quote(v)}" for k, v in parts.items() if v)

    def safe(self) -> str:
        """For messages: never the password."""
        if self.engine == "sqlite":
            return f"sqlite:{self.name}"
        where = self.host or "localhost"
        return f"postgresql://{self.user + '@' if self.user else ''}{where}" \
               f"{':' + self.port if self.port else ''}/{self.name}"


def _quote(value: str) -> str:
    if value and all(c.isalnum() or c in "/._-:" for c in value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def parse(dsn: str) -> Database:
    """A DSN or path → Database; DsnError with the reason when it is not usable."""
    dsn = dsn.strip()
    if not dsn:
        raise DsnError("empty database DSN")
    if "://" not in dsn:
        return Database("sqlite", str(Path(dsn).expanduser().resolve()))
    scheme = dsn.split("://", 1)[0].split("+", 1)[0].lower()
    if scheme == "sqlite":
        raw = dsn.split("://", 1)[1]
        path = raw[1:] if raw.startswith("/") else raw  # sqlite:///rel, sqlite:////abs
        path = path.split("?", 1)[0]
        if not path or path == ":memory:":
            raise DsnError("a SQLite DSN needs a file path (sqlite:///path/to/file.db)")
        return Database("sqlite", str(Path(unquote(path)).expanduser().resolve()))
    if scheme not in ("postgresql", "postgres"):
        raise DsnError(f"unsupported database scheme '{scheme}' (use a SQLite path or "
                       "postgresql://…)")
    parts = urlsplit("postgresql://" + dsn.split("://", 1)[1])
    options = dict(parse_qsl(parts.query))
    host = options.pop("host", "") or unquote(parts.hostname or "")
    port = options.pop("port", "") or (str(parts.port) if parts.port else "")
    name = unquote(parts.path.lstrip("/")) or options.pop("dbname", "")
    if not name:
        raise DsnError("a PostgreSQL DSN needs a database name (postgresql://…/NAME)")
    return Database("postgresql", name, user=unquote(parts.username or ""),
                    password=unquote(parts.password or ""), host=host, port=port,
                    options=options)


def from_environment(explicit: str | None = None) -> Database:
    """--db if given, else $GOLIVE_DSN, else $SILVER_DSN."""
    if explicit:
        return parse(explicit)
    for var in ENV_VARS:
        value = os.environ.get(var, "").strip()
        if value:
            return parse(value)
    raise DsnError("no database given: pass --db PATH|DSN or set GOLIVE_DSN or SILVER_DSN")
