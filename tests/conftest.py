"""Fixtures shared by golive's own tests: fresh SQLite and PostgreSQL databases."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import PgServer, PostgresUnavailable, start_server


@pytest.fixture(scope="session", autouse=True)
def golive_lock_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Staging locks of golive's own tests stay in this session's temporary folder (every
    ``golive run`` a test starts inherits it), never in the machine's lock folder."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # one folder for all workers of the session
    folder = root / "golive-locks"
    previous = os.environ.get("GOLIVE_LOCK_DIR")
    os.environ["GOLIVE_LOCK_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("GOLIVE_LOCK_DIR", None)
    else:
        os.environ["GOLIVE_LOCK_DIR"] = previous


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One real PostgreSQL server per test session (per xdist worker)."""
    try:
        server = start_server()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A fresh, empty PostgreSQL database (SQLAlchemy URL)."""
    return pg_server.create_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'demo.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh empty database on each engine the platform supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'demo.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.create_database()
