"""The demo's production schedule: the nightly pre-bill-run backup, then the bill run.

A generated production database carries the billing setting ``bill_run_after_backup``
(the day after ``as_of``). `demo.backup.backup` takes the backup and then runs that bill
run on the database's own release (1.0), in production's world (`demo.world`), as a real
production does the morning after its nightly backup. So production holds the results of
the bill run that staging re-runs on the new release: the baseline golive compares with.

A backup taken after that bill run ran would not be a pre-bill-run backup: `scheduled`
says so and `demo.backup.backup` refuses it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from demo.models import BillingSetting, BillRun

SCHEDULE_KEY = "bill_run_after_backup"


class ScheduleError(ValueError):
    """The schedule setting is not a date."""


@dataclass(frozen=True)
class Schedule:
    """Production's bill run that follows its pre-bill-run backup."""

    run_date: dt.date
    done: bool  # a bill run for run_date (or later) is already in the database


def scheduled(engine: Engine) -> Schedule | None:
    """The database's scheduled bill run, or None when it has none (not the demo's
    production: a staging copy, a hand-built database)."""
    with engine.connect() as conn:
        text = conn.scalar(select(BillingSetting.value).where(BillingSetting.key == SCHEDULE_KEY))
        if text is None:
            return None
        try:
            run_date = dt.date.fromisoformat(str(text).strip())
        except ValueError:
            raise ScheduleError(f"billing setting {SCHEDULE_KEY} is not a date: {text!r}") from None
        later = conn.scalar(select(func.count()).select_from(BillRun)
                            .where(BillRun.run_date >= run_date))
    return Schedule(run_date, bool(later))


@dataclass(frozen=True)
class ProductionBillRun:
    """What production's scheduled bill run did."""

    run_date: dt.date
    release: str
    bill_run_id: int
    invoices: int
    total: str
    errors: int
    world: dict[str, int]  # what production's gateway, provisioning and mail server received


def run_scheduled(engine: Engine, schedule: Schedule, release: str) -> ProductionBillRun:
    """Production's bill run for ``schedule.run_date`` on ``release``, in production's world."""
    from demo.billing import run_bill_run
    from demo.releases import get_release
    from demo.world import production_world

    with production_world(engine) as world:
        result = run_bill_run(engine, schedule.run_date, get_release(release))
    return ProductionBillRun(run_date=schedule.run_date, release=release,
                             bill_run_id=result.bill_run_id, invoices=result.invoices,
                             total=str(result.total), errors=result.errors, world=dict(world))
