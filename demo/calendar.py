"""Billing dates: the shared default dates and the month-end rule for next bill dates.

Kept apart from the bill run so the generator, the portal and golive compute next
bill dates exactly as the bill run does.
"""

from __future__ import annotations

import calendar as _cal
from datetime import date

# The day the pre-bill-run production backup is taken, and the bill run that follows.
DEFAULT_AS_OF = date(2026, 10, 31)
DEFAULT_RUN_DATE = date(2026, 11, 1)

PERIOD_MONTHS: dict[str, int] = {"monthly": 1, "quarterly": 3, "yearly": 12}


def days_in_month(year: int, month: int) -> int:
    return _cal.monthrange(year, month)[1]


def clamp_day(year: int, month: int, bill_day: int) -> date:
    """The date with day ``bill_day`` in that month, clamped to the month's length."""
    if not 1 <= bill_day <= 31:
        raise ValueError(f"bill day must be 1-31, got {bill_day}")
    return date(year, month, min(bill_day, days_in_month(year, month)))


def add_months(d: date, months: int, bill_day: int | None = None) -> date:
    """``d`` moved by ``months`` (may be negative); the day is ``bill_day`` (default: d's
    day) clamped to the target month's length — the month-end rule."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    return clamp_day(year, month + 1, bill_day if bill_day is not None else d.day)


def add_period(d: date, period: str, bill_day: int) -> date | None:
    """The next bill date after ``d`` for a package of ``period``; None for one-off
    packages (billed once)."""
    if period == "one_off":
        return None
    try:
        months = PERIOD_MONTHS[period]
    except KeyError:
        raise ValueError(f"unknown period {period!r}; expected one of "
                         f"{', '.join([*PERIOD_MONTHS, 'one_off'])}") from None
    return add_months(d, months, bill_day)


def latest_bill_date(on_or_before: date, bill_day: int) -> date:
    """The latest date with day ``bill_day`` (clamped) on or before ``on_or_before``:
    where a generated monthly package's next bill date sits before the run."""
    this_month = clamp_day(on_or_before.year, on_or_before.month, bill_day)
    if this_month <= on_or_before:
        return this_month
    return add_months(this_month, -1, bill_day)
