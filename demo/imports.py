"""CSV data import (usage records, new accounts): keep every good line, report every bad one.

A bad line never stops an import: it is reported with its line number as in
the file (the header is line 1) and the reason, the good lines are committed,
and an ``import_batches`` row records the counts and the errors. Only a file
that cannot be read or whose header is wrong is refused as a whole.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from demo.models import Account, Contact, EventLog, ImportBatch, UsageRecord

USAGE_COLUMNS = ("account_number", "started_at", "minutes", "destination")
ACCOUNT_COLUMNS = ("name", "email", "phone", "street", "city", "postcode", "bill_day",
                   "parent_number")
OPTIONAL_COLUMNS = {"parent_number"}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CHUNK = 500


class ImportFileError(Exception):
    """The file as a whole cannot be imported (missing, unreadable, wrong header)."""


@dataclass(frozen=True)
class LineError:
    line: int
    error: str


@dataclass
class ImportResult:
    batch_id: int
    kind: str
    filename: str
    rows_ok: int
    rows_failed: int
    errors: list[LineError] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # account numbers made by an import


class BadValue(ValueError):
    """One field of one line is wrong; the message names the field."""


def import_usage(engine: Engine, path: Path) -> ImportResult:
    """Import usage records (account_number, started_at, minutes, destination)."""
    started = dt.datetime.now()
    rows = list(_read(path, USAGE_COLUMNS))
    with Session(engine) as session, session.begin():
        numbers = {(r.get("account_number") or "").strip() for _, r in rows}
        ids = _account_ids(session, numbers)
        errors: list[LineError] = []
        ok = 0
        for line, row in rows:
            try:
                record = _usage_record(row, ids)
            except BadValue as exc:
                errors.append(LineError(line, str(exc)))
                continue
            session.add(record)
            ok += 1
            if ok % CHUNK == 0:
                session.flush()
        return _finish(session, "usage", path, started, ok, errors, [])


def import_accounts(engine: Engine, path: Path) -> ImportResult:
    """Import new accounts with their primary contact; numbers follow the highest existing."""
    started = dt.datetime.now()
    rows = list(_read(path, ACCOUNT_COLUMNS))
    with Session(engine) as session, session.begin():
        parents = {(r.get("parent_number") or "").strip() for _, r in rows} - {""}
        parent_ids = _account_ids(session, parents)
        next_number = _number_source(session)
        errors: list[LineError] = []
        created: list[str] = []
        for line, row in rows:
            try:
                account, contact = _account(row, parent_ids, started)
            except BadValue as exc:
                errors.append(LineError(line, str(exc)))
                continue
            account.number = next_number()
            session.add(account)
            session.flush()
            contact.account_id = account.id
            session.add(contact)
            created.append(account.number)
        return _finish(session, "accounts", path, started, len(created), errors, created)


def _read(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number where the record starts, row) for every non-blank record."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from None
    with handle:
        reader = csv.reader(handle)
        try:
            header = next(reader, None)
            if header is None:
                raise ImportFileError(f"{path} is empty: expected a header line")
            names = _check_header(path, [h.strip().lower() for h in header], columns)
            last = reader.line_num
            for values in reader:
                start, last = last + 1, reader.line_num
                if not any(v.strip() for v in values):
                    continue
                if len(values) != len(names):
                    yield start, {"__error__": f"expected {len(names)} fields, got {len(values)}"}
                    continue
                yield start, dict(zip(names, values, strict=True))
        except UnicodeDecodeError:
            raise ImportFileError(
                f"{path} is not UTF-8 text (near line {reader.line_num + 1})"
            ) from None
        except csv.Error as exc:
            raise ImportFileError(f"{path} line {reader.line_num}: bad CSV: {exc}") from None


def _check_header(path: Path, header: list[str], columns: tuple[str, ...]) -> list[str]:
    unknown = [h for h in header if h not in columns]
    if unknown:
        hints = [f"{u!r}" + _did_you_mean(u, columns) for u in unknown]
        raise ImportFileError(
            f"{path}: unknown column {', '.join(hints)}; expected: {', '.join(columns)}"
        )
    missing = [c for c in columns if c not in header and c not in OPTIONAL_COLUMNS]
    if missing:
        raise ImportFileError(
            f"{path}: missing column {', '.join(missing)}; expected: {', '.join(columns)}"
        )
    duplicate = sorted({h for h in header if header.count(h) > 1})
    if duplicate:
        raise ImportFileError(f"{path}: column {', '.join(duplicate)} appears twice")
    return header


def _did_you_mean(name: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _account_ids(session: Session, numbers: set[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    wanted = sorted(numbers)
    for i in range(0, len(wanted), CHUNK):
        part = wanted[i : i + CHUNK]
        rows = session.execute(
            select(Account.number, Account.id).where(Account.number.in_(part))
        )
        ids.update({number: id_ for number, id_ in rows})
    return ids


def _usage_record(row: dict[str, str], ids: dict[str, int]) -> UsageRecord:
    if "__error__" in row:
        raise BadValue(row["__error__"])
    number = _required(row, "account_number")
    if number not in ids:
        raise BadValue(f"account_number: no account {number!r}")
    started = _required(row, "started_at")
    try:
        started_at = dt.datetime.fromisoformat(started)
    except ValueError:
        raise BadValue(f"started_at: not an ISO date-time: {started!r}") from None
    if started_at.tzinfo is not None:
        started_at = started_at.astimezone(dt.UTC).replace(tzinfo=None)
    minutes = _whole(row, "minutes", 0, 100_000)
    destination = (row.get("destination") or "").strip()
    _fits(destination, "destination", 50)
    return UsageRecord(account_id=ids[number], started_at=started_at, minutes=minutes,
                       destination=destination)


def _account(row: dict[str, str], parents: dict[str, int],
             now: dt.datetime) -> tuple[Account, Contact]:
    if "__error__" in row:
        raise BadValue(row["__error__"])
    name = _fits(_required(row, "name"), "name", 200)
    email = _fits(_required(row, "email"), "email", 200)
    if not EMAIL_RE.match(email):
        raise BadValue(f"email: not an email address: {email!r}")
    bill_day = _whole(row, "bill_day", 1, 31)
    parent_number = (row.get("parent_number") or "").strip()
    if parent_number and parent_number not in parents:
        raise BadValue(f"parent_number: no account {parent_number!r}")
    first, _, last = name.rpartition(" ")
    contact = Contact(
        first_name=_fits(first or last, "name", 100), last_name=_fits(last, "name", 100),
        email=email, phone=_fits(row.get("phone", "").strip(), "phone", 50),
        street=_fits(row.get("street", "").strip(), "street", 200),
        city=_fits(row.get("city", "").strip(), "city", 100),
        postcode=_fits(row.get("postcode", "").strip(), "postcode", 20),
        country="US", is_primary=True,
    )
    account = Account(
        name=name, parent_id=parents.get(parent_number), status="active", bill_day=bill_day,
        scenario="imported", created_at=now,
    )
    return account, contact


def _required(row: dict[str, str], name: str) -> str:
    value = (row.get(name) or "").strip()
    if not value:
        raise BadValue(f"{name}: required")
    return value


def _whole(row: dict[str, str], name: str, low: int, high: int) -> int:
    text = _required(row, name)
    try:
        value = int(text)
    except ValueError:
        raise BadValue(f"{name}: not a whole number: {text!r}") from None
    if not low <= value <= high:
        raise BadValue(f"{name}: {value} is outside {low}-{high}")
    return value


def _fits(value: str, name: str, limit: int) -> str:
    if len(value) > limit:
        raise BadValue(f"{name}: longer than {limit} characters")
    return value


def _number_source(session: Session) -> Callable[[], str]:
    """Hands out account numbers after the highest existing ``A<digits>`` number."""
    numbers = session.scalars(
        select(Account.number).where(Account.number.like("A%"))
        .order_by(func.length(Account.number).desc(), Account.number.desc()).limit(50)
    ).all()
    highest = max((int(n[1:]) for n in numbers if n[1:].isdigit()), default=0)
    counter = [highest]

    def next_number() -> str:
        counter[0] += 1
        return f"A{counter[0]:06d}"

    return next_number


def _finish(session: Session, kind: str, path: Path, started: dt.datetime, ok: int,
            errors: list[LineError], created: list[str]) -> ImportResult:
    now = dt.datetime.now()
    error_rows: list[dict[str, Any]] = [{"line": e.line, "error": e.error} for e in errors]
    batch = ImportBatch(kind=kind, filename=path.name, started_at=started, rows_ok=ok,
                        rows_failed=len(errors), errors=error_rows)
    session.add(batch)
    level = "WARNING" if errors else "INFO"
    session.add(EventLog(at=now, level=level, source="import",
                         message=f"import {kind} {path.name}: {ok} ok, {len(errors)} failed"))
    session.flush()
    return ImportResult(batch_id=batch.id, kind=kind, filename=path.name, rows_ok=ok,
                        rows_failed=len(errors), errors=errors, created=created)
