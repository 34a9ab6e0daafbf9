"""Staging that *is* production under another name is refused before any write — decided by
the file system and the servers themselves, on real SQLite files and real PostgreSQL.

Each refusal is proven three ways where it applies: the profile loader refuses it (the
textual check), the write-time guard refuses it on its own (profiles built by hand, so the
loader cannot have caught it), and production's data did not change.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import yaml

from common.dsn import Dsn
from common.errors import ConfigError, EnvironmentProblem, SafetyError
from harness.config import Profile, load_profile
from harness.identity import IdentityUnknown, compare
from harness.safety import assert_distinct, assert_staging
from harness.targets.demo import DemoTarget
from tests.harness.target_profiles import by_hand
from tests.pg import PgServer, clone_server, start_server
from tests.relay import Relay

ROOT = Path(__file__).resolve().parents[2]
GOLIVE = str(Path(sys.executable).parent / "golive")
DATA = Path(__file__).parent / "data"
# the example SQL target (tests/harness/data/sql_profile.yaml) and what its commands need
SQL_TARGET = yaml.safe_load((DATA / "sql_profile.yaml").read_text(encoding="utf-8"))["target"]
SQL_ENV = {"PYTHON": sys.executable, "HERE": str(DATA)}


def profile(staging: str, production: str) -> Profile:
    """A profile built past the loader: its own check cannot have run on it."""
    return by_hand(staging, production)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- SQLite --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated 20-account production and its demo backup, made once."""
    from demo.backup import backup
    from demo.generate import generate

    root = tmp_path_factory.mktemp("made")
    generate(f"sqlite:///{root / 'production.db'}", 20, 5)
    manifest = backup(f"sqlite:///{root / 'production.db'}", root / "backups")
    assert manifest.path is not None
    manifest.path.rename(root / "backups" / "pre.manifest.json")
    return root


@pytest.fixture
def project(made: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder: var/production.db (a copy), the backup, checklists, features."""
    monkeypatch.setenv("DEMO_HOME", str(tmp_path / "demo-home"))
    (tmp_path / "var").mkdir()
    shutil.copy(made / "production.db", tmp_path / "var" / "production.db")
    shutil.copytree(made / "backups", tmp_path / "var" / "backups")
    for folder in ("checklists", "features"):
        (tmp_path / folder).mkdir()
    return tmp_path


# (setup in the project folder, staging DSN relative to it)
SQLITE_ALIASES = {
    "hard link": ("ln var/production.db var/staging.db", "sqlite:///var/staging.db"),
    "symbolic link": ("ln -s production.db var/staging.db", "sqlite:///var/staging.db"),
    "linked folder": ("ln -s var var2", "sqlite:///var2/production.db"),
    "dot-dot": ("", "sqlite:///var/../var/production.db"),
    "file: URI": ("", "sqlite:///file:var/production.db?uri=true"),
    "file: URI, mode": ("", "sqlite:///file:./var/production.db?mode=rw&uri=true"),
    "file: URI, no uri=true": ("", "sqlite:///file:var/production.db"),
    "file: URI, absolute": ("", "sqlite:///file://localhost{project}/var/production.db?uri=true"),
    "hard link by file: URI": ("ln var/production.db var/s.db", "sqlite:///file:var/s.db?uri=true"),
}


@pytest.mark.parametrize("alias", list(SQLITE_ALIASES))
def test_sqlite_staging_that_is_production_is_refused_before_any_write(
        project: Path, alias: str, monkeypatch: pytest.MonkeyPatch) -> None:
    setup, staging = SQLITE_ALIASES[alias]
    staging = staging.format(project=project)
    if setup:
        subprocess.run(["bash", "-c", setup], cwd=project, check=True)
    production = project / "var" / "production.db"
    before = digest(production)

    # the loader refuses it (text and inode; it never connects) …
    (project / "golive.yaml").write_text(yaml.safe_dump({
        "name": "alias", "target": {"kind": "demo"},
        "environments": {"production": {"dsn": "sqlite:///var/production.db"},
                         "staging": {"dsn": staging, "staging": True}},
        "backup": {"path": "var/backups/pre.manifest.json"},
        "bill_run": {"date": "2026-11-01"}}))
    with pytest.raises(ConfigError) as loaded:
        load_profile(project / "golive.yaml")
    assert [p.key for p in loaded.value.problems] == ["environments.staging.dsn"]
    assert "is the production database" in loaded.value.problems[0].message

    # … and so does the guard at the moment of writing, on its own
    monkeypatch.chdir(project)  # a hand-made profile's relative paths start here
    by_hand = profile(Dsn(staging, project).reveal(), f"sqlite:///{production}")
    with pytest.raises(SafetyError, match="is the production database") as refused:
        assert_distinct(by_hand)
    assert refused.value.exit_code == 2
    target = DemoTarget(by_hand, "staging")
    with pytest.raises(SafetyError, match="is the production database"):
        target.restore(project / "var" / "backups" / "pre.manifest.json")
    with pytest.raises(SafetyError):
        target.outbound.redirect({"mail": "smtp://127.0.0.1:2525"})
    target.close()
    assert digest(production) == before


def test_a_link_made_after_the_check_is_refused_at_the_write(project: Path) -> None:
    """The race: staging did not exist when the stage checked; a hard link to production
    appears before the restore writes. The write-time guard looks again."""
    production = project / "var" / "production.db"
    staging = project / "var" / "staging.db"
    by_hand = profile(f"sqlite:///{staging}", f"sqlite:///{production}")
    found = assert_distinct(by_hand)
    assert not found.same and "does not exist yet" in found.how
    before = digest(production)
    os.link(production, staging)
    with pytest.raises(SafetyError, match="is the production database"):
        DemoTarget(by_hand, "staging").restore(project / "var" / "backups" / "pre.manifest.json")
    assert digest(production) == before


def test_a_new_staging_file_beside_production_is_another_database(project: Path) -> None:
    production = project / "var" / "production.db"
    by_hand = profile(f"sqlite:///{project}/var/staging.db", f"sqlite:///{production}")
    assert "does not exist yet" in assert_distinct(by_hand).how
    shutil.copy(production, project / "var" / "staging.db")  # a copy is another file
    assert assert_distinct(by_hand).how == "SQLite: different files (device and inode)"


def test_engines_that_golive_cannot_compare_are_refused() -> None:
    with pytest.raises(IdentityUnknown, match="can compare SQLite files and PostgreSQL") as no:
        assert_distinct(profile("mysql+pymysql://qa@db/staging", "mysql+pymysql://qa@db2/prod"))
    assert no.value.exit_code == 2


# -- PostgreSQL -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tcp() -> Iterator[PgServer]:
    """A server answering on its socket and on TCP 127.0.0.1 and 127.0.0.2."""
    server = start_server(listen="127.0.0.1,127.0.0.2")
    with psycopg.connect(server.libpq_dsn(), autocommit=True) as conn:
        for name in ("prod", "stag"):
            conn.execute(f"CREATE DATABASE {name}")
        conn.execute("CREATE ROLE app LOGIN")
    with psycopg.connect(server.libpq_dsn("prod"), autocommit=True) as conn:
        conn.execute("CREATE TABLE accounts (id int PRIMARY KEY, name text)")
        conn.execute("INSERT INTO accounts VALUES (1, 'Only In Production')")
    yield server
    server.stop()


def pg_digest(url: str) -> str:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT id, name FROM accounts ORDER BY id").fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def spellings(server: PgServer, db: str) -> dict[str, str]:
    host = socket.gethostname()  # resolves to this machine (here through /etc/hosts)
    port = server.port
    return {
        "socket": f"postgresql://postgres@/{db}?host={server.socket_dir}&port={port}",
        "127.0.0.1": f"postgresql://postgres@127.0.0.1:{port}/{db}",
        "127.0.0.2": f"postgresql://postgres@127.0.0.2:{port}/{db}",
        "localhost": f"postgres://postgres@localhost:{port}/{db}",
        "LOCALHOST": f"postgresql+psycopg://postgres@LOCALHOST:{port}/{db}",
        "host name": f"postgresql://postgres@{host}:{port}/{db}",
        "?host=&port=": f"postgresql://postgres@/{db}?host=127.0.0.1&port={port}",
        "keyword/value": f"host=127.0.0.2 port={port} dbname={db} user=postgres",
        "other role": f"postgresql://app@127.0.0.1:{port}/{db}",
    }


@pytest.mark.postgres
@pytest.mark.parametrize("spelling", ["127.0.0.1", "127.0.0.2", "localhost", "LOCALHOST",
                                      "host name", "?host=&port=", "keyword/value",
                                      "other role"])
def test_every_way_to_reach_one_server_is_one_database(tcp: PgServer, spelling: str) -> None:
    production = Dsn(spellings(tcp, "prod")["socket"])
    found = compare(Dsn(spellings(tcp, "prod")[spelling]), production)
    assert found.same, found
    assert "advisory lock is visible" in found.how and "one database" in found.how
    assert found.facts["staging"]["database_oid"] == found.facts["production"]["database_oid"]
    assert found.facts["production"]["system_identifier"]
    with pytest.raises(SafetyError, match="is the production database"):
        assert_distinct(profile(spellings(tcp, "prod")[spelling], str(production.reveal())))


@pytest.mark.postgres
def test_one_server_two_databases_are_two(tcp: PgServer) -> None:
    names = spellings(tcp, "stag")
    found = compare(Dsn(names["127.0.0.2"]), Dsn(spellings(tcp, "prod")["socket"]))
    assert not found.same and "one server, two databases" in found.how


@pytest.mark.postgres
def test_two_servers_are_two(tcp: PgServer, pg_server: PgServer) -> None:
    other = pg_server.libpq_dsn("postgres")
    found = compare(Dsn(other), Dsn(spellings(tcp, "prod")["socket"]))
    assert not found.same and "two servers" in found.how


@pytest.mark.postgres
def test_a_physical_copy_of_production_is_another_server() -> None:
    """A base-backup clone shares production's system_identifier, yet is another server:
    staging may be one. The advisory lock tells them apart."""
    original, copy = clone_server(start_server())
    try:
        found = compare(Dsn(copy.libpq_dsn()), Dsn(original.libpq_dsn()))
        assert found.facts["staging"]["system_identifier"] == \
            found.facts["production"]["system_identifier"]
        assert not found.same and "physical copy of production" in found.how
    finally:
        copy.stop()
        original.stop()


@pytest.mark.postgres
def test_unreachable_production_is_refused_never_guessed(tcp: PgServer) -> None:
    dead = f"postgresql://postgres:{'Sekret-99'}@127.0.0.1:{_free_port()}/prod"
    with pytest.raises(EnvironmentProblem) as caught:
        assert_distinct(profile(spellings(tcp, "stag")["socket"], dead))
    assert caught.value.exit_code == 3
    assert "cannot establish that staging is not production" in str(caught.value)
    assert "production database" in str(caught.value) and "Sekret-99" not in str(caught.value)


@pytest.mark.postgres
def test_a_probe_that_cannot_be_read_refuses(tcp: PgServer) -> None:
    """pg_locks revoked for staging's role: identity cannot be established, so no write."""
    with psycopg.connect(tcp.libpq_dsn(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE locked")
    with psycopg.connect(tcp.libpq_dsn("locked"), autocommit=True) as conn:
        conn.execute("REVOKE SELECT ON pg_catalog.pg_locks FROM PUBLIC")
    staging = f"postgresql://app@127.0.0.1:{tcp.port}/locked"
    with pytest.raises(IdentityUnknown, match="cannot establish") as caught:
        assert_distinct(profile(staging, spellings(tcp, "prod")["socket"]))
    assert caught.value.exit_code == 2 and "pg_locks" in str(caught.value)


# -- a port forward: different text, one server, through the real command -------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.postgres
def test_golive_run_refuses_production_behind_a_port_forward(tcp: PgServer, tmp_path: Path
                                                              ) -> None:
    """The profile names production on the server's port and staging on a forwarded port:
    different text, so the loader lets it through; the restore stage asks both servers,
    finds one database and refuses with exit 2, before production is touched."""
    relay = Relay(("127.0.0.1", tcp.port))
    try:
        production = f"postgresql://postgres@127.0.0.1:{tcp.port}/prod"
        staging = f"postgresql://postgres@127.0.0.1:{relay.port}/prod"
        assert not Dsn(staging).same_database(Dsn(production))  # the text cannot know
        backup = tmp_path / "pre.dump"
        backup.write_bytes(b"not used: refused before the restore reads it")
        for folder in ("checklists", "features"):
            shutil.copytree(ROOT / folder, tmp_path / folder)
        # the demo's accounts take production's values through a population section this
        # SQL profile does not have; the critical items are enough to get to the restore
        (tmp_path / "checklists" / "accounts.yaml").unlink()
        profile_path = tmp_path / "golive.yaml"
        profile_path.write_text(yaml.safe_dump({
            "name": "port forward", "target": SQL_TARGET,
            "environments": {"production": {"dsn": production},
                             "staging": {"dsn": staging, "staging": True}},
            "backup": {"path": "pre.dump"}, "bill_run": {"date": "2026-11-01"}}))
        before = pg_digest(production)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "GOLIVE_"))}
        env.update(SQL_ENV)
        done = subprocess.run([GOLIVE, "run", "--profile", str(profile_path)], cwd=tmp_path,
                              capture_output=True, text=True, env=env, timeout=600, check=False)
        output = done.stdout + done.stderr
        assert done.returncode == 2, output
        assert "is the production database" in output and "one database" in output, output
        assert "Traceback" not in output
        assert pg_digest(production) == before
        assert_staging(profile(staging, production), staging)  # text alone: not refused
    finally:
        relay.close()


@pytest.mark.postgres
@pytest.mark.parametrize("spelling", [
    "postgres://postgres@127.0.0.1:{port}/prod",
    "postgresql://postgres@localhost:{port}/prod",
    "postgresql://postgres@localhost.localdomain:{port}/prod",
    "postgresql://postgres@localhost.:{port}/prod",
    "postgresql://postgres@LocalHost:{port}/prod",
    "postgresql://postgres@127.0.0.2:{port}/prod",
    "postgresql://postgres@/prod?host={socket}&port={port}",
    "host=127.0.0.2 port={port} dbname=prod user=app",
])
def test_golive_refuses_every_spelling_of_production_with_exit_2(
        tcp: PgServer, tmp_path: Path, spelling: str) -> None:
    """A real profile, production on the server's socket, staging another spelling of the
    same database: golive sanitize exits 2 and production is unchanged."""
    from click.testing import CliRunner

    from harness.cli import main

    production = spellings(tcp, "prod")["socket"]
    staging = spelling.format(port=tcp.port, socket=tcp.socket_dir)
    for folder in ("checklists", "features"):
        (tmp_path / folder).mkdir()
    (tmp_path / "pre.dump").write_bytes(b"")
    (tmp_path / "golive.yaml").write_text(yaml.safe_dump({
        "name": "spelling", "target": SQL_TARGET,
        "environments": {"production": {"dsn": production},
                         "staging": {"dsn": staging, "staging": True}},
        "backup": {"path": "pre.dump"}, "bill_run": {"date": "2026-11-01"},
        "sanitize": {"enabled": True, "scripts": ["pre.dump"]}}))
    before = pg_digest(production)
    result = CliRunner().invoke(main, ["sanitize", "--profile", str(tmp_path / "golive.yaml")],
                                env=SQL_ENV)
    assert result.exit_code == 2, result.output
    assert "1 problem;" in result.output  # that one, and nothing else wrong with the profile
    assert "environments.staging.dsn: is the production database" in result.output
    assert pg_digest(production) == before
