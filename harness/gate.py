"""The gate: turn a run record into GO, GO WITH WAIVERS or NO-GO (DESIGN.md "Gate and verdict").

Every rule is written into ``record.gate`` with a detail a release manager can
act on. Fail closed: a rule that cannot tell blocks, an incomplete or empty
run is NO-GO, and only a failure someone waived (``Failure.waived_by``) can
turn a blocking rule into GO WITH WAIVERS. A safety rule never passes on
missing evidence: a run record without the sanitize scan or the outbound check
(a stage that never ran, a renamed key) is NO-GO. Only a decision the record
shows — sanitizing disabled by the profile — makes the scan rule "not
applicable" (whether that is allowed is the stages rule's call).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Protocol

from harness.record import (
    AccountCheck,
    Coverage,
    ExpectedFrom,
    Failure,
    GateRule,
    Outcome,
    PopulationFinding,
    RunRecord,
    RunStatus,
    StageResult,
    Verdict,
)

__all__ = [
    "NOT_APPLICABLE",
    "GateRulesLike",
    "decide",
    "effective_verdict",
    "exit_code",
    "is_not_applicable",
]

NOT_APPLICABLE = "not applicable"
OK_COVERAGE = frozenset({Coverage.VERIFIED, Coverage.MANUAL_PASS})
_SHOWN = 8  # names listed in a rule's detail before "and N more"


class GateRulesLike(Protocol):
    """The profile's ``gate`` section as the gate reads it."""

    @property
    def blocking_severities(self) -> Sequence[str]: ...
    @property
    def account_tolerance(self) -> Decimal: ...
    @property
    def go_with_waivers_passes_ci(self) -> bool: ...


def is_not_applicable(rule: GateRule) -> bool:
    return rule.passed and rule.detail.startswith(NOT_APPLICABLE)


def _names(names: Sequence[str]) -> str:
    shown = "; ".join(names[:_SHOWN])
    more = len(names) - _SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _rule_verification_ran(record: RunRecord) -> GateRule:
    n = len(record.scenarios)
    if n == 0:
        return GateRule("scenarios ran", False, "no scenario ran: nothing was verified")
    return GateRule("scenarios ran", True, f"{n} scenario(s) recorded")


def _rule_run_complete(record: RunRecord) -> GateRule:
    if record.status is RunStatus.COMPLETE:
        return GateRule("run complete", True, "the run finished")
    return GateRule(
        "run complete",
        False,
        f"run status is {record.status.value}: the run did not finish, its results are partial",
    )


def _sanitize_disabled_but_locked_down(record: RunRecord) -> StageResult | None:
    """The procedure allows an unsanitized staging copy only when it is locked down
    (seeds/002: "If step three wasn't completed, be sure your DEV / TEST system is
    locked down"). Such a sanitize stage stays SKIPPED in every output; it just does
    not block when the lock-down stage really ran."""
    by_name = {s.name: s for s in record.stages}
    sanitize, lockdown = by_name.get("sanitize"), by_name.get("lockdown")
    if (
        sanitize is not None
        and sanitize.outcome is Outcome.SKIPPED
        and sanitize.evidence.get("enabled") is False
        and lockdown is not None
        and lockdown.outcome is Outcome.PASSED
    ):
        return sanitize
    return None


POPULATION_STAGES = ("baseline", "compare")


def _population_not_configured(stage: StageResult) -> bool:
    """A baseline or compare stage skipped because the profile has no population section:
    the population rule says so; the stage itself is no unfinished work."""
    return (stage.name in POPULATION_STAGES and stage.outcome is Outcome.SKIPPED
            and stage.evidence.get("configured") is False)


def _rule_stages(record: RunRecord) -> GateRule:
    if not record.stages:
        return GateRule("stages finished", False, "no stage recorded: staging was not prepared")
    excused = _sanitize_disabled_but_locked_down(record)
    bad = [
        f"{s.name} ({s.outcome.value})"
        for s in record.stages
        if not s.outcome.ok and s is not excused and not _population_not_configured(s)
    ]
    if bad:
        return GateRule("stages finished", False, f"did not finish: {_names(bad)}")
    reused = [s.name for s in record.stages if s.outcome is Outcome.REUSED]
    detail = f"{len(record.stages)} stage(s) finished"
    if excused is not None:
        detail += "; sanitizing disabled by the profile, staging locked down instead"
    if reused:
        detail += f"; reused, not prepared in this run: {_names(reused)}"
    return GateRule("stages finished", True, detail)


def _waived_items(failures: Sequence[Failure]) -> set[str]:
    return {
        item
        for f in failures
        if f.source == "checklist" and f.waived_by
        for item in f.checklist_ids
    }


def _rule_critical(record: RunRecord) -> GateRule:
    name = "critical items verified"
    if not record.checklist:
        return GateRule(name, False, "checklist coverage was not computed for this run")
    critical = [c for c in record.checklist if c.critical]
    bad = [c for c in critical if c.coverage not in OK_COVERAGE]
    if not bad:
        return GateRule(name, True, f"all {len(critical)} critical item(s) verified")
    waived = _waived_items(record.failures)
    open_ = [c for c in bad if c.coverage is not Coverage.WAIVED and c.item_id not in waived]
    listed = [f"{c.item_id} ({c.coverage.value})" for c in (open_ or bad)]
    if open_:
        return GateRule(name, False, f"not verified: {_names(listed)}")
    return GateRule(name, False, f"waived: {_names(listed)}", waived=True)


def _rule_blocking(record: RunRecord, rules: GateRulesLike, today: dt.date) -> GateRule:
    blocking = {s.lower() for s in rules.blocking_severities}
    name = f"no open {'/'.join(sorted(blocking)) or 'blocking'} failure"
    hits = [f for f in record.failures if f.severity.lower() in blocking]
    open_ = [f for f in hits if not f.waived_by]
    if open_:
        overdue = [f for f in open_ if f.due_date and f.due_date < today.isoformat()]
        detail = f"{len(open_)} open: {_names([f'{f.severity}: {f.title}' for f in open_])}"
        if overdue:
            detail += f" ({len(overdue)} past due)"
        return GateRule(name, False, detail)
    if hits:
        by = _names([f"{f.title} (by {f.waived_by})" for f in hits])
        return GateRule(name, False, f"{len(hits)} waived: {by}", waived=True)
    return GateRule(name, True, "none")


def _as_decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _mismatch(check: AccountCheck, tolerance: Decimal) -> bool:
    if check.expected_from is ExpectedFrom.PRODUCTION:  # judged by its field's own tolerance
        return not check.ok
    expected, actual = _as_decimal(check.expected), _as_decimal(check.actual)
    if expected is not None and actual is not None:
        return abs(expected - actual) > tolerance
    return not check.ok


def _rule_accounts(record: RunRecord, rules: GateRulesLike) -> GateRule:
    name = "accounts match production"
    tolerance = Decimal(str(rules.account_tolerance))
    if not record.accounts:
        return GateRule(name, True, f"{NOT_APPLICABLE}: no account checks recorded")
    bad = [c for c in record.accounts if _mismatch(c, tolerance)]
    if bad:
        listed = [f"{f'{c.label} ({c.account})' if c.label else c.account} {c.check}: "
                  f"expected {c.expected}, got {c.actual}" for c in bad]
        return GateRule(name, False, f"beyond tolerance {tolerance}: {_names(listed)}")
    accounts = len({c.account for c in record.accounts})
    return GateRule(name, True, f"{accounts} account(s) within tolerance {tolerance}")


def _finding_text(finding: PopulationFinding) -> str:
    where = f"{finding.dataset} {finding.label or finding.column}".strip()
    if finding.category != "changed":
        where = f"{finding.dataset} rows {finding.category}"
    if finding.group:
        where += f" [{finding.group}]"
    delta = f" {finding.delta}" if finding.delta else ""
    accounts = ", ".join(finding.first_accounts[:3]) + (
        f" and {finding.accounts - 3} more" if finding.accounts > 3 else "")
    return f"{where}{delta} on {finding.accounts} account(s): {accounts}"


def _rule_population(record: RunRecord) -> GateRule:
    """Every account of staging against production's results of the same bill run."""
    name = "population matches production"
    section = record.population
    stage = next((s for s in record.stages if s.name == "compare"), None)
    if section is None:
        if stage is not None and _population_not_configured(stage):
            return GateRule(name, True, f"{NOT_APPLICABLE}: the profile has no population "
                                        "section (only the checklists' accounts compared)")
        if stage is None:
            return GateRule(name, True, f"{NOT_APPLICABLE}: no population comparison in "
                                        "this run")
        return GateRule(name, False, f"not compared: the compare stage is "
                                     f"{stage.outcome.value}")
    base = section.baseline
    against = f"production's bill run of {base.bill_run_date}" + (
        f" (release {base.release})" if base.release else "")
    rows = sum(d.staging_rows for d in section.datasets)
    if section.passed:
        within = sum(d.within for d in section.datasets)
        accepted = sum(d.accepted for d in section.datasets)
        extra = f"; {section.beyond} beyond tolerance allowed" if section.beyond else ""
        return GateRule(name, True, f"{rows} row(s) match {against} ({within} within "
                                    f"tolerance, {accepted} accepted{extra})")
    beyond = [f for f in section.findings if f.status == "beyond tolerance"]
    listed = "; ".join(_finding_text(f) for f in beyond[:3])
    more = len(beyond) - 3
    if more > 0:
        listed += f"; and {more} more finding(s)"
    return GateRule(name, False, f"{section.beyond} difference(s) beyond tolerance against "
                                 f"{against} (threshold {section.threshold}): {listed}")


def _stage(record: RunRecord, name: str) -> StageResult | None:
    return next((s for s in record.stages if s.name == name), None)


def _disabled(stage: StageResult | None) -> bool:
    """The stage recorded that the profile turned it off (an explicit decision)."""
    return (stage is not None and stage.outcome in (Outcome.SKIPPED, Outcome.REUSED)
            and stage.evidence.get("enabled") is False)


def _no_evidence(name: str, result: str, stage_name: str, stage: StageResult | None
                 ) -> GateRule:
    if stage is None:
        why = f"no {stage_name} stage was recorded"
    elif not stage.outcome.ok:
        why = f"the {stage.name} stage is {stage.outcome.value}"
    else:
        why = f"the {stage.name} stage left none"
    return GateRule(name, False, f"no evidence: the run record has no {result} result ({why})")


def _rule_evidence(name: str, found: object, what: str) -> GateRule:
    """A list of findings: empty passes, anything else blocks."""
    if found:
        items = [str(x) for x in found] if isinstance(found, list | tuple) else [str(found)]
        return GateRule(name, False, f"{what}: {_names(items)}")
    return GateRule(name, True, "none")


_UNSCANNED = ("sanitizing disabled by the profile and staging not scanned: nothing proves it "
              "holds no personal data")


def _rule_sanitize(record: RunRecord) -> GateRule:
    """The scan decides, sanitized or not: a run that did not sanitize is judged on a scan of
    staging as it is, so it is never better off than one that sanitized and left residue;
    and a scan that left no evidence never passes."""
    name = "sanitize scan clean"
    stage = _stage(record, "sanitize")
    section = record.sanitize
    disabled = _disabled(stage) or (section is not None and not section.enabled)
    found = section.residue if section is not None else None
    if found is None:
        if disabled:
            why = section.unscanned if section is not None else None
            attested = section.attested if section is not None else None
            if why and attested:  # the profile names who removed the data: shown as such
                return GateRule(name, True, f"attested, not scanned: {attested} ({why})")
            return GateRule(name, False, f"{_UNSCANNED} ({why})" if why else _UNSCANNED)
        return _no_evidence(name, "sanitize scan", "sanitize", stage)
    items = [str(x) for x in found]
    if items and disabled:
        return GateRule(name, False, "not sanitized (disabled by the profile); staging holds: "
                                     + _names(items))
    if items:
        return GateRule(name, False, f"residue found: {_names(items)}")
    if disabled:
        return GateRule(name, True, "none: not sanitized (disabled by the profile), and the "
                                    "scan of staging as it is found nothing")
    return GateRule(name, True, "none")


def _rule_escapes(record: RunRecord) -> GateRule:
    name = "nothing escaped the sinks"
    stage = _stage(record, "lockdown")
    if _disabled(stage):
        return GateRule(name, False, "lock-down disabled by the profile: outbound traffic "
                                     "went uncaptured, so no escape can be ruled out")
    section = record.outbound
    if section is None or section.escaped is None:
        return _no_evidence(name, "outbound check", "lockdown", stage)
    return _rule_evidence(name, section.escaped, "escaped")


def _rule_shards(record: RunRecord) -> GateRule | None:
    """A shard verified only its share: never a verdict of its own. A merged run needs
    every shard (a missing one's scenarios are NOT RUN anyway)."""
    name = "all shards merged"
    if record.shard is not None:
        return GateRule(name, False, f"this run is shard {record.shard.index}/"
                                     f"{record.shard.total}: it verified only its share; "
                                     "merge every shard's run folder with `golive report "
                                     "merge` for the verdict")
    if not record.merged_from:
        return None
    total = record.merged_from[0].total
    have = {r.index for r in record.merged_from}
    missing = [str(i) for i in range(1, total + 1) if i not in have]
    if missing:
        return GateRule(name, False, f"shard(s) {', '.join(missing)} of {total} missing: "
                                     "their scenarios were not run")
    return GateRule(name, True, f"{total} of {total} shard(s) merged")


def decide(record: RunRecord, rules: GateRulesLike, today: dt.date) -> Verdict:
    """Apply every gate rule, write ``record.gate`` and ``record.verdict``, return the verdict.

    ``today`` marks open blocking failures already past their due date.
    Also sets ``record.exit_status`` so every output agrees with the exit code.
    """
    record.gate = [
        _rule_verification_ran(record),
        _rule_run_complete(record),
        _rule_stages(record),
        _rule_critical(record),
        _rule_blocking(record, rules, today),
        _rule_accounts(record, rules),
        _rule_population(record),
        _rule_sanitize(record),
        _rule_escapes(record),
    ]
    shards = _rule_shards(record)
    if shards is not None:
        record.gate.append(shards)
    if any(not r.passed and not r.waived for r in record.gate):
        verdict = Verdict.NO_GO
    elif any(r.waived for r in record.gate):
        verdict = Verdict.GO_WITH_WAIVERS
    else:
        verdict = Verdict.GO
    record.verdict = verdict
    record.exit_status = exit_code(record, rules.go_with_waivers_passes_ci)
    return verdict


def effective_verdict(record: RunRecord) -> Verdict:
    """The verdict every output shows: NO-GO unless a complete run passed the gate."""
    if record.status is not RunStatus.COMPLETE or not record.gate:
        return Verdict.NO_GO
    if any(not r.passed and not r.waived for r in record.gate):
        return Verdict.NO_GO
    return record.verdict


def exit_code(record: RunRecord, go_with_waivers_passes_ci: bool) -> int:
    """0 only for a complete run with GO (or GO WITH WAIVERS when allowed); 1 otherwise."""
    verdict = effective_verdict(record)
    if verdict is Verdict.GO:
        return 0
    if verdict is Verdict.GO_WITH_WAIVERS and go_with_waivers_passes_ci:
        return 0
    return 1
