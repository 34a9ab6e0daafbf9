"""The guard in front of every destructive step: golive writes only to staging.

Two checks, both refusing with a `SafetyError` (exit 2):

- `assert_staging(profile, dsn)` — called by the targets before every write
  (restore, bill run, billing service, redirecting outbound): ``dsn`` must be
  the profile's staging database, marked ``staging: true``, and must not be
  production by its text or, for SQLite, by device and inode. It never
  connects, so it is cheap enough for every write.
- `assert_distinct(profile)` — called by the pipeline at the start of every
  destructive stage (restore, sanitize, lock-down, bill run, stop service) and
  by ``golive sanitize``: asks the file system and both servers whether
  staging is production (`harness.identity`). Not cached: a server can change
  behind a name between two stages, and the check costs two connections.

Messages show DSNs with every credential hidden. A target opened on any other
environment (production: the comparison, the post-go-live smoke) gets a
read-only connection from `read_only`: the database itself refuses a write,
whoever attempts it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import ConnectionPoolEntry

from common.dsn import Dsn, DsnError, mask
from common.errors import SafetyError
from common.redaction import redact as redact_text
from harness.identity import Identity, IdentityUnknown, by_installation, comparable, compare

if TYPE_CHECKING:  # the profile's module imports the targets, which import this guard
    from harness.config import Profile

__all__ = ["IdentityUnknown", "SafetyError", "assert_distinct", "assert_staging", "read_only",
           "redact", "reveal", "safe_dsn"]


def reveal(dsn: object) -> str:
    """The DSN text of a profile field (a password-hiding wrapper has `.reveal()`)."""
    if dsn is None:
        return ""
    revealer = getattr(dsn, "reveal", None)
    return str(revealer()) if callable(revealer) else str(dsn)


def safe_dsn(dsn: object) -> str:
    """The DSN as it may be printed: every credential replaced by ***."""
    return mask(reveal(dsn))


def _dsn(value: object) -> Dsn:
    try:
        return Dsn.of(value)
    except (ArgumentError, ValueError) as exc:
        detail = f": {exc}" if isinstance(exc, DsnError) else ""
        raise SafetyError(f"cannot read the database URL {safe_dsn(value)}{detail}") from None


def redact(message: str, dsns: Iterable[object]) -> str:
    """``message`` with every credential of ``dsns`` (and of any DSN in it) replaced."""
    found: list[str] = []
    for dsn in dsns:
        try:
            found += Dsn.of(dsn).secrets()
        except (ArgumentError, ValueError):
            continue
    return redact_text(message, found)


def _staging(profile: Profile, shown: str) -> Dsn:
    staging = profile.environments.staging
    if staging.staging is not True:  # the loader refuses it; a profile changed since may not
        raise SafetyError(f"refusing to write to {shown}: environments.staging is not marked "
                          "'staging: true' in the profile")
    return _dsn(staging.dsn)


def _production(profile: Profile) -> Dsn:
    return _dsn(profile.environments.production.dsn)


def assert_staging(profile: Profile, dsn: object) -> None:
    """Refuse (SafetyError) unless ``dsn`` is the profile's staging database, marked
    ``staging: true``, and not the production database (by text or SQLite inode)."""
    shown = safe_dsn(dsn)
    staging = _staging(profile, shown)
    if not _dsn(dsn).same_database(staging):
        raise SafetyError(f"refusing to write to {shown}: it is not the profile's staging "
                          f"database ({staging.masked})")
    production = _production(profile)
    if production.same_database(staging):
        raise SafetyError(
            f"refusing to write to {shown}: the staging database is the production "
            f"database ({production.masked}); point environments.staging.dsn elsewhere")


def assert_distinct(profile: Profile, installations: Callable[[], tuple[str, str]] | None = None
                    ) -> Identity:
    """Refuse unless the file system or the servers say staging is not production.

    Returns how it was decided (for the stage's evidence). `IdentityUnknown`
    (exit 2) or `EnvironmentProblem` (exit 3, unreachable) when it cannot be
    established: golive never guesses "different". ``installations`` asks a platform
    golive does not connect to which installation staging and production are."""
    staging = _staging(profile, "staging")
    production = _production(profile)
    assert_staging(profile, staging)
    if installations is not None and not comparable(staging, production):
        found = by_installation(staging, production, installations)
    else:
        found = compare(staging, production)
    if found.same:
        raise SafetyError(
            f"refusing to write to {staging.masked}: it is the production database "
            f"({production.masked}) — {found.how}; point environments.staging.dsn elsewhere")
    return found


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
    def _read_only(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute(statement)
        cursor.close()
        if dialect == "postgresql":
            dbapi_conn.commit()  # psycopg opens a transaction for the SET; keep the setting

    engine.dispose()
    return engine
