"""Benchmark: golive's own cost as accounts and scenarios grow (targets below).

    .venv/bin/python -m bench scale [--sizes 1000,10000,100000] [--scenarios 2000,10000]

Accounts: the whole demo pipeline (`golive run -n 2`, every feature) at each size,
production made once per size and kept under bench/var/scale. Per stage and for
the rest of the run (start, features, finish) it prints the wall seconds and the
CPU seconds that were the platform's own (its billing service, its portals, its
restore) and golive's own (see bench/scale_measure.py for how they are told
apart). Target: golive's own work at 100,000 accounts <= 60 CPU s (a smaller
largest size is scaled linearly to 100,000 and says so).

Scenarios: a generated Scenario Outline of N rows with one trivial step, through
`golive run` on a minimal in-memory target, against the same feature under plain
pytest-bdd with golive's plugin off. Target: golive's overhead <= 5 ms CPU per
scenario at 10,000 scenarios.
"""

from __future__ import annotations

import argparse
import sys

from bench import scale_accounts, scale_measure, scale_scenarios

ACCOUNTS_TARGET = 60.0  # golive's own CPU seconds at TARGET_ACCOUNTS
TARGET_ACCOUNTS = 100_000
SCENARIO_TARGET_MS = 5.0
TARGET_SCENARIOS = 10_000
VAR = scale_measure.ROOT / "bench" / "var" / "scale"


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(s.replace("_", "")) for s in text.split(",") if s.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of whole numbers: {text!r}") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive: {text!r}")
    return sizes


def _say(line: str = "") -> None:
    print(line, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench scale", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=_sizes, default=[1000, 10_000, 100_000],
                        help="accounts per pipeline run, comma-separated")
    parser.add_argument("--scenarios", type=_sizes, default=[2000, 10_000],
                        help="rows of the generated outline, comma-separated")
    parser.add_argument("--workers", type=int, default=2, help="golive run -n (default 2)")
    parser.add_argument("--no-samples", action="store_true",
                        help="no py-spy: CPU per process only, no golive/platform split")
    parser.add_argument("--skip-accounts", action="store_true")
    parser.add_argument("--skip-scenarios", action="store_true")
    args = parser.parse_args(argv)
    VAR.mkdir(parents=True, exist_ok=True)
    verdicts: list[bool] = []
    if not args.skip_accounts:
        verdicts.append(_accounts(args.sizes, args.workers, args.no_samples))
    if not args.skip_scenarios:
        verdicts.append(_scenarios(args.scenarios))
    return 0 if all(verdicts) else 1


# -- accounts ---------------------------------------------------------------------------

def _accounts(sizes: list[int], workers: int, no_samples: bool) -> bool:
    py_spy = None
    if not no_samples:
        try:
            py_spy = scale_measure.install_py_spy(VAR.parent / "py-spy-venv")
        except scale_measure.SamplerUnavailable as exc:
            _say(f"py-spy unavailable ({exc}): no golive/platform split, so no verdict")
    runs = []
    for accounts in sizes:
        _say(f"-- {accounts:,} accounts (load average {scale_measure.load()})")
        done = scale_accounts.run(VAR / f"accounts-{accounts}", accounts, workers, py_spy)
        _show_accounts(done)
        runs.append(done)
    return _accounts_verdict(runs)


def _show_accounts(done: scale_accounts.AccountsRun) -> None:
    if done.made_production is not None:
        _say(f"   production made once (the platform's generator and bill run on 1.0, not "
             f"part of the run): {done.made_production:.1f} s")
    cpu = done.cpu
    total = sum(cpu.values())
    _say(f"   golive run -n: wall {done.wall:.1f} s; CPU {total:.1f} s = pytest processes "
         f"{cpu.get('pytest', 0):.1f} + golive run {cpu.get('golive-cli', 0):.1f} + billing "
         f"service {cpu.get('billing-service', 0):.1f} + browser {cpu.get('browser', 0):.1f}"
         f" + other {cpu.get('other', 0):.1f}; load average after {done.load_after}")
    split = done.split
    stages = done.stages
    _say(f"   {'part of the run':34} {'wall s':>8} {'golive CPU s':>13} {'platform CPU s':>15}")
    for name, seconds in stages.items():
        key = f"stage {name}"
        golive = split.golive.get(key, 0.0) if split else 0.0
        platform = 0.0
        if split and name == "bill_run":
            platform = split.platform.get("the bill run (billing service)", 0.0)
        _say(f"   {key:34} {seconds:8.1f} {golive:13.1f} {platform:15.1f}")
    rest = scale_accounts.features_wall(done.record, done.wall)
    if split:
        for part in sorted(set(split.golive) - {f"stage {n}" for n in stages}):
            _say(f"   {part:34} {'':>8} {split.golive[part]:13.1f} {'':>15}")
        for part in sorted(set(split.platform) - {"the bill run (billing service)"}):
            _say(f"   {'platform: ' + part:34} {'':>8} {'':>13} {split.platform[part]:15.1f}")
    _say(f"   {'start, features, finish (wall)':34} {rest:8.1f}")
    if split:
        share = split.golive_total / max(split.golive_total + split.platform_total, 1e-9)
        _say(f"   golive's own work: {split.golive_total:.1f} CPU s, the platform's "
             f"{split.platform_total:.1f} CPU s (golive {share:.0%} of the Python work; "
             f"browser {cpu.get('browser', 0):.1f} CPU s not counted on either side; "
             f"{split.samples:,} samples, {split.idle:,} idle)")
    for problem in done.problems:
        _say(f"   FAILED: {problem}")


def _accounts_verdict(runs: list[scale_accounts.AccountsRun]) -> bool:
    if not runs:
        return True
    failed = [r for r in runs if r.problems]
    largest = max(runs, key=lambda r: r.accounts)
    if largest.split is None:
        _say(f"golive's own work at {TARGET_ACCOUNTS:,} accounts: not measured (no samples) "
             f"(target <= {ACCOUNTS_TARGET:.0f} CPU s): FAIL")
        return False
    measured = sorted((r for r in runs if r.split is not None), key=lambda r: r.accounts)
    if largest.accounts == TARGET_ACCOUNTS:
        own, how = largest.split.golive_total, "measured"
    elif len(measured) >= 2:  # a fixed cost and a cost per account, through the two largest
        low, high = measured[-2], measured[-1]
        assert low.split is not None and high.split is not None
        slope = (high.split.golive_total - low.split.golive_total) / (high.accounts - low.accounts)
        own = high.split.golive_total + slope * (TARGET_ACCOUNTS - high.accounts)
        how = f"extrapolated from {low.accounts:,} and {high.accounts:,} accounts"
    else:
        _say(f"golive's own work at {TARGET_ACCOUNTS:,} accounts: NOT MEASURED (run "
             f"--sizes with {TARGET_ACCOUNTS}, or two sizes to extrapolate from) "
             f"(target <= {ACCOUNTS_TARGET:.0f} CPU s): FAIL")
        return False
    ok = own <= ACCOUNTS_TARGET and not failed
    _say(f"golive's own work at {TARGET_ACCOUNTS:,} accounts: {own:.1f} CPU s ({how}) "
         f"(target <= {ACCOUNTS_TARGET:.0f} CPU s on 2 cores): {'PASS' if ok else 'FAIL'}")
    if failed:
        _say(f"   FAILED runs (figures of an incomplete run do not count): "
             f"{', '.join(f'{r.accounts:,}' for r in failed)}")
    return ok


# -- scenarios --------------------------------------------------------------------------

def _scenarios(sizes: list[int]) -> bool:
    if not sizes:
        return True
    runs = []
    for rows in sizes:
        _say(f"-- {rows:,} scenarios (load average {scale_measure.load()})")
        done = scale_scenarios.run(VAR / f"scenarios-{rows}", rows)
        _say(f"   golive run: wall {done.golive_wall:.1f} s, CPU {done.golive_cpu:.1f} s; "
             f"plain pytest-bdd: wall {done.plain_wall:.1f} s, CPU {done.plain_cpu:.1f} s")
        _say(f"   golive's overhead per scenario: {done.overhead_ms:.2f} ms CPU "
             f"({done.overhead_wall_ms:.2f} ms wall)")
        for problem in done.problems:
            _say(f"   FAILED: {problem}")
        runs.append(done)
    if len(runs) > 1:
        low, high = runs[0], runs[-1]
        extra = ((high.golive_cpu - high.plain_cpu) - (low.golive_cpu - low.plain_cpu)) / \
            (high.scenarios - low.scenarios) * 1000
        _say(f"   each scenario more ({low.scenarios:,} → {high.scenarios:,}): "
             f"{extra:.2f} ms CPU of golive's (no target: its fixed cost left out)")
    largest = runs[-1]
    how = "measured" if largest.scenarios == TARGET_SCENARIOS else \
        f"at {largest.scenarios:,} scenarios"
    ok = largest.overhead_ms <= SCENARIO_TARGET_MS and not any(r.problems for r in runs)
    _say(f"golive's overhead per scenario at {TARGET_SCENARIOS:,} scenarios: "
         f"{largest.overhead_ms:.2f} ms CPU ({how}) (target <= {SCENARIO_TARGET_MS:.0f} ms): "
         f"{'PASS' if ok else 'FAIL'}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
