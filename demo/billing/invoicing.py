"""README rules 1–7: charge what is due, rate pooled usage, price and write invoices.

Everything is computed in memory from a few set-based reads, then written account
chunk by account chunk; each chunk (invoices, transactions, next bill dates, rated
usage, buckets, balances) commits together, so a run that dies half-way never bills
a committed account twice when it is run again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update

from demo.billing.charges import ChargeLine, bill_package
from demo.billing.context import CHUNK, RunContext, batches
from demo.billing.loaders import (
    load_discounts,
    load_due_packages,
    load_minute_packages,
    load_pending_adjustments,
    load_plan_prices,
    load_unrated_usage,
)
from demo.billing.money import ZERO
from demo.billing.pastdue import past_due_accounts
from demo.billing.pricing import InvoiceDraft, price_invoice
from demo.billing.rating import PoolRating, rate_pools
from demo.calendar import add_months
from demo.models import Account, Invoice, MinuteBucket, Transaction, UsageRecord, UserPackage
from demo.releases import Fault

_accounts = cast(Table, Account.__table__)


def bucket_period(run_date: dt.date) -> tuple[dt.date, dt.date]:
    """The usage period a run's minute buckets cover: the month before the run date."""
    return add_months(run_date, -1), run_date - dt.timedelta(days=1)


def _existing_buckets(ctx: RunContext, period_start: dt.date) -> dict[int, tuple[int, int]]:
    rows = ctx.session.execute(
        select(MinuteBucket.account_id, MinuteBucket.id, MinuteBucket.used_minutes).where(
            MinuteBucket.period_start == period_start
        )
    )
    return {a: (bucket_id, used) for a, bucket_id, used in rows}


def _invoice_numbers(ctx: RunContext, prefix: str) -> set[str]:
    return set(ctx.session.scalars(select(Invoice.number).where(Invoice.number.like(f"{prefix}%"))))


def invoice_accounts(ctx: RunContext) -> None:
    session, run_date, release = ctx.session, ctx.run_date, ctx.release
    packages = load_due_packages(session, run_date)
    plan_prices = load_plan_prices(session)
    discounts = load_discounts(session)
    pending = load_pending_adjustments(session, run_date)
    late_fee_accounts = past_due_accounts(ctx) if ctx.settings.late_fee is not None else set()
    ctx.events.info("billing", f"stage charges: {len(packages)} packages due on or before "
                    f"{run_date}")

    charges: dict[int, list[ChargeLine]] = {}
    next_dates: dict[int, list[dict[str, Any]]] = {}
    for pkg in packages:
        account = ctx.accounts[pkg.account_id]
        billed = bill_package(pkg, account, plan_prices, run_date, release)
        charges.setdefault(pkg.account_id, []).extend(billed.charges)
        next_dates.setdefault(pkg.account_id, []).append(
            {"id": pkg.id, "next_bill_date": billed.next_bill_date}
        )

    period_start, period_end = bucket_period(run_date)
    existing = _existing_buckets(ctx, period_start)
    usage = load_unrated_usage(session, run_date)
    pools = rate_pools(
        ctx.accounts,
        load_minute_packages(session, run_date),
        usage,
        release,
        used_before={owner: used for owner, (_, used) in existing.items()},
    )
    # A re-run for the same date creates no new bucket for a pool without new usage.
    pools = {o: p for o, p in pools.items() if o not in existing or p.usage_ids}
    ctx.events.info("billing", f"stage rating: {len(usage)} unrated usage records in "
                    f"{len(pools)} pools")

    prefix = f"INV-{run_date:%Y%m%d}-"
    taken = _invoice_numbers(ctx, prefix)
    owners = sorted(set(charges) | set(pools))
    for chunk in [owners[i : i + CHUNK] for i in range(0, len(owners), CHUNK)]:
        drafts: list[InvoiceDraft] = []
        for account_id in chunk:
            account = ctx.accounts[account_id]
            pool = pools.get(account_id)
            usage_amount = pool.amount(ctx.settings.usage_rate_default) if pool else ZERO
            usage_text = (
                f"Usage: {pool.overage} minutes over the pool's {pool.included} included"
                if pool else ""
            )
            draft = price_invoice(
                account_id,
                charges.get(account_id, []),
                usage_amount,
                usage_text,
                discounts.get(account_id, []),
                ctx.settings.tax_rate,
                release,
                late_fee=ctx.settings.late_fee if account_id in late_fee_accounts else None,
                pending=pending.get(account_id),
            )
            if draft is not None:
                drafts.append(draft)
            # REGRESSION(billday31-errors): bill-day-31 accounts log a bogus ERROR although
            # their next bill dates are computed (and they are billed) correctly.
            if release.has(Fault.BILLDAY31_ERRORS) and account.bill_day == 31 and (
                account_id in charges
            ):
                ctx.events.error(
                    "billing",
                    f"next bill date calculation failed for account {account.number} "
                    "(bill day 31)",
                    account_id,
                )
        _write_chunk(ctx, chunk, drafts, next_dates, pools, existing, prefix, taken,
                     (period_start, period_end))
        ctx.commit()
    ctx.events.info(
        "billing",
        f"stage invoices: {ctx.result.invoices} invoices, total {ctx.result.total}",
    )


def _write_chunk(
    ctx: RunContext,
    chunk: list[int],
    drafts: list[InvoiceDraft],
    next_dates: dict[int, list[dict[str, Any]]],
    pools: dict[int, PoolRating],
    existing: dict[int, tuple[int, int]],
    prefix: str,
    taken: set[str],
    period: tuple[dt.date, dt.date],
) -> None:
    session, now = ctx.session, dt.datetime.now()
    invoice_rows = []
    for draft in drafts:
        number = prefix + ctx.accounts[draft.account_id].number
        n = 2
        while number in taken:  # a re-run with new usage on the same date
            number = f"{prefix}{ctx.accounts[draft.account_id].number}-{n}"
            n += 1
        taken.add(number)
        invoice_rows.append(
            {"number": number, "account_id": draft.account_id, "bill_run_id": ctx.bill_run_id,
             "issue_date": ctx.run_date,
             "due_date": ctx.run_date + dt.timedelta(days=ctx.settings.payment_terms_days),
             "subtotal": draft.subtotal, "discount_total": draft.discount_total,
             "tax_total": draft.tax_total, "total": draft.total, "status": "open"}
        )
    invoice_ids: dict[int, int] = {}
    if invoice_rows:
        for inv_id, account_id in session.execute(
            insert(Invoice).returning(Invoice.id, Invoice.account_id), invoice_rows
        ):
            invoice_ids[account_id] = inv_id
    tx_rows = []
    adjustments: list[dict[str, Any]] = []
    for draft in drafts:
        inv_id = invoice_ids[draft.account_id]
        for line in draft.lines:
            tx_rows.append(
                {"account_id": draft.account_id, "bill_run_id": ctx.bill_run_id,
                 "invoice_id": inv_id, "user_package_id": line.user_package_id,
                 "kind": line.kind, "amount": line.amount, "description": line.description,
                 "posted_on": ctx.run_date, "period_start": line.period_start,
                 "period_end": line.period_end, "created_at": now}
            )
        adjustments.extend({"id": i, "invoice_id": inv_id} for i in draft.pending_ids)
        ctx.invoiced.add(draft.account_id)
        ctx.result.invoices += 1
        ctx.result.total += draft.total
    ctx.result.accounts_billed += len(drafts)
    if tx_rows:
        session.execute(insert(Transaction), tx_rows)
    if adjustments:
        session.execute(update(Transaction), adjustments)
    balance_rows = [
        {"b_id": d.account_id, "b_delta": d.balance_delta} for d in drafts if d.balance_delta
    ]
    if balance_rows:
        session.execute(
            update(_accounts)
            .where(_accounts.c.id == bindparam("b_id"))
            .values(balance=_accounts.c.balance + bindparam("b_delta")),
            balance_rows,
        )
    package_rows = [row for a in chunk for row in next_dates.get(a, [])]
    if package_rows:
        session.execute(update(UserPackage), package_rows)
    _write_pools(ctx, [pools[a] for a in chunk if a in pools], existing, period)


def _write_pools(
    ctx: RunContext,
    pools: list[PoolRating],
    existing: dict[int, tuple[int, int]],
    period: tuple[dt.date, dt.date],
) -> None:
    session = ctx.session
    new_rows = []
    updates = []
    usage_ids: list[int] = []
    for pool in pools:
        usage_ids.extend(pool.usage_ids)
        if pool.owner_id in existing:
            bucket_id, _ = existing[pool.owner_id]
            updates.append({"b_id": bucket_id, "b_used": pool.used, "b_over": pool.overage,
                            "b_run": ctx.bill_run_id})
        else:
            new_rows.append(
                {"account_id": pool.owner_id, "bill_run_id": ctx.bill_run_id,
                 "period_start": period[0], "period_end": period[1],
                 "included_minutes": pool.included, "used_minutes": pool.used,
                 "overage_minutes": pool.overage}
            )
    if new_rows:
        session.execute(insert(MinuteBucket), new_rows)
    if updates:
        buckets = cast(Table, MinuteBucket.__table__)
        session.execute(
            update(buckets)
            .where(buckets.c.id == bindparam("b_id"))
            .values(
                used_minutes=buckets.c.used_minutes + bindparam("b_used"),
                overage_minutes=buckets.c.overage_minutes + bindparam("b_over"),
                bill_run_id=bindparam("b_run"),
            ),
            updates,
        )
    for ids in batches(usage_ids):
        session.execute(
            update(UsageRecord).where(UsageRecord.id.in_(ids)).values(bill_run_id=ctx.bill_run_id)
        )

