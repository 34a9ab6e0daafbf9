"""Capture the baseline: production's results of the bill run, read through a read-only
connection into the baseline store, with provenance (where, which bill run and release,
when, how many rows, a digest of every row).

Production is only read: its engine is read-only at the database (`readonly`), so even
a population query that tried to write would be refused by production itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from common.dsn import Dsn
from common.errors import EnvironmentProblem, GoliveError
from harness.baseline.profile import Population
from harness.baseline.readonly import read_only_engine
from harness.baseline.sources import CompareError, Row, RowSource, bound, connect
from harness.baseline.store import BaselineStore
from harness.baseline.values import encode
from harness.record import BaselineInfo, now
from harness.targets.views import BILL_RUN_FINISHED

__all__ = ["BaselineRefused", "CompareError", "ProductionBillRun", "capture", "production_bill_run",
           "stale"]


class BaselineRefused(GoliveError):
    """No baseline can be used for this bill run (exit 2): production has not run it, or
    the stored baseline is of another bill run."""

    headline = "no baseline for this bill run"


@dataclass(frozen=True)
class ProductionBillRun:
    release: str | None
    status: str | None


def production_bill_run(engine: Engine, population: Population, run_date: dt.date
                        ) -> ProductionBillRun | None:
    """Production's bill run of ``run_date`` as ``population.bill_run`` finds it; None
    when the profile gives no such query. BaselineRefused when production has not
    run it, or it did not finish."""
    if population.bill_run is None:
        return None
    with connect(engine, "production") as conn:
        try:
            row = conn.execute(bound(population.bill_run, run_date)).mappings().first()
        except DBAPIError as exc:
            raise EnvironmentProblem("production: population.bill_run failed: "
                                     f"{str(exc.orig).strip().splitlines()[0]}") from None
    if row is None:
        raise BaselineRefused(
            f"production has no bill run of {run_date} (population.bill_run found none): "
            "the baseline is production's results of the bill run staging re-runs, so "
            "production must have run it on its release first")
    values = {str(k).lower(): v for k, v in row.items()}
    status = str(values["status"]) if values.get("status") is not None else None
    if status is not None and status.lower() not in BILL_RUN_FINISHED:
        raise BaselineRefused(f"production's bill run of {run_date} is {status!r}, not "
                              "finished: its results are not a baseline yet")
    release = values.get("release")
    return ProductionBillRun(str(release) if release is not None else None, status)


def stale(info: BaselineInfo | None, population: Population, run_date: dt.date,
          backup_sha256: str | None) -> str | None:
    """Why the stored baseline cannot serve this run (None when it can)."""
    if info is None:
        return "there is no baseline yet"
    if info.bill_run_date != run_date.isoformat():
        return f"it is of the bill run of {info.bill_run_date}, not {run_date}"
    if info.population_digest != population.digest():
        return "the population queries changed since it was captured"
    if backup_sha256 is not None and info.backup_sha256 != backup_sha256:
        shown = (info.backup_sha256 or "none")[:16]
        return f"it was captured for backup {shown}…, not {backup_sha256[:16]}…"
    return None


def capture(population: Population, production: Dsn, store: BaselineStore,
            run_date: dt.date, backup_sha256: str | None) -> BaselineInfo:
    """Read production's population (read-only) into ``store``; returns the provenance."""
    engine = read_only_engine(production.reveal())
    try:
        found = production_bill_run(engine, population, run_date)
        rows: dict[str, int] = {}
        types: dict[str, dict[str, str]] = {}
        digest = hashlib.sha256()
        with store.writer() as writer:
            for name, dataset in population.datasets.items():
                source = RowSource(engine, dataset.query, name, dataset, "production", run_date)
                described = source.describe()
                types[name] = {c: described[c].encode() for c in dataset.columns}
                writer.create(name, dataset, described)
                counter = _Counter()
                digest.update(f"\x1e{name}\n".encode())
                writer.insert(name, dataset, counter.through(source.rows(), digest))
                rows[name] = counter.count
            info = BaselineInfo(
                source=production.masked, bill_run_date=run_date.isoformat(),
                release=found.release if found is not None else None,
                captured_at=now().isoformat(), rows=rows, digest=digest.hexdigest(),
                population_digest=population.digest(), backup_sha256=backup_sha256,
                store=store.location, column_types=types)
            writer.finish(info)
    except DBAPIError as exc:
        raise EnvironmentProblem(f"production: {str(exc.orig).strip().splitlines()[0]}") from None
    finally:
        engine.dispose()
    return info


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    def through(self, rows: Iterator[Row], digest: hashlib._Hash) -> Iterator[Row]:
        for row in rows:
            self.count += 1
            digest.update(("\x1f".join(encode(v) for v in row) + "\n").encode())
            yield row

