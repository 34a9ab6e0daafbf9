"""Backup and restore on real SQLite and PostgreSQL: manifest, digest, round trip, refusals."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from demo.backup import BackupError, Manifest, backup, file_digest, restore
from demo.db import create_schema, make_engine, safe_url
from demo.models import Account, BillingSetting, Contact, Product, UserPackage

SETTINGS = {
    "tax_rate": "0.10",
    "payment_terms_days": "14",
    "suspend_after_days": "30",
    "usage_rate_default": "0.05",
    "currency": "USD",
    "generator_seed": "7",
    "generator_as_of": "2026-10-31",
}


def build_db(url: str, accounts: int = 3) -> None:
    """A small hand-built demo database: accounts A000001.. each with a monthly package due
    in the 2026-11-01 bill run (no mail/provisioning/processor rows: nothing goes out)."""
    engine = make_engine(url)
    create_schema(engine)
    with Session(engine) as s, s.begin():
        s.add_all(BillingSetting(key=k, value=v) for k, v in SETTINGS.items())
        product = Product(code="NET-50", name="Internet 50", period="monthly",
                          price=Decimal("50.00"), included_minutes=100,
                          overage_rate=Decimal("0.10"), service=None, taxable=True)
        s.add(product)
        s.flush()
        for i in range(1, accounts + 1):
            account = Account(number=f"A{i:06d}", name=f"Customer {i}", bill_day=1,
                              status="active", balance=Decimal("0.00"),
                              created_at=dt.datetime(2026, 1, 1))
            s.add(account)
            s.flush()
            s.add(Contact(account_id=account.id, first_name="Cust", last_name=str(i),
                          email=f"c{i}@example.com", phone="555-0100", street="1 Main St",
                          city="Springfield", postcode="12345"))
            s.add(UserPackage(account_id=account.id, product_id=product.id,
                              start_date=dt.date(2026, 1, 1), quantity=1,
                              next_bill_date=dt.date(2026, 11, 1), provisioned=True))
    engine.dispose()


def account_names(url: str) -> list[str]:
    engine = make_engine(url)
    with Session(engine) as s:
        names = list(s.scalars(select(Account.name).order_by(Account.number)))
    engine.dispose()
    return names


def second_database(db_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh empty database on the same engine as ``db_url``."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    return request.getfixturevalue("pg_server").create_database()


def mutate(url: str) -> None:
    """Change the database after the backup, as the bill run would."""
    engine = make_engine(url)
    with Session(engine) as s, s.begin():
        s.execute(delete(UserPackage))
        s.execute(delete(Contact))
        s.execute(delete(Account).where(Account.number == "A000002"))
    engine.dispose()


def test_backup_writes_manifest_with_digest_counts_and_generator_settings(
    db_url: str, tmp_path: Path
) -> None:
    build_db(db_url)
    manifest = backup(db_url, tmp_path / "backups")
    assert manifest.path is not None and manifest.path.is_file()
    data = json.loads(manifest.path.read_text())
    assert data["engine"] == ("sqlite" if db_url.startswith("sqlite") else "postgresql")
    assert data["release"] == "1.0"
    assert data["seed"] == 7
    assert data["as_of"] == "2026-10-31"
    assert data["file"] == manifest.backup_path.name
    assert data["sha256"] == file_digest(manifest.backup_path)
    assert data["size"] == manifest.backup_path.stat().st_size > 0
    assert data["row_counts"]["accounts"] == 3
    assert data["row_counts"]["user_packages"] == 3
    assert data["row_counts"]["billing_settings"] == len(SETTINGS)
    dt.datetime.fromisoformat(data["created_at"])
    assert data["source_db"] == safe_url(db_url)


def test_release_key_in_billing_settings_is_recorded(sqlite_url: str, tmp_path: Path) -> None:
    build_db(sqlite_url)
    engine = make_engine(sqlite_url)
    with Session(engine) as s, s.begin():
        s.add(BillingSetting(key="release", value="1.1"))
    engine.dispose()
    assert backup(sqlite_url, tmp_path).release == "1.1"


def test_round_trip_restores_over_a_changed_database_and_into_a_fresh_one(
    db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    build_db(db_url)
    before = account_names(db_url)
    manifest = backup(db_url, tmp_path / "backups")
    assert manifest.path is not None
    mutate(db_url)
    assert account_names(db_url) != before

    restore(manifest.path, db_url)
    assert account_names(db_url) == before
    engine = make_engine(db_url)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(UserPackage)) == 3
        assert s.scalar(select(BillingSetting.value).where(BillingSetting.key == "tax_rate")) \
            == "0.10"
    engine.dispose()

    fresh = second_database(db_url, request, tmp_path)
    restore(manifest.backup_path, fresh)  # the backup file: its manifest is found beside it
    assert account_names(fresh) == before


def test_tampered_backup_is_refused_and_target_left_alone(
    db_url: str, tmp_path: Path
) -> None:
    build_db(db_url)
    manifest = backup(db_url, tmp_path)
    assert manifest.path is not None
    mutate(db_url)
    after_mutation = account_names(db_url)
    raw = bytearray(manifest.backup_path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    manifest.backup_path.write_bytes(bytes(raw))
    with pytest.raises(BackupError, match="does not match the manifest"):
        restore(manifest.path, db_url)
    assert account_names(db_url) == after_mutation


def test_restore_from_directory_takes_newest_manifest(sqlite_url: str, tmp_path: Path) -> None:
    build_db(sqlite_url, accounts=2)
    backup(sqlite_url, tmp_path / "b")
    build_db(sqlite_url.replace("demo.db", "other.db"), accounts=4)
    newest = backup(sqlite_url.replace("demo.db", "other.db"), tmp_path / "b")
    assert newest.path is not None
    target = f"sqlite:///{tmp_path / 'target.db'}"
    restore(tmp_path / "b", target)
    assert len(account_names(target)) == 4


def test_refusals_name_the_problem(sqlite_url: str, tmp_path: Path) -> None:
    build_db(sqlite_url)
    manifest = backup(sqlite_url, tmp_path)
    assert manifest.path is not None
    with pytest.raises(BackupError, match="cannot restore a sqlite backup into a postgresql"):
        restore(manifest.path, "postgresql://u:pw@127.0.0.1:1/x")
    with pytest.raises(BackupError, match="no manifest"):
        restore(tmp_path / "nothing.sqlite", sqlite_url)
    with pytest.raises(BackupError, match="no backup manifest"):
        restore(_empty(tmp_path), sqlite_url)
    broken = tmp_path / "broken.manifest.json"
    broken.write_text("{not json")
    with pytest.raises(BackupError, match="not valid JSON"):
        restore(broken, sqlite_url)
    manifest.backup_path.unlink()
    with pytest.raises(BackupError, match="missing"):
        restore(manifest.path, sqlite_url)


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty"
    path.mkdir()
    return path


def test_manifest_loads_back(sqlite_url: str, tmp_path: Path) -> None:
    build_db(sqlite_url)
    written = backup(sqlite_url, tmp_path)
    assert written.path is not None
    loaded = Manifest.load(written.path)
    assert loaded == written
