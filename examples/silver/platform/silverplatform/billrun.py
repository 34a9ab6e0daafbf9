"""The bill run (silver's own ``generate_docs --date``) and the state of the billing side.

silver has no billing daemon: a scheduler (cron, Celery beat) runs ``generate_docs`` once per
billing day. This wrapper runs that very command in-process, refuses a date silver would bill
wrongly against the machine clock, records a pid file while it runs (so ``status`` can say
``running`` or ``stopped``), and prints what the run wrote, read back from silver's tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from silverplatform import dates
from silverplatform.dsn import Database
from silverplatform.errors import PlatformFailed, Refused


def _run_dir() -> Path:
    from django.conf import settings

    path = Path(settings.VAR) / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path


def pid_file(db: Database) -> Path:
    key = hashlib.sha256(db.safe().encode()).hexdigest()[:16]
    return _run_dir() / f"billrun-{key}.json"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running(db: Database) -> dict[str, Any] | None:
    """The bill run in progress on ``db`` (its pid file), or None."""
    path = pid_file(db)
    try:
        info: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return info if _alive(int(info.get("pid", 0))) else None


@contextmanager
def _pid(db: Database, day: dt.date) -> Iterator[None]:
    busy = running(db)
    if busy:
        raise Refused(f"a bill run (pid {busy['pid']}, date {busy['date']}) is already "
                           f"running on {db.safe()}")
    path = pid_file(db)
    path.write_text(json.dumps({"pid": os.getpid(), "date": day.isoformat(),
                                "started_at": dt.datetime.now(dt.UTC).isoformat()}))
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def pending_migrations() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{m.app_label}.{m.name}" for m, _ in plan]


def summary(day: dt.date) -> dict[str, Any]:
    """What silver's tables say the bill run for ``day`` wrote."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*), COUNT(DISTINCT s.customer_id), MIN(bl.created_at), "
            "MAX(bl.created_at) FROM silver_billinglog bl "
            "JOIN silver_subscription s ON s.id = bl.subscription_id "
            "WHERE bl.billing_date = %s", [day])
        logs, customers, first, last = cur.fetchone()
        cur.execute(
            "SELECT d.kind, d.currency, d.state, COUNT(*), SUM(d._total) "
            "FROM silver_billingdocumentbase d WHERE d.id IN ("
            " SELECT COALESCE(bl.proforma_id, bl.invoice_id) FROM silver_billinglog bl"
            " WHERE bl.billing_date = %s) GROUP BY d.kind, d.currency, d.state "
            "ORDER BY d.kind, d.currency, d.state", [day])
        docs = [{"kind": k, "currency": c, "state": s, "count": n,
                 "total": str(Decimal(str(t or 0)).quantize(Decimal("0.01")))}
                for k, c, s, n, t in cur.fetchall()]
    return {"date": day.isoformat(), "billing_logs": logs, "customers": customers,
            "documents": docs, "first_log_at": str(first) if first else None,
            "last_log_at": str(last) if last else None}


def bill_run(db: Database, day: dt.date, today: dt.date | None = None) -> dict[str, Any]:
    """Run ``generate_docs --date day``; raise Refused before starting if it cannot."""
    problem = dates.check_run_date(day, today or dt.date.today())
    if problem:
        raise Refused(problem)
    pending = pending_migrations()
    if pending:
        raise Refused(f"{len(pending)} migrations are not applied ({pending[0]} …): run "
                           "'silverctl ENV migrate' first")
    before = summary(day)["billing_logs"]
    with _pid(db, day):
        t0 = time.perf_counter()
        try:
            call_command("generate_docs", f"--date={day.isoformat()}", verbosity=0)
        except Exception as exc:  # the platform's own failure: report it whole, then fail
            traceback.print_exc()
            raise PlatformFailed(f"generate_docs --date {day} failed: "
                               f"{type(exc).__name__}: {exc}") from None
        seconds = time.perf_counter() - t0
    result = summary(day)
    result["seconds"] = round(seconds, 2)
    result["already_billed_before"] = before
    return result
