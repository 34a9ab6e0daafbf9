"""`common.dsn`: every way a profile names a database, read the way the connecting code
reads it; every credential hidden; one database under two spellings recognised."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from common.dsn import LOCAL, Dsn, mask, sqlalchemy_url

SECRET = "Hunter2-Secret"


# -- the forms a DSN takes ----------------------------------------------------------------


def test_a_bare_path_is_a_sqlite_file_relative_to_the_profile(tmp_path: Path) -> None:
    dsn = Dsn("var/x.db", tmp_path)
    assert dsn.backend == "sqlite"
    assert dsn.sqlite_path == tmp_path / "var" / "x.db"
    assert dsn.reveal() == f"sqlite:///{tmp_path}/var/x.db"


@pytest.mark.parametrize("spelling", [
    "sqlite:///file:var/x.db?uri=true",
    "sqlite:///file:var/x.db",  # Debian's SQLite reads file: names as URIs even without it
    "sqlite:///file:./var/../var/x.db?mode=rw&uri=true",
    "sqlite:///file:{root}/var/x.db?uri=true",
    "sqlite:///file://localhost{root}/var/x.db?uri=true",
    "sqlite:///file:///{root}/var/x.db?uri=true",
    "sqlite:///file:{root}/v%61r/x.db?uri=true",  # percent-encoded, as URIs may be
])
def test_sqlite_file_uris_resolve_to_the_file_sqlite_opens(tmp_path: Path,
                                                           spelling: str) -> None:
    (tmp_path / "var").mkdir()
    dsn = Dsn(spelling.format(root=tmp_path), tmp_path)
    assert dsn.sqlite_path == tmp_path / "var" / "x.db"
    assert dsn.same_database(Dsn(f"sqlite:///{tmp_path}/var/x.db"))
    # and it is the file SQLite itself opens through that URL, from any working directory
    database = make_url(dsn.reveal()).database or ""
    conn = sqlite3.connect(database, uri=True)
    conn.execute("CREATE TABLE t (a)")
    conn.close()
    assert (tmp_path / "var" / "x.db").is_file()


def test_a_file_uri_naming_another_host_is_not_a_database() -> None:
    with pytest.raises(ValueError, match=r"names host 'db\.example'"):
        Dsn("sqlite:///file://db.example/x.db?uri=true")


def test_in_memory_databases_are_no_file() -> None:
    assert Dsn("sqlite://").sqlite_path is None
    assert Dsn("sqlite:///:memory:").sqlite_path is None
    assert Dsn("sqlite:///file:scratch?mode=memory&uri=true").sqlite_path is None


def test_keyword_value_dsns_become_urls_with_every_setting() -> None:
    dsn = Dsn(f"host=/run/pg port=5433 dbname=billing user=qa password='{SECRET} x' "
              "sslmode=disable")
    url = make_url(dsn.reveal())
    assert url.password == f"{SECRET} x" and url.database == "billing"
    assert dict(url.query) == {"host": "/run/pg", "port": "5433", "sslmode": "disable"}
    # a password without a user stays a password (a URL has none without a user)
    assert make_url(Dsn(f"host=db dbname=b password={SECRET}").reveal()).query["password"] \
        == SECRET


def test_nonsense_keyword_strings_are_refused_without_the_password() -> None:
    with pytest.raises(ValueError) as caught:
        Dsn(f"host=db nosuchoption=1 password={SECRET}")
    assert SECRET not in str(caught.value)


def test_the_driver_is_filled_in_for_the_code_that_connects() -> None:
    assert sqlalchemy_url("postgres://u@db/b").startswith("postgresql+psycopg://")
    assert sqlalchemy_url("postgresql://u@db/b").startswith("postgresql+psycopg://")
    assert sqlalchemy_url("postgresql+psycopg2://u@db/b").startswith("postgresql+psycopg2://")
    assert sqlalchemy_url("x.db").startswith("sqlite:///")


# -- credentials ------------------------------------------------------------------------------

CREDENTIAL_FORMS = [
    f"postgresql://qa:{SECRET}@db/billing",
    f"postgresql://qa@db/billing?password={SECRET}",
    f"postgresql://qa@db/billing?sslmode=require&sslpassword={SECRET}",
    f"postgresql://qa@db/billing?passfile=/home/qa/{SECRET}.pgpass",
    f"postgresql://qa@db/billing?oauth_client_secret={SECRET}",
    f"postgres://qa:{SECRET}@db/billing?sslpassword={SECRET}&password={SECRET}",
    f"host=db dbname=billing user=qa password={SECRET}",
    f"host=db dbname=billing user=qa password='{SECRET} with space'",
    f"host=db dbname=billing sslpassword={SECRET}",
    f"mysql+pymysql://qa:{SECRET}@db/billing",
]


@pytest.mark.parametrize("text", CREDENTIAL_FORMS)
def test_every_credential_form_is_hidden_when_shown(text: str) -> None:
    dsn = Dsn(text)
    for shown in (str(dsn), repr(dsn), dsn.masked, mask(text)):
        assert SECRET not in shown and "***" in shown
    assert any(SECRET in s for s in dsn.secrets())
    assert SECRET in dsn.reveal()


# -- one database, two spellings (the profile's textual check) -------------------------------

SAME = [
    ("postgres://a@db.example/billing", "postgresql://b@db.example/billing"),
    ("postgresql://a@DB.Example.COM/billing", "postgresql://a@db.example.com./billing"),
    ("postgresql://a@db/billing", "postgresql+psycopg://a@db:5432/billing"),
    ("postgresql://a@/billing?host=db&port=5433", "postgresql://a@db:5433/billing"),
    ("postgresql://a@localhost/billing", "postgresql://a@127.0.0.1/billing"),
    ("postgresql://a@localhost/billing", "postgresql://a@127.0.0.2/billing"),
    ("postgresql://a@localhost/billing", "postgresql://a@localhost.localdomain/billing"),
    ("postgresql://a@localhost/billing", "postgresql://a@[::1]/billing"),
    ("postgresql://a@localhost/billing", "postgresql://a@/billing?host=/run/postgresql"),
    ("postgresql://a@localhost/billing", "postgresql://a@/billing"),
    ("postgresql://a@localhost/billing", "host=127.0.0.1 dbname=billing user=x"),
    ("postgresql://a@db1,db2/billing", "postgresql://a@db2/billing"),
    ("postgresql://billing@db/", "postgresql://x@db/billing"),  # libpq: dbname = user
    ("postgresql://a@db/billing?dbname=billing", "postgresql://a@db/billing"),
]
DIFFERENT = [
    ("postgresql://a@db/billing", "postgresql://a@db/billing_staging"),
    ("postgresql://a@db/billing", "postgresql://a@db:5433/billing"),
    ("postgresql://a@db/billing", "postgresql://a@db2/billing"),
    ("postgresql://a@/billing?host=/s&port=5433", "postgresql://a@/billing?host=/s&port=5434"),
    ("postgresql://a@db/billing", "sqlite:///billing"),
]


@pytest.mark.parametrize(("one", "other"), SAME)
def test_one_database_under_two_spellings(one: str, other: str) -> None:
    assert Dsn(one).same_database(Dsn(other)) and Dsn(other).same_database(Dsn(one))


@pytest.mark.parametrize(("one", "other"), DIFFERENT)
def test_different_databases_stay_different(one: str, other: str) -> None:
    assert not Dsn(one).same_database(Dsn(other))


def test_libpq_environment_fills_in_what_the_text_leaves_out(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPORT", "6000")
    monkeypatch.setenv("PGHOST", "db.example")
    assert Dsn("postgresql://a@/billing").same_database(Dsn("postgresql://a@db.example:6000/"
                                                            "billing"))
    assert Dsn("postgresql://a@/billing").key().endpoints == {("db.example", 6000)}


def test_loopback_and_this_machines_own_name_are_this_machine() -> None:
    import socket

    me = socket.gethostname()
    for host in ("localhost", "127.0.0.9", "[::1]", "0.0.0.0", "vm.localhost", me):
        assert Dsn(f"postgresql://a@{host}/b").key().endpoints == {(LOCAL, 5432)}, host


def test_a_stable_key_text_across_processes() -> None:
    key = Dsn("postgresql://a@/billing?host=db1,db2&port=5433,5434").key()
    assert key.text() == "postgresql|db1:5433,db2:5434|billing|"


# -- SQLite files by inode --------------------------------------------------------------------


def test_sqlite_files_compare_by_inode_and_folder(tmp_path: Path) -> None:
    prod = tmp_path / "production.db"
    prod.write_bytes(b"")
    os.link(prod, tmp_path / "hard.db")
    (tmp_path / "soft.db").symlink_to(prod)
    (tmp_path / "dir").symlink_to(tmp_path, target_is_directory=True)
    p = Dsn(f"sqlite:///{prod}")
    for alias in ("hard.db", "soft.db", "dir/production.db", "dir/./production.db"):
        assert Dsn(f"sqlite:///{tmp_path / alias}").same_database(p), alias
    assert not Dsn(f"sqlite:///{tmp_path / 'staging.db'}").same_database(p)
    other = tmp_path / "other.db"
    other.write_bytes(b"")
    assert not Dsn(f"sqlite:///{other}").same_database(p)
