"""The month-end rule for next bill dates (README rule 3)."""

from __future__ import annotations

from datetime import date

import pytest

from demo.calendar import (
    DEFAULT_AS_OF,
    DEFAULT_RUN_DATE,
    add_months,
    add_period,
    latest_bill_date,
)


def test_shared_default_dates() -> None:
    assert date(2026, 10, 31) == DEFAULT_AS_OF
    assert date(2026, 11, 1) == DEFAULT_RUN_DATE


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2026, 10, 31), date(2026, 11, 30)),
        (date(2026, 11, 30), date(2026, 12, 31)),
        (date(2026, 12, 31), date(2027, 1, 31)),
        (date(2027, 1, 31), date(2027, 2, 28)),
        (date(2027, 2, 28), date(2027, 3, 31)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2028, 2, 29), date(2028, 3, 31)),
    ],
)
def test_bill_day_31_follows_the_month_end(start: date, expected: date) -> None:
    assert add_period(start, "monthly", 31) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2027, 1, 29), date(2027, 2, 28)),
        (date(2027, 2, 28), date(2027, 3, 29)),
        (date(2028, 1, 29), date(2028, 2, 29)),
        (date(2028, 2, 29), date(2028, 3, 29)),
    ],
)
def test_bill_day_29_in_common_and_leap_years(start: date, expected: date) -> None:
    assert add_period(start, "monthly", 29) == expected


def test_quarterly_and_yearly() -> None:
    assert add_period(date(2026, 11, 30), "quarterly", 31) == date(2027, 2, 28)
    assert add_period(date(2026, 11, 1), "quarterly", 1) == date(2027, 2, 1)
    assert add_period(date(2026, 12, 15), "quarterly", 15) == date(2027, 3, 15)
    assert add_period(date(2027, 2, 28), "yearly", 29) == date(2028, 2, 29)
    assert add_period(date(2028, 2, 29), "yearly", 29) == date(2029, 2, 28)
    assert add_period(date(2026, 11, 1), "yearly", 1) == date(2027, 11, 1)


def test_one_off_has_no_next_date() -> None:
    assert add_period(date(2026, 11, 1), "one_off", 1) is None


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown period 'weekly'"):
        add_period(date(2026, 11, 1), "weekly", 1)
    with pytest.raises(ValueError, match="bill day must be 1-31"):
        add_months(date(2026, 11, 1), 1, 32)


def test_negative_months_and_latest_bill_date() -> None:
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2026, 1, 15), -2) == date(2025, 11, 15)
    # The generator's rule: latest date with the bill day on or before the run date.
    assert latest_bill_date(DEFAULT_RUN_DATE, 1) == date(2026, 11, 1)
    assert latest_bill_date(DEFAULT_RUN_DATE, 31) == date(2026, 10, 31)
    assert latest_bill_date(DEFAULT_RUN_DATE, 15) == date(2026, 10, 15)
    assert latest_bill_date(date(2026, 3, 1), 30) == date(2026, 2, 28)
