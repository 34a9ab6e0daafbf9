"""Compared values: canonical forms, tolerance edges, deltas as a person says them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from harness.baseline.values import Kind, coerce, delta, parse_tolerance, within

D = Decimal


@pytest.mark.parametrize(("tolerance", "production", "staging", "agrees"), [
    ("0", "10.00", "10.00", True),
    ("0", "10.00", "10.01", False),
    ("0.01", "10.00", "10.01", True),  # exactly the tolerance: agrees
    ("0.01", "10.00", "9.99", True),
    ("0.01", "10.00", "10.02", False),  # one cent past it: does not
    ("1%", "100.00", "101.00", True),  # a share of production's value
    ("1%", "100.00", "101.01", False),
    ("1%", "-100.00", "-99.00", True),
    ("1%", "0.00", "0.01", False),  # 1 % of nothing is nothing
    ("0.5%", "200.00", "201.00", True),
])
def test_money_tolerance_edges(tolerance: str, production: str, staging: str,
                               agrees: bool) -> None:
    spec = parse_tolerance(Kind.MONEY, tolerance)
    assert within(Kind.MONEY, spec, D(production), D(staging)) is agrees


@pytest.mark.parametrize(("days", "gap", "agrees"), [
    (0, 0, True), (0, 1, False), (2, 2, True), (2, -2, True), (2, 3, False), (2, -3, False),
])
def test_date_tolerance_edges(days: int, gap: int, agrees: bool) -> None:
    base = dt.date(2026, 11, 1)
    spec = parse_tolerance(Kind.DATE, f"{days} days")
    assert within(Kind.DATE, spec, base, base + dt.timedelta(days=gap)) is agrees


def test_int_tolerance_and_empty_values() -> None:
    assert within(Kind.INT, parse_tolerance(Kind.INT, "2"), 100, 102)
    assert not within(Kind.INT, parse_tolerance(Kind.INT, "2"), 100, 103)
    exact = parse_tolerance(Kind.MONEY, None)
    assert within(Kind.MONEY, exact, None, None)
    assert not within(Kind.MONEY, parse_tolerance(Kind.MONEY, "1000"), None, D("0.00"))
    assert not within(Kind.TEXT, exact, "active", "suspended")


def test_both_engines_values_meet_as_equals() -> None:
    # SQLite hands back floats and strings, PostgreSQL Decimals and dates
    assert coerce(Kind.MONEY, 0.1 + 0.2) == coerce(Kind.MONEY, D("0.30")) == D("0.30")
    assert coerce(Kind.MONEY, 12) == D("12.00")
    assert coerce(Kind.MONEY, "1.005") == D("1.01")  # half-up at the field's scale
    assert coerce(Kind.MONEY, D("1.2345"), scale=3) == D("1.235")
    assert coerce(Kind.DATE, "2026-11-01") == coerce(Kind.DATE, dt.date(2026, 11, 1))
    assert coerce(Kind.DATE, dt.datetime(2026, 11, 1, 13, 5)) == dt.date(2026, 11, 1)
    assert coerce(Kind.INT, D("42")) == coerce(Kind.INT, 42.0) == 42
    assert coerce(Kind.TEXT, 7) == "7"
    for kind, bad in ((Kind.MONEY, "twelve"), (Kind.DATE, "soon"), (Kind.INT, 1.5)):
        with pytest.raises(ValueError, match="not a"):
            coerce(kind, bad)


@pytest.mark.parametrize(("production", "staging", "said"), [
    (dt.date(2027, 11, 1), dt.date(2026, 12, 1), "-11 months"),
    (dt.date(2026, 12, 1), dt.date(2027, 12, 1), "+1 year"),
    (dt.date(2026, 11, 30), dt.date(2028, 11, 30), "+2 years"),
    (dt.date(2027, 1, 31), dt.date(2027, 2, 28), "+1 month"),  # the month-end rule
    (dt.date(2026, 11, 1), dt.date(2026, 11, 4), "+3 days"),
    (dt.date(2026, 11, 4), dt.date(2026, 11, 3), "-1 day"),
])
def test_date_deltas_read_as_periods(production: dt.date, staging: dt.date, said: str) -> None:
    assert delta(Kind.DATE, production, staging) == said


def test_money_and_empty_deltas() -> None:
    assert delta(Kind.MONEY, D("10.00"), D("12.50")) == "+2.50"
    assert delta(Kind.MONEY, D("10.00"), D("4.00")) == "-6.00"
    assert delta(Kind.INT, 10, 7) == "-3"
    assert delta(Kind.MONEY, None, D("1.00")) == "was empty"
    assert delta(Kind.TEXT, "active", "suspended") == "changed"


@pytest.mark.parametrize(("kind", "text", "error"), [
    (Kind.TEXT, "1", "compared exactly"),
    (Kind.DATE, "soon", "not a number of days"),
    (Kind.INT, "1%", "relative tolerance"),
    (Kind.INT, "0.5", "whole number"),
    (Kind.MONEY, "-1", "non-negative"),
    (Kind.MONEY, "cents", "not an amount"),
])
def test_bad_tolerances_name_the_accepted_forms(kind: Kind, text: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_tolerance(kind, text)
