"""What sign-off adds to the run record (``run.json``): typed, defaulted, JSON-ready.

Pure data with no golive imports, so `harness.record` can hold it. The base
snapshot keeps the run's own checklist and failures as pytest left them (plain
dicts of `ChecklistStatus`/`Failure`), so the ledger can be applied again and
again to the same starting point and always give the same record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Evidence",
    "HistoryComparison",
    "ItemChange",
    "ManualMark",
    "RunBase",
    "SignoffRecord",
    "SignoffRules",
    "UatCase",
    "UatResult",
    "Waiver",
]


@dataclass
class ManualMark:
    """A manual result recorded with ``golive check`` (ledger entry ``seq``)."""

    item_id: str
    result: str  # pass | fail
    by: str
    at: str
    note: str | None = None
    seq: int = 0


@dataclass
class Waiver:
    """A waiver recorded with ``golive waive``; ``state`` as judged when the record was last
    rendered: active, expired, or not allowed (the profile's waiver switches forbid it)."""

    item_id: str
    reason: str
    defect: str
    by: str
    at: str
    expires: str  # ISO date; the waiver counts up to and including that day
    seq: int = 0
    state: str = "active"
    detail: str | None = None


@dataclass
class UatCase:
    """One failed (or errored) test case of a customer's UAT result file."""

    name: str
    message: str = ""


@dataclass
class UatResult:
    """A customer's own UAT results (JUnit XML or Cucumber JSON), as read when attached."""

    file: str  # the file's name as attached
    stored: str  # signoff/evidence/<sha256><suffix>
    sha256: str
    format: str  # junit | cucumber
    by: str
    role: str
    at: str
    tests: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    failures: list[UatCase] = field(default_factory=list)
    note: str | None = None
    seq: int = 0


@dataclass
class Evidence:
    """A file kept with the run (UAT results, PDFs, spreadsheets, screenshots)."""

    file: str
    stored: str
    sha256: str
    size: int
    kind: str  # junit | cucumber | document
    by: str
    role: str
    at: str
    note: str | None = None
    seq: int = 0


@dataclass
class SignoffRules:
    """The profile's rules sign-off applies, kept so ``golive report`` needs only run.json."""

    blocking_severities: list[str] = field(default_factory=lambda: ["severe", "high"])
    account_tolerance: str = "0.00"
    go_with_waivers_passes_ci: bool = False
    waive_critical: bool = False
    waive_severe: bool = False
    required_roles: list[str] = field(default_factory=lambda: ["qa", "manager", "customer"])


@dataclass
class RunBase:
    """The run's own result before any sign-off act (taken when the ledger is opened)."""

    verdict: str
    exit_status: int | None
    checklist: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SignoffRecord:
    """The ledger applied: manual results, waivers, UAT results and evidence files."""

    base: RunBase | None = None
    rules: SignoffRules | None = None
    manual: list[ManualMark] = field(default_factory=list)
    waivers: list[Waiver] = field(default_factory=list)
    uat: list[UatResult] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    acts: int = 0  # ledger entries applied (manual, waiver, attach)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SignoffRecord:
        if not data:
            return cls()
        base = data.get("base")
        rules = data.get("rules")
        return cls(
            base=RunBase(**base) if base else None,
            rules=SignoffRules(**rules) if rules else None,
            manual=[ManualMark(**m) for m in data.get("manual", [])],
            waivers=[Waiver(**w) for w in data.get("waivers", [])],
            uat=[UatResult(**{**u, "failures": [UatCase(**c) for c in u.get("failures", [])]})
                 for u in data.get("uat", [])],
            evidence=[Evidence(**e) for e in data.get("evidence", [])],
            acts=int(data.get("acts", 0)),
        )


@dataclass
class ItemChange:
    """One checklist item whose coverage this run compares with the previous run's."""

    item_id: str
    title: str
    before: str | None  # coverage in the previous run (None: not in it)
    now: str


@dataclass
class HistoryComparison:
    """This run against the previous run of the same profile (and mode), per checklist id."""

    previous_run: str | None = None
    previous_verdict: str | None = None
    previous_started_at: str | None = None
    new_failures: list[ItemChange] = field(default_factory=list)
    fixed: list[ItemChange] = field(default_factory=list)
    still_failing: list[ItemChange] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> HistoryComparison | None:
        if data is None:
            return None
        lists = {k: [ItemChange(**c) for c in data.get(k, [])]
                 for k in ("new_failures", "fixed", "still_failing")}
        return cls(previous_run=data.get("previous_run"),
                   previous_verdict=data.get("previous_verdict"),
                   previous_started_at=data.get("previous_started_at"), **lists)
