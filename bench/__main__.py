"""Run every benchmark (``python -m bench``) or the named ones (``python -m bench generate``).

Benchmarks are modules ``bench/bench_<name>.py`` with a ``main() -> int``
that prints its figure and its target and returns 0 when the target is met.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench


def main(argv: list[str]) -> int:
    names = sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules(bench.__path__)
        if m.name.startswith("bench_")
    )
    chosen = argv or names
    unknown = [n for n in chosen if n not in names]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(names)}")
        return 2
    worst = 0
    for name in chosen:
        print(f"== bench {name}")
        module = importlib.import_module(f"bench.bench_{name}")
        sys.argv = [f"bench {name}"]  # each benchmark parses its own (default) options
        worst = max(worst, int(module.main()))
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
