"""The post-go-live smoke (seeds/000, step 8: "Testing completed again in live environment").

``golive smoke`` runs only the scenarios tagged ``@readonly`` against
production, after the release went live. Nothing is prepared: every stage of
the staging pipeline is recorded SKIPPED (production is never restored,
sanitized, locked down or billed), the target is opened on production — whose
connection is read-only at the database (`harness.safety.read_only`) — and the
bill run the scenarios look at is production's latest. Writes are refused
three times over: the target's write guard (`assert_staging`), the read-only
connection, and the steps' own `require_writable`.

Its gate: scenarios ran, the run completed, production was left untouched,
every smoke scenario passed, no open blocking failure. Checklist items that no
``@readonly`` scenario re-tests are out of the smoke's scope and listed so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from harness.config import Profile
from harness.gate import GateRulesLike, exit_code
from harness.pipeline import STAGE_NAMES, Prepared
from harness.record import Coverage, GateRule, Outcome, RunRecord, RunStatus, StageResult, Verdict
from harness.targets.loader import open_target

__all__ = ["READONLY_TAG", "SKIPPED_BY_SMOKE", "decide_smoke", "prepare_smoke", "scope"]

READONLY_TAG = "readonly"
SKIPPED_BY_SMOKE = ("post-go-live smoke: production is never restored, sanitized, locked down "
                    "or billed")


def prepare_smoke(profile: Profile, record: RunRecord,
                  on_stage: Callable[[StageResult], None] | None = None) -> Prepared:
    """Record every destructive stage as skipped and open production, read-only."""
    for name in STAGE_NAMES:
        stage = StageResult(name=name, outcome=Outcome.SKIPPED,
                            evidence={"smoke": True, "why": SKIPPED_BY_SMOKE})
        record.stages.append(stage)
        if on_stage is not None:
            on_stage(stage)
    target = open_target(profile, "production")
    try:
        bill_run = target.latest_bill_run()
    except BaseException:
        target.close()
        raise
    record.release = target.release or record.release
    record.bill_run_date = bill_run.run_date.isoformat() if bill_run else None
    record.notes.append("post-go-live smoke: the @readonly scenarios ran against production "
                        f"(release {target.release or 'unknown'}); nothing was written")
    return Prepared(target=target, record=record, bill_run=bill_run,
                    started_at=bill_run.started_at if bill_run else None)


def scope(record: RunRecord) -> None:
    """Keep only the checklist items a smoke scenario re-tested; say which were not."""
    tested = [c for c in record.checklist if c.scenarios]
    untested = [c.item_id for c in record.checklist if not c.scenarios]
    record.checklist = tested
    record.failures = [f for f in record.failures
                       if not (f.source == "checklist" and set(f.checklist_ids) <= set(untested))]
    if untested:
        record.notes.append(f"not re-tested by the smoke (no @readonly scenario): "
                            f"{', '.join(untested)}")


def _rule(name: str, bad: list[str], good: str) -> GateRule:
    return GateRule(name, not bad, "; ".join(bad) if bad else good)


def decide_smoke(record: RunRecord, rules: GateRulesLike, today: dt.date) -> Verdict:
    """The smoke's gate (see the module docstring); writes record.gate/verdict/exit_status.
    ``today`` is taken for symmetry with `harness.gate.decide`; nothing here is dated."""
    blocking = {s.lower() for s in rules.blocking_severities}
    touched = [f"{s.name} ({s.outcome.value})" for s in record.stages
               if s.outcome is not Outcome.SKIPPED or not s.evidence.get("smoke")]
    unpassed = [f"{s.name} ({s.outcome.value})" for s in record.scenarios
                if s.outcome is not Outcome.PASSED]
    open_ = [f"{f.severity}: {f.title}" for f in record.failures
             if f.severity.lower() in blocking and not f.waived_by]
    items_bad = [f"{c.item_id} ({c.coverage.value})" for c in record.checklist
                 if c.critical and c.coverage not in (Coverage.VERIFIED, Coverage.MANUAL_PASS)]
    record.gate = [
        _rule("scenarios ran", [] if record.scenarios else ["no @readonly scenario ran"],
              f"{len(record.scenarios)} @readonly scenario(s)"),
        _rule("run complete", [] if record.status is RunStatus.COMPLETE
              else [f"run status is {record.status.value}"], "the run finished"),
        _rule("production untouched", touched, "every destructive stage skipped"),
        _rule("smoke scenarios passed", unpassed, "all passed"),
        _rule("critical items re-tested in production", items_bad,
              f"{sum(1 for c in record.checklist if c.critical)} critical item(s) verified"),
        _rule(f"no open {'/'.join(sorted(blocking))} failure", open_, "none"),
    ]
    record.verdict = Verdict.NO_GO if any(not r.passed for r in record.gate) else Verdict.GO
    record.exit_status = exit_code(record, rules.go_with_waivers_passes_ci)
    return record.verdict
