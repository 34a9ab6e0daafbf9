"""One pass over the features query: the population's distinct configurations.

The query runs once on production, read-only, streamed in batches. What is kept is one
entry per distinct raw configuration (its smallest account key and how many accounts
share it) and, per number feature, a histogram of its values rounded to two significant
digits — so memory grows with the variety of the population, not with its size. The
hand-written accounts of the checklist are kept by key, to count what they already cover.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from common.errors import EnvironmentProblem
from harness.baseline.profile import FeatureKind, Features
from harness.baseline.sources import BATCH, CompareError, bound, connect

__all__ = ["Feature", "Order", "Raw", "Survey", "order", "survey"]

Raw = Decimal | str | None  # a number rounded to two significant digits, or a category
Order = tuple[int, int, str]  # how keys sort: integers by value, then text


def order(key: object) -> Order:
    """Ties go to the smallest key: integer keys by value, others by their text."""
    if isinstance(key, int) and not isinstance(key, bool):
        return (0, key, "")
    return (1, 0, str(key))


@dataclass(frozen=True)
class Feature:
    name: str
    kind: FeatureKind
    label: str


@dataclass
class Configuration:
    """Accounts sharing one raw configuration: the first by key order, and how many."""

    first: str
    first_order: Order
    accounts: int = 0


@dataclass
class Survey:
    features: list[Feature]
    accounts: int = 0
    configurations: dict[tuple[Raw, ...], Configuration] = field(default_factory=dict)
    histograms: dict[int, Counter[Decimal]] = field(default_factory=dict)  # number features
    kept: dict[str, tuple[Raw, ...]] = field(default_factory=dict)  # hand-written, found


def _number(value: Any, column: str) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(int(value) if isinstance(value, bool) else str(value).strip())
    except InvalidOperation:
        raise CompareError(f"population.features: column {column} is a number, but the query "
                           f"returned {value!r} (declare it category)") from None
    if not number.is_finite():
        raise CompareError(f"population.features: column {column}: {value!r} is not a number")
    if number == 0:
        return Decimal(0)
    if abs(number) < 100 and number == number.to_integral_value():
        return number.quantize(Decimal(1))
    step = Decimal(1).scaleb(number.adjusted() - 1)  # two significant digits
    return number.quantize(step, rounding=ROUND_HALF_UP)


def _category(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def survey(engine: Engine, features: Features, run_date: dt.date,
           hand_written: set[str]) -> Survey:
    """Read the features of every account (one query, streamed)."""
    specs = [Feature(n, s.kind, s.label or n.replace("_", " ")) for n, s in
             features.columns.items()]
    found = Survey(specs)
    numbers = [i for i, f in enumerate(specs) if f.kind is FeatureKind.NUMBER]
    for index in numbers:
        found.histograms[index] = Counter()
    try:
        with connect(engine, "production") as conn:
            result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
                bound(features.query, run_date))
            names = [str(c).lower() for c in result.keys()]  # noqa: SIM118
            wanted = [features.account, *features.columns]
            missing = [c for c in wanted if c not in names]
            if missing:
                raise CompareError(f"production: the population.features query returns no "
                                   f"column {', '.join(missing)} (it returns "
                                   f"{', '.join(names)})")
            at = [names.index(c) for c in wanted]
            for row in result:
                _add(found, [row[i] for i in at], numbers, hand_written)
    except DBAPIError as exc:
        raise EnvironmentProblem("production: the population.features query failed: "
                                 f"{str(exc.orig or exc).strip().splitlines()[0]}") from None
    return found


def _add(found: Survey, values: list[Any], numbers: list[int], hand_written: set[str]) -> None:
    raw_key, *raw = values
    key = str(raw_key)
    specs = found.features
    config = tuple(_number(v, specs[i].name) if specs[i].kind is FeatureKind.NUMBER
                   else _category(v) for i, v in enumerate(raw))
    found.accounts += 1
    for index in numbers:
        value = config[index]
        if isinstance(value, Decimal):
            found.histograms[index][value] += 1
    if key in hand_written:
        found.kept[key] = config
        return  # never picked again; what it covers counts as covered
    rank = order(raw_key)
    seen = found.configurations.get(config)
    if seen is None:
        found.configurations[config] = Configuration(key, rank, 1)
        return
    seen.accounts += 1
    if rank < seen.first_order:
        seen.first, seen.first_order = key, rank
