"""One comparison: the staging population against the stored baseline, dataset by dataset.

The baseline must be of this bill run (another date is refused, never compared) and of
these queries. Each dataset is type-checked first (`preflight`), then compared by the
two-phase method when both sides are PostgreSQL, else by a streaming merge. Staging and
the baseline are read through read-only connections; the complete list of differences
goes to a CSV file, the record keeps counts, findings and the first differences.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from common.dsn import Dsn
from harness.baseline.buckets import supported, two_phase
from harness.baseline.capture import BaselineRefused
from harness.baseline.differences import DifferenceSink
from harness.baseline.merge import merge
from harness.baseline.preflight import preflight
from harness.baseline.profile import Population
from harness.baseline.readonly import read_only_engine
from harness.baseline.sources import RowSource
from harness.baseline.store import BaselineStore
from harness.record import BaselineInfo, PopulationSection

__all__ = ["check_baseline", "compare"]


def check_baseline(info: BaselineInfo | None, store: BaselineStore, population: Population,
                   run_date: dt.date) -> BaselineInfo:
    """The baseline, if it can serve a comparison of ``run_date``; BaselineRefused if not."""
    if info is None:
        raise BaselineRefused(f"there is no baseline at {store.location}: capture production's "
                              "results first (golive baseline capture)")
    if info.bill_run_date != run_date.isoformat():
        raise BaselineRefused(
            f"the baseline at {store.location} holds production's results of the bill run of "
            f"{info.bill_run_date}, and this comparison is of the bill run of {run_date}: a "
            "baseline of another bill run is never compared (capture it again: golive "
            "baseline capture)")
    if info.population_digest != population.digest():
        raise BaselineRefused(f"the population queries changed since the baseline at "
                              f"{store.location} was captured ({info.captured_at}): capture "
                              "it again (golive baseline capture)")
    return info


def compare(population: Population, store: BaselineStore, staging: Dsn, run_date: dt.date,
            csv_path: Path) -> PopulationSection:
    """Compare staging with the baseline; every difference is written to ``csv_path``."""
    info = check_baseline(store.provenance(), store, population, run_date)
    started = time.perf_counter()
    engine = read_only_engine(staging.reveal())
    sink = DifferenceSink(csv_path, population.shown)
    try:
        for name, dataset in population.datasets.items():
            counts = sink.start(name, dataset)
            baseline = store.source(name, dataset)
            current = RowSource(engine, dataset.query, name, dataset, "staging", run_date)
            preflight(name, dataset, info.column_types.get(name, {}), current.describe())
            if supported(dataset, baseline, current):
                left, right, method = two_phase(baseline, current, info.rows.get(name, 0), name,
                                                sink)
            else:
                left, right = merge(baseline.rows(), current.rows(), len(dataset.key), name, sink)
                method = "streaming merge in key order"
            counts.production_rows, counts.staging_rows, counts.method = left, right, method
    finally:
        sink.close()
        engine.dispose()
        store.close()
    return PopulationSection(
        baseline=info, threshold=population.threshold, beyond=sink.beyond,
        seconds=round(time.perf_counter() - started, 3), datasets=list(sink.counts.values()),
        findings=sink.findings(), differences=sink.differences, shown=population.shown,
        csv=str(csv_path), csv_rows=sink.rows_written)
