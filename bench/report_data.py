"""A synthetic run record of benchmark size, built from parts so a new record section (the
population comparison, say) is one more function in `PARTS`.

Account differences are modelled as failed account checks (what the accounts steps
record today); when the comparison with production's baseline lands in the record, add
a part that fills its section and keep or drop this one.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.coverage import compute_coverage
from harness.evidence import keep_file
from harness.gate import decide
from harness.record import (
    AccountCheck,
    Outcome,
    Provenance,
    RunRecord,
    RunStatus,
    ScenarioResult,
    StageResult,
    StepResult,
)
from harness.sections import OutboundSection, SanitizeSection
from harness.signoff.model import SignoffRules

__all__ = ["PARTS", "Size", "synthesise"]

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8ffff3f0005fe02fea7d6a4c0"
    "000000000049454e44ae426082")
AREAS = ["BILL", "PAY", "PROV", "PORTAL", "PRICE", "LOG", "PERM", "TICKET", "IMPORT", "USAGE"]


@dataclass(frozen=True)
class Size:
    scenarios: int = 10_000
    differences: int = 100_000  # account differences
    items: int = 60  # checklist items
    steps: int = 5  # per scenario
    failed: float = 0.02  # share of scenarios that fail
    screenshots: int = 200  # failing steps that kept a screenshot


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    critical: bool
    severity: str
    owner: str = "qa"
    mode: str = "automated"


@dataclass
class Rules:
    blocking_severities: tuple[str, ...] = ("severe", "high")
    account_tolerance: str = "0.00"
    go_with_waivers_passes_ci: bool = False


def items(size: Size) -> list[Item]:
    return [Item(f"CF-{AREAS[i % len(AREAS)]}-{i:02d}", f"checklist item {i}", i % 3 == 0,
                 ("severe", "high", "medium", "low")[i % 4]) for i in range(size.items)]


def base(size: Size, run_dir: Path) -> RunRecord:
    record = RunRecord(run_id="20261202T000000Z-bench", started_at="2026-12-02T00:00:00+00:00",
                       profile="golive.yaml", target="demo", release="1.1",
                       bill_run_date="2026-11-01", status=RunStatus.COMPLETE,
                       finished_at="2026-12-02T01:00:00+00:00")
    record.stages = [StageResult(name, Outcome.PASSED, "2026-12-02T00:00:01+00:00", seconds,
                                 {"sha256": "ab" * 32} if name == "backup" else {})
                     for name, seconds in (("backup", 3.0), ("restore", 40.0),
                                           ("sanitize", 120.0), ("lockdown", 0.2),
                                           ("bill_run", 900.0), ("stop_service", 1.0))]
    record.sanitize = SanitizeSection(enabled=True, residue=[])
    record.outbound = OutboundSection(escaped=[], mail=[
        {"recipients": [f"a{i}***@example.com"], "subject": f"Invoice INV-{i}", "size": 900}
        for i in range(5000)])
    record.provenance = Provenance("0.1.0", "bench", "bench-host", "CPython", "golive run",
                                   "a" * 64, "b" * 64, "c" * 64, "d" * 64)
    record.signoff.rules = SignoffRules()
    return record


def scenarios(record: RunRecord, size: Size, run_dir: Path, rng: random.Random) -> None:
    ids = [i.id for i in items(size)]
    shot_source = run_dir / "raw.png"
    shots = 0
    for n in range(size.scenarios):
        failed = rng.random() < size.failed
        bad_step = rng.randrange(size.steps) if failed else -1
        steps = []
        for k in range(size.steps):
            outcome = (Outcome.PASSED if k < bad_step or bad_step < 0 else
                       Outcome.FAILED if k == bad_step else Outcome.NOT_RUN)
            step = StepResult(("Given", "When", "Then", "And", "And")[k % 5],
                              f"step {k} of scenario {n} checks account A{n:06d}", outcome,
                              0.01, line=4 + k,
                              error="AssertionError: expected 10.00, got 12.00"
                              if outcome is Outcome.FAILED else None)
            if outcome is Outcome.FAILED and shots < size.screenshots:
                shot_source.write_bytes(PNG + n.to_bytes(4, "big"))
                step.attachments.append(keep_file(run_dir, shot_source, "screenshot",
                                                  "the page when this step failed"))
                shots += 1
            steps.append(step)
        tag = ids[n % len(ids)]
        record.scenarios.append(ScenarioResult(
            nodeid=f"features/area_{n % 100}.feature::test_scenario_{n}",
            feature=f"features/area_{n % 100}.feature", name=f"scenario {n} bills right",
            line=3, tags=[tag], checklist_ids=[tag],
            outcome=Outcome.FAILED if failed else Outcome.PASSED, steps=steps, duration=0.05,
            error="AssertionError: expected 10.00, got 12.00" if failed else None,
            worker=f"gw{n % 2}", feature_name=f"Area {n % 100}"))
    shot_source.unlink(missing_ok=True)


def account_differences(record: RunRecord, size: Size, run_dir: Path,
                        rng: random.Random) -> None:
    """Differences against production, as failed account checks spread over scenarios."""
    total = len(record.scenarios)
    for n in range(size.differences):
        scenario = record.scenarios[n % total]
        record.accounts.append(AccountCheck(
            f"A{n:07d}", rng.choice(("balance", "invoice total", "next bill date NET-500")),
            "120.00", f"{120 + rng.randrange(1, 50)}.00", False, scenario.nodeid,
            step=rng.randrange(size.steps)))


PARTS: list[Callable[[RunRecord, Size, Path, random.Random], None]] = [
    scenarios, account_differences]


def synthesise(size: Size, run_dir: Path, seed: int = 7) -> RunRecord:
    """The record, gated: coverage and failures computed as a real run computes them."""
    run_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    record = base(size, run_dir)
    for part in PARTS:
        part(record, size, run_dir, rng)
    compute_coverage(record, items(size), {})
    decide(record, Rules(), dt.date(2026, 12, 2))  # type: ignore[arg-type]
    return record
