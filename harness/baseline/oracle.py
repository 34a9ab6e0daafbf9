"""One account against production: its rows in the baseline beside the same population
queries asked of staging for that account alone.

A diverse account of the checklist takes its expectations from production (the oracle):
every compared field of every dataset row the baseline holds for it. Staging's values
come from the same queries run on staging, filtered to the account, so both sides are
the same question, read through read-only connections, coerced to the same canonical
values and compared with the field's own kind and tolerance. They are read when the
scenario asks (not from the compare stage's results: those keep only the differences,
and in two-phase mode not every difference within tolerance), so a check always shows
both values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from common.dsn import Dsn
from harness.baseline.compare import check_baseline
from harness.baseline.profile import Dataset, Population
from harness.baseline.readonly import read_only_engine
from harness.baseline.sources import Row, RowSource
from harness.baseline.store import BaselineStore, open_store
from harness.baseline.values import Kind, Tolerance, Value, coerce, delta, encode, within

__all__ = ["AccountComparison", "AccountOracle", "FieldCheck", "open_oracle"]

NONE = "(none)"  # a field whose value is empty (an ended package's next bill date)
NOT_IN_PRODUCTION = "(not in production)"


def _text(value: Value) -> str:
    return NONE if value is None else encode(value)


@dataclass(frozen=True)
class FieldCheck:
    """One compared field of one row of the account: production's value (or a hand-written
    override of it) beside staging's, judged with the field's kind and tolerance."""

    name: str  # as the report shows it: "balance", "next bill date NET-1000"
    dataset: str
    column: str
    kind: Kind
    tolerance: Tolerance
    scale: int
    production: Value
    staging: Value
    in_production: bool = True  # the baseline has this row
    on_staging: bool = True  # staging's query returns this row
    accepted: str | None = None  # the field's accept: reason (shown, never blocking)
    written: Value = None  # a hand-written override of production's value
    overridden: bool = False

    @property
    def expected(self) -> Value:
        return self.written if self.overridden else self.production

    @property
    def ok(self) -> bool:
        if not (self.in_production and self.on_staging):
            return False
        if self.accepted is not None:
            return True
        return within(self.kind, self.tolerance, self.expected, self.staging)

    @property
    def expected_text(self) -> str:
        return _text(self.expected) if self.in_production else NOT_IN_PRODUCTION

    @property
    def actual_text(self) -> str | None:
        """Staging's value; None when staging has no such row (the report: missing)."""
        return _text(self.staging) if self.on_staging else None

    def with_expected(self, raw: object) -> FieldCheck:
        """This check with a hand-written expected value; ValueError when ``raw`` is not a
        value of the field's kind."""
        return dataclasses.replace(self, written=coerce(self.kind, raw, self.scale),
                                   overridden=True)

    def describe(self) -> str:
        """What a failed check says: both values, and how far apart they are."""
        if not self.in_production:
            return f"staging has a row production has not ({self.dataset}: {self.actual_text})"
        want = (f"hand-written {self.expected_text} (production {_text(self.production)})"
                if self.overridden else f"production {self.expected_text}")
        if not self.on_staging:
            return f"{want}, staging has no such row ({self.dataset})"
        gap = delta(self.kind, self.expected, self.staging)
        shown = f", {gap}" if gap and gap != "changed" else ""
        tolerance = "" if self.tolerance.exact else f", tolerance {self.tolerance}"
        return f"{want}, staging {self.actual_text}{shown}{tolerance}"


@dataclass(frozen=True)
class AccountComparison:
    """Every compared field of one account, production beside staging."""

    account: str
    checks: list[FieldCheck]
    production_rows: int  # rows the baseline holds for the account, over all datasets
    staging_rows: int


class AccountOracle:
    """Production's values of single accounts (the baseline) and staging's, on demand.
    Opened once per process; the baseline is checked to be of this bill run and these
    queries on first use (BaselineRefused otherwise, never a comparison with another)."""

    def __init__(self, population: Population, store: BaselineStore, staging: Dsn,
                 run_date: dt.date) -> None:
        self.population = population
        self.store = store
        self.staging = staging
        self.run_date = run_date
        self._engine: Engine | None = None
        self._sources: dict[str, tuple[RowSource, RowSource]] = {}

    def _pair(self, name: str, dataset: Dataset) -> tuple[RowSource, RowSource]:
        if not self._sources:
            check_baseline(self.store.provenance(), self.store, self.population,
                           self.run_date)
            self._engine = read_only_engine(self.staging.reveal())
        if name not in self._sources:
            assert self._engine is not None
            self._sources[name] = (
                self.store.source(name, dataset),
                RowSource(self._engine, dataset.query, name, dataset, "staging",
                          self.run_date))
        return self._sources[name]

    def account(self, key: str) -> AccountComparison:
        """``key``'s rows in every dataset, production beside staging."""
        checks: list[FieldCheck] = []
        production_rows = staging_rows = 0
        for name, dataset in self.population.datasets.items():
            baseline, current = self._pair(name, dataset)
            before, after = _rows(baseline, key), _rows(current, key)
            production_rows += len(before)
            staging_rows += len(after)
            checks += _dataset_checks(name, dataset, before, after)
        return AccountComparison(key, _unique_names(checks), production_rows, staging_rows)

    def close(self) -> None:
        """Release connections; idempotent."""
        self._sources.clear()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        self.store.close()


def open_oracle(population: Population, state_dir: Path, staging: Dsn,
                run_date: dt.date) -> AccountOracle:
    """The oracle of a profile: its baseline store and its staging database."""
    return AccountOracle(population, open_store(population, state_dir), staging, run_date)


def _rows(source: RowSource, key: str) -> dict[tuple[Any, ...], Row]:
    """The account's rows on one side, by their key."""
    dataset = source.dataset
    account = dataset.account
    param: object = key
    if source.describe()[account].family == "integer":
        try:
            param = int(key)
        except ValueError:
            return {}  # an integer key column holds no such account
    width = len(dataset.key)
    rows = source.rows(f"{source.quoted(account)} = :golive_account", {"golive_account": param})
    return {row[:width]: row for row in rows}


def _group(dataset: Dataset, row: Row) -> object:
    return None if dataset.group is None else row[dataset.columns.index(dataset.group)]


def _suffix(dataset: Dataset, key: tuple[Any, ...], group: object, shared: set[object]) -> str:
    """What tells the account's rows of a dataset apart: the group (a product), and the
    other key columns when the group does not (or there is none)."""
    parts = [] if dataset.group is None else [NONE if group is None else str(group)]
    others = [str(v) for k, v in zip(dataset.key, key, strict=True) if k != dataset.account]
    if others and (dataset.group is None or group in shared):
        parts.append("#" + "/".join(others))
    return " ".join(parts)


def _dataset_checks(name: str, dataset: Dataset, before: dict[tuple[Any, ...], Row],
                    after: dict[tuple[Any, ...], Row]) -> list[FieldCheck]:
    keyed: dict[object, set[tuple[Any, ...]]] = {}
    for key, found in {**after, **before}.items():
        keyed.setdefault(_group(dataset, found), set()).add(key)
    shared = {g for g, rows in keyed.items() if len(rows) > 1}
    keys = sorted({*before, *after}, key=_natural)
    checks: list[FieldCheck] = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        row = old if old is not None else new
        assert row is not None
        suffix = _suffix(dataset, key, _group(dataset, row), shared)
        for column, spec in dataset.compared.items():
            index = dataset.columns.index(column)
            label = spec.label or column
            checks.append(FieldCheck(
                name=f"{label} {suffix}".strip(), dataset=name, column=column,
                kind=spec.kind, tolerance=spec.tolerance_spec, scale=spec.scale,
                production=old[index] if old is not None else None,
                staging=new[index] if new is not None else None,
                in_production=old is not None, on_staging=new is not None,
                accepted=spec.accept))
    return checks


def _natural(key: tuple[Any, ...]) -> tuple[tuple[int, int, str], ...]:
    """Key order as a person reads it: numbers by value, then text."""
    return tuple((0, v, "") if isinstance(v, int) else (1, 0, str(v)) for v in key)


def _unique_names(checks: list[FieldCheck]) -> list[FieldCheck]:
    """A name two datasets share gets its dataset in front: every check is named once."""
    seen: dict[str, set[str]] = {}
    for c in checks:
        seen.setdefault(c.name, set()).add(c.dataset)
    return [dataclasses.replace(c, name=f"{c.dataset} {c.name}") if len(seen[c.name]) > 1
            else c for c in checks]
