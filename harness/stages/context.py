"""What the stages of one preparation share: the profile, the record, the target, sinks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.config import Profile
from harness.record import Outcome, RunRecord
from harness.targets.base import BillRunView, PaymentSandbox, Target

StageFn = Callable[["StageContext"], tuple[Outcome, dict[str, Any]]]


@dataclass
class StageContext:
    profile: Profile
    record: RunRecord
    target: Target
    backup: dict[str, Any] = field(default_factory=dict)  # the backup stage's evidence
    sinks: list[Any] = field(default_factory=list)  # SmtpSink / HttpSink, running
    payment: PaymentSandbox | None = None
    redirected: dict[str, Any] = field(default_factory=dict)
    bill_run: BillRunView | None = None
    started_at: dt.datetime | None = None
    raw_in_staging: bool = False  # the restore began and sanitizing has not finished

    @property
    def run_date(self) -> dt.date:
        return self.profile.bill_run.date
