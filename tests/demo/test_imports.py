"""CSV imports on real SQLite and PostgreSQL: good lines kept, bad lines reported by line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from demo.db import make_engine
from demo.imports import ImportFileError, import_accounts, import_usage
from demo.models import Account, Contact, EventLog, ImportBatch, UsageRecord
from tests.demo.test_backup import build_db

USAGE = (
    "account_number,started_at,minutes,destination\n"          # 1
    "A000001,2026-10-05T10:00:00,12,+15550001\n"               # 2 ok
    "A999999,2026-10-05T11:00:00,3,+15550002\n"                # 3 unknown account
    "A000002,2026-10-06 08:30:00,x,+15550003\n"                # 4 minutes not a number
    "\n"                                                        # 5 blank: skipped
    "A000002,yesterday,5,+15550004\n"                           # 6 bad date
    'A000003,2026-10-07T09:00:00,7,"Line one\nline two"\n'      # 7-8 ok (quoted newline)
    "A000003,2026-10-07T09:30:00,4\n"                           # 9 too few fields
    "A000002,2026-10-08T12:00:00+02:00,-1,+15550005\n"         # 10 negative minutes
    " A000002 ,2026-10-08,30,\n"                                # 11 ok (date only, spaces)
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_usage_import_keeps_good_lines_and_reports_bad_ones(db_url: str, tmp_path: Path) -> None:
    build_db(db_url)
    engine = make_engine(db_url)
    result = import_usage(engine, write(tmp_path, "usage.csv", USAGE))

    assert result.rows_ok == 3
    assert result.rows_failed == 5
    assert [(e.line, e.error) for e in result.errors] == [
        (3, "account_number: no account 'A999999'"),
        (4, "minutes: not a whole number: 'x'"),
        (6, "started_at: not an ISO date-time: 'yesterday'"),
        (9, "expected 4 fields, got 3"),
        (10, "minutes: -1 is outside 0-100000"),
    ]
    with Session(engine) as s:
        rows = s.execute(
            select(Account.number, UsageRecord.started_at, UsageRecord.minutes,
                   UsageRecord.destination)
            .join(Account, Account.id == UsageRecord.account_id).order_by(UsageRecord.started_at)
        ).all()
        assert [tuple(r) for r in rows] == [
            ("A000001", dt.datetime(2026, 10, 5, 10, 0), 12, "+15550001"),
            ("A000003", dt.datetime(2026, 10, 7, 9, 0), 7, "Line one\nline two"),
            ("A000002", dt.datetime(2026, 10, 8, 0, 0), 30, ""),
        ]
        batch = s.get(ImportBatch, result.batch_id)
        assert batch is not None
        assert (batch.kind, batch.filename, batch.rows_ok, batch.rows_failed) == (
            "usage", "usage.csv", 3, 5)
        assert batch.errors[0] == {"line": 3, "error": "account_number: no account 'A999999'"}
        assert len(batch.errors) == 5
        event = s.scalars(select(EventLog).where(EventLog.source == "import")).one()
        assert event.level == "WARNING"
        assert "3 ok, 5 failed" in event.message
    engine.dispose()


def test_account_import_numbers_contacts_and_parents(db_url: str, tmp_path: Path) -> None:
    build_db(db_url)  # A000001..A000003 exist
    text = (
        "name,email,phone,street,city,postcode,bill_day,parent_number\n"
        "Ada Lovelace,ada@example.com,555-1,1 Loop Rd,London,N1,31,\n"
        "Bad Mail,not-an-email,555-2,2 Loop Rd,London,N1,1,\n"
        "Child Line,child@example.com,555-3,3 Loop Rd,London,N1,15,A000001\n"
        "Orphan,orphan@example.com,555-4,4 Loop Rd,London,N1,1,A424242\n"
        "Late Payer,late@example.com,555-5,5 Loop Rd,London,N1,32,\n"
        ",nobody@example.com,555-6,6 Loop Rd,London,N1,1,\n"
    )
    engine = make_engine(db_url)
    result = import_accounts(engine, write(tmp_path, "accounts.csv", text))
    assert (result.rows_ok, result.rows_failed) == (2, 4)
    assert result.created == ["A000004", "A000005"]
    assert [(e.line, e.error) for e in result.errors] == [
        (3, "email: not an email address: 'not-an-email'"),
        (5, "parent_number: no account 'A424242'"),
        (6, "bill_day: 32 is outside 1-31"),
        (7, "name: required"),
    ]
    with Session(engine) as s:
        ada = s.scalars(select(Account).where(Account.number == "A000004")).one()
        assert (ada.name, ada.bill_day, ada.parent_id, ada.status) == (
            "Ada Lovelace", 31, None, "active")
        contact = s.scalars(select(Contact).where(Contact.account_id == ada.id)).one()
        assert (contact.first_name, contact.last_name, contact.email, contact.city) == (
            "Ada", "Lovelace", "ada@example.com", "London")
        child = s.scalars(select(Account).where(Account.number == "A000005")).one()
        parent_id = s.scalar(select(Account.id).where(Account.number == "A000001"))
        assert child.parent_id == parent_id
        assert s.scalar(select(func.count()).select_from(Account)) == 5
        batch = s.get(ImportBatch, result.batch_id)
        assert batch is not None and (batch.rows_ok, batch.rows_failed) == (2, 4)
    engine.dispose()


def test_parent_number_column_is_optional(sqlite_url: str, tmp_path: Path) -> None:
    build_db(sqlite_url, accounts=0)
    text = "name,email,phone,street,city,postcode,bill_day\nSolo,solo@example.com,1,2,3,4,5\n"
    engine = make_engine(sqlite_url)
    result = import_accounts(engine, write(tmp_path, "a.csv", text))
    assert (result.rows_ok, result.rows_failed, result.created) == (1, 0, ["A000001"])
    engine.dispose()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("account_number,started,minutes,destination\n", "unknown column 'started' "
         "(did you mean 'started_at'?)"),
        ("account_number,minutes,destination\n", "missing column started_at"),
        ("account_number,started_at,minutes,minutes,destination\n", "minutes appears twice"),
    ],
)
def test_bad_header_refuses_the_whole_file(
    sqlite_url: str, tmp_path: Path, text: str, message: str
) -> None:
    build_db(sqlite_url)
    engine = make_engine(sqlite_url)
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("?", r"\?")):
        import_usage(engine, write(tmp_path, "u.csv", text + "A000001,2026-10-01,1,x\n"
                                   if text else ""))
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(ImportBatch)) == 0
        assert s.scalar(select(func.count()).select_from(UsageRecord)) == 0
    engine.dispose()


def test_unreadable_files_are_refused(sqlite_url: str, tmp_path: Path) -> None:
    build_db(sqlite_url)
    engine = make_engine(sqlite_url)
    with pytest.raises(ImportFileError, match="cannot read"):
        import_usage(engine, tmp_path / "missing.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"account_number,started_at,minutes,destination\nA000001,2026-10-01,1,M\xfcnchen\n")
    with pytest.raises(ImportFileError, match="not UTF-8"):
        import_usage(engine, latin)
    engine.dispose()
