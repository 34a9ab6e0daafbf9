"""Pooled minutes (README rule 4): a top-level account and all its descendants share the
included minutes of every package in the family; overage goes to the pool owner."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from demo.billing.loaders import AccountRow, MinutePackage, UsageRow
from demo.billing.money import ZERO, cents
from demo.releases import Fault, Release


@dataclass
class PoolRating:
    owner_id: int
    included: int = 0
    rate: Decimal | None = None  # highest overage rate of the pool's minute packages
    used: int = 0
    overage: int = 0
    member_ids: set[int] = field(default_factory=set)  # accounts whose usage was rated
    usage_ids: list[int] = field(default_factory=list)

    def amount(self, default_rate: Decimal) -> Decimal:
        rate = self.rate if self.rate is not None else default_rate
        return cents(Decimal(self.overage) * rate) if self.overage else ZERO


def pool_owners(accounts: dict[int, AccountRow], release: Release) -> dict[int, int]:
    """account id → the id of the account whose pool it belongs to."""
    # REGRESSION(pool-not-shared): every account is its own pool; children lose the
    # parent's minutes.
    if release.has(Fault.POOL_NOT_SHARED):
        return {a: a for a in accounts}
    owners: dict[int, int] = {}
    for start in accounts:
        path: list[int] = []
        node = start
        while node not in owners:
            path.append(node)
            parent = accounts[node].parent_id
            if parent is None or parent not in accounts or parent in path:
                owners[node] = node  # a top-level account (or a cycle in bad data)
                break
            node = parent
        for a in path:
            owners[a] = owners[node]
    return owners


def rate_pools(
    accounts: dict[int, AccountRow],
    minute_packages: list[MinutePackage],
    usage: list[UsageRow],
    release: Release,
    used_before: dict[int, int] | None = None,
) -> dict[int, PoolRating]:
    """Pools keyed by owner. Usage of closed accounts, or of pools whose owner is closed,
    is left unrated. Records are consumed in time order (``usage`` comes sorted).
    ``used_before`` holds minutes a pool already used in this period (a re-run)."""
    owners = pool_owners(accounts, release)
    pools: dict[int, PoolRating] = {}
    for pkg in minute_packages:
        owner = owners.get(pkg.account_id)
        if owner is None or accounts[owner].status == "closed":
            continue
        pool = pools.setdefault(owner, PoolRating(owner))
        pool.included += pkg.included
        if pool.rate is None or pkg.overage_rate > pool.rate:
            pool.rate = pkg.overage_rate
    used_before = used_before or {}
    remaining = {
        owner: max(pool.included - used_before.get(owner, 0), 0) for owner, pool in pools.items()
    }
    for rec in usage:
        owner = owners.get(rec.account_id)
        if (
            owner is None
            or accounts[rec.account_id].status == "closed"
            or accounts[owner].status == "closed"
        ):
            continue
        pool = pools.setdefault(owner, PoolRating(owner))
        left = remaining.get(owner, 0)
        from_pool = min(left, max(rec.minutes, 0))
        remaining[owner] = left - from_pool
        pool.used += rec.minutes
        pool.overage += max(rec.minutes, 0) - from_pool
        pool.member_ids.add(rec.account_id)
        pool.usage_ids.append(rec.id)
    return pools
