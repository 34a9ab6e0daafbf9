"""The verdict line: one sentence a person reads first, in a terminal or a CI log.

``golive: NO-GO — 2 critical items failed: CF-BILL-02, CF-LOG-01; report: …``.
The root cause comes first: when preparation failed, the items could not be
verified, so the stage that stopped it is named before them.
"""

from __future__ import annotations

from pathlib import Path

from harness.record import Coverage, RunRecord, RunStatus

__all__ = ["verdict_line"]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def verdict_line(record: RunRecord, report: Path | None, collection_errors: int = 0) -> str:
    reasons: list[str] = []
    shard = record.shard
    if shard is not None:  # its own share only: what other shards verify is not missing
        reasons.append(f"shard {shard.index}/{shard.total}: only this shard's share was "
                       "verified; merge the shards (golive report merge) for the verdict")
    if collection_errors:
        reasons.append(f"{_plural(collection_errors, 'collection error')}, nothing was verified")
    elif record.status is not RunStatus.COMPLETE:
        reasons.append(f"the run was {record.status.value}")
    stages = next((g for g in record.gate if g.name == "stages finished"), None)
    if stages is not None and not stages.passed and not stages.waived:
        reasons.append(f"{stages.name}: {stages.detail}")
        failed = next((s for s in record.stages if s.error), None)
        if failed is not None and failed.error:
            reasons.append(f"{failed.name}: {failed.error.splitlines()[0]}")
    critical = [c for c in record.checklist if c.critical]
    unverified = () if shard is not None else ((Coverage.NOT_VERIFIED, "not verified"),
                                               (Coverage.UNCOVERED, "uncovered"))
    for coverage, words in ((Coverage.FAILED, "failed"), (Coverage.MANUAL_FAIL, "failed"),
                            *unverified):
        ids = [c.item_id for c in critical if c.coverage is coverage]
        if ids and not collection_errors:
            reasons.append(f"{_plural(len(ids), 'critical item')} {words}: {', '.join(ids)}")
    skip = {"run complete", "critical items verified", "scenarios ran", "stages finished"}
    if shard is not None:
        skip.add("all shards merged")  # said first
    stages_failed = stages is not None and not stages.passed
    for rule in record.gate:
        if rule.passed or rule.waived or rule.name in skip or collection_errors:
            continue
        if stages_failed and rule.detail.startswith("no evidence"):
            continue  # the stage that did not run is the cause, already named
        if rule.name.startswith("no open") and len(reasons) > 0:
            continue
        reasons.append(f"{rule.name}: {rule.detail}")
    line = f"golive: {record.verdict.value}"
    if reasons:
        line += " — " + "; ".join(reasons)
    if report is not None:
        line += f"; report: {report}"
    return line
