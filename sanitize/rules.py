"""The sanitize rule file: a pydantic model and its loader, every problem at once.

A rule file says, per table, what happens to it (``action: update`` column by
column, ``truncate`` or ``skip``) and, per column, one strategy::

    salt_env: GOLIVE_SANITIZE_SALT      # where the keyed-hash secret comes from
    pool: {size: 2000, seed: 1}         # Faker pools, made once per run
    tables:
      contacts:
        columns:
          first_name: {fake: first_name}
          email: {fake: email}                         # always unique
          phone: {fake: phone, where: "phone <> ''"}
      payment_methods:
        columns:
          token:                                       # several rules: CASE WHEN … in order
            - {hash: {prefix: tok_, suffix: _decline}, where: "token LIKE '%_decline'"}
            - {hash: {prefix: tok_}}
      audit_archive: {action: truncate}

Problems are reported with file and line through `common.yamlsource`
(unknown keys get "did you mean"); nothing touches a database here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from common.errors import ConfigError, Problem
from common.yamlsource import Located, YamlSource, display_name, load_yaml, validate

__all__ = [
    "FAKE_KINDS",
    "STRATEGY_KEYS",
    "ColumnRule",
    "FakeKind",
    "HashSpec",
    "MaskSpec",
    "PoolSettings",
    "RedirectSpec",
    "RuleFile",
    "Rules",
    "SqlSpec",
    "TableRule",
    "load_rules",
]

FakeKind = Literal["person_name", "first_name", "last_name", "email", "phone", "street_address",
                   "city", "postcode", "company", "free_text"]
FAKE_KINDS: tuple[str, ...] = FakeKind.__args__  # type: ignore[attr-defined]
STRATEGY_KEYS = ("fake", "mask", "hash", "null", "constant", "redirect", "sql")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MaskSpec(_Model):
    """Keep the last ``keep_last`` characters, replace the rest by ``char``."""

    keep_last: int = Field(default=4, ge=0, le=64)
    char: str = Field(default="*", min_length=1, max_length=1)


class HashSpec(_Model):
    """A keyed hash (hex) of the value, optionally wrapped: ``prefix + hex + suffix``."""

    length: int = Field(default=16, ge=4, le=48)
    prefix: str = ""
    suffix: str = ""


class RedirectSpec(_Model):
    """Rewrite a host or URL to the golive sink ``sink`` (its address is given at run time)."""

    sink: str = Field(min_length=1)
    form: Literal["url", "host"] = "url"


class SqlSpec(_Model):
    """A SQL expression per dialect (the column's new value); a dialect left out is an error
    only when the rules run on it."""

    sqlite: str | None = None
    postgresql: str | None = None


def _shorthand(key: str) -> Any:
    """``hash: true``, ``redirect: payments`` and ``sql: "…"`` as their full mappings."""

    def expand(value: Any) -> Any:
        if key == "hash" and value is True:
            return {}
        if key == "redirect" and isinstance(value, str):
            return {"sink": value}
        if key == "sql" and isinstance(value, str):
            return {"sqlite": value, "postgresql": value}
        return value

    return BeforeValidator(expand)


class ColumnRule(_Model):
    """One strategy for one column, optionally only where ``where`` holds."""

    fake: FakeKind | None = None
    unique: bool = False
    mask: MaskSpec | None = None
    hash: Annotated[HashSpec | None, _shorthand("hash")] = None
    null: Literal[True] | None = None
    constant: str | int | float | bool | None = None
    redirect: Annotated[RedirectSpec | None, _shorthand("redirect")] = None
    sql: Annotated[SqlSpec | None, _shorthand("sql")] = None
    where: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_strategy(self) -> ColumnRule:
        given = [k for k in STRATEGY_KEYS if k in self.model_fields_set]
        if len(given) != 1:
            what = "no strategy" if not given else f"{len(given)} strategies ({', '.join(given)})"
            raise Located([((), f"{what}: give exactly one of {', '.join(STRATEGY_KEYS)}")])
        if self.unique and self.fake is None:
            raise Located([(("unique",), "only applies to fake (hashes are unique already)")])
        if "constant" in self.model_fields_set and self.constant is None:
            raise Located([(("constant",), "is empty; write 'null: true' to empty a column")])
        return self

    @property
    def strategy(self) -> str:
        return next(k for k in STRATEGY_KEYS if k in self.model_fields_set)


def _as_list(value: Any) -> Any:
    """A single rule is a list of one: the model has one shape, messages stay simple."""
    return [value] if isinstance(value, dict) else value


RuleList = Annotated[list[ColumnRule], BeforeValidator(_as_list)]


class TableRule(_Model):
    """What happens to one table."""

    action: Literal["update", "truncate", "skip"] = "update"
    where: str | None = Field(default=None, min_length=1)
    columns: dict[str, RuleList] = Field(default_factory=dict)

    @field_validator("columns", mode="after")
    @classmethod
    def _ordered(cls, columns: dict[str, RuleList]
                 ) -> dict[str, RuleList]:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for name, rules in columns.items():
            if not rules:
                problems.append(((name,), "an empty list: give at least one rule"))
            for index, rule in enumerate(rules[:-1]):
                if rule.where is None:
                    problems.append(((name, index), "only the last rule of a list may "
                                                    "leave out 'where' (later rules "
                                                    "would never apply)"))
        if problems:
            raise Located(problems)
        return columns

    @model_validator(mode="after")
    def _consistent(self) -> TableRule:
        if self.action != "update" and self.columns:
            raise Located([(("columns",), f"a table with action {self.action} takes no "
                                          "column rules")])
        if self.action != "update" and self.where is not None:
            raise Located([(("where",), f"a table with action {self.action} takes no 'where'")])
        if self.action == "update" and not self.columns:
            raise Located([(("columns",), "required key is missing (or give action: "
                                          "truncate / skip)")])
        return self



class PoolSettings(_Model):
    """Faker pools: ``size`` values per kind, drawn from a Faker seeded with ``seed``."""

    size: int = Field(default=2000, ge=10, le=100_000)
    seed: int = 20_240


class RuleFile(_Model):
    version: Literal[1] = 1
    salt_env: str = "GOLIVE_SANITIZE_SALT"
    pool: PoolSettings = Field(default_factory=PoolSettings)
    tables: dict[str, TableRule] = Field(min_length=1)

    @field_validator("salt_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not _ENV_NAME.match(value):
            raise ValueError(f"{value!r} is not an environment variable name")
        return value


@dataclass(frozen=True)
class Rules:
    """A validated rule file and where each of its rules is written (for later messages)."""

    path: Path
    model: RuleFile
    source: YamlSource

    @property
    def file(self) -> str:
        return self.source.file

    def problem(self, loc: tuple[str | int, ...], message: str,
                suggestion: str | None = None) -> Problem:
        return self.source.problem(loc, message, suggestion=suggestion)

    def where(self, loc: tuple[str | int, ...]) -> str:
        """``file:line`` of ``loc`` for messages."""
        line = self.source.line(loc)
        return f"{self.file}:{line}" if line is not None else self.file


def load_rules(path: Path) -> Rules:
    """Read and validate the rule file at ``path``; ConfigError with every problem located."""
    source = load_yaml(path)
    if source.data is None:
        raise ConfigError([Problem(display_name(path), None, None,
                                   "the rule file is empty; it needs at least 'tables:'")])
    model = validate(RuleFile, source)
    return Rules(path=path, model=model, source=source)
