"""One database read through the profile's named queries: what every part of the SQL
target shares (engine, bound parameters, errors that name the query and its user)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import Engine, bindparam, create_engine, text
from sqlalchemy.exc import ArgumentError, DBAPIError

from common.dsn import sqlalchemy_url
from harness.config import Profile
from harness.safety import assert_staging, read_only, redact, safe_dsn
from harness.targets.base import TargetError
from harness.targets.rows import build_view
from harness.targets.sql_catalog import BIND, RUN_BINDS

V = TypeVar("V")


class SqlDatabase:
    """The target's database, its named queries, and the staging guard for its writes."""

    def __init__(self, profile: Profile, dsn: str, queries: Mapping[str, str],
                 writable: bool) -> None:
        self.profile = profile
        self.dsn = dsn
        self.queries = dict(queries)
        self.writable = writable  # anything but staging is read through a read-only link
        # bound in every query that uses them: golive's own bill run (run_mark), else NULL
        self.binds: dict[str, Any] = dict.fromkeys(RUN_BINDS)
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            try:
                engine = create_engine(sqlalchemy_url(self.dsn))
            except ArgumentError as exc:
                raise TargetError(f"bad database URL {safe_dsn(self.dsn)}: {exc}") from None
            self._engine = engine if self.writable else read_only(engine)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def guard(self) -> None:
        """Refuse (SafetyError) unless this is the profile's staging database."""
        assert_staging(self.profile, self.dsn)

    def redact(self, message: str) -> str:
        return redact(message, [self.dsn])

    def rows(self, query: str, method: str, **params: Any) -> list[dict[str, Any]]:
        """The rows of ``query`` with the parameters it uses bound; ``method`` (the
        Target method asking) is named in every error."""
        sql = self.queries.get(query)
        if sql is None:  # the profile loader makes this rare: only a capability's own query
            raise TargetError(f"Target.{method} needs the query target.queries.{query} in the "
                              "profile; add it (see tests/harness/data/sql_profile.yaml)")
        used = set(BIND.findall(sql))
        stmt = text(sql)
        if "levels" in used:
            stmt = stmt.bindparams(bindparam("levels", expanding=True))
        try:
            with self.engine.connect() as conn:
                values = {**self.binds, **params}
                result = conn.execute(stmt, {k: v for k, v in values.items() if k in used})
                return [dict(r) for r in result.mappings()]
        except DBAPIError as exc:
            reason = self.redact(str(exc.orig or exc).strip().splitlines()[0])
            raise TargetError(f"query target.queries.{query} (used by Target.{method}) "
                              f"failed on {safe_dsn(self.dsn)}: {reason}") from None

    def views(self, cls: type[V], query: str, method: str, **params: Any) -> list[V]:
        return [build_view(cls, row, query, method) for row in self.rows(query, method, **params)]

    def one(self, cls: type[V], query: str, method: str, **params: Any) -> V | None:
        found = self.views(cls, query, method, **params)
        if len(found) > 1:
            raise TargetError(f"query target.queries.{query} (used by Target.{method}) "
                              f"returned {len(found)} rows for {params}; it must return one")
        return found[0] if found else None

    def columns(self, rows: list[dict[str, Any]], wanted: tuple[str, ...], query: str,
                method: str) -> None:
        """TargetError unless ``rows`` (when any) have every column of ``wanted``."""
        if rows and not set(wanted) <= set(rows[0]):
            raise TargetError(f"query target.queries.{query} (used by Target.{method}) must "
                              f"return columns {' and '.join(wanted)}")
