"""The event log a production backup carries: past bill runs and housekeeping, all dated
before as_of (a fresh backup has no failures newer than itself)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from demo.calendar import add_months
from demo.generate.bulk import RowBuffer


def add_history(buf: RowBuffer, as_of: date, accounts: int) -> None:
    """INFO entries for the last three monthly bill runs and a nightly backup, plus one
    old WARNING; nothing at or after as_of."""
    first_of_month = as_of.replace(day=1)
    for months_back in (2, 1, 0):
        run = add_months(first_of_month, -months_back, 1)
        if run >= as_of:
            run = add_months(run, -1, 1)
        start = datetime.combine(run, time(1, 0))
        for minutes, message in (
            (0, f"bill run for {run.isoformat()} started (release 1.0)"),
            (42, f"bill run for {run.isoformat()} rated usage and charged packages"),
            (55, f"invoice emails sent for {run.isoformat()}"),
            (58, f"bill run for {run.isoformat()} finished: {accounts} accounts considered"),
        ):
            _event(buf, start + timedelta(minutes=minutes), "INFO", "billing", message)
    _event(buf, datetime.combine(as_of - timedelta(days=20), time(3, 12)), "WARNING", "mail",
           "SMTP server slow to answer (12 s); delivery retried and succeeded")
    _event(buf, datetime.combine(as_of - timedelta(days=1), time(2, 0)), "INFO", "ops",
           "nightly database backup completed")
    _event(buf, datetime.combine(as_of, time(0, 0)) - timedelta(minutes=5), "INFO", "ops",
           "pre-bill-run backup taken")


def _event(buf: RowBuffer, at: datetime, level: str, source: str, message: str) -> None:
    buf.add("event_log", {"at": at, "level": level, "source": source, "message": message,
                          "account_id": None, "bill_run_id": None})
