"""What differs between production's baseline and staging, kept in bounded memory.

Every difference goes to the CSV as it is found (the complete list); the sink keeps
only counts, the first differences beyond tolerance (``shown``) and one *finding* per
dataset, field, category, group and status: ten accounts whose yearly package moved
one year ahead are one finding ("packages · next bill date · YEARLY-X · 10 accounts ·
+1 year"), not ten lines.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from harness.baseline.profile import Dataset, FieldSpec
from harness.baseline.sources import Row
from harness.baseline.values import Value, delta, encode, within
from harness.cells import neutral
from harness.record import DatasetCounts, PopulationDifference, PopulationFinding

__all__ = ["CSV_COLUMNS", "Category", "DifferenceSink", "Status", "neutral"]

CSV_COLUMNS = ["dataset", "category", "status", "account", "key", "group", "field", "label",
               "production", "staging", "delta", "reason"]
FIRST_ACCOUNTS = 10  # accounts named per finding
MAX_FINDINGS = 500  # groups beyond this are counted under "(other groups)"
OTHER = "(other groups)"


class Category(StrEnum):
    MISSING = "missing"  # production has the row, staging does not
    EXTRA = "extra"  # staging has a row production does not
    CHANGED = "changed"  # both have it; a field differs


class Status(StrEnum):
    BEYOND = "beyond tolerance"
    WITHIN = "within tolerance"
    ACCEPTED = "accepted"



@dataclass(frozen=True)
class _Layout:
    """Where a dataset's key, account, group and compared fields sit in its rows."""

    keys: tuple[int, ...]
    account: int
    group: int | None
    fields: tuple[tuple[int, str, FieldSpec], ...]

    @classmethod
    def of(cls, dataset: Dataset) -> _Layout:
        columns = dataset.columns
        return cls(tuple(columns.index(k) for k in dataset.key), columns.index(dataset.account),
                   columns.index(dataset.group) if dataset.group is not None else None,
                   tuple((columns.index(n), n, s) for n, s in dataset.compared.items()))

    def identity(self, row: Row) -> tuple[str, str, str]:
        """(account, the whole key as text, the group) of a row."""
        key = "/".join(encode(row[i]) for i in self.keys)
        group = encode(row[self.group]) if self.group is not None else ""
        return encode(row[self.account]), key, group


@dataclass
class _Finding:
    dataset: str
    column: str
    label: str
    category: str
    group: str
    status: str
    reason: str
    accounts: int = 0
    first: list[str] = field(default_factory=list)
    deltas: set[str] = field(default_factory=set)
    low: Decimal | None = None
    high: Decimal | None = None
    various: bool = False

    def add(self, account: str, shown: str) -> None:
        self.accounts += 1
        if len(self.first) < FIRST_ACCOUNTS and account not in self.first:
            self.first.append(account)
        try:
            number = Decimal(shown)
        except InvalidOperation:
            number = None
        if number is not None:
            self.low = number if self.low is None else min(self.low, number)
            self.high = number if self.high is None else max(self.high, number)
        if not self.various:
            self.deltas.add(shown)
            self.various = len(self.deltas) > 3

    def delta_text(self) -> str:
        if len(self.deltas) == 1 and not self.various:
            return next(iter(self.deltas))
        if self.low is not None and self.high is not None:
            return f"{self.low:+} … {self.high:+}"
        return "various" if self.various else ", ".join(sorted(self.deltas))


class DifferenceSink:
    """Receives every difference of one comparison; writes the CSV; keeps the summary."""

    def __init__(self, csv_path: Path, shown: int) -> None:
        self.csv_path = csv_path
        self.shown = shown
        self.differences: list[PopulationDifference] = []
        self.counts: dict[str, DatasetCounts] = {}
        self.beyond = 0
        self.rows_written = 0
        self._findings: dict[tuple[str, ...], _Finding] = {}
        self._layouts: dict[str, _Layout] = {}
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO = csv_path.open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file, lineterminator="\n")
        self._csv.writerow(CSV_COLUMNS)

    # -- per dataset ---------------------------------------------------------------
    def start(self, name: str, dataset: Dataset) -> DatasetCounts:
        ignored = [f"{n}: {s.ignore}" for n, s in dataset.fields.items() if s.ignore]
        counts = DatasetCounts(dataset=name, ignored=ignored)
        self.counts[name] = counts
        self._layouts[name] = _Layout.of(dataset)
        return counts

    def rows(self, name: str, production: Row | None, staging: Row | None) -> None:
        """One key: missing (production only), extra (staging only) or both (compared)."""
        counts = self.counts[name]
        if staging is None:
            assert production is not None
            counts.missing += 1
            self._row(name, Category.MISSING, production)
        elif production is None:
            counts.extra += 1
            self._row(name, Category.EXTRA, staging)
        else:
            self._compare(name, counts, production, staging)

    def _row(self, name: str, category: Category, row: Row) -> None:
        self.beyond += 1
        self.counts[name].beyond += 1
        account, key, group = self._layouts[name].identity(row)
        side = "production" if category is Category.MISSING else "staging"
        text = f"row only in {side}"
        self._record(name, category, Status.BEYOND, account, key, group, "", "",
                     text if category is Category.MISSING else "",
                     "" if category is Category.MISSING else text, "", "")

    def _compare(self, name: str, counts: DatasetCounts, production: Row,
                 staging: Row) -> None:
        layout = self._layouts[name]
        changed = False
        for index, column, spec in layout.fields:
            old, new = production[index], staging[index]
            if old == new:
                continue
            if spec.accept is not None:
                status = Status.ACCEPTED
                counts.accepted += 1
            elif within(spec.kind, spec.tolerance_spec, old, new):
                status = Status.WITHIN
                counts.within += 1
            else:
                status = Status.BEYOND
                counts.beyond += 1
                self.beyond += 1
                changed = True
            account, key, group = layout.identity(staging)
            self._record(name, Category.CHANGED, status, account, key, group, column,
                         spec.label or column.replace("_", " "), _text(old), _text(new),
                         delta(spec.kind, old, new), spec.accept or "")
        if changed:
            counts.changed += 1

    def _record(self, name: str, category: Category, status: Status,
                account: str, key: str, group: str, column: str, label: str, old: str,
                new: str, shown_delta: str, reason: str) -> None:
        row = [name, category.value, status.value, account, key, group, column, label, old, new,
               shown_delta, reason]
        self._csv.writerow([neutral(v) for v in row])
        self.rows_written += 1
        if status is Status.BEYOND and len(self.differences) < self.shown:
            self.differences.append(PopulationDifference(
                dataset=name, category=category.value, account=account, key=key, group=group,
                column=column, label=label, production=old, staging=new, delta=shown_delta))
        group_key = (name, column, category.value, group, status.value)
        finding = self._findings.get(group_key)
        if finding is None:
            if len(self._findings) >= MAX_FINDINGS:
                group_key = (name, column, category.value, OTHER, status.value)
                finding = self._findings.get(group_key)
            if finding is None:
                finding = _Finding(name, column, label, category.value, group_key[3],
                                   status.value, reason)
                self._findings[group_key] = finding
        finding.add(account, shown_delta)

    # -- the end ---------------------------------------------------------------------
    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def findings(self) -> list[PopulationFinding]:
        """Beyond tolerance first, then by how many accounts, then by name."""
        rank = {Status.BEYOND.value: 0, Status.ACCEPTED.value: 1, Status.WITHIN.value: 2}
        ordered = sorted(self._findings.values(),
                         key=lambda f: (rank[f.status], -f.accounts, f.dataset, f.column, f.group))
        return [PopulationFinding(dataset=f.dataset, column=f.column, label=f.label,
                                  category=f.category, group=f.group, status=f.status,
                                  accounts=f.accounts, delta=f.delta_text(),
                                  first_accounts=list(f.first), reason=f.reason)
                for f in ordered]


def _text(value: Value) -> str:
    return encode(value)
