"""Keyed hashing: the same original maps to the same fake everywhere, and only with the salt.

The salt is a secret from the environment (the rule file names the variable;
default ``GOLIVE_SANITIZE_SALT``): without it nobody can recompute which
original gave which fake, with it every run maps alike, so joins on sanitized
e-mails or names still work across tables and runs.

In SQL: on SQLite, deterministic user functions ``golive_hash(v)`` (60-bit
integer) and ``golive_hex(v, n)`` computed with HMAC-SHA256 in Python; on
PostgreSQL pgcrypto's ``hmac(v, salt, 'sha256')`` when the extension is there
(or can be created), else ``md5(salt || v)``. The salt is always a bound
parameter, never SQL text. Fakes need not match across engines.
"""

from __future__ import annotations

import hmac
import os
import sqlite3
from collections.abc import Mapping
from functools import lru_cache

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from common.errors import GoliveError

__all__ = [
    "SaltMissing",
    "hash_method",
    "keyed_digest",
    "register_sqlite",
    "resolve_salt",
]

_MIN_SALT = 8


class SaltMissing(GoliveError):
    """The keyed-hash salt is not set: fakes would be guessable, so nothing is sanitized."""

    exit_code = 2
    headline = "sanitize salt missing"


def resolve_salt(salt: str | None, env_name: str,
                 environ: Mapping[str, str] | None = None) -> str:
    """``salt`` if given, else the environment variable ``env_name``; SaltMissing if neither."""
    if salt is None:
        salt = (os.environ if environ is None else environ).get(env_name)
    if not salt:
        raise SaltMissing(f"the environment variable {env_name} (named by the rule file's "
                          f"salt_env) is not set; export a secret of at least {_MIN_SALT} "
                          "characters, the same for every run that must map alike")
    if len(salt) < _MIN_SALT:
        raise SaltMissing(f"the salt in {env_name} is shorter than {_MIN_SALT} characters")
    return salt


def keyed_digest(key: bytes, value: object) -> bytes:
    """HMAC-SHA256 of ``str(value)`` under ``key``."""
    return hmac.digest(key, str(value).encode("utf-8"), "sha256")  # one C call


def register_sqlite(dbapi_connection: sqlite3.Connection, salt: str) -> None:
    """Give a SQLite connection ``golive_hash(v)`` and ``golive_hex(v, n)`` under ``salt``."""
    key = salt.encode("utf-8")

    @lru_cache(maxsize=65_536)
    def digest(value: object) -> bytes:
        return keyed_digest(key, value)

    def golive_hash(value: object) -> int | None:
        if value is None:
            return None
        return int.from_bytes(digest(value)[:8], "big") >> 4  # 60 bits, never negative

    def golive_hex(value: object, length: int) -> str | None:
        if value is None:
            return None
        return digest(value).hex()[16:16 + int(length)]

    dbapi_connection.create_function("golive_hash", 1, golive_hash, deterministic=True)
    dbapi_connection.create_function("golive_hex", 2, golive_hex, deterministic=True)


def hash_method(conn: Connection) -> str:
    """``"hmac-sha256"`` when pgcrypto is (or can be made) available, else ``"md5"``.

    Creating the extension happens inside the sanitize transaction under a
    savepoint, so a refusal (no privilege, not installed) changes nothing.
    """
    found = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pgcrypto'")).first()
    if found:
        return "hmac-sha256"
    available = conn.execute(text(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pgcrypto'")).first()
    if not available:
        return "md5"
    try:
        with conn.begin_nested():
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pgcrypto"))
    except DBAPIError:
        return "md5"
    return "hmac-sha256"
