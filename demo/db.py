"""Database URLs and engines for the demo platform (SQLite by default, PostgreSQL too).

The demo is a separate platform and imports nothing of golive (ARCHITECTURE.md),
so it keeps this tiny URL helper of its own; golive's parsing, normalising and
credential hiding live in ``common/dsn.py``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from demo.models import Base

DEFAULT_DB = "sqlite:///demo/var/demo.db"


def normalise_url(url: str) -> str:
    """Accept a bare path or ``postgresql://``; return a SQLAlchemy URL with a driver."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


_SECRET_PARAMS = {"password", "passfile", "sslpassword", "sslkey", "oauth_client_secret"}


def safe_url(url: str) -> str:
    """The URL as it may be printed: the password and credential parameters hidden."""
    u = make_url(normalise_url(url))
    hidden = {k: "***" for k in u.query if k.lower() in _SECRET_PARAMS}
    text = u.update_query_dict(hidden).render_as_string(hide_password=True) if hidden \
        else u.render_as_string(hide_password=True)
    return text.replace("%2A%2A%2A", "***")


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, also when it is a ``file:`` URI (which SQLite opens as a
    URI with or without ``uri=true``); None for other databases and memory."""
    u = make_url(normalise_url(url))
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    database = u.database
    if database.startswith("file:"):
        if u.query.get("mode") == "memory" or "mode=memory" in database:
            return None
        database = unquote(database[len("file:"):].split("?", 1)[0].split("#", 1)[0])
        if database.startswith("//"):  # file://localhost/path or file:///path
            database = "/" + database[2:].partition("/")[2]
        if database.startswith("/"):
            database = "/" + database.lstrip("/")
    return Path(database)


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.close()

    return engine


def create_schema(engine: Engine, drop: bool = False) -> None:
    if drop:
        Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
