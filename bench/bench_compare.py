"""Benchmark: compare 1,000,000 and 10,000,000 accounts between two PostgreSQL databases.

golive's population comparison (two-phase bucketed hash between the baseline database
and staging) against reladiff (hashdiff across two databases, in its own venv) and
against a SQL FULL OUTER JOIN of both tables in one database, in one run, with about
100 planted differences (some within tolerance). Targets at 10,000,000 accounts:
golive >= 2,000,000 rows/s, <= 256 MiB peak RSS, and >= 5x reladiff's rows/s.

    .venv/bin/python -m bench compare                            # 1M and 10M
    .venv/bin/python -m bench.bench_compare --accounts 100000    # one smaller size
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench import compare_data as data
from bench import compare_legs as legs
from tests.pg import PgServer, PostgresUnavailable, start_server

__all__ = ["TARGET_RATE", "TARGET_RELADIFF", "TARGET_RSS", "main"]

TARGET_RATE = 2_000_000  # rows/s at TARGET_SIZE
TARGET_RSS = 256 * 1024 * 1024  # bytes, golive's process, at TARGET_SIZE
TARGET_RELADIFF = 5.0  # golive's rows/s over reladiff's
TARGET_SIZE = 10_000_000
DEFAULT_SIZES = (1_000_000, 10_000_000)
DEFAULT_VENV = Path(__file__).resolve().parent / "var" / "reladiff-venv"


def _say(line: str) -> None:
    print(line, flush=True)


@dataclass
class SizeOutcome:
    rows: int
    planted: data.Planted
    results: list[legs.LegResult] = field(default_factory=list)
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def leg(self, name: str) -> legs.LegResult | None:
        return next((r for r in self.results if r.name.startswith(name)), None)

    def vs_reladiff(self) -> float | None:
        mine, theirs = self.leg("golive"), self.leg("reladiff")
        if mine is None or theirs is None or not mine.rate or not theirs.rate:
            return None
        # process to process: both rates from wall time, start to exit
        return (mine.rows / mine.wall) / (theirs.rows / theirs.wall)


def _checked(result: legs.LegResult, planted: data.Planted) -> legs.LegResult:
    """A leg that did not find what was planted is failed (rate 0), never fast."""
    if result.error is not None:
        return result
    beyond = planted.beyond + planted.missing + planted.extra
    wanted = {"golive": f"{beyond} beyond tolerance",
              "reladiff": f"{planted.total} keys differ",
              "SQL join": f"{beyond} beyond tolerance"}
    expected = next(v for k, v in wanted.items() if result.name.startswith(k))
    if not result.found.startswith(expected):
        result.error = f"wrong answer: {result.found} (planted: {expected})"
    return result


def run_size(server: PgServer, rows: int, reladiff: Path | None, scratch: Path) -> SizeOutcome:
    planted, seconds = data.load(server, rows)
    _say(f"   loaded {rows:,} accounts into production, staging (+{planted.total} planted "
         f"differences: {planted.beyond} beyond tolerance, {planted.within} within, "
         f"{planted.missing} missing, {planted.extra} extra) and the join's database "
         f"in {seconds:.1f} s")
    captured = legs.capture_baseline(server)
    _say(f"   golive captured production's baseline into its own database in {captured:.1f} s "
         "(read-only; not timed against the targets)")
    outcome = SizeOutcome(rows, planted, load=os.getloadavg())
    _say(f"   load average before the legs: {', '.join(f'{x:.2f}' for x in outcome.load)}")
    _say("   golive …")
    outcome.results.append(_checked(legs.run_golive(server, rows, scratch), planted))
    if reladiff is not None:
        _say("   reladiff …")
        outcome.results.append(_checked(legs.run_reladiff(reladiff, server, rows), planted))
    _say("   SQL FULL OUTER JOIN …")
    outcome.results.append(_checked(legs.run_join(server, rows), planted))
    return outcome


def _cpu(result: legs.LegResult) -> str:
    return f"{result.cpu:.1f}" if result.cpu is not None else "-"


def _idle(o: SizeOutcome) -> None:
    """What the legs would take on this machine idle, from the CPU they used (tool and
    server): a figure the other helpers' load does not move. No target is judged on it."""
    shown = [f"{r.name.split(' (')[0]} {r.rows / r.idle_estimate:,.0f} rows/s"
             for r in o.results if r.error is None and r.idle_estimate]
    if shown:
        _say(f"   from CPU seconds over {os.cpu_count()} cores (an estimate for an idle "
             f"machine, not judged): {'; '.join(shown)}")


def _mib(value: int | None) -> str:
    return f"{value / 1048576:,.0f} MiB" if value is not None else "in server"


def report(outcomes: list[SizeOutcome]) -> bool:
    """Print the figures and verdicts; True when every target that applies is met."""
    passed = True
    for o in outcomes:
        _say(f"-- {o.rows:,} accounts (load average {o.load[0]:.2f})")
        _say(f"   {'tool':<20}{'seconds':>9}{'wall':>8}{'rows/s':>13}{'peak RSS':>12}"
             f"{'CPU s':>8}   found")
        for r in o.results:
            if r.error is not None:
                _say(f"   {r.name:<20}{r.seconds:>9.2f}{r.wall:>8.2f}{'-':>13}"
                     f"{_mib(r.peak_rss):>12}{_cpu(r):>8}   FAILED: {r.error}")
                continue
            _say(f"   {r.name:<20}{r.seconds:>9.2f}{r.wall:>8.2f}{r.rate:>13,.0f}"
                 f"{_mib(r.peak_rss):>12}{_cpu(r):>8}   {r.found}")
        _idle(o)
        golive, join = o.leg("golive"), o.leg("SQL join")
        ratio = o.vs_reladiff()
        ok = ratio is not None and ratio >= TARGET_RELADIFF
        passed &= ok
        shown = f"{ratio:.2f}x" if ratio is not None else "n/a"
        _say(f"   golive / reladiff (process wall times): {shown} (target >= "
             f"{TARGET_RELADIFF}x): {'PASS' if ok else 'FAIL'}")
        if golive is not None and join is not None and golive.rate and join.rate:
            _say(f"   golive / SQL join in one database: {golive.rate / join.rate:.2f}x "
                 "(no target)")
        applies = o.rows == TARGET_SIZE
        rate = golive.rate if golive is not None else 0.0
        rss = golive.peak_rss if golive is not None else None
        rate_ok = rate >= TARGET_RATE
        rss_ok = rss is not None and rss <= TARGET_RSS
        note = "" if applies else f" (the target applies at {TARGET_SIZE:,}: not judged)"
        _say(f"   golive rows/s: {rate:,.0f} (target >= {TARGET_RATE:,}): "
             f"{('PASS' if rate_ok else 'FAIL') if applies else 'n/a'}{note}")
        _say(f"   golive peak RSS: {_mib(rss)} (target <= {_mib(TARGET_RSS)}): "
             f"{('PASS' if rss_ok else 'FAIL') if applies else 'n/a'}{note}")
        if applies:
            passed &= rate_ok and rss_ok
    if not any(o.rows == TARGET_SIZE for o in outcomes):
        _say(f"note: {TARGET_SIZE:,} accounts were not run: the rows/s and RSS targets were "
             "not judged")
    _say(f"compare benchmark: {'PASS' if passed else 'FAIL'}")
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, action="append",
                        help="accounts per database (repeatable; default 1,000,000 and "
                             "10,000,000)")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV,
                        help="where reladiff gets its own venv (default bench/var/…)")
    parser.add_argument("--no-reladiff", action="store_true", help="leave reladiff out")
    args = parser.parse_args([] if argv is None else argv)
    sizes = tuple(args.accounts or DEFAULT_SIZES)
    if min(sizes) < 10_000:
        parser.error("--accounts must be at least 10000")
    _say(f"compare {' and '.join(f'{n:,}' for n in sizes)} accounts between two PostgreSQL "
         f"databases ({os.cpu_count()} CPUs): golive vs reladiff vs a SQL join")
    exe = None
    if not args.no_reladiff:
        try:
            _say(f"   installing reladiff {legs.RELADIFF_VERSION} in {args.venv} …")
            exe = legs.install_reladiff(args.venv)
        except legs.ReladiffUnavailable as exc:
            _say(f"error: reladiff: {exc}")
            return 3
    try:
        server = start_server()
    except PostgresUnavailable as exc:
        _say(f"error: PostgreSQL: {exc}")
        return 3
    outcomes = []
    try:
        data.tune(server)
        with tempfile.TemporaryDirectory(prefix="golive-bench-compare-") as scratch:
            for rows in sizes:
                _say(f"== {rows:,} accounts")
                outcomes.append(run_size(server, rows, exe, Path(scratch)))
    finally:
        server.stop()
    return 0 if report(outcomes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
