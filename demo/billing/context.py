"""What every stage of one bill run shares."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from demo.billing.events import EventBuffer
from demo.billing.loaders import AccountRow
from demo.billing.result import BillRunResult
from demo.billing.settings import BillingSettings
from demo.outbound.hosts import HostCache
from demo.releases import Release

CHUNK = 2000  # accounts (or deliveries) per commit
ID_BATCH = 1000  # ids per IN (...) list


@dataclass
class RunContext:
    session: Session
    bill_run_id: int
    run_date: dt.date
    release: Release
    settings: BillingSettings
    events: EventBuffer
    result: BillRunResult
    accounts: dict[int, AccountRow]
    hosts: HostCache = field(default_factory=HostCache)
    invoiced: set[int] = field(default_factory=set)  # accounts invoiced in this run

    def commit(self) -> None:
        """Write buffered events and commit: the unit of progress of a run."""
        self.events.flush(self.session)
        self.session.commit()


def batches(items: list[int], size: int = ID_BATCH) -> list[list[int]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
