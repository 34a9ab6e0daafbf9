"""Apply the ledger to the run record: manual results, waivers and UAT evidence, then the gate.

Always from the same starting point — the run's own checklist and failures as
pytest left them (``record.signoff.base``, taken when the ledger was opened) —
so applying the ledger twice gives the same record, and ``golive report`` can
rebuild run.json from run.json and the ledger alone. Waivers are judged on
``today``: one whose ``expires`` day has passed stops counting, and says so.
Signatures are not applied here: they sit beside the verdict, never in it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from harness.coverage import checklist_failure, combine_manual, run_date
from harness.gate import OK_COVERAGE, decide
from harness.record import ChecklistStatus, Coverage, Failure, RunRecord
from harness.severity import Severity
from harness.signoff.ledger import Entry
from harness.signoff.model import (
    Evidence,
    ManualMark,
    RunBase,
    SignoffRules,
    UatCase,
    UatResult,
    Waiver,
)

__all__ = ["ACTS", "GateRules", "apply_ledger", "snapshot_base", "waiver_refusal"]

ACTS = frozenset({"manual", "waiver", "attach"})  # entries that change the run


@dataclasses.dataclass(frozen=True)
class GateRules:
    """`harness.gate.GateRulesLike` from the rules stored in the record."""

    blocking_severities: Sequence[str]
    account_tolerance: Decimal
    go_with_waivers_passes_ci: bool

    @classmethod
    def of(cls, rules: SignoffRules) -> GateRules:
        return cls(list(rules.blocking_severities), Decimal(rules.account_tolerance),
                   rules.go_with_waivers_passes_ci)


def snapshot_base(record: RunRecord) -> RunBase:
    """The run's own result, before sign-off touches it."""
    return RunBase(verdict=record.verdict.value, exit_status=record.exit_status,
                   checklist=[dataclasses.asdict(c) for c in record.checklist],
                   failures=[dataclasses.asdict(f) for f in record.failures])


def _severe(severity: str) -> bool:
    try:
        return Severity(severity) is Severity.SEVERE
    except ValueError:
        return True  # an unknown severity is treated as the worst (fail closed)


def waiver_refusal(record: RunRecord, item_id: str, rules: SignoffRules) -> str | None:
    """Why the profile does not allow waiving ``item_id`` in this run, or None."""
    status = next((c for c in record.checklist if c.item_id == item_id), None)
    if status is None:
        return f"{item_id} is not a checklist item of run {record.run_id}"
    if status.critical and not rules.waive_critical:
        return (f"{item_id} is critical and the profile does not allow waiving critical items "
                "(gate.waivers.critical: false)")
    severities = [status.severity] + [f.severity for f in record.failures
                                      if item_id in f.checklist_ids]
    if any(_severe(s) for s in severities) and not rules.waive_severe:
        return (f"{item_id} fails with severity severe and the profile never allows waiving "
                "a severe failure (gate.waivers.severe: false)")
    return None


def _manual(entry: Entry) -> ManualMark:
    return ManualMark(item_id=str(entry.get("item")), result=str(entry.get("result")),
                      by=str(entry.get("by")), at=str(entry.get("at")), note=entry.get("note"),
                      seq=entry.seq)


def _waiver(entry: Entry) -> Waiver:
    return Waiver(item_id=str(entry.get("item")), reason=str(entry.get("reason")),
                  defect=str(entry.get("defect")), by=str(entry.get("by")),
                  at=str(entry.get("at")), expires=str(entry.get("expires")), seq=entry.seq)


def _attached(entry: Entry) -> tuple[list[Evidence], list[UatResult]]:
    evidence: list[Evidence] = []
    uat: list[UatResult] = []
    common = {"by": str(entry.get("by")), "role": str(entry.get("role")),
              "at": str(entry.get("at")), "note": entry.get("note"), "seq": entry.seq}
    for f in entry.get("files") or []:
        evidence.append(Evidence(file=f["file"], stored=f["stored"], sha256=f["sha256"],
                                 size=int(f["size"]), kind=f["kind"], **common))
        summary = f.get("uat")
        if summary:
            uat.append(UatResult(
                file=f["file"], stored=f["stored"], sha256=f["sha256"], format=f["kind"],
                tests=int(summary["tests"]), passed=int(summary["passed"]),
                failed=int(summary["failed"]), skipped=int(summary["skipped"]),
                failures=[UatCase(**c) for c in summary.get("failures", [])], **common))
    return evidence, uat


def _apply_manual(record: RunRecord, marks: list[ManualMark], found_on: dt.date) -> None:
    latest = {m.item_id: m for m in marks}  # the last result recorded for an item counts
    for index, status in enumerate(record.checklist):
        mark = latest.get(status.item_id)
        if mark is None:
            continue
        coverage, note = combine_manual(status.coverage, mark)
        record.checklist[index] = dataclasses.replace(status, coverage=coverage, note=note)
        record.failures = [f for f in record.failures
                           if not (f.source == "checklist" and f.checklist_ids == [mark.item_id])]
        changed = record.checklist[index]
        if changed.critical and changed.coverage not in OK_COVERAGE:
            record.failures.append(checklist_failure(changed, found_on))


def _judge(waiver: Waiver, record: RunRecord, rules: SignoffRules, today: dt.date) -> Waiver:
    refusal = waiver_refusal(record, waiver.item_id, rules)
    if refusal is not None:
        return dataclasses.replace(waiver, state="not allowed", detail=refusal)
    if dt.date.fromisoformat(waiver.expires) < today:
        return dataclasses.replace(waiver, state="expired",
                                   detail=f"expired on {waiver.expires}: it no longer counts")
    return dataclasses.replace(waiver, state="active", detail=None)


def _apply_waivers(record: RunRecord, waivers: list[Waiver]) -> None:
    active = {w.item_id: w for w in waivers if w.state == "active"}
    for failure in record.failures:
        ids = failure.checklist_ids
        if ids and all(i in active for i in ids) and not failure.waived_by:
            failure.waived_by = "; ".join(_by(active[i]) for i in ids)
    for index, status in enumerate(record.checklist):
        waiver = active.get(status.item_id)
        if waiver is None or status.coverage in OK_COVERAGE:
            continue
        note = f"{status.coverage.value}; waived by {_by(waiver)}: {waiver.reason}"
        record.checklist[index] = dataclasses.replace(
            status, coverage=Coverage.WAIVED,
            note=f"{note}; {status.note}" if status.note else note)


def _by(waiver: Waiver) -> str:
    return f"{waiver.by} until {waiver.expires} ({waiver.defect})"


def apply_ledger(record: RunRecord, entries: Sequence[Entry], today: dt.date) -> None:
    """Rebuild ``record``'s checklist, failures, sign-off section and verdict from its base
    and the ledger's acts; needs ``record.signoff.base`` and ``.rules``."""
    signoff = record.signoff
    if signoff.base is None or signoff.rules is None:
        raise ValueError(f"run {record.run_id}: sign-off was never opened on this record")
    rules = signoff.rules
    record.checklist = [ChecklistStatus(**{**c, "coverage": Coverage(c["coverage"])})
                        for c in signoff.base.checklist]
    record.failures = [Failure(**f) for f in signoff.base.failures]
    acts = [e for e in entries if e.kind in ACTS]
    signoff.manual = [_manual(e) for e in acts if e.kind == "manual"]
    _apply_manual(record, signoff.manual, run_date(record))
    signoff.waivers = [_judge(_waiver(e), record, rules, today)
                       for e in acts if e.kind == "waiver"]
    _apply_waivers(record, signoff.waivers)
    signoff.evidence, signoff.uat = [], []
    for entry in acts:
        if entry.kind == "attach":
            evidence, uat = _attached(entry)
            signoff.evidence += evidence
            signoff.uat += uat
    signoff.acts = len(acts)
    # "past due" in the gate's details is judged on the day the run finished, as the run
    # itself did, so re-rendering on another day changes nothing that was signed.
    decide(record, GateRules.of(rules), _finished_on(record))


def _finished_on(record: RunRecord) -> dt.date:
    try:
        return dt.date.fromisoformat((record.finished_at or "")[:10])
    except ValueError:
        return run_date(record)
