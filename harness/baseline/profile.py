"""The profile's ``population`` section: production's results, asked of the whole population.

    population:
      bill_run: SELECT release, status FROM bill_runs WHERE run_date = :bill_run_date
      threshold: 0                      # differences beyond tolerance allowed before NO-GO
      accounts:
        query: SELECT number AS account, balance, status, ... FROM accounts ...
        key: [account]
        fields:
          balance: money                # kind: money | date | int | text
          invoice_total: {kind: money, tolerance: "0.01"}     # or "0.5%" of production's
          next_bill_date: {kind: date, label: next bill date, tolerance: 0}   # days
          note: {kind: text, ignore: "free text, rewritten by sanitizing"}
          promo: {kind: money, accept: "1.1 prices promos differently (release notes)"}

      features:                         # not compared: what `golive accounts pick` reads
        query: SELECT number AS account, status, bill_day, ... FROM accounts ...
        columns:
          status: category              # every value is a configuration of its own
          usage_minutes: number         # bucketed into quantiles (0 and empty apart)

Each query runs unchanged on production (read-only) and on staging, with the named
bind ``:bill_run_date`` only. ``account`` names the key column that is the account
(findings and the verdict name accounts); ``group`` a column that groups findings
(e.g. the product), so ten accounts with one field one year ahead read as one finding.
"""

from __future__ import annotations

import hashlib
import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from common.dsn import Dsn, profile_root
from common.yamlsource import Located
from harness.baseline.values import Kind, Tolerance, parse_tolerance

__all__ = ["BINDS", "DATASETS", "BaselineStoreConfig", "Dataset", "FeatureKind", "Features",
           "FieldSpec", "Population"]

BINDS = frozenset({"bill_run_date"})
DATASETS = ("accounts", "packages", "charges")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_QUOTED = re.compile(r"'(?:[^']|'')*'")
_POSITIONAL = re.compile(r"%s|%\(\w+\)s|\?|\{[^}]*\}")
_BIND = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def _resolve(value: Path, info: ValidationInfo) -> Path:
    root = profile_root(info)
    value = value.expanduser()
    return value if value.is_absolute() or root is None else root / value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True,
                              validate_default=True)


def check_sql(sql: str) -> str:
    """Named binds only, and only the ones golive gives; ValueError naming the problem."""
    bare = _QUOTED.sub("''", sql)
    if not sql.strip():
        raise ValueError("empty query")
    if _POSITIONAL.search(bare):
        raise ValueError("use the named bind :bill_run_date, not %s, ? or {…} placeholders")
    unknown = sorted(set(_BIND.findall(bare)) - BINDS)
    if unknown:
        known = ", ".join(":" + b for b in sorted(BINDS))
        raise ValueError(f"unknown bind :{unknown[0]} (golive binds {known})")
    return sql


class FieldSpec(_Model):
    """One compared column: its kind, tolerance, and whether it is ignored or accepted."""

    kind: Kind
    label: str | None = None
    tolerance: str | None = None
    scale: Annotated[int, Field(ge=0, le=12)] = 2  # money: decimals compared
    ignore: str | None = None  # reason: not compared at all
    accept: str | None = None  # reason: compared and shown, never blocks

    @model_validator(mode="after")
    def _consistent(self) -> FieldSpec:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        try:
            parse_tolerance(self.kind, self.tolerance)
        except ValueError as exc:
            problems.append((("tolerance",), str(exc)))
        for key in ("ignore", "accept"):
            value = getattr(self, key)
            if value is not None and not value.strip():
                problems.append(((key,), "give the reason (it is shown in the report)"))
        if self.ignore is not None and self.accept is not None:
            problems.append((("accept",), "a field is either ignored or accepted, not both"))
        if problems:
            raise Located(problems)
        return self

    @property
    def tolerance_spec(self) -> Tolerance:
        return parse_tolerance(self.kind, self.tolerance)


def _field(value: Any) -> Any:
    """``balance: money`` is short for ``balance: {kind: money}``."""
    return {"kind": value} if isinstance(value, str) else value


class Dataset(_Model):
    """One population question, asked of production and of staging alike."""

    query: Annotated[str, AfterValidator(check_sql)]
    key: Annotated[list[str], Field(min_length=1)]
    account: str = "account"
    group: str | None = None
    fields: Annotated[dict[str, FieldSpec], Field(min_length=1)]

    @field_validator("fields", mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return {k: _field(v) for k, v in value.items()} if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _columns(self) -> Dataset:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for index, name in enumerate(self.key):
            if not _NAME.match(name):
                problems.append((("key", index), f"{name!r}: a column name is lower_case"))
        for name in self.fields:
            if not _NAME.match(name):
                problems.append((("fields", name), "a column name is lower_case"))
            elif name in self.key:
                problems.append((("fields", name), "is a key column: keys are matched, "
                                                   "not compared"))
        if len(set(self.key)) != len(self.key):
            problems.append((("key",), "names a column twice"))
        if self.account not in self.key:
            problems.append((("account",), f"{self.account!r} is not a key column "
                                           f"({', '.join(self.key)})"))
        if self.group is not None and not _NAME.match(self.group):
            problems.append((("group",), "a column name is lower_case"))
        if problems:
            raise Located(problems)
        return self

    @property
    def columns(self) -> list[str]:
        """What is read from each side, in order: keys, the group column, the fields."""
        group = [self.group] if self.group is not None and self.group not in (
            *self.key, *self.fields) else []
        return [*self.key, *group, *self.fields]

    @property
    def compared(self) -> dict[str, FieldSpec]:
        return {n: f for n, f in self.fields.items() if f.ignore is None}


class BaselineStoreConfig(_Model):
    """Where the baseline is kept: a SQLite file (default ``<state_dir>/baseline.sqlite``)
    or a PostgreSQL database of golive's own (``dsn``), which lets a comparison with a
    PostgreSQL staging database hash buckets inside both servers."""

    path: Annotated[Path, AfterValidator(_resolve)] | None = None
    dsn: Dsn | None = None

    @model_validator(mode="after")
    def _one(self) -> BaselineStoreConfig:
        if self.path is not None and self.dsn is not None:
            raise Located([(("dsn",), "give path (SQLite) or dsn (PostgreSQL), not both")])
        if self.dsn is not None and self.dsn.backend != "postgresql":
            raise Located([(("dsn",), "a baseline database is PostgreSQL (or give path: "
                                      "for a SQLite file)")])
        return self


class FeatureKind(StrEnum):
    CATEGORY = "category"  # each distinct value is a configuration of its own
    NUMBER = "number"  # bucketed into quantiles of the population; 0 and empty apart


class FeatureSpec(_Model):
    kind: FeatureKind
    label: str | None = None


class Features(_Model):
    """What makes accounts different, per account: one query read by ``golive accounts
    pick`` (never compared). Each column is a feature; an account's configuration is its
    set of (feature, value) pairs, numbers bucketed into ``buckets`` quantiles."""

    query: Annotated[str, AfterValidator(check_sql)]
    account: str = "account"
    buckets: Annotated[int, Field(ge=2, le=10)] = 4
    columns: Annotated[dict[str, FeatureSpec], Field(min_length=1)]

    @field_validator("columns", mode="before")
    @classmethod
    def _short(cls, value: Any) -> Any:
        return {k: _field(v) for k, v in value.items()} if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _names(self) -> Features:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if not _NAME.match(self.account):
            problems.append((("account",), "a column name is lower_case"))
        for name in self.columns:
            if not _NAME.match(name):
                problems.append((("columns", name), "a column name is lower_case"))
            elif name == self.account:
                problems.append((("columns", name), "is the account column, not a feature"))
        if problems:
            raise Located(problems)
        return self


def _store() -> Any:
    return {}


class Population(_Model):
    """The whole population compared with production's results of the same bill run."""

    bill_run: Annotated[str, AfterValidator(check_sql)] | None = None
    threshold: NonNegativeInt = 0
    shown: PositiveInt = 200  # differences kept in run.json and the HTML; the CSV has all
    baseline: BaselineStoreConfig = Field(default_factory=_store)
    accounts: Dataset | None = None
    packages: Dataset | None = None
    charges: Dataset | None = None
    features: Features | None = None  # read by golive accounts pick, never compared

    @model_validator(mode="after")
    def _some(self) -> Population:
        if not self.datasets:
            raise Located([((), f"give at least one of {', '.join(DATASETS)}")])
        return self

    @property
    def datasets(self) -> dict[str, Dataset]:
        found = {n: getattr(self, n) for n in DATASETS}
        return {n: d for n, d in found.items() if d is not None}

    def digest(self) -> str:
        """What the baseline holds depends on: the queries and their columns and kinds
        (not tolerances: a baseline stays valid when only tolerances change)."""
        shape = {
            "bill_run": self.bill_run,
            **{name: {"query": d.query, "key": d.key, "group": d.group,
                      "fields": {f: [s.kind.value, s.scale] for f, s in d.fields.items()}}
               for name, d in self.datasets.items()},
        }
        return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()
