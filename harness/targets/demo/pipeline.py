"""The demo target's part of the staging pipeline: restore, bill run, billing service.

Restore uses the demo's manifest-checked backup and then deploys the target's
release on it; the bill run goes through the demo's billing service, as a
staging bill run does on a real platform. Every write asks the guard first.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from demo import service
from demo.backup import find_manifest
from demo.backup import restore as demo_restore
from demo.upgrade import upgrade
from harness.safety import safe_dsn
from harness.targets.base import ServiceAction, TargetError
from harness.targets.demo.core import DemoCore
from harness.targets.demo.database import DemoDatabase, demo_errors, open_demo_database
from harness.targets.views import BillRunView

SERVICE_POLL = 0.5  # seconds between the billing service's looks for a bill-run request


class DemoPipeline:
    """Restore, bill run and billing service of one demo database."""

    def __init__(self, db: DemoDatabase, core: DemoCore) -> None:
        self.db = db
        self.core = core

    @demo_errors
    def restore(self, backup: Path) -> dict[str, Any]:
        """Restore the manifest-checked backup, then deploy this target's release on it."""
        self.db.guard()
        manifest = find_manifest(backup)
        stopped = service.stop(self.db.dsn)  # never restore under a running billing service
        self.db.close()
        demo_restore(backup, self.db.dsn)
        engine = open_demo_database(self.db.dsn)
        try:
            changes = upgrade(engine, self.db.release)
        finally:
            engine.dispose()
        return {"backup": str(manifest.path), "sha256": manifest.sha256,
                "backup_release": manifest.release, "seed": manifest.seed,
                "as_of": manifest.as_of, "accounts": manifest.row_counts.get("accounts"),
                "rows": sum(manifest.row_counts.values()), "database": safe_dsn(self.db.dsn),
                "deployed_release": self.db.release.name, "upgrade": changes,
                "stopped_billing_service": stopped.was_running}

    @demo_errors
    def run_bill_run(self, run_date: dt.date) -> BillRunView:
        """Ask the billing service for the bill run and wait for it, as staff would."""
        self.db.guard()
        service.start(self.db.dsn, self.db.release, poll=SERVICE_POLL)
        try:
            outcome = service.request_bill_run(self.db.dsn, run_date)
        except service.ServiceError:
            service.stop(self.db.dsn)  # nothing may bill again behind our back
            raise
        if outcome.status != "done" or outcome.bill_run_id is None:
            service.stop(self.db.dsn)
            raise TargetError(f"the billing service failed bill-run request "
                              f"#{outcome.request_id}: {outcome.message}")
        return self.core.bill_run(outcome.bill_run_id)

    @demo_errors
    def billing_service(self, action: ServiceAction) -> str:
        if action == "status":
            return "running" if service.status(self.db.dsn).running else "stopped"
        self.db.guard()
        if action == "start":
            service.start(self.db.dsn, self.db.release, poll=SERVICE_POLL)
        elif action == "stop":
            service.stop(self.db.dsn)
        else:
            raise TargetError(f"billing_service: unknown action {action!r} (start|stop|status)")
        return self.billing_service("status")
