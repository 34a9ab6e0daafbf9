"""Fast inserts: rows are buffered per table with ids assigned in Python and written with
SQLAlchemy Core executemany in large batches, inside one transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, Table, text

from demo.models import Base

Row = dict[str, Any]
Progress = Callable[[str, int, int], None]

# Dependency order for flushing: a table appears after every table it references.
ORDER = (
    "accounts",
    "contacts",
    "notes",
    "account_discounts",
    "user_packages",
    "usage_records",
    "payment_methods",
    "portal_users",
    "tickets",
    "work_orders",
    "invoices",
    "transactions",
    "event_log",
)


class RowBuffer:
    """Rows waiting to be inserted, and the next id of every table (the database is
    fresh, so ids are ours to choose; PostgreSQL sequences are moved past them later)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[Row]] = {name: [] for name in ORDER}
        self.next_ids: dict[str, int] = {name: 1 for name in ORDER}
        self.inserted: dict[str, int] = {name: 0 for name in ORDER}

    def add(self, table: str, row: Row) -> int:
        """Buffer a row, give it the table's next id and return that id."""
        new_id = self.next_ids[table]
        self.next_ids[table] = new_id + 1
        row["id"] = new_id
        self.rows[table].append(row)
        return new_id

    def pending(self, table: str) -> int:
        return len(self.rows[table])

    def flush(self, conn: Connection, batch: int = 20_000) -> None:
        """Write every buffered row in dependency order and empty the buffers."""
        tables = Base.metadata.tables
        for name in ORDER:
            rows = self.rows[name]
            if not rows:
                continue
            insert_many(conn, tables[name], rows, batch)
            self.inserted[name] += len(rows)
            self.rows[name] = []


def insert_many(conn: Connection, table: Table, rows: list[Row], batch: int = 20_000) -> None:
    """executemany in slices (one slice is one DBAPI executemany call)."""
    for start in range(0, len(rows), batch):
        conn.execute(table.insert(), rows[start : start + batch])


def fast_sqlite(conn: Connection) -> None:
    """No rollback journal and no fsync while generating: a half-written database is
    simply generated again. Per connection only; the engine is disposed afterwards."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA journal_mode=OFF")
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        conn.exec_driver_sql("PRAGMA cache_size=-200000")


def reset_sequences(engine: Engine) -> None:
    """Move PostgreSQL id sequences past the ids chosen here so later inserts by the
    platform (bill runs, tickets, payments) get fresh ids."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            if "id" not in table.c or not table.c.id.autoincrement:
                continue
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table.name}"
                )
            )
