"""The demo's account families: sub-accounts, and the minute pool a family shares."""

from __future__ import annotations

from sqlalchemy import select

from demo.models import Account, MinuteBucket
from harness.targets.demo.database import DemoDatabase
from harness.targets.views import PoolView


class DemoSubAccounts:
    """Children of an account (``accounts.parent_id``)."""

    def __init__(self, db: DemoDatabase) -> None:
        self.db = db

    def children(self, ref: str) -> list[str]:
        with self.db.session() as session:
            parent = self.db.require(session, ref)
            return list(session.scalars(select(Account.number)
                                        .where(Account.parent_id == parent)
                                        .order_by(Account.number)))


class DemoPools:
    """Minute buckets, one per family and bill run, held by the top-level account."""

    def __init__(self, db: DemoDatabase) -> None:
        self.db = db

    def pool(self, ref: str, bill_run_id: int | None = None) -> PoolView | None:
        with self.db.session() as session:
            owner = session.get(Account, self.db.require(session, ref))
            assert owner is not None
            while owner.parent_id is not None:
                parent = session.get(Account, owner.parent_id)
                assert parent is not None
                owner = parent
            query = select(MinuteBucket).where(MinuteBucket.account_id == owner.id)
            if bill_run_id is not None:
                query = query.where(MinuteBucket.bill_run_id == bill_run_id)
            bucket = session.scalars(
                query.order_by(MinuteBucket.period_start.desc(), MinuteBucket.id.desc())
            ).first()
            if bucket is None:
                return None
            return PoolView(owner=owner.number, included=bucket.included_minutes,
                            used=bucket.used_minutes, overage=bucket.overage_minutes,
                            bill_run_id=bucket.bill_run_id)
