"""Event-log entries of a bill run, buffered and written in bulk with each chunk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from demo.models import EventLog


@dataclass
class EventBuffer:
    bill_run_id: int
    pending: list[dict[str, Any]] = field(default_factory=list)
    errors: int = 0

    def add(self, level: str, source: str, message: str, account_id: int | None = None) -> None:
        if level == "ERROR":
            self.errors += 1
        self.pending.append(
            {"at": dt.datetime.now(), "level": level, "source": source, "message": message,
             "account_id": account_id, "bill_run_id": self.bill_run_id}
        )

    def info(self, source: str, message: str, account_id: int | None = None) -> None:
        self.add("INFO", source, message, account_id)

    def error(self, source: str, message: str, account_id: int | None = None) -> None:
        self.add("ERROR", source, message, account_id)

    def flush(self, session: Session) -> None:
        """Insert what is buffered (the caller commits)."""
        if self.pending:
            session.execute(insert(EventLog), self.pending)
            self.pending = []
