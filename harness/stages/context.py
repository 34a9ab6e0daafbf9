"""What the stages of one preparation share: the profile, the record, the target, sinks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.config import Profile
from harness.record import Outcome, RunRecord
from harness.sinks import HttpSink, SmtpSink
from harness.started import Ledger
from harness.targets.base import Target
from harness.targets.capabilities import PaymentSandbox
from harness.targets.views import BillRunView

StageFn = Callable[["StageContext"], tuple[Outcome, dict[str, Any]]]


@dataclass
class StageContext:
    profile: Profile
    record: RunRecord
    target: Target
    backup: dict[str, Any] = field(default_factory=dict)  # the backup stage's evidence
    sinks: list[SmtpSink | HttpSink] = field(default_factory=list)  # running
    payment: PaymentSandbox | None = None
    redirected: dict[str, Any] = field(default_factory=dict)
    bill_run: BillRunView | None = None
    started_at: dt.datetime | None = None
    # what this preparation started and must stop on every exit path (see harness.started)
    ledger: Ledger = field(default_factory=lambda: Ledger(None))
    billing: str | None = None  # the billing service, from the bill run until it is stopped
    # a reuse run: what the sinks captured while staging was prepared, replayed as evidence
    replayed: dict[str, list[Any]] = field(default_factory=dict)
    raw_in_staging: bool = False  # the restore began and sanitizing has not finished
    # what each sink (by kind) captured so far, as the record keeps it: taken once each
    taken: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def run_date(self) -> dt.date:
        return self.profile.bill_run.date
