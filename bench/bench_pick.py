"""Benchmark: `golive accounts pick --n 12` over 100,000 demo accounts (target: <= 30 s).

The demo's production (``demo.generate``, seed 42) after its bill run on release 1.0 is
made once into ``bench/var/`` and reused; what is timed is the whole pick as the CLI does
it: the profile's ``population.features`` query on production (read-only, streamed),
the buckets, the greedy cover and writing the checklist file. It also prints the peak
memory of the process, the distinct configurations kept, and the coverage.

    .venv/bin/python -m bench.bench_pick [--accounts N] [--n 12]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import shutil
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 30.0
TARGET_ACCOUNTS = 100_000
RUN_DATE = dt.date(2026, 11, 1)


def production(accounts: int) -> Path:
    """The billed production database of ``accounts`` accounts, made once."""
    from demo.billing import run_bill_run
    from demo.generate import generate
    from demo.paths import open_database
    from demo.releases import get_release

    path = ROOT / "bench" / "var" / f"pick-production-{accounts}.db"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".making")
    scratch.unlink(missing_ok=True)
    started = time.perf_counter()
    generate(f"sqlite:///{scratch}", accounts, 42)
    engine = open_database(f"sqlite:///{scratch}")
    try:
        run_bill_run(engine, RUN_DATE, get_release("1.0"))
    finally:
        engine.dispose()
    scratch.rename(path)
    print(f"made {path} in {time.perf_counter() - started:.0f} s (not timed)")
    return path


def project(db: Path, folder: Path) -> Path:
    """The project's own profile, on ``db``, writing its checklist into ``folder``."""
    profile = yaml.safe_load((ROOT / "golive.yaml").read_text())
    profile["environments"]["production"]["dsn"] = f"sqlite:///{db}"
    profile["environments"]["staging"]["dsn"] = f"sqlite:///{folder / 'staging.db'}"
    profile["checklists"]["dir"] = str(folder / "checklists")
    profile["sanitize"]["rules"] = str(ROOT / "sanitize" / "rules" / "demo.yaml")
    (folder / "checklists").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "checklists" / "critical.yaml", folder / "checklists")
    path = folder / "golive.yaml"
    path.write_text(yaml.safe_dump(profile, sort_keys=False))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=TARGET_ACCOUNTS)
    parser.add_argument("--n", type=int, default=12)
    args = parser.parse_args(argv)
    from harness.config import load_profile
    from harness.picker.pick import pick

    db = production(args.accounts)
    folder = ROOT / "bench" / "var" / "pick-project"
    shutil.rmtree(folder, ignore_errors=True)
    profile = load_profile(project(db, folder))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    done = pick(profile, args.n)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"picked {len(done.picks)} of {done.accounts:,} accounts: {done.covered} of "
          f"{done.pairs.universe} configurations covered, from "
          f"{len(done.pairs.candidates):,} distinct configurations")
    print("  " + ", ".join(e.account for e in done.entries))
    print(f"time: {seconds:.2f} s; peak memory {peak / 1024:.0f} MiB "
          f"(before the pick {before / 1024:.0f} MiB)")
    scaled = seconds * TARGET_ACCOUNTS / max(done.accounts, 1)
    verdict = "OK" if scaled <= TARGET_SECONDS else "TOO SLOW"
    print(f"target: <= {TARGET_SECONDS:.0f} s for {TARGET_ACCOUNTS:,} accounts "
          f"(this run scales to {scaled:.1f} s): {verdict}")
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    sys.exit(main())
