"""Benchmark: sanitize 1,000,000 customers + 1,000,000 contacts on PostgreSQL.

golive's sanitizer against pynonymizer (installed here in its own venv) and
against hand-written set-based SQL, in one run, each on a fresh identical copy
of the same database. Targets: golive >= 5x pynonymizer's rows/s and >= 0.7x
the hand-written SQL's.

    .venv/bin/python -m bench sanitize                     # full size, with the others
    .venv/bin/python -m bench.bench_sanitize --rows 20000  # smaller
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import sanitize_data as data
from bench import sanitize_legs as legs
from tests.pg import PgServer, PostgresUnavailable, start_server

__all__ = ["TARGET_HAND", "TARGET_PYNONYMIZER", "Outcome", "main", "report", "run", "run_leg"]

TARGET_PYNONYMIZER = 5.0
TARGET_HAND = 0.7
MIN_CHANGED = 0.95  # a leg must change at least this share of every column's sampled values
DEFAULT_VENV = Path(__file__).resolve().parent / "var" / "pynonymizer-venv"


@dataclass
class Outcome:
    """What one benchmark run measured; ``passed`` only when both targets were met."""

    rows: int
    results: list[legs.LegResult] = field(default_factory=list)
    changed: dict[str, dict[str, float]] = field(default_factory=dict)

    def leg(self, name: str) -> legs.LegResult | None:
        return next((r for r in self.results if r.name == name), None)

    def ratio(self, other: str) -> float | None:
        """golive's rate over ``other``'s; None when either leg failed or did not run."""
        mine, theirs = self.leg("golive"), self.leg(other)
        if mine is None or theirs is None or not mine.rate or not theirs.rate:
            return None
        return mine.rate / theirs.rate

    @property
    def passed(self) -> bool:
        vs_pyn, vs_hand = self.ratio("pynonymizer"), self.ratio("hand-written SQL")
        return (vs_pyn is not None and vs_pyn >= TARGET_PYNONYMIZER
                and vs_hand is not None and vs_hand >= TARGET_HAND)


def _say(line: str) -> None:
    print(line, flush=True)


def _checked(result: legs.LegResult, changed: dict[str, float]) -> legs.LegResult:
    """The leg as measured, or failed if it left originals in any column."""
    if result.error is not None:
        return result
    short = {col: share for col, share in changed.items() if share < MIN_CHANGED}
    if short:
        worst = ", ".join(f"{col} {share:.0%}" for col, share in sorted(short.items()))
        return legs.LegResult(result.name, result.rows, result.seconds, result.timed,
                              f"left originals in place (changed: {worst})")
    return result


def run_leg(server: PgServer, outcome: Outcome, name: str,
         body: Callable[[str], legs.LegResult]) -> None:
    """Run one leg on a fresh copy, verify it changed the data, drop the copy."""
    dbname = data.clone(server, f"bench_{name.split()[0].replace('-', '_')}")
    _say(f"   {name}: running on a fresh copy ({dbname}) …")
    try:
        result = body(dbname)
        changed = data.changed_fraction(server, dbname)
        outcome.changed[name] = changed
        outcome.results.append(_checked(result, changed))
    finally:
        data.drop(server, dbname)


def run(server: PgServer, rows: int, pynonymizer: Path | None) -> Outcome:
    """Load the data once, then time the legs; ``pynonymizer`` None leaves its leg out."""
    outcome = Outcome(rows=rows)
    data.tune(server)
    seconds = data.load_source(server, rows)
    _say(f"   loaded {rows:,} customers + {rows:,} contacts with COPY in {seconds:.1f} s; "
         "every leg starts from CREATE DATABASE … TEMPLATE of it")
    pools = legs.hand_pools()
    run_leg(server, outcome, "golive", lambda db: legs.run_golive(server, db))
    run_leg(server, outcome, "hand-written SQL", lambda db: legs.run_hand_sql(server, db, pools))
    if pynonymizer is not None:
        total = 2 * rows
        run_leg(server, outcome, "pynonymizer",
             lambda db: legs.run_pynonymizer(pynonymizer, server, db, total))
    return outcome


def _verdict(ratio: float | None, target: float) -> str:
    if ratio is None:
        return "FAIL (not measured)"
    return "PASS" if ratio >= target else "FAIL"


def report(outcome: Outcome) -> None:
    """Print per tool rows, seconds and rows/s, what was timed, then the ratios and verdicts."""
    _say("what is timed (loading and copying the data are not):")
    for result in outcome.results:
        _say(f"   {result.name:<17} {result.timed}")
    _say(f"{'tool':<18}{'rows':>12}{'seconds':>10}{'rows/s':>12}   changed (min of columns)")
    for result in outcome.results:
        changed = min(outcome.changed.get(result.name, {"-": 0.0}).values())
        if result.error is not None:
            _say(f"{result.name:<18}{'-':>12}{result.seconds:>10.2f}{'-':>12}   "
                 f"FAILED: {result.error}")
            continue
        _say(f"{result.name:<18}{result.rows:>12,}{result.seconds:>10.2f}"
             f"{result.rate:>12,.0f}   {changed:.1%}")
    hand, pyn = outcome.leg("hand-written SQL"), outcome.leg("pynonymizer")
    if hand is not None and pyn is not None and hand.rate and pyn.rate:
        # context for the first target: what plain set-based SQL reaches on this machine
        _say(f"hand-written SQL / pynonymizer: {hand.rate / pyn.rate:.2f}x (no target)")
    for other, target in (("pynonymizer", TARGET_PYNONYMIZER), ("hand-written SQL", TARGET_HAND)):
        ratio = outcome.ratio(other)
        shown = f"{ratio:.2f}x" if ratio is not None else "n/a"
        _say(f"golive / {other}: {shown} (target >= {target}x): {_verdict(ratio, target)}")
    _say(f"sanitize benchmark: {'PASS' if outcome.passed else 'FAIL'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="customers, and as many contacts (default 1,000,000)")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV,
                        help="where pynonymizer gets its own venv (default bench/var/…)")
    args = parser.parse_args([] if argv is None else argv)
    if args.rows < 1000:
        parser.error("--rows must be at least 1000")
    _say(f"sanitize {args.rows:,} customers + {args.rows:,} contacts on PostgreSQL "
         f"({os.cpu_count()} CPUs): golive vs pynonymizer vs hand-written SQL")
    try:
        _say(f"   installing pynonymizer {legs.PYNONYMIZER_VERSION} in {args.venv} …")
        exe = legs.install_pynonymizer(args.venv)
    except legs.PynonymizerUnavailable as exc:
        _say(f"error: pynonymizer: {exc}")
        return 3
    try:
        server = start_server()
    except PostgresUnavailable as exc:
        _say(f"error: PostgreSQL: {exc}")
        return 3
    try:
        outcome = run(server, args.rows, exe)
    finally:
        server.stop()
    report(outcome)
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
