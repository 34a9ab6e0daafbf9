"""What a scan may treat as not residue, and what it may leave unread — each said out loud.

A real platform has data that looks like PII and is not: the vendor sanitize
script's own fake phone numbers, a test card range, hosts of the staging
environment itself. ``ScanSettings`` says so per profile (``sanitize.scan`` in
``golive.yaml``) or per file (``golive scan --config FILE``, the same shape)::

    allow_domains: [example.com, example.org, example.net, invalid]  # the defaults
    allow_hosts: [127.0.0.1, localhost, staging-db.corp.example]
    allow_numbers:
      - "+1-555-01"                        # a digit prefix (separators ignored)
      - {from: "4000000000000000", to: "4000000000009999"}   # a range of equal length
    allow_patterns: ['TEST-\\d{6}']        # regexes; what they match is not scanned
    exclude:
      - {table: ir_attachment, column: db_datas, reason: "binary attachments, checked by hand"}
      - {table: "audit.*", reason: "audit schema is dropped before go-live"}
    schemas: [public, billing]             # PostgreSQL: only these (default: every schema)

Every exclusion needs a reason; the scan result lists each with its reason and
what it matched, and how many values each allowance covered, so a report
shows what was not looked at and why.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
)

from common.yamlsource import load_yaml, validate
from sanitize.detectors import Detectors, NumberAllowance

__all__ = ["DEFAULT_ALLOW_DOMAINS", "DEFAULT_ALLOW_HOSTS", "Exclusion", "NumberRange",
           "ScanSettings", "load_scan_settings"]

DEFAULT_ALLOW_DOMAINS = ("example.com", "example.org", "example.net", "invalid")
DEFAULT_ALLOW_HOSTS = ("127.0.0.1", "localhost")
_SEPARATORS = re.compile(r"[\s+().-]")
_MIN_PREFIX = 3


def _digits(text: str) -> str:
    digits = _SEPARATORS.sub("", text)
    if not digits.isdigit():
        raise ValueError(f"'{text}' is not a number (digits, spaces, + ( ) . - only)")
    return digits


def _prefix(text: str) -> str:
    if len(_digits(text)) < _MIN_PREFIX:
        raise ValueError(f"'{text}' is too short a prefix: it would allow too many numbers "
                         f"(at least {_MIN_PREFIX} digits)")
    return text


def _pattern(text: str) -> str:
    try:
        compiled = re.compile(text)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None
    if compiled.fullmatch(""):
        raise ValueError("matches the empty string, so it would mark every value allowed")
    return text


def _reason(text: str) -> str:
    if len(text.strip()) < 3:
        raise ValueError("say why this is not scanned (a reason of a few words)")
    return text.strip()


def _name(text: str) -> str:
    if not text.strip():
        raise ValueError("empty name")
    return text.strip()


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class NumberRange(_Model):
    """Numbers from ``from`` to ``to`` inclusive, both with the same number of digits."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True,
                              populate_by_name=True)

    first: str = Field(alias="from")
    last: str = Field(alias="to")

    @field_validator("first")
    @classmethod
    def _number(cls, first: str) -> str:
        _digits(first)
        return first

    @field_validator("last")
    @classmethod
    def _ordered(cls, last: str, info: ValidationInfo) -> str:
        first = info.data.get("first")
        if first is None:
            return last
        low, high = _digits(first), _digits(last)
        if len(low) != len(high):
            raise ValueError(f"'{first}' and '{last}' differ in length: a range is of numbers "
                             "with the same number of digits")
        if int(low) > int(high):
            raise ValueError(f"'{first}' is after '{last}'")
        return last


class Exclusion(_Model):
    """A table (``column`` unset) or a column left unscanned, and why. ``table`` and
    ``column`` are shell-style patterns; ``table`` matches ``schema.table``, or the bare
    name for a table in the default schema (``public`` on PostgreSQL, ``main`` on SQLite)."""

    table: Annotated[str, AfterValidator(_name)]
    column: Annotated[str, AfterValidator(_name)] | None = None
    reason: Annotated[str, AfterValidator(_reason)]

    def matches(self, qualified: str, shown: str, column: str | None = None) -> bool:
        if not (_match(qualified, self.table) or _match(shown, self.table)):
            return False
        if self.column is None:
            return True
        return column is not None and _match(column, self.column)

    def label(self) -> str:
        return f"{self.table}.{self.column}" if self.column else self.table


def _match(name: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(name.lower(), pattern.lower())


def _number_shape(value: object) -> str:
    return "range" if isinstance(value, dict | NumberRange) else "prefix"


NumberRule = Annotated[
    Annotated[Annotated[str, AfterValidator(_prefix)], Tag("prefix")]
    | Annotated[NumberRange, Tag("range")],
    Discriminator(_number_shape),
]


class ScanSettings(_Model):
    """The scan's allowlists, exclusions and schemas (see the module docstring)."""

    allow_domains: list[Annotated[str, AfterValidator(_name)]] = Field(
        default_factory=lambda: list(DEFAULT_ALLOW_DOMAINS))
    allow_hosts: list[Annotated[str, AfterValidator(_name)]] = Field(
        default_factory=lambda: list(DEFAULT_ALLOW_HOSTS))
    allow_numbers: list[NumberRule] = Field(default_factory=list)
    allow_patterns: list[Annotated[str, AfterValidator(_pattern)]] = Field(default_factory=list)
    exclude: list[Exclusion] = Field(default_factory=list)
    schemas: list[Annotated[str, AfterValidator(_name)]] = Field(default_factory=list)

    def detectors(self) -> Detectors:
        numbers: list[NumberAllowance] = []
        for rule in self.allow_numbers:
            if isinstance(rule, NumberRange):
                low, high = _digits(rule.first), _digits(rule.last)
                numbers.append(NumberAllowance(f"{rule.first}..{rule.last}", low=int(low),
                                               high=int(high), length=len(low)))
            else:
                numbers.append(NumberAllowance(rule, prefix=_digits(rule)))
        patterns = [(p, re.compile(p)) for p in self.allow_patterns]
        return Detectors.make(self.allow_domains, self.allow_hosts, numbers, patterns)

    def exclusion(self, qualified: str, shown: str, column: str | None = None
                  ) -> Exclusion | None:
        """The first exclusion covering this table (``column`` None) or column."""
        for rule in self.exclude:
            if (rule.column is None) == (column is None) and rule.matches(qualified, shown,
                                                                           column):
                return rule
        return None

    def summary(self) -> dict[str, list[str]]:
        """The allowlists as the scan result records them."""
        return {
            "allow_domains": list(self.allow_domains),
            "allow_hosts": list(self.allow_hosts),
            "allow_numbers": [f"{r.first}..{r.last}" if isinstance(r, NumberRange) else r
                              for r in self.allow_numbers],
            "allow_patterns": list(self.allow_patterns),
            "schemas": list(self.schemas),
        }


def load_scan_settings(path: Path) -> ScanSettings:
    """Read and validate a scan settings file; ConfigError with every problem located."""
    source = load_yaml(path)
    if source.data is None:
        return ScanSettings()
    return validate(ScanSettings, source)
