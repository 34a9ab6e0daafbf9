"""A bill run's facts read with plain SQL (the queries in ../sql/facts), and two runs compared.

Reads the database directly (sqlite3 or psycopg2), not through Django, so the same queries the
README documents for golive are the ones that decide whether two releases billed alike. Values
are normalised across engines: SQLite keeps silver's decimals as floats and dates as text,
PostgreSQL as numeric and date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from silverplatform.backup import _connect
from silverplatform.dsn import Database

SQL = Path(__file__).resolve().parent.parent / "sql"
MONEY = Decimal("0.01")
UNITS = Decimal("0.0001")
MONEY_COLUMNS = {"total", "plan_amount", "metered_features_amount", "balance"}
UNIT_COLUMNS = {"quantity", "unit_price"}


def bill_run_id(day: dt.date) -> int:
    return int(day.strftime("%Y%m%d"))


def load(name: str, engine: str) -> str:
    """``sql/<name>.sql``, or its ``.<engine>.sql`` variant where the dialects differ."""
    specific = SQL / f"{name}.{engine}.sql"
    return (specific if specific.is_file() else SQL / f"{name}.sql").read_text()


def _paramstyle(sql: str, engine: str) -> str:
    """``:name`` binds (SQLite's and SQLAlchemy's) → psycopg2's ``%(name)s``."""
    if engine == "sqlite":
        return sql
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql.replace("%", "%%"))


def _value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column in MONEY_COLUMNS or column in UNIT_COLUMNS:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
        return str(number.quantize(MONEY if column in MONEY_COLUMNS else UNITS))
    if column == "prorated":
        return bool(value) if not isinstance(value, str) else value.lower() in ("1", "t", "true")
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value if isinstance(value, int | str) else str(value)


def query(db: Database, name: str, **params: Any) -> list[dict[str, Any]]:
    conn = _connect(db)
    try:
        cur = conn.cursor()
        cur.execute(_paramstyle(load(name, db.engine), db.engine), params)
        columns = [c[0].lower() for c in cur.description]
        return [{c: _value(c, v) for c, v in zip(columns, row, strict=True)}
                for row in cur.fetchall()]
    finally:
        conn.close()


def collect(db: Database, day: dt.date) -> dict[str, Any]:
    run = bill_run_id(day)
    return {
        "bill_date": day.isoformat(),
        "database": db.safe(),
        "customers": query(db, "facts/customers", bill_run_id=run),
        "subscriptions": query(db, "facts/subscriptions", bill_run_id=run),
        "entries": query(db, "facts/entries", bill_run_id=run),
    }


def _keyed(rows: list[dict[str, Any]], *key: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(r[k] for k in key): r for r in rows}


def _diff_keyed(left: list[dict[str, Any]], right: list[dict[str, Any]], key: tuple[str, ...],
                what: str) -> list[dict[str, Any]]:
    a, b = _keyed(left, *key), _keyed(right, *key)
    out: list[dict[str, Any]] = []
    for k in sorted(set(a) | set(b), key=str):
        ra, rb = a.get(k), b.get(k)
        if ra == rb:
            continue
        fields = sorted({f for f in (ra or {}) | (rb or {})
                         if (ra or {}).get(f) != (rb or {}).get(f)})
        out.append({"what": what, "key": list(k), "fields": fields,
                    "left": ra, "right": rb})
    return out


def _entry_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c] for c in ("document_kind", "currency", "product_code", "description",
                                  "unit", "quantity", "unit_price", "start_date", "end_date",
                                  "prorated"))


def compare(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    """Every difference between two bill runs: per customer, per subscription, per entry."""
    diffs = _diff_keyed(left["customers"], right["customers"], ("account", "currency"),
                        "customer")
    diffs += _diff_keyed(left["subscriptions"], right["subscriptions"], ("subscription",),
                         "subscription")
    accounts = sorted({r["account"] for r in left["entries"] + right["entries"]})
    for account in accounts:
        a = Counter(_entry_key(r) for r in left["entries"] if r["account"] == account)
        b = Counter(_entry_key(r) for r in right["entries"] if r["account"] == account)
        if a != b:
            diffs.append({"what": "entries", "key": [account],
                          "only_left": [list(k) for k in (a - b).elements()],
                          "only_right": [list(k) for k in (b - a).elements()]})
    return {
        "bill_date": left["bill_date"],
        "counts": {name: [len(left[name]), len(right[name])]
                   for name in ("customers", "subscriptions", "entries")},
        "differences": diffs,
        "accounts_differing": sorted({d["key"][0] for d in diffs if d["what"] != "subscription"}
                                     | {(d["left"] or d["right"])["account"] for d in diffs
                                        if d["what"] == "subscription"}),
    }


def render(report: dict[str, Any], left: str, right: str, limit: int = 40) -> str:
    lines = [f"bill run {report['bill_date']}: {left} vs {right}"]
    for name, (a, b) in report["counts"].items():
        lines.append(f"  {name}: {a} vs {b}")
    diffs = report["differences"]
    if not diffs:
        lines.append("  identical: every customer total, subscription billing log and "
                     "document line matches")
        return "\n".join(lines)
    lines.append(f"  {len(diffs)} differences, {len(report['accounts_differing'])} customers: "
                 + ", ".join(report["accounts_differing"][:20])
                 + (" …" if len(report["accounts_differing"]) > 20 else ""))
    for d in diffs[:limit]:
        if d["what"] == "entries":
            lines.append(f"  entries {d['key'][0]}: only {left} {d['only_left']}; "
                         f"only {right} {d['only_right']}")
        else:
            la, rb = d["left"] or {}, d["right"] or {}
            changes = ", ".join(f"{f}: {la.get(f)} → {rb.get(f)}" for f in d["fields"])
            lines.append(f"  {d['what']} {'/'.join(map(str, d['key']))}: {changes}")
    if len(diffs) > limit:
        lines.append(f"  … {len(diffs) - limit} more (see --out)")
    return "\n".join(lines)
