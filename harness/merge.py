"""``golive report merge DIR…``: the run folders of the shards of one sharded run → one run,
one verdict, all outputs.

Each shard machine prepared its own staging from the same backup, then ran
its share of the scenarios (`harness.shard`). The merge refuses shards that
did not verify the same thing — another backup, release, bill-run date,
target, checklists or features, shards of different splits, a shard given
twice — and otherwise builds the run an unsharded run would have recorded:

- each scenario's result from the shard that owns it; a scenario no merged
  shard ran is NOT RUN (a missing shard leaves its share NOT RUN);
- each stage as the worst any shard recorded (every shard prepared fully);
- the safety evidence of every shard (residue and escapes of any shard count);
- coverage, failures and the gate recomputed over the union with the
  profile's checklists and gate rules;
- a fresh sign-off: nobody has signed the merged run yet.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common.errors import GoliveError
from harness import smoke
from harness.checklists import Checklists
from harness.config import Profile
from harness.coverage import compute_coverage
from harness.gate import decide
from harness.provenance import collect, digest_files
from harness.record import (
    Outcome,
    PopulationSection,
    RunRecord,
    RunStatus,
    ScenarioResult,
    ShardRun,
    StageResult,
    Stopped,
    new_run_id,
)
from harness.sections import OutboundSection, SanitizeSection
from harness.shard import owner
from harness.signoff.acts import rules_of
from harness.signoff.model import SignoffRecord

__all__ = ["MergeError", "merge_shards"]

# worst first: the merged stage is the worst any shard recorded
_STAGE_RANK = [Outcome.INTERRUPTED, Outcome.ERROR, Outcome.FAILED, Outcome.UNDEFINED,
               Outcome.NOT_RUN, Outcome.SKIPPED, Outcome.NOT_APPLICABLE, Outcome.REUSED,
               Outcome.PASSED]
_STATUS_RANK = [RunStatus.RUNNING, RunStatus.CRASHED, RunStatus.INTERRUPTED,
                RunStatus.COMPLETE]


class MergeError(GoliveError):
    """The runs given are not the shards of one sharded run."""

    exit_code = 2
    headline = "cannot merge these runs"


def _backup_digest(record: RunRecord) -> str | None:
    for stage in record.stages:
        if stage.name in ("backup", "restore") and stage.evidence.get("sha256"):
            return str(stage.evidence["sha256"])
    return None


def _name(record: RunRecord) -> str:
    shard = record.shard
    where = f"shard {shard.index}/{shard.total}" if shard else "not a shard"
    return f"run {record.run_id} ({where})"


def _agree(records: Sequence[RunRecord], what: str, value: Any) -> None:
    """Every shard recorded the same ``value(record)`` (None: not recorded, not compared)."""
    seen: dict[str, list[str]] = {}
    for record in records:
        found = value(record)
        if found is not None:
            seen.setdefault(str(found), []).append(_name(record))
    if len(seen) > 1:
        told = "; ".join(f"{v} in {', '.join(names)}" for v, names in seen.items())
        raise MergeError(f"the shards did not verify the same {what}: {told}. Merge only "
                         "the shards of one run (each prepared from the same backup)")


def check_shards(records: Sequence[RunRecord], checklists_sha256: str | None) -> int:
    """Refuse anything that is not the shards of one run; return N."""
    if not records:
        raise MergeError("no run folder given")
    plain = [r for r in records if r.shard is None]
    if plain:
        raise MergeError(f"{', '.join(_name(r) for r in plain)}: not a shard (run without "
                         "--shard K/N): only shards of one sharded run can be merged")
    totals = {r.shard.total for r in records if r.shard}
    if len(totals) > 1:
        raise MergeError("the shards split the scenarios differently: "
                         + "; ".join(_name(r) for r in records))
    seen: dict[int, str] = {}
    for record in records:
        shard = record.shard
        if shard is None:
            continue
        if shard.index in seen:
            raise MergeError(f"shard {shard.index}/{shard.total} is given twice "
                             f"(runs {seen[shard.index]} and {record.run_id}): keep one")
        seen[shard.index] = record.run_id
    _agree(records, "mode", lambda r: r.mode)
    _agree(records, "target", lambda r: r.target)
    _agree(records, "release", lambda r: r.release)
    _agree(records, "bill-run date", lambda r: r.bill_run_date)
    _agree(records, "backup (sha256)", _backup_digest)
    _agree(records, "checklists (sha256)",
           lambda r: r.provenance.checklists_sha256 if r.provenance else None)
    _agree(records, "features (sha256)",
           lambda r: r.provenance.features_sha256 if r.provenance else None)
    _agree(records, "sanitize rules (sha256)",
           lambda r: r.provenance.rules_sha256 if r.provenance else None)
    shard_lists = {r.provenance.checklists_sha256 for r in records if r.provenance}
    if checklists_sha256 is not None and shard_lists and checklists_sha256 not in shard_lists:
        raise MergeError("the profile's checklists differ from the ones the shards ran with "
                         f"(sha256 {checklists_sha256} here, {', '.join(sorted(shard_lists))} "
                         "in the shards): merge with the profile the shards used")
    return totals.pop()


def _worst_stage(stages: list[tuple[int, StageResult | None]], name: str) -> StageResult:
    present = [(i, s) for i, s in stages if s is not None]
    missing = [i for i, s in stages if s is None]
    outcomes = [s.outcome for _, s in present] + ([Outcome.NOT_RUN] if missing else [])
    worst = min(outcomes, key=_STAGE_RANK.index)
    first = present[0][1] if present else None
    errors = [f"shard {i}: {s.error}" for i, s in present if s.error]
    errors += [f"shard {i}: no {name} stage recorded" for i in missing]
    evidence = dict(first.evidence) if first is not None else {}
    evidence["shards"] = {f"shard {i}": (s.outcome.value if s is not None else "not recorded")
                          for i, s in stages}
    started = [s.started_at for _, s in present if s.started_at]
    return StageResult(name=name, outcome=worst, started_at=min(started) if started else None,
                       duration=max((s.duration for _, s in present), default=0.0),
                       evidence=evidence, error="; ".join(errors) or None)


def _stages(records: Sequence[RunRecord]) -> list[StageResult]:
    names: list[str] = []
    for record in records:
        names += [s.name for s in record.stages if s.name not in names]
    out = []
    for name in names:
        per = [(r.shard.index if r.shard else 0,
                next((s for s in r.stages if s.name == name), None)) for r in records]
        out.append(_worst_stage(per, name))
    return out


def _scenarios(records: Sequence[RunRecord], total: int) -> list[ScenarioResult]:
    by_shard = {r.shard.index: {s.nodeid: s for s in r.scenarios} for r in records if r.shard}
    order: list[str] = []
    first: dict[str, ScenarioResult] = {}
    for record in records:
        for s in record.scenarios:
            if s.nodeid not in first:
                order.append(s.nodeid)
                first[s.nodeid] = s
    out = []
    for nodeid in order:
        index = owner(nodeid, total)
        shard = by_shard.get(index)
        result = shard.get(nodeid) if shard is not None else None
        if result is None:
            why = (f"not run: shard {index}/{total}, which runs it, was not merged"
                   if shard is None else
                   f"not run: shard {index}/{total}, which runs it, did not collect it")
            skeleton = dataclasses.replace(first[nodeid], outcome=Outcome.NOT_RUN, error=why,
                                           duration=0.0, worker=None)
            skeleton.steps = [dataclasses.replace(st, outcome=Outcome.NOT_RUN, error=None,
                                                  duration=0.0, attachments=[])
                              for st in skeleton.steps]
            out.append(skeleton)
            continue
        merged = dataclasses.replace(result)
        merged.worker = f"shard {index}" + (f" {result.worker}" if result.worker else "")
        out.append(merged)
    return out


def _by_index(records: Sequence[RunRecord]) -> dict[int, str]:
    return {r.shard.index: r.run_id for r in records if r.shard}


def _population(records: Sequence[RunRecord]) -> PopulationSection | None:
    """Every shard compared its own staging with production: the merged run shows the
    worst comparison (the most differences beyond tolerance), never a kinder one."""
    found = [r.population for r in records if r.population is not None]
    return max(found, key=lambda p: p.beyond - p.threshold) if found else None


def _sanitize(records: Sequence[RunRecord]) -> SanitizeSection | None:
    """Shard 1's section with every shard's residue: residue anywhere blocks. A shard
    without the section, or without a scan, leaves none (the gate then says there is no
    evidence)."""
    sections = [(r.shard.index if r.shard else 0, r.sanitize) for r in records]
    found = [(i, s) for i, s in sections if s is not None]
    if len(found) < len(sections):
        return None
    complete = all(s.residue is not None for _, s in found)
    residue = [f"shard {i}: {x}" for i, s in found for x in s.residue or []]
    return dataclasses.replace(found[0][1], residue=residue if complete else None)


def _outbound(records: Sequence[RunRecord]) -> OutboundSection | None:
    """Shard 1's captures (every shard's bill run sent the same), every shard's escapes."""
    sections = [(r.shard.index if r.shard else 0, r.outbound) for r in records]
    found = [(i, s) for i, s in sections if s is not None]
    if len(found) < len(sections):
        return None
    complete = all(s.escaped is not None for _, s in found)
    escaped = [f"shard {i}: {x}" for i, s in found for x in s.escaped or []]
    return dataclasses.replace(found[0][1], escaped=escaped if complete else None)


def merge_shards(records: Sequence[RunRecord], profile: Profile, checklists: Checklists,
                 today: dt.date, run_id: str | None = None) -> RunRecord:
    """The merged run record, gated; see the module docstring."""
    records = sorted(records, key=lambda r: r.shard.index if r.shard else 0)
    total = check_shards(records, digest_files([Path(profile.checklists.dir)]))
    first = records[0]
    status = min((r.status for r in records), key=_STATUS_RANK.index)
    finished = [r.finished_at for r in records]
    merged = RunRecord(
        run_id=run_id or new_run_id(),
        started_at=min(r.started_at for r in records),
        profile=str(profile.path),
        target=first.target,
        release=first.release,
        bill_run_date=first.bill_run_date,
        status=status,
        finished_at=max(f for f in finished if f) if all(finished) else None,
        reused=any(r.reused for r in records),
        mode=first.mode,
        provenance=collect(profile),
        merged_from=[ShardRun(run_id=r.run_id, index=r.shard.index, total=r.shard.total,
                              host=r.provenance.host if r.provenance else None,
                              status=r.status.value, verdict=r.verdict.value,
                              ran=sum(1 for s in r.scenarios
                                      if owner(s.nodeid, total) == r.shard.index
                                      and s.outcome is not Outcome.NOT_RUN),
                              started_at=r.started_at, finished_at=r.finished_at)
                     for r in records if r.shard],
    )
    merged.stages = _stages(records)
    merged.scenarios = _scenarios(records, total)
    owners = {s.nodeid: owner(s.nodeid, total) for s in merged.scenarios}
    merged.accounts = [dataclasses.replace(c) for r in records if r.shard for c in r.accounts
                       if c.scenario is None or owners.get(c.scenario) == r.shard.index]
    merged.stopped = [Stopped(f"shard {r.shard.index}: {x.what}", x.how, x.at, x.ok)
                      for r in records if r.shard for x in r.stopped]
    merged.notes = [f"merged from {len(records)} of {total} shard(s): "
                    + ", ".join(f"{i}/{total} {rid}" for i, rid in _by_index(records).items())]
    merged.notes += [f"shard {r.shard.index}: {n}" for r in records if r.shard for n in r.notes]
    merged.sanitize = _sanitize(records)
    merged.outbound = _outbound(records)
    merged.report = dataclasses.replace(first.report) if first.report is not None else None
    merged.population = _population(records)
    merged.signoff = SignoffRecord(rules=rules_of(profile))  # nobody signed the merged run
    compute_coverage(merged, list(checklists.items), dict(checklists.manual_results))
    if merged.mode == "smoke":
        smoke.scope(merged)
        smoke.decide_smoke(merged, profile.gate, today)
    else:
        decide(merged, profile.gate, today)
    return merged
