"""Rules → a plan: per table, what each column becomes, as plain strategy objects.

The rule file is what a person writes; the plan is what the SQL builders read.
Each strategy is a small frozen dataclass; the dialect builders turn one into a
SQL expression of the column, so no strategy ever loops over rows in Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sanitize.rules import ColumnRule, Rules

__all__ = [
    "ColumnPlan",
    "Constant",
    "Fake",
    "KeyedHash",
    "Mask",
    "Null",
    "Redirect",
    "SqlExpression",
    "Strategy",
    "TablePlan",
    "default_sink",
    "plan",
]


@dataclass(frozen=True)
class Fake:
    """A value from the Faker pool of ``kind``, chosen by the keyed hash of the original.

    ``unique`` appends a keyed-hash suffix (emails always get one in the local
    part), so distinct originals stay distinct.
    """

    kind: str
    unique: bool = False


@dataclass(frozen=True)
class Mask:
    keep_last: int
    char: str = "*"


@dataclass(frozen=True)
class KeyedHash:
    length: int = 16
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class Null:
    pass


@dataclass(frozen=True)
class Constant:
    value: str | int | float | bool


@dataclass(frozen=True)
class Redirect:
    """The address of golive's sink ``sink``: a URL, or only its host for host columns."""

    sink: str
    form: str = "url"


@dataclass(frozen=True)
class SqlExpression:
    by_dialect: Mapping[str, str | None] = field(default_factory=dict)


Strategy = Fake | Mask | KeyedHash | Null | Constant | Redirect | SqlExpression


@dataclass(frozen=True)
class ColumnPlan:
    """One rule on one column; ``loc`` is where it is written in the rule file."""

    column: str
    strategy: Strategy
    where: str | None
    loc: tuple[str | int, ...]

    def describe(self) -> str:
        name = type(self.strategy).__name__.lower()
        detail = f" {self.strategy.kind}" if isinstance(self.strategy, Fake) else ""
        return f"{self.column}: {name}{detail}" + (" (where …)" if self.where else "")


@dataclass(frozen=True)
class TablePlan:
    table: str
    action: str  # update | truncate | skip
    where: str | None
    columns: tuple[ColumnPlan, ...]
    loc: tuple[str | int, ...]


def _strategy(rule: ColumnRule) -> Strategy:
    kind = rule.strategy
    if kind == "fake":
        assert rule.fake is not None
        return Fake(rule.fake, unique=rule.unique or rule.fake == "email")
    if kind == "mask":
        assert rule.mask is not None
        return Mask(rule.mask.keep_last, rule.mask.char)
    if kind == "hash":
        assert rule.hash is not None
        return KeyedHash(rule.hash.length, rule.hash.prefix, rule.hash.suffix)
    if kind == "null":
        return Null()
    if kind == "constant":
        assert rule.constant is not None
        return Constant(rule.constant)
    if kind == "redirect":
        assert rule.redirect is not None
        return Redirect(rule.redirect.sink, rule.redirect.form)
    assert rule.sql is not None
    return SqlExpression({"sqlite": rule.sql.sqlite, "postgresql": rule.sql.postgresql})


def plan(rules: Rules) -> list[TablePlan]:
    """Every table of ``rules`` as a TablePlan, in file order."""
    tables: list[TablePlan] = []
    for table, rule in rules.model.tables.items():
        columns: list[ColumnPlan] = []
        for column, column_rules in rule.columns.items():
            for index, column_rule in enumerate(column_rules):
                loc: tuple[str | int, ...] = ("tables", table, "columns", column)
                if len(column_rules) > 1:
                    loc = (*loc, index)
                columns.append(ColumnPlan(column, _strategy(column_rule), column_rule.where,
                                          loc))
        tables.append(TablePlan(table, rule.action, rule.where, tuple(columns),
                                ("tables", table)))
    return tables


def default_sink(sink: str, form: str) -> str:
    """Where a redirect points when no sink address is given: a loopback port nothing
    listens on (discard), so an unlocked-down staging system still cannot reach out."""
    if form == "host":
        return "127.0.0.1"
    return f"http://127.0.0.1:9/golive-sink/{sink}"
