"""The bill-run date and the dates the history is built around.

silver's bill run reads the machine clock (a date later than today bills nothing), so the bill
run is always on the first day of a month that lies at least ``MIN_AGE_DAYS`` in the past:
on 2026-12-02 that is 2026-11-01, from 2026-12-04 on it is 2026-12-01. Everything the generator
makes is relative to that date (``D``):

- ``cutover`` = D − 2 months: production moved onto silver then; every subscription older than
  that got a billing log saying what the previous system had billed (what silver's bill run on
  that date would have written);
- ``previous`` = D − 1 month: production's previous bill run, executed for real by silver 0.10.0
  during generation, with the clock set to that morning;
- ``D``: the bill run under test — production's on 0.10.0, staging's on 0.11.1.

``--bill-date`` fixes D explicitly (any first of a month at least two days old works).
"""

from __future__ import annotations

import datetime as dt

MIN_AGE_DAYS = 3


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day-of-month ``months`` earlier (the generator only uses the 1st)."""
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, day.day)


def default_bill_date(today: dt.date) -> dt.date:
    return (today - dt.timedelta(days=MIN_AGE_DAYS)).replace(day=1)


def check_bill_date(day: dt.date, today: dt.date) -> str | None:
    """Why the generator cannot build a database for a bill run on ``day``, or None."""
    if day.day != 1:
        return f"the bill-run date must be the first of a month, not {day}"
    return check_run_date(day, today)


def check_run_date(day: dt.date, today: dt.date) -> str | None:
    """Why silver's bill run for ``day`` would go wrong today, or None."""
    if day > today - dt.timedelta(days=2):
        return (f"the bill-run date {day} is not at least two days in the past (today is {today}): "
                "silver bills against the machine clock and would skip or half-bill it")
    return None


def cutover(day: dt.date) -> dt.date:
    return months_before(day, 2)


def previous(day: dt.date) -> dt.date:
    return months_before(day, 1)
