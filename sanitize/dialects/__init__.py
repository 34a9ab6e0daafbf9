"""Pure SQL builders per dialect: functions of a plan that return SQL text, never executing.

`for_name("sqlite" | "postgresql", hash_method)` gives the dialect; `build_update`
and friends in `sanitize.dialects.base` assemble statements from its primitives.
"""

from __future__ import annotations

from sanitize.dialects.base import Dialect, Statement, UnsupportedDialect
from sanitize.dialects.postgresql import PostgresDialect
from sanitize.dialects.sqlite import SqliteDialect

__all__ = ["Dialect", "Statement", "UnsupportedDialect", "for_name"]


def for_name(name: str, hash_method: str = "hmac-sha256") -> Dialect:
    """The builder for the SQLAlchemy backend ``name``."""
    if name == "sqlite":
        return SqliteDialect()
    if name == "postgresql":
        return PostgresDialect(hash_method)
    raise UnsupportedDialect(f"sanitizing {name} databases is not supported "
                             "(SQLite and PostgreSQL are)")
