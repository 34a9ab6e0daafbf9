"""Checklists: the critical functions, the diverse accounts and recorded manual results.

Every ``*.yaml`` file of the checklist directory is read with the same shape
and merged, so a team may split its items over several files:

    notice: text shown with the checklist (e.g. the seed's provisioning notice)
    items:    [{id, title, why, critical, severity, owner, mode, provisions_externally}]
    accounts: [{id, account, why, checklist, expect: production | {...}, picked}]   # its key
    results:  [{id, result, by, at, note}]   # manual results (manual-results.yaml)

A release's notes are ``release-<version>.yaml``: ``release: <version>`` (the
same as in the file name), its new features and changed behaviours as items
(ids ``REL-<AREA>-NN``, each with ``change: feature | changed``), and
``billing_changes`` — what the release intentionally bills differently, which
the comparison with production must accept: [{id, title, why, accounts, checks}].

Validated like the profile: every problem of every file at once, located by
file and line. Rules beyond the fields: ids are unique across all files (the
message names both places); an item that provisions to an external system must
be critical (the seed: "Any process that provisions to an external system is
critical for confirmation before going live"); accounts name existing items;
a manual result belongs to an existing manual item, once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, ValidationInfo, field_validator

from common.errors import ConfigError, Problem
from common.yamlsource import Loc, YamlSource, display_name, load_yaml, suggest, validate
from harness.severity import Severity

__all__ = [
    "ACCOUNTS_BEFORE_GO",
    "AccountExpect",
    "BillingChange",
    "Checklists",
    "DiverseAccount",
    "Item",
    "ManualResult",
    "load_checklists",
]

ACCOUNTS_BEFORE_GO = 10  # the seed: "pick ten or more accounts"
_ITEM_ID = re.compile(r"^(CF|REL)-[A-Z]+-\d{2}$")
_RELEASE_FILE = re.compile(r"^release-(?P<version>.+)\.ya?ml$")
_ACCOUNT_ID = re.compile(r"^ACC-[A-Z0-9]+(-[A-Z0-9]+)*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


E = TypeVar("E", bound=_Model)


class Item(_Model):
    """One critical-functionality item; ``severity`` is what a failure of it is worth."""

    id: str
    title: str
    why: str
    critical: bool
    severity: Severity
    owner: str
    mode: Literal["automated", "manual"]
    provisions_externally: bool = False
    change: Literal["feature", "changed"] | None = None  # a release note's item: what it is

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ITEM_ID.match(value):
            raise ValueError(f"{value!r} is not an item id like CF-BILL-01 (or REL-CREDIT-01 "
                             "for a release note)")
        return value

    @field_validator("provisions_externally")
    @classmethod
    def _provisioning_is_critical(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("critical") is False:
            raise ValueError("an item that provisions to an external system must be "
                             "critical: true (checked before going live)")
        return value


class AccountExpect(_Model):
    """What an account must show after the staging bill run (any subset)."""

    balance: Decimal | None = None
    next_bill_dates: dict[str, dt.date | None] | None = None  # product code → date (None: ended)
    usage_charge: Decimal | None = None
    pool_minutes_applied: NonNegativeInt | None = None
    status: str | None = None
    invoice_total: Decimal | None = None

    @property
    def empty(self) -> bool:
        return all(v is None for v in self.model_dump().values())


class DiverseAccount(_Model):
    """An account picked for its unusual setup (the seed's "ten or more").

    ``expect: production`` (the default) takes every expectation from production's
    baseline; a mapping holds hand-written values, which override production's checks of
    the same name (or, without a population section, are the only expectations)."""

    id: str
    account: str  # the account's stable key on the target (number or code), never its name
    why: str
    checklist: list[str] = Field(default_factory=lambda: ["CF-BILL-02"])
    expect: AccountExpect | None = None  # None: expect: production
    picked: bool = False  # written by `golive accounts pick` (its block is replaced)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ACCOUNT_ID.match(value):
            raise ValueError(f"{value!r} is not an account id like ACC-BOB")
        return value

    @field_validator("expect", mode="before")
    @classmethod
    def _expect(cls, value: Any) -> Any:
        if value == "production":
            return None
        if isinstance(value, str):
            raise ValueError(f"{value!r}: write expect: production (production's values, the "
                             "default) or a mapping of hand-written values (balance, status, …)")
        return value

    @property
    def hand_written(self) -> AccountExpect:
        """The values a person wrote (empty for ``expect: production``)."""
        return self.expect if self.expect is not None else AccountExpect()

    @property
    def from_production(self) -> bool:
        """True for ``expect: production`` (or none written): nothing is hand-written."""
        return self.expect is None

    @property
    def has_expectations(self) -> bool:
        """False for an empty hand-written ``expect: {}``: without production's values such
        an account verifies nothing."""
        return self.from_production or not self.hand_written.empty


class ManualResult(_Model):
    """A manual item's result, recorded by a person (checklists/manual-results.yaml)."""

    id: str
    result: Literal["pass", "fail"]
    by: str
    at: dt.datetime | dt.date
    note: str | None = None


class BillingChange(_Model):
    """Something a release intentionally bills differently from the release before it:
    the comparison with production accepts it for ``accounts`` (empty: every account)
    and ``checks`` (balance, invoice_total, …; empty: every check)."""

    id: str
    title: str
    why: str
    accounts: list[str] = Field(default_factory=list)
    checks: list[str] = Field(default_factory=list)


class ChecklistFile(_Model):
    """The outline of every checklist file; entries are validated one by one, so one bad
    entry does not hide the problems of the others."""

    notice: str | None = None
    release: str | None = None  # release-<version>.yaml: the release these notes are of
    items: list[dict[str, Any]] = Field(default_factory=list)
    accounts: list[dict[str, Any]] = Field(default_factory=list)
    results: list[dict[str, Any]] = Field(default_factory=list)
    billing_changes: list[BillingChange] = Field(default_factory=list)

    @field_validator("items", "accounts", "results", mode="before")
    @classmethod
    def _empty(cls, value: Any) -> Any:
        return [] if value is None else value  # ``accounts:`` with nothing under it yet


@dataclass(frozen=True)
class Checklists:
    """All checklist files of a directory, merged and cross-checked."""

    dir: Path
    items: list[Item]
    accounts: list[DiverseAccount]
    manual_results: dict[str, ManualResult]
    notices: list[str] = field(default_factory=list)
    where: dict[str, str] = field(default_factory=dict)  # id → "checklists/critical.yaml:12"
    warnings: list[Problem] = field(default_factory=list)  # worth saying, not fatal
    releases: dict[str, str] = field(default_factory=dict)  # version → its release notes file
    billing_changes: list[BillingChange] = field(default_factory=list)

    @property
    def ids(self) -> set[str]:
        return {item.id for item in self.items}

    @property
    def critical(self) -> list[Item]:
        return [item for item in self.items if item.critical]

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def account(self, account_id: str) -> DiverseAccount:
        for account in self.accounts:
            if account.id == account_id:
                return account
        raise KeyError(account_id)


@dataclass
class _Merge:
    """Accumulates files, remembering where each id was defined."""

    items: list[Item] = field(default_factory=list)
    accounts: list[DiverseAccount] = field(default_factory=list)
    results: dict[str, ManualResult] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    where: dict[str, str] = field(default_factory=dict)
    item_ids: set[str] = field(default_factory=set)  # every item id written, valid or not
    problems: list[Problem] = field(default_factory=list)
    refs: list[tuple[YamlSource, int, DiverseAccount]] = field(default_factory=list)
    result_at: list[tuple[YamlSource, int, ManualResult]] = field(default_factory=list)
    releases: dict[str, str] = field(default_factory=dict)
    billing_changes: list[BillingChange] = field(default_factory=list)

    def claim(self, source: YamlSource, loc: Loc, raw: dict[str, Any]) -> bool:
        """Record where the entry's id is defined; False (and a problem naming both
        places) when another entry already has it."""
        ident = raw.get("id")
        if not isinstance(ident, str):
            return True  # the model reports the missing or malformed id
        if ident in self.where:
            self.problems.append(source.problem(
                (*loc, "id"), f"duplicate id {ident} (also defined at {self.where[ident]})"))
            return False
        self.where[ident] = f"{source.file}:{source.line(loc)}"
        return True

    def entry(self, model: type[E], source: YamlSource, loc: Loc) -> E | None:
        try:
            return validate(model, source, prefix=loc)
        except ConfigError as exc:
            self.problems += exc.problems
            return None

    def release_notes(self, source: YamlSource, path: Path, content: ChecklistFile) -> bool:
        """Check a ``release-<version>.yaml`` file's own rules; True when it is one."""
        named = _RELEASE_FILE.match(path.name)
        if named is None:
            if content.release is not None or content.billing_changes:
                self.problems.append(source.problem(
                    ("release",) if content.release is not None else ("billing_changes",),
                    f"release notes belong in a file named release-<version>.yaml, "
                    f"not {path.name}"))
            return False
        version = named.group("version")
        if content.release != version:
            self.problems.append(source.problem(
                ("release",) if content.release is not None else (),
                f"{content.release!r} does not match the file name "
                f"(release-{version}.yaml): write release: \"{version}\""))
        self.releases[version] = source.file
        self.billing_changes += content.billing_changes
        for index, raw in enumerate(content.items):
            if raw.get("change") is None:
                self.problems.append(source.problem(
                    ("items", index), "a release note's item says what it is: "
                                      "change: feature (new) or changed (changed behaviour)"))
        return True

    def add(self, source: YamlSource, content: ChecklistFile, path: Path) -> None:
        if content.notice:
            self.notices.append(content.notice)
        self.release_notes(source, path, content)
        for index, raw in enumerate(content.items):
            if isinstance(raw.get("id"), str):
                self.item_ids.add(raw["id"])
            unique = self.claim(source, ("items", index), raw)
            item = self.entry(Item, source, ("items", index))
            if unique and item is not None:
                self.items.append(item)
        for index, raw in enumerate(content.accounts):
            unique = self.claim(source, ("accounts", index), raw)
            account = self.entry(DiverseAccount, source, ("accounts", index))
            if unique and account is not None:
                self.accounts.append(account)
                self.refs.append((source, index, account))
        for index in range(len(content.results)):
            result = self.entry(ManualResult, source, ("results", index))
            if result is None:
                continue
            if result.id in self.results:
                self.problems.append(source.problem(
                    ("results", index, "id"), f"a second result for {result.id}; keep one"))
            else:
                self.results[result.id] = result
                self.result_at.append((source, index, result))

    def cross_check(self) -> None:
        items = {item.id: item for item in self.items}
        known = sorted(self.item_ids)
        for source, index, account in self.refs:
            for n, ref in enumerate(account.checklist):
                if ref not in self.item_ids:
                    default = "checklist" not in source.data["accounts"][index]
                    self.problems.append(source.problem(
                        ("accounts", index, "checklist", n), f"unknown checklist item {ref}"
                        + (" (the default checklist)" if default else ""),
                        valid=known, suggestion=suggest(ref, known, cutoff=0.8)))
        for source, index, result in self.result_at:
            item = items.get(result.id)
            if result.id not in self.item_ids:
                self.problems.append(source.problem(
                    ("results", index, "id"), f"unknown checklist item {result.id}",
                    valid=known, suggestion=suggest(result.id, known, cutoff=0.8)))
            elif item is not None and item.mode != "manual":
                self.problems.append(source.problem(
                    ("results", index, "id"),
                    f"{result.id} is automated; only manual items take a recorded result"))


def _files(directory: Path) -> list[Path]:
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def _needs_production(merge: _Merge) -> None:
    """Without a population section there are no production values to take: an account
    that expects them is a configuration error at its line, never a silent pass."""
    for source, index, account in merge.refs:
        if account.from_production:
            written = "expect" in source.data["accounts"][index]
            merge.problems.append(source.problem(
                ("accounts", index, "expect") if written else ("accounts", index),
                f"{account.id} takes its expectations from production ("
                + ("expect: production" if written else "no expect: means expect: production")
                + "), but the profile has no population section to read them from: add "
                "population to the profile, or write the values under expect:"))


def load_checklists(dir: Path, extra: Sequence[tuple[Item, str]] = (), *,
                    production: bool = True) -> Checklists:
    """Load, validate and merge every checklist file of ``dir``; ConfigError lists every
    problem of every file. ``extra``: items the profile implies, each with where it comes
    from (a channel lock-down cannot redirect: `harness.channels.blocked_items`).
    ``production``: whether the profile can give production's values (it has a population
    section); without, ``expect: production`` is an error."""
    shown = display_name(dir)
    if not dir.is_dir():
        raise ConfigError([Problem(shown, None, None, "checklist directory not found")])
    files = _files(dir)
    if not files:
        raise ConfigError([Problem(shown, None, None, "no checklist files (*.yaml) found")])
    merge = _Merge()
    for item, origin in extra:
        merge.items.append(item)
        merge.item_ids.add(item.id)
        merge.where[item.id] = origin
    warnings: list[Problem] = []
    for path in files:
        try:
            source = load_yaml(path)
            if source.data is None:
                warnings.append(Problem(source.file, None, None, "empty checklist file"))
                continue
            if not isinstance(source.data, dict):
                raise ConfigError([source.problem((), "a checklist file is a mapping with "
                                                      "notice, items, accounts or results")])
            merge.add(source, validate(ChecklistFile, source), path)
        except ConfigError as exc:
            merge.problems += exc.problems
    merge.cross_check()
    if not production:
        _needs_production(merge)
    if not merge.items and not merge.problems:
        merge.problems.append(Problem(shown, None, None, "no checklist items defined"))
    if merge.problems:
        raise ConfigError(sorted(merge.problems, key=lambda p: (p.file, p.line or 0)))
    if len(merge.accounts) < ACCOUNTS_BEFORE_GO:
        warnings.append(Problem(shown, None, "accounts",
                                f"{len(merge.accounts)} diverse accounts; pick ten or more"))
    for account in merge.accounts:
        if any(ch.isspace() for ch in account.account):
            file, _, line = merge.where[account.id].rpartition(":")
            warnings.append(Problem(file, int(line) if line.isdigit() else None, account.id,
                                    f"account {account.account!r} looks like a name: name "
                                    "it by its key (account number or code), since "
                                    "sanitizing renames accounts and names repeat"))
        if not account.has_expectations and not production:
            file, _, line = merge.where[account.id].rpartition(":")
            warnings.append(Problem(file, int(line) if line.isdigit() else None, account.id,
                                    "no expectations yet: this account verifies nothing"))
    return Checklists(dir=dir, items=merge.items, accounts=merge.accounts,
                      manual_results=merge.results, notices=merge.notices, where=merge.where,
                      warnings=warnings, releases=merge.releases,
                      billing_changes=merge.billing_changes)
