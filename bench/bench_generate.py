"""Benchmark: generate 100,000 accounts on SQLite (target: <= 60 s).

    .venv/bin/python bench/bench_generate.py [--accounts N] [--url URL] [--seed S]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from demo.generate import generate

TARGET_SECONDS = 60.0
TARGET_ACCOUNTS = 100_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=TARGET_ACCOUNTS)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-generate-") as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        try:
            summary = generate(url, args.accounts, args.seed)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    rate = summary.accounts / summary.seconds if summary.seconds else float("inf")
    print(f"generated {summary.accounts:,} accounts, {summary.contacts:,} contacts, "
          f"{summary.user_packages:,} packages, {summary.usage_records:,} usage records "
          f"into {summary.url}")
    print(f"time: {summary.seconds:.1f} s ({rate:,.0f} accounts/s)")
    scaled = summary.seconds * TARGET_ACCOUNTS / max(summary.accounts, 1)
    verdict = "OK" if scaled <= TARGET_SECONDS else "TOO SLOW"
    print(f"target: <= {TARGET_SECONDS:.0f} s for {TARGET_ACCOUNTS:,} accounts "
          f"(this run scales to {scaled:.1f} s): {verdict}")
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    sys.exit(main())
