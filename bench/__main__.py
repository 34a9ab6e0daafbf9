"""Run every benchmark (``python -m bench``) or the named ones (``python -m bench generate``).

Benchmarks are modules ``bench/bench_<name>.py`` with a ``main() -> int``
that prints its figure and its target and returns 0 when the target is met.
Options after one name are that benchmark's (``python -m bench scale --sizes 1000``).
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
    options = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    chosen, extra = argv[:options] or names, argv[options:]
    if extra and len(chosen) != 1:
        print("options go to one benchmark: python -m bench NAME [OPTIONS]")
        return 2
    unknown = [n for n in chosen if n not in names]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(names)}")
        return 2
    worst = 0
    for name in chosen:
        print(f"== bench {name}")
        module = importlib.import_module(f"bench.bench_{name}")
        sys.argv = [f"bench {name}", *extra]  # each benchmark parses its own options
        worst = max(worst, int(module.main()))
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
