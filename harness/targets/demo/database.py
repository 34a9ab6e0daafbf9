"""What every part of the demo target shares: its database, account lookup and guard.

The demo's own errors become golive's here too: a database, tool or service that
is not there is an EnvironmentProblem (exit 3); a bad backup or URL a TargetError.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from common.errors import EnvironmentProblem
from demo.backup import BackupEnvironmentError, BackupError
from demo.models import Account, BillRun
from demo.paths import BadDatabaseUrl, DatabaseUnavailable, open_database
from demo.releases import RELEASES, Release
from demo.service import ServiceError
from harness.config import Profile
from harness.safety import assert_staging, read_only
from harness.targets.base import TargetError

P = ParamSpec("P")
R = TypeVar("R")


def demo_errors(method: Callable[P, R]) -> Callable[P, R]:
    """``method`` with the demo's errors raised as golive's."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except (DatabaseUnavailable, BackupEnvironmentError, ServiceError) as exc:
            raise EnvironmentProblem(str(exc)) from exc
        except (BackupError, BadDatabaseUrl) as exc:
            raise TargetError(str(exc)) from exc

    return wrapper


def open_demo_database(dsn: str, purpose: str = "") -> Engine:
    """The demo database at ``dsn``; ``purpose`` prefixes an unreachable database's error."""
    try:
        return open_database(dsn)
    except DatabaseUnavailable as exc:
        raise EnvironmentProblem(f"{purpose}{exc}") from None
    except BadDatabaseUrl as exc:
        raise TargetError(str(exc)) from None


def local_naive(when: dt.datetime) -> dt.datetime:
    """The demo stores local wall-clock times without a zone; compare like with like."""
    return when.astimezone().replace(tzinfo=None) if when.tzinfo is not None else when


class DemoDatabase:
    """One environment's demo database, opened on first use, and the release deployed.

    Anything but staging is opened read-only at the database, and learns the
    release it runs from its latest bill run (after go-live, the new one)."""

    def __init__(self, profile: Profile, dsn: str, release: Release, writable: bool) -> None:
        self.profile = profile
        self.dsn = dsn
        self.release = release
        self.writable = writable
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            engine = open_demo_database(self.dsn)
            if not self.writable:
                read_only(engine)
                self._learn_release(engine)
            self._engine = engine
        return self._engine

    def _learn_release(self, engine: Engine) -> None:
        with Session(engine) as session:
            name = session.scalar(select(BillRun.release).order_by(BillRun.id.desc()).limit(1))
        if name in RELEASES:
            self.release = RELEASES[name]

    def session(self) -> Session:
        return Session(self.engine)

    def close(self) -> None:
        """Dispose of the engine (opened again on the next use). Idempotent."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def guard(self) -> None:
        """Refuse (SafetyError) unless this is the profile's staging database."""
        assert_staging(self.profile, self.dsn)

    def account_id(self, session: Session, ref: str) -> int | None:
        """The account ``ref`` names: its number, else its exact name if that is unique."""
        found = session.scalar(select(Account.id).where(Account.number == ref))
        if found is not None:
            return int(found)
        ids = session.scalars(select(Account.id).where(Account.name == ref).limit(2)).all()
        if len(ids) > 1:
            raise TargetError(f"more than one account is named {ref!r}: use its account number")
        return int(ids[0]) if ids else None

    def require(self, session: Session, ref: str) -> int:
        """`account_id`, or a TargetError when there is no such account."""
        account_id = self.account_id(session, ref)
        if account_id is None:
            raise TargetError(f"no account {ref!r} (neither an account number nor a name)")
        return account_id

    @staticmethod
    def number(session: Session, account_id: int) -> str:
        account = session.get(Account, account_id)
        assert account is not None
        return account.number
