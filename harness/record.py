"""The run record: everything one verification run did and found.

``run.json`` is this record serialised; every other output (HTML, JUnit,
cucumber JSON, the exit code) is derived from it, so they cannot disagree.
The record is fail-closed by construction: it starts as NO-GO with status
``running`` and only the gate, at the end of a complete run, may change the
verdict. A run that never reaches the gate stays NO-GO.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from harness.signoff.model import HistoryComparison, SignoffRecord

SCHEMA_VERSION = 1


class Verdict(StrEnum):
    GO = "GO"
    GO_WITH_WAIVERS = "GO WITH WAIVERS"
    NO_GO = "NO-GO"


class Outcome(StrEnum):
    """Result of a step, scenario or stage. Only PASSED counts as verified."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # crashed: fixture error, exception outside an assertion
    SKIPPED = "skipped"
    UNDEFINED = "undefined"  # a step with no definition
    INTERRUPTED = "interrupted"
    NOT_RUN = "not_run"
    REUSED = "reused"  # stage skipped because --golive-reuse found it prepared
    # the target cannot answer what a step asks (it lacks the capability): never passed,
    # and the checklist item it was to verify needs another way (scenario, manual, waiver)
    NOT_APPLICABLE = "not_applicable"

    @property
    def ok(self) -> bool:
        return self in (Outcome.PASSED, Outcome.REUSED)


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    INTERRUPTED = "interrupted"
    CRASHED = "crashed"


class Coverage(StrEnum):
    VERIFIED = "verified"  # every scenario tagged with it passed
    FAILED = "failed"  # at least one tagged scenario failed or crashed
    NOT_VERIFIED = "not_verified"  # scenarios exist but did not all run to a pass
    UNCOVERED = "uncovered"  # no scenario and no manual result
    MANUAL_PASS = "manual_pass"
    MANUAL_FAIL = "manual_fail"
    WAIVED = "waived"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass
class StepResult:
    keyword: str
    text: str
    outcome: Outcome = Outcome.NOT_RUN
    duration: float = 0.0
    error: str | None = None


@dataclass
class ScenarioResult:
    nodeid: str
    feature: str  # path of the .feature file, relative to the project
    name: str
    line: int
    tags: list[str] = field(default_factory=list)
    checklist_ids: list[str] = field(default_factory=list)
    outcome: Outcome = Outcome.NOT_RUN
    steps: list[StepResult] = field(default_factory=list)
    duration: float = 0.0
    error: str | None = None
    worker: str | None = None


@dataclass
class StageResult:
    name: str
    outcome: Outcome = Outcome.NOT_RUN
    started_at: str | None = None
    duration: float = 0.0
    evidence: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass
class ChecklistStatus:
    item_id: str
    title: str
    critical: bool
    severity: str
    owner: str
    mode: str  # automated | manual
    coverage: Coverage = Coverage.UNCOVERED
    scenarios: list[str] = field(default_factory=list)  # nodeids
    note: str | None = None


@dataclass
class AccountCheck:
    account: str  # the account's stable key on the target (number, code)
    check: str  # e.g. "balance", "next_bill_date[BOB-YEARLY]"
    expected: str
    actual: str | None
    ok: bool
    scenario: str | None = None
    name: str | None = None  # its display name as staging shows it (after sanitizing)
    label: str | None = None  # the checklist's id for it (ACC-BOB), when it has one


@dataclass
class Failure:
    source: str  # "scenario", "stage", "gate", "checklist"
    title: str
    message: str
    severity: str
    checklist_ids: list[str] = field(default_factory=list)
    found_on: str | None = None
    due_date: str | None = None
    nodeid: str | None = None
    waived_by: str | None = None


@dataclass
class GateRule:
    name: str
    passed: bool
    detail: str
    waived: bool = False


@dataclass
class Stopped:
    """Something golive started for this run (a sink, a sandbox, the billing service, a
    portal server) and how it ended. ``ok`` is False when it could not be stopped: the
    report then says it may still be running."""

    what: str  # e.g. "SMTP sink smtp://127.0.0.1:40123"
    how: str  # e.g. "stopped at the end of the run", "ended with pytest (pid 123)"
    at: str | None = None
    ok: bool = True


@dataclass
class BaselineInfo:
    """Where production's results came from: the baseline's provenance."""

    source: str  # production's DSN, password hidden
    bill_run_date: str
    release: str | None  # production's release that ran the bill run, when known
    captured_at: str
    rows: dict[str, int]  # per dataset
    digest: str  # sha256 of every captured row, in key order
    population_digest: str  # of the queries and columns: another one makes it stale
    backup_sha256: str | None  # the pre-bill-run backup staging was restored from
    store: str  # the SQLite file or the baseline database (password hidden)
    column_types: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class DatasetCounts:
    """One dataset's comparison: rows per side and differences per category and status."""

    dataset: str
    production_rows: int = 0
    staging_rows: int = 0
    missing: int = 0  # rows only in production
    extra: int = 0  # rows only in staging
    changed: int = 0  # rows with a field beyond tolerance
    beyond: int = 0  # differences beyond tolerance (missing and extra rows count one each)
    within: int = 0  # field differences within tolerance
    accepted: int = 0  # field differences the profile accepts (with a reason)
    ignored: list[str] = field(default_factory=list)  # "field: reason"
    method: str = ""  # how it was compared


@dataclass
class PopulationDifference:
    dataset: str
    category: str  # missing | extra | changed
    account: str
    key: str
    group: str
    column: str  # the compared field ("" for a missing or extra row)
    label: str
    production: str
    staging: str
    delta: str


@dataclass
class PopulationFinding:
    """Differences of one field (or row category) in one group, told once."""

    dataset: str
    column: str
    label: str
    category: str
    group: str
    status: str  # beyond tolerance | accepted | within tolerance
    accounts: int
    delta: str
    first_accounts: list[str] = field(default_factory=list)
    reason: str = ""


@dataclass
class PopulationSection:
    """The whole staging population compared with production's baseline."""

    baseline: BaselineInfo
    threshold: int
    beyond: int  # differences beyond tolerance, all datasets
    seconds: float
    datasets: list[DatasetCounts] = field(default_factory=list)
    findings: list[PopulationFinding] = field(default_factory=list)
    differences: list[PopulationDifference] = field(default_factory=list)  # the first ones
    shown: int = 0  # cap of ``differences``; the CSV has all
    csv: str | None = None  # the complete list, copied beside the reports as differences.csv
    csv_rows: int = 0

    @property
    def passed(self) -> bool:
        return self.beyond <= self.threshold

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PopulationSection:
        return cls(**{
            **data,
            "baseline": BaselineInfo(**data["baseline"]),
            "datasets": [DatasetCounts(**d) for d in data.get("datasets", [])],
            "findings": [PopulationFinding(**f) for f in data.get("findings", [])],
            "differences": [PopulationDifference(**d) for d in data.get("differences", [])],
        })


@dataclass
class RunRecord:
    run_id: str
    started_at: str
    profile: str
    target: str
    release: str | None = None
    bill_run_date: str | None = None
    status: RunStatus = RunStatus.RUNNING
    verdict: Verdict = Verdict.NO_GO
    finished_at: str | None = None
    reused: bool = False
    exit_status: int | None = None
    stages: list[StageResult] = field(default_factory=list)
    scenarios: list[ScenarioResult] = field(default_factory=list)
    checklist: list[ChecklistStatus] = field(default_factory=list)
    accounts: list[AccountCheck] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    gate: list[GateRule] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stopped: list[Stopped] = field(default_factory=list)  # what golive started and stopped
    extras: dict[str, Any] = field(default_factory=dict)  # sanitize, outbound, … sections
    population: PopulationSection | None = None  # compared with production's baseline
    schema_version: int = SCHEMA_VERSION
    mode: str = "verify"  # verify: staging before go-live | smoke: production after it
    signoff: SignoffRecord = field(default_factory=SignoffRecord)  # the ledger, applied
    history: HistoryComparison | None = None  # against the previous run of this profile

    # -- serialisation -------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """The record as ``run.json`` holds it: compact, written by json's C encoder
        straight from the dataclasses (the record is saved at every stage, and with the
        captures of a large bill run in it, `asdict`'s deep copy and an indented dump
        cost seconds each time)."""
        return dumps(self)

    def save(self, path: Path) -> None:
        """Write atomically: a reader never sees half a record, and a failed write (a full
        disk) leaves no ``.tmp`` behind."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        try:
            tmp.write_text(self.to_json(), encoding="utf-8")
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        return cls(
            **{
                **data,
                "status": RunStatus(data["status"]),
                "verdict": Verdict(data["verdict"]),
                "stages": [
                    StageResult(**{**s, "outcome": Outcome(s["outcome"])})
                    for s in data.get("stages", [])
                ],
                "scenarios": [scenario_from_dict(s) for s in data.get("scenarios", [])],
                "checklist": [
                    ChecklistStatus(**{**c, "coverage": Coverage(c["coverage"])})
                    for c in data.get("checklist", [])
                ],
                "accounts": [AccountCheck(**a) for a in data.get("accounts", [])],
                "failures": [Failure(**f) for f in data.get("failures", [])],
                "gate": [GateRule(**g) for g in data.get("gate", [])],
                "signoff": SignoffRecord.from_dict(data.get("signoff")),
                "history": HistoryComparison.from_dict(data.get("history")),
                "stopped": [Stopped(**s) for s in data.get("stopped", [])],
                "population": (PopulationSection.from_dict(data["population"])
                               if data.get("population") else None),
            }
        )

    @classmethod
    def load(cls, path: Path) -> RunRecord:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    # -- queries ---------------------------------------------------------
    @property
    def passed(self) -> bool:
        """True only for a complete run the gate declared GO."""
        return self.status is RunStatus.COMPLETE and self.verdict is Verdict.GO


def scenario_to_dict(result: ScenarioResult) -> dict[str, Any]:
    return dataclasses.asdict(result)


_FIELDS: dict[type, tuple[str, ...]] = {}


def _plain(value: object) -> object:
    """json's fallback: a dataclass as a dict of its fields (nothing copied: the encoder
    only reads them), anything else as its text (dates, decimals, paths)."""
    kind = type(value)
    names = _FIELDS.get(kind)
    if names is None:
        if not dataclasses.is_dataclass(value) or isinstance(value, type):
            return str(value)
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
    return {name: getattr(value, name) for name in names}


def dumps(value: object) -> str:
    """``value`` — records, results, plain data holding them — as compact JSON, the same
    data as ``json.dumps(dataclasses.asdict(value), default=str)`` without the copy."""
    return json.dumps(value, default=_plain)


def scenario_from_dict(data: dict[str, Any]) -> ScenarioResult:
    steps = [StepResult(**{**s, "outcome": Outcome(s["outcome"])}) for s in data["steps"]]
    return ScenarioResult(**{**data, "outcome": Outcome(data["outcome"]), "steps": steps})


def new_run_id(when: dt.datetime | None = None) -> str:
    when = when or now()
    return when.strftime("%Y%m%dT%H%M%SZ") + "-" + os.urandom(2).hex()
