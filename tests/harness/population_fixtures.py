"""A small billing platform of no particular vendor, on SQLite or PostgreSQL, for the
population comparison tests: customers with a balance, status, next bill date, minutes,
a free-text note and a promo, and the bill runs production ran."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import create_engine, text

from harness.baseline.profile import Population

RUN_DATE = dt.date(2026, 11, 1)
BILL_RUN = "SELECT release, status FROM runs WHERE run_date = :bill_run_date"


@dataclass(frozen=True)
class Customer:
    ref: str
    balance: Decimal = Decimal("10.00")
    status: str = "active"
    next_bill: dt.date = dt.date(2026, 12, 1)
    minutes: int = 100
    note: str = "called about the bill"
    promo: Decimal = Decimal("0.00")
    plan: str = "standard"

    def but(self, **changes: Any) -> Customer:
        return replace(self, **changes)


def engine_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def build(url: str, customers: Iterable[Customer], runs: Iterable[tuple[dt.date, str, str]] = (
        (RUN_DATE, "1.0", "done"),), money: str = "NUMERIC(12,2)", key_collation: str = "",
          next_bill: str = "DATE") -> None:
    """Create the platform's two tables at ``url`` and fill them."""
    engine = create_engine(engine_url(url))
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE customers (ref TEXT {key_collation} PRIMARY KEY, "
                          f"balance {money}, status TEXT, next_bill {next_bill}, "
                          f"minutes INTEGER, note TEXT, promo {money}, plan TEXT)"))
        conn.execute(text("CREATE TABLE runs (run_date DATE, release TEXT, status TEXT)"))
        rows = [{"ref": c.ref, "balance": c.balance, "status": c.status,
                 "next_bill": c.next_bill, "minutes": c.minutes, "note": c.note,
                 "promo": c.promo, "plan": c.plan} for c in customers]
        if rows:
            if engine.dialect.name == "sqlite":  # SQLite stores what it is given: as a platform
                rows = [{**r, "balance": float(r["balance"]), "promo": float(r["promo"]),
                         "next_bill": r["next_bill"].isoformat()} for r in rows]
            conn.execute(text("INSERT INTO customers VALUES (:ref, :balance, :status, "
                              ":next_bill, :minutes, :note, :promo, :plan)"), rows)
        for run_date, release, status in runs:
            conn.execute(text("INSERT INTO runs VALUES (:d, :r, :s)"),
                         {"d": run_date.isoformat() if engine.dialect.name == "sqlite"
                          else run_date, "r": release, "s": status})
    engine.dispose()


def population(**changes: Any) -> Population:
    """The population section these tests use (overrides by key)."""
    data: dict[str, Any] = {
        "bill_run": BILL_RUN,
        "accounts": {
            "query": "SELECT ref AS account, balance, status, next_bill, minutes, note, "
                     "promo, plan FROM customers",
            "key": ["account"],
            "group": "plan",
            "fields": {
                "balance": {"kind": "money", "tolerance": "0.01"},
                "status": "text",
                "next_bill": {"kind": "date", "tolerance": "1", "label": "next bill date"},
                "minutes": "int",
                "note": {"kind": "text", "ignore": "free text, sanitized"},
                "promo": {"kind": "money", "accept": "1.1 prices promos anew"},
            },
        },
    }
    data.update(changes)
    return Population.model_validate(data)


def scenario() -> tuple[list[Customer], list[Customer]]:
    """(production, staging): one row per category and status the comparison knows."""
    same = Customer("A001")
    production = [
        same,
        Customer("A002", balance=Decimal("20.00")),
        Customer("A003", balance=Decimal("30.00")),
        Customer("A004"),
        Customer("A006", next_bill=dt.date(2026, 12, 1)),
        Customer("A007", next_bill=dt.date(2026, 12, 1), plan="yearly"),
        Customer("A008"),
        Customer("A009"),
        Customer("A010"),
    ]
    staging = [
        same,
        Customer("A002", balance=Decimal("20.01")),  # within tolerance
        Customer("A003", balance=Decimal("30.02")),  # beyond
        # A004 missing
        Customer("A005"),  # extra
        Customer("A006", next_bill=dt.date(2026, 12, 2)),  # within (1 day)
        Customer("A007", next_bill=dt.date(2027, 12, 1), plan="yearly"),  # beyond: +1 year
        Customer("A008", note="a sanitized note"),  # ignored
        Customer("A009", promo=Decimal("-5.00")),  # accepted
        Customer("A010", status="suspended"),  # beyond
    ]
    return production, staging
