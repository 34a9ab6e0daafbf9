"""The staging lock on the PostgreSQL server itself: one run at a time across machines.

The file lock (`harness.staging_lock`) only sees runs on the same machine. A
PostgreSQL staging database is often shared by several machines (a CI runner
and a QA laptop), so for one the run also holds a session-level advisory lock
in that database, on a connection kept open for the whole run: the server
drops it when the connection ends, however the run ended. The connection
names the run (``application_name``), which is how a refused run can say who
holds staging. The connection holds no table lock, so the run's own restore
(``pg_restore --clean`` into the same database) is never blocked by it.

When the server cannot be reached at all, no advisory lock is taken: the file
lock still guards this machine, and the run's restore then reports the
database problem where it belongs.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["ADVISORY_KEY", "PgLock", "libpq_dsn"]

# One 64-bit key for "golive's staging lock" (advisory locks are per database already).
ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"golive staging lock").digest()[:8], "big",
                              signed=True)
_HOLDER = """
SELECT a.application_name, a.client_addr::text, a.backend_start::text
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid::bigint = %s AND l.objid::bigint = %s
"""


def libpq_dsn(dsn: str) -> str | None:
    """The DSN as libpq reads it (no SQLAlchemy driver), or None when it is not PostgreSQL."""
    try:
        url = make_url(dsn)
    except (ArgumentError, ValueError):
        return None
    if url.get_backend_name() not in ("postgresql", "postgres"):
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass(frozen=True)
class PgHolder:
    name: str  # the holder's application_name: "golive <run id> pid <pid>@<host>"
    client: str | None
    since: str | None

    def describe(self) -> str:
        where = f" from {self.client}" if self.client else ""
        since = f", connected since {self.since}" if self.since else ""
        return f"{self.name}{where}{since} (per the PostgreSQL server)"


class PgLock:
    """The advisory lock of one PostgreSQL staging database."""

    def __init__(self, dsn: str) -> None:
        self.dsn = libpq_dsn(dsn)
        self._conn: Any = None

    @property
    def applies(self) -> bool:
        return self.dsn is not None

    def acquire(self, name: str) -> PgHolder | None:
        """Take the lock; return None when taken (or the server is unreachable), else who
        holds it. ``name`` identifies this run to others (``application_name``)."""
        import psycopg

        if self.dsn is None:
            return None
        try:
            conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=10,
                                   application_name=name[:63])
        except psycopg.Error:
            return None  # unreachable: the restore will say so; the file lock still holds
        try:
            got = conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_KEY,)).fetchone()
            if got is not None and got[0]:
                self._conn = conn
                return None
            row = conn.execute(_HOLDER, _halves(ADVISORY_KEY)).fetchone()
        except psycopg.Error:
            conn.close()
            return None
        conn.close()
        if row is None:  # released in between: someone else will get it next time
            return PgHolder("another run", None, None)
        return PgHolder(str(row[0] or "another session"), row[1], row[2])

    def release(self) -> None:
        """Close the connection: the server releases the lock with it. Idempotent."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


def _halves(key: int) -> tuple[int, int]:
    """pg_locks shows a bigint advisory key as classid (high 32 bits), objid (low 32)."""
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    return unsigned >> 32, unsigned & 0xFFFFFFFF
