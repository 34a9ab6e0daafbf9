"""Compared values: one canonical Python form per kind, tolerances, and readable deltas.

Both sides of a comparison pass through `coerce`, so SQLite's floats and strings and
PostgreSQL's Decimals and dates meet as equals: money is a `Decimal` at the field's
scale (half-up), a date a `datetime.date`, an int an `int`, text a `str`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

__all__ = ["Kind", "Tolerance", "Value", "coerce", "delta", "encode", "parse_tolerance",
           "within"]

Value = Decimal | dt.date | int | str | None


class Kind(StrEnum):
    MONEY = "money"
    DATE = "date"
    INT = "int"
    TEXT = "text"


@dataclass(frozen=True)
class Tolerance:
    """How far apart two values may be and still agree: ``absolute`` (money, int),
    ``relative`` (money: a share of production's value) or ``days`` (dates)."""

    absolute: Decimal = Decimal(0)
    relative: Decimal | None = None
    days: int = 0

    @property
    def exact(self) -> bool:
        return self.relative is None and self.absolute == 0 and self.days == 0

    def __str__(self) -> str:
        if self.relative is not None:
            return f"{self.relative * 100:f}%".replace(".000%", "%")
        if self.days:
            return f"±{self.days} day{'s' if self.days != 1 else ''}"
        return "exact" if self.absolute == 0 else f"±{self.absolute}"


EXACT = Tolerance()
_DAYS = re.compile(r"^\s*(\d+)\s*(days?)?\s*$")
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def parse_tolerance(kind: Kind, text: str | int | float | None) -> Tolerance:
    """``"0.01"`` / ``"0.5%"`` (money), ``"2"`` (int), ``"3 days"`` (date); ValueError
    with the accepted forms otherwise."""
    if text is None:
        return EXACT
    raw = str(text).strip()
    if kind is Kind.TEXT:
        raise ValueError("text is compared exactly: no tolerance")
    if kind is Kind.DATE:
        found = _DAYS.match(raw)
        if not found:
            raise ValueError(f"{raw!r} is not a number of days (e.g. 0, 3, \"2 days\")")
        return Tolerance(days=int(found.group(1)))
    percent = _PERCENT.match(raw)
    if percent:
        if kind is not Kind.MONEY:
            raise ValueError("a relative tolerance (%) is for money")
        return Tolerance(relative=Decimal(percent.group(1)) / 100)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{raw!r} is not an amount (e.g. 0.01) or a share (e.g. 0.5%)") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{raw!r}: a tolerance is a non-negative amount")
    if kind is Kind.INT and value != value.to_integral_value():
        raise ValueError(f"{raw!r}: an int tolerance is a whole number")
    return Tolerance(absolute=value)


def coerce(kind: Kind, raw: object, scale: int = 2) -> Value:
    """The canonical value of ``raw`` for ``kind``; ValueError when it is not one."""
    if raw is None:
        return None
    if kind is Kind.TEXT:
        return raw if isinstance(raw, str) else str(raw)
    if kind is Kind.MONEY:
        return _money(raw, scale)
    if kind is Kind.INT:
        return _int(raw)
    return _date(raw)


def _money(raw: object, scale: int) -> Decimal:
    if isinstance(raw, bool):
        raise ValueError(f"not an amount: {raw!r}")
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {raw!r}") from None
    if not value.is_finite():
        raise ValueError(f"not an amount: {raw!r}")
    return value.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)


def _int(raw: object) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        raise ValueError(f"not a whole number: {raw!r}") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise ValueError(f"not a whole number: {raw!r}")
    return int(value)


def _date(raw: object) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip()[:10])
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {raw!r}") from None


def within(kind: Kind, tolerance: Tolerance, production: Value, staging: Value) -> bool:
    """Whether the two canonical values agree within ``tolerance``."""
    if production is None or staging is None:
        return production is None and staging is None
    if production == staging:
        return True
    if kind is Kind.DATE:
        assert isinstance(production, dt.date) and isinstance(staging, dt.date)
        return abs((staging - production).days) <= tolerance.days
    if kind in (Kind.MONEY, Kind.INT):
        assert isinstance(production, Decimal | int) and isinstance(staging, Decimal | int)
        gap = abs(Decimal(staging) - Decimal(production))
        if tolerance.relative is not None:
            return gap <= abs(Decimal(production)) * tolerance.relative
        return gap <= tolerance.absolute
    return False


def delta(kind: Kind, production: Value, staging: Value) -> str:
    """staging − production, as a person says it: ``+12.50``, ``-3``, ``+1 year``."""
    if production is None or staging is None:
        return "" if production is staging else ("was empty" if production is None
                                                  else "now empty")
    if kind in (Kind.MONEY, Kind.INT):
        assert isinstance(production, Decimal | int) and isinstance(staging, Decimal | int)
        gap = Decimal(staging) - Decimal(production)
        return f"{'+' if gap > 0 else ''}{gap}"
    if kind is Kind.DATE:
        assert isinstance(production, dt.date) and isinstance(staging, dt.date)
        return _date_delta(production, staging)
    return "changed"


def _date_delta(production: dt.date, staging: dt.date) -> str:
    months = (staging.year - production.year) * 12 + staging.month - production.month
    if months and _add_months(production, months) == staging:
        sign = "+" if months > 0 else "-"
        years, rest = divmod(abs(months), 12)
        if rest == 0:
            return f"{sign}{years} year{'s' if years != 1 else ''}"
        return f"{sign}{abs(months)} month{'s' if abs(months) != 1 else ''}"
    days = (staging - production).days
    return f"{'+' if days > 0 else '-'}{abs(days)} day{'s' if abs(days) != 1 else ''}"


def _add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, its day clamped to the month's length."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def encode(value: Value) -> str:
    """The text of a canonical value in the CSV, the record and the digest."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
