"""Staging never keeps unsanitized production data after a preparation that failed.

When preparation stops — a failure or an interrupt — after the restore began
and before sanitizing finished (with sanitizing enabled), staging may hold
production's raw personal data. The pipeline empties it before it reports the
failure, and the report says so (the stage's error, the run's notes and
``record.sanitize.staging``):

- **SQLite**: the database file and its journal/WAL files are deleted;
- **PostgreSQL**: every table and partitioned table of every user schema is
  truncated in one statement, materialised views are refreshed ``WITH NO
  DATA``, large objects are unlinked, and every table is read back empty.

Emptying writes, so it first asks `harness.safety.assert_distinct` again:
production is never emptied. If staging cannot be emptied the sentence says
that it STILL HOLDS unsanitized data, so nobody mistakes it for clean.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from common.dsn import Dsn
from common.errors import GoliveError, redact
from harness.config import Profile
from harness.safety import assert_distinct
from harness.sections import SanitizeSection, StagingState
from harness.stages.context import StageContext

__all__ = ["empty_staging", "quarantine"]

_SIDE_FILES = ("-journal", "-wal", "-shm")
_USER_RELATIONS = text(
    "SELECT n.nspname, c.relname, c.relkind FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition "
    "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%' "
    "ORDER BY 1, 2")


def _empty_sqlite(dsn: Dsn) -> str:
    path = dsn.sqlite_path
    if path is None:
        return "staging is an in-memory database: nothing stays behind"
    removed = [p for p in [path, *(Path(f"{path}{s}") for s in _SIDE_FILES)] if p.exists()]
    for file in removed:
        file.unlink()
    return f"staging was emptied: its SQLite file {path} was deleted"


def _truncate(conn: Connection) -> tuple[int, int]:
    quote = conn.dialect.identifier_preparer.quote
    rows = conn.execute(_USER_RELATIONS).all()
    tables = [f"{quote(s)}.{quote(n)}" for s, n, kind in rows if kind in ("r", "p")]
    views = [f"{quote(s)}.{quote(n)}" for s, n, kind in rows if kind == "m"]
    if tables:
        conn.execute(text(f"TRUNCATE TABLE {', '.join(tables)} CASCADE"))
    for view in views:
        conn.execute(text(f"REFRESH MATERIALIZED VIEW {view} WITH NO DATA"))
    conn.execute(text("SELECT lo_unlink(oid) FROM pg_largeobject_metadata"))
    left = [t for t in tables if conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {t})"))
            .scalar_one()]
    if left:
        raise RuntimeError(f"rows remain in {', '.join(left[:5])}")
    return len(tables), len(views)


def _empty_server(dsn: Dsn) -> str:
    engine = create_engine(dsn.sqlalchemy_url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            tables, views = _truncate(conn)
    finally:
        engine.dispose()
    return (f"staging was emptied: {tables} tables truncated, {views} materialised views "
            "emptied, large objects removed")


def empty_staging(profile: Profile) -> str:
    """Empty the profile's staging database (never production); the sentence saying how."""
    assert_distinct(profile)
    dsn = Dsn.of(profile.environments.staging.dsn)
    if dsn.sqlite is not None:
        return _empty_sqlite(dsn)
    if dsn.backend == "postgresql":
        return _empty_server(dsn)
    raise RuntimeError(f"golive cannot empty a {dsn.backend} database")


def quarantine(ctx: StageContext, stage: str) -> str:
    """After ``stage`` failed or was interrupted while staging may hold raw production
    data: empty staging and record it (notes, ``record.sanitize.staging``).
    Returns the sentence for the stage's error."""
    try:
        ctx.target.close()  # no pooled connection may hold the file or a lock
        said = empty_staging(ctx.profile)
        state = "emptied"
    except (GoliveError, SQLAlchemyError, OSError, RuntimeError) as exc:
        reason = redact(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0])
        said = (f"staging STILL HOLDS unsanitized production data: emptying it failed "
                f"({reason}); empty or drop it by hand before anyone uses it")
        state = "not emptied"
    if ctx.record.sanitize is None:
        ctx.record.sanitize = SanitizeSection(enabled=True)
    ctx.record.sanitize.staging = StagingState(state, said)
    ctx.record.notes.append(f"The {stage} stage did not finish, so {said}.")
    ctx.raw_in_staging = state != "emptied"
    return said
