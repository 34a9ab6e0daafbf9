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

import orjson

from common.redaction import redact_data
from harness.sections import OutboundSection, PreflightSection, ReportSection, SanitizeSection
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
class Attachment:
    """Evidence a step left: a file in the run folder named by its SHA-256 (a screenshot, a
    long text), or a short text kept inline (mails and calls the step looked at, event-log
    lines). ``path`` is relative to the run folder, so the folder can move."""

    kind: str  # screenshot | mail | call | event_log | text
    label: str
    path: str | None = None  # e.g. screenshots/<sha256>.png, attachments/<sha256>.txt
    sha256: str | None = None
    media_type: str = "text/plain"
    size: int = 0
    text: str | None = None  # inline text (an excerpt when the whole is in ``path``)


@dataclass
class StepResult:
    keyword: str
    text: str
    outcome: Outcome = Outcome.NOT_RUN
    duration: float = 0.0
    error: str | None = None
    line: int = 0  # in the .feature file (0: unknown, an older record)
    attachments: list[Attachment] = field(default_factory=list)
    docstring: str | None = None
    rows: list[list[str]] = field(default_factory=list)  # the step's data table


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
    keyword: str = "Scenario"  # or "Scenario Outline"
    description: str = ""
    feature_name: str = ""  # the Feature: line (empty in an older record)
    feature_tags: list[str] = field(default_factory=list)
    feature_description: str = ""


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


class ExpectedFrom(StrEnum):
    """Where an account check's expected value came from: production is the oracle, and
    a value a person typed is an override the report shows as hand-written."""

    PRODUCTION = "production"  # the account's rows in production's baseline
    CHECKLIST = "checklist"  # hand-written under the account's expect: in checklists/
    FEATURE = "feature"  # hand-written in a feature's step


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
    step: int | None = None  # index of the step that made the check, when known
    expected_from: ExpectedFrom | None = None  # None: a record from before it was kept

    def __post_init__(self) -> None:
        if self.expected_from is not None:  # read back from JSON as its text
            self.expected_from = ExpectedFrom(self.expected_from)


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
class Provenance:
    """Where a run's verdict comes from: what golive ran, on what, by whom and where."""

    golive_version: str
    user: str
    host: str
    python: str
    command: str
    profile_sha256: str
    checklists_sha256: str
    features_sha256: str
    rules_sha256: str | None = None  # sanitize rules and vendor scripts (None: none)
    ci: str | None = None  # the CI job that ran it, when known


@dataclass
class ShardInfo:
    """This run verified shard ``index`` of ``total`` (``golive run --shard K/N``)."""

    index: int
    total: int


@dataclass
class ShardRun:
    """One shard a merged record combines."""

    run_id: str
    index: int
    total: int
    host: str | None
    status: str
    verdict: str
    ran: int  # scenarios it ran (its share)
    started_at: str
    finished_at: str | None


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
    sanitize: SanitizeSection | None = None  # what sanitizing did, what the scan found
    outbound: OutboundSection | None = None  # lock-down: sinks, captures, escapes
    preflight: PreflightSection | None = None  # what was checked before anything ran
    report: ReportSection | None = None  # the title the reports were written with
    population: PopulationSection | None = None  # compared with production's baseline
    provenance: Provenance | None = None
    shard: ShardInfo | None = None  # this run is one shard of a sharded run
    merged_from: list[ShardRun] = field(default_factory=list)  # a merged run: its shards
    schema_version: int = SCHEMA_VERSION
    mode: str = "verify"  # verify: staging before go-live | smoke: production after it
    signoff: SignoffRecord = field(default_factory=SignoffRecord)  # the ledger, applied
    history: HistoryComparison | None = None  # against the previous run of this profile

    # -- serialisation -------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """Indented JSON with every credential hidden (`common.redaction`). orjson writes
        it: a record of 10,000 scenarios and 100,000 account checks takes a second, not ten."""
        data: dict[str, Any] = redact_data(self)  # the record's fields, no asdict copy
        try:
            text: bytes = orjson.dumps(data, default=str, option=orjson.OPT_INDENT_2
                                       | orjson.OPT_NON_STR_KEYS)
            return text.decode("utf-8")
        except orjson.JSONEncodeError:  # what orjson cannot hold (an integer beyond 64 bits)
            return json.dumps(data, indent=2, default=str, ensure_ascii=False)

    def redacted(self) -> RunRecord:
        """A copy with every credential hidden, for the reports rendered from it."""
        return RunRecord.from_dict(redact_data(self.to_dict()))

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
        sections = _sections(data)
        return cls(
            **{
                **{k: v for k, v in data.items() if k != "extras"},
                **sections,
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
                "provenance": (Provenance(**data["provenance"])
                               if data.get("provenance") else None),
                "shard": ShardInfo(**data["shard"]) if data.get("shard") else None,
                "merged_from": [ShardRun(**r) for r in data.get("merged_from", [])],
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


def _sections(data: dict[str, Any]) -> dict[str, Any]:
    """The typed sections of a serialised record; an older record kept them under
    ``extras`` (a top-level one wins when both are there)."""
    legacy = data.get("extras")
    legacy = legacy if isinstance(legacy, dict) else {}

    def part(name: str) -> dict[str, Any] | None:
        value = data[name] if name in data else legacy.get(name)
        return value if isinstance(value, dict) else None

    sanitize, outbound = part("sanitize"), part("outbound")
    preflight, report = part("preflight"), part("report")
    return {
        "sanitize": SanitizeSection.from_dict(sanitize) if sanitize is not None else None,
        "outbound": OutboundSection.from_dict(outbound) if outbound is not None else None,
        "preflight": PreflightSection.from_dict(preflight) if preflight is not None else None,
        "report": ReportSection.from_dict(report) if report is not None else None,
    }


def scenario_to_dict(result: ScenarioResult) -> dict[str, Any]:
    return dataclasses.asdict(result)


def step_from_dict(data: dict[str, Any]) -> StepResult:
    return StepResult(**{**data, "outcome": Outcome(data["outcome"]),
                         "attachments": [Attachment(**a) for a in data.get("attachments", [])]})


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
    steps = [step_from_dict(s) for s in data["steps"]]
    return ScenarioResult(**{**data, "outcome": Outcome(data["outcome"]), "steps": steps})


def new_run_id(when: dt.datetime | None = None) -> str:
    when = when or now()
    return when.strftime("%Y%m%dT%H%M%SZ") + "-" + os.urandom(2).hex()
