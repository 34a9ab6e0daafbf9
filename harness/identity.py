"""Is staging production? Asked of the file system and the servers, never of URL text.

`compare(staging, production)` decides, right before a write:

- **SQLite**: the two files' device and inode, after resolving ``file:`` URIs,
  relative paths and symbolic links (hard links and bind mounts share an
  inode). A staging file that does not exist yet is another database only
  when its resolved folder and name differ from production's (see
  `common.dsn.SqliteFile.same_file`).
- **PostgreSQL**: both servers are asked. Staging's connection takes a random
  session advisory lock; production's connection looks for it in ``pg_locks``
  (which every role may read, cluster-wide). Seen there, both connections
  reached one server, and the lock's database OID against production's says
  whether they reached one database. Not seen — while staging still sees its
  own lock before and after — they are two servers. This needs no privilege
  and is immune to host aliases, addresses, sockets and ports.
  ``system_identifier`` (``pg_control_system()``), the postmaster start time and
  the port are recorded too: the same identifier and start time mean one
  server whatever the lock says. The same identifier with another start time is
  a physical copy of production (a restored base backup), which is another
  server and may be staging. Server addresses (``inet_server_addr()``) are
  recorded but never decide anything: over a socket they are NULL, and every
  alias of one server (127.0.0.1, 127.0.0.2) reports its own.
- **A platform golive does not connect to** (an HTTP API behind an adapter):
  the target reports its installation (`harness.targets.base.Installation`)
  on each side; the same identifier means one system.
- **Anything else**, or a probe that cannot be read (a pooler that moves
  statements between server connections, ``pg_locks`` revoked): identity
  cannot be established and the write is refused (`IdentityUnknown`, exit 2).
  An unreachable database is an `EnvironmentProblem` (exit 3), also refused.

Connections use the same URL and driver as the code that writes, with a
connect timeout, and read nothing but the catalogue.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from common.dsn import Dsn
from common.errors import EnvironmentProblem, SafetyError, redact

__all__ = ["CONNECT_TIMEOUT", "Identity", "IdentityUnknown", "by_installation", "comparable",
           "compare"]

CONNECT_TIMEOUT = 10  # seconds: an unreachable server is refused, never waited on forever
_LOCKS = text("SELECT database FROM pg_locks WHERE locktype = 'advisory' "
              "AND classid = CAST(:hi AS oid) AND objid = CAST(:lo AS oid) "
              "AND objsubid = 1 AND granted")


class IdentityUnknown(SafetyError):
    """golive could not establish whether staging is production, so it does not write."""


@dataclass(frozen=True)
class Identity:
    """The answer: ``same`` or not, ``how`` it was decided (one sentence for the
    report), and the facts each side reported (no credentials)."""

    same: bool
    how: str
    facts: dict[str, Any] = field(default_factory=dict)


def comparable(staging: Dsn, production: Dsn) -> bool:
    """Whether `compare` can decide from the file system or the servers."""
    return (staging.backend != production.backend
            or (staging.sqlite is not None and production.sqlite is not None)
            or staging.backend == "postgresql")


def by_installation(staging: Dsn, production: Dsn, ask: Callable[[], tuple[str, str]]
                    ) -> Identity:
    """For a platform golive does not connect to itself: what the platform reports as
    its installation on each side (`harness.targets.base.Installation`)."""
    unknown = (f"cannot establish that {staging.masked} is not the production system "
               f"{production.masked}")
    try:
        mine, theirs = ask()
    except Exception as exc:  # the platform's own code: any failure means "cannot tell"
        raise IdentityUnknown(f"{unknown}: asking the platform which installation each "
                              f"side is failed: {type(exc).__name__}: {redact(str(exc))}"
                              ) from None
    if not mine.strip() or not theirs.strip():
        raise IdentityUnknown(f"{unknown}: the platform did not say which installation "
                              f"{'staging' if not mine.strip() else 'production'} is")
    facts = {"staging_installation": mine, "production_installation": theirs}
    if mine == theirs:
        return Identity(True, f"the platform reports one installation ({mine}) on both", facts)
    return Identity(False, f"the platform reports installation {mine} on staging and "
                           f"{theirs} on production", facts)


def compare(staging: Dsn, production: Dsn) -> Identity:
    """Whether ``staging`` and ``production`` are one database, decided as above."""
    if staging.backend != production.backend:
        return Identity(False, f"different database engines ({staging.backend} and "
                               f"{production.backend})")
    if staging.sqlite is not None and production.sqlite is not None:
        return _files(staging, production)
    if staging.backend == "postgresql":
        return _servers(staging, production)
    raise IdentityUnknown(
        f"cannot establish that {staging.masked} is not the production database "
        f"{production.masked}: golive can compare SQLite files and PostgreSQL servers, not "
        f"{staging.backend} databases, so it does not write there (an adapter can report "
        f"its platform's installation: harness.targets.base.Installation)")


def _files(staging: Dsn, production: Dsn) -> Identity:
    s, p = staging.sqlite, production.sqlite
    assert s is not None and p is not None
    facts = {"staging": {"file": str(s.path) if s.path else ":memory:", "inode": s.inode()},
             "production": {"file": str(p.path) if p.path else ":memory:", "inode": p.inode()}}
    if s.same_file(p):
        how = ("the same file (device and inode)" if s.inode() and s.inode() == p.inode()
               else "the same file path")
        return Identity(True, f"SQLite: {how}", facts)
    if s.memory or p.memory:
        return Identity(False, "SQLite: one of them is an in-memory database", facts)
    if s.inode() is None:
        return Identity(False, "SQLite: staging's file does not exist yet, and its folder "
                               "and name differ from production's", facts)
    return Identity(False, "SQLite: different files (device and inode)", facts)


# -- PostgreSQL -------------------------------------------------------------------------------


@contextmanager
def _connect(dsn: Dsn, role: str) -> Iterator[Connection]:
    engine = create_engine(dsn.sqlalchemy_url, poolclass=NullPool,
                           connect_args={"connect_timeout": CONNECT_TIMEOUT})
    try:
        try:
            conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0] if str(exc.orig or exc) \
                else type(exc).__name__
            raise EnvironmentProblem(
                f"refusing to write: cannot establish that staging is not production, because "
                f"the {role} database {dsn.masked} is unreachable: "
                f"{redact(reason, dsn.secrets())}") from None
        try:
            yield conn
        finally:
            conn.close()
    finally:
        engine.dispose()


def _facts(conn: Connection) -> dict[str, Any]:
    row = conn.execute(text(
        "SELECT current_database(), d.oid, pg_postmaster_start_time(), "
        "current_setting('port'), host(inet_server_addr()), inet_server_port() "
        "FROM pg_database d WHERE d.datname = current_database()")).one()
    facts: dict[str, Any] = {"database": row[0], "database_oid": int(row[1]),
                             "started_at": row[2].isoformat() if row[2] else None,
                             "port": row[3], "server_address": row[4],
                             "server_port": row[5]}
    try:
        facts["system_identifier"] = str(conn.execute(text(
            "SELECT system_identifier FROM pg_control_system()")).scalar_one())
    except DBAPIError:  # needs superuser or pg_monitor on some installations
        facts["system_identifier"] = None
    return facts


def _own_lock(conn: Connection, hi: int, lo: int, oid: int) -> bool:
    return oid in {int(r[0]) for r in conn.execute(_LOCKS, {"hi": hi, "lo": lo})}


def _servers(staging: Dsn, production: Dsn) -> Identity:
    unknown = (f"cannot establish that {staging.masked} is not the production database "
               f"{production.masked}")
    try:
        with _connect(production, "production") as prod, _connect(staging, "staging") as stag:
            pf, sf = _facts(prod), _facts(stag)
            facts = {"staging": sf, "production": pf}
            key = _lock(stag, unknown)
            hi, lo = key >> 32, key & 0xFFFFFFFF
            try:
                if not _own_lock(stag, hi, lo, sf["database_oid"]):
                    raise IdentityUnknown(f"{unknown}: staging's server does not show its own "
                                          "advisory lock in pg_locks (a connection pooler?)")
                seen = {int(r[0]) for r in prod.execute(_LOCKS, {"hi": hi, "lo": lo})}
                if not _own_lock(stag, hi, lo, sf["database_oid"]):
                    raise IdentityUnknown(f"{unknown}: staging's advisory lock vanished while "
                                          "production looked for it (a connection pooler?)")
            finally:
                stag.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise IdentityUnknown(f"{unknown}: asking the servers failed: "
                              f"{redact(reason, staging.secrets() + production.secrets())}"
                              ) from None
    same_id = sf["system_identifier"] is not None \
        and sf["system_identifier"] == pf["system_identifier"]
    one_server = bool(seen) or (same_id and sf["started_at"] == pf["started_at"])
    if not one_server:
        copy = (" (the same system_identifier: staging is a physical copy of production, "
                "started separately)") if same_id else ""
        return Identity(False, "PostgreSQL: two servers — staging's advisory lock is not "
                               f"visible from production's connection{copy}", facts)
    if pf["database_oid"] in seen or (not seen and sf["database_oid"] == pf["database_oid"]):
        return Identity(True, "PostgreSQL: one server (staging's advisory lock is visible from "
                              "production's connection) and one database "
                              f"(oid {pf['database_oid']})", facts)
    return Identity(False, "PostgreSQL: one server, two databases "
                           f"({sf['database']} oid {sf['database_oid']}, {pf['database']} oid "
                           f"{pf['database_oid']})", facts)


def _lock(conn: Connection, unknown: str) -> int:
    """A random advisory lock key staging's session now holds."""
    for _ in range(3):
        key = secrets.randbits(62) + 1
        if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one():
            return key
    raise IdentityUnknown(f"{unknown}: staging's server refused an advisory lock")
