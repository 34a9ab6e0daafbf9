"""README rule 11: charge auto-pay accounts invoiced in this run through their default
method's processor; approved payments become negative ``payment`` transactions."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update

from demo.billing.context import CHUNK, RunContext
from demo.models import Account, Invoice, Payment, PaymentMethod, Transaction
from demo.payments import build_request, event_level, load_processors, send_charge, to_amount

_accounts = cast(Table, Account.__table__)


def _candidates(ctx: RunContext) -> list[Any]:
    """(account, invoice, balance, method…) for auto-pay accounts with a positive balance
    invoiced in this run; the default method first, then the lowest id."""
    rows = ctx.session.execute(
        select(Account.id, Account.number, Account.balance, Invoice.id.label("invoice_id"),
               PaymentMethod.id.label("method_id"), PaymentMethod.kind, PaymentMethod.token,
               PaymentMethod.bank_routing)
        .join(Invoice, Invoice.account_id == Account.id)
        .outerjoin(PaymentMethod, PaymentMethod.account_id == Account.id)
        .where(
            Invoice.bill_run_id == ctx.bill_run_id,
            Account.auto_pay.is_(True),
            Account.status != "closed",
            Account.balance > 0,
        )
        .order_by(Account.id, PaymentMethod.is_default.desc(), PaymentMethod.id)
    )
    first: dict[int, Any] = {}
    for r in rows:
        first.setdefault(r.id, r)
    return list(first.values())


def charge_autopay(ctx: RunContext) -> None:
    candidates = _candidates(ctx)
    processors = load_processors(ctx.session)
    ctx.events.info("payments", f"stage auto-pay: {len(candidates)} accounts to charge")
    for i in range(0, len(candidates), CHUNK):
        _charge_chunk(ctx, candidates[i : i + CHUNK], processors)
        ctx.commit()


def _charge_chunk(ctx: RunContext, rows: list[Any], processors: dict[str, Any]) -> None:
    payments: list[dict[str, Any]] = []
    transactions: list[dict[str, Any]] = []
    balances: list[dict[str, Any]] = []
    paid_invoices: list[dict[str, Any]] = []
    for r in rows:
        if r.method_id is None:
            ctx.events.error("payments", f"auto-pay for {r.number}: no payment method", r.id)
            continue
        processor = processors.get(r.kind)
        if processor is None:
            ctx.events.error("payments", f"auto-pay for {r.number}: no enabled {r.kind} "
                             "payment processor", r.id)
            continue
        amount = to_amount(r.balance)
        body = build_request(processor, amount, ctx.settings.currency,
                             f"BR{ctx.bill_run_id}-{r.number}", ctx.release,
                             token=r.token, routing=r.bank_routing)
        outcome = send_charge(processor, body, ctx.hosts)
        now = dt.datetime.now()
        payments.append(
            {"account_id": r.id, "method_id": r.method_id, "processor_id": processor.id,
             "bill_run_id": ctx.bill_run_id, "amount": amount, "status": outcome.status,
             "gateway_ref": outcome.ref, "message": outcome.message[:300], "source": "autopay",
             "created_at": now}
        )
        if outcome.status == "approved":
            ctx.result.payments_approved += 1
            transactions.append(
                {"account_id": r.id, "bill_run_id": ctx.bill_run_id, "invoice_id": None,
                 "user_package_id": None, "kind": "payment", "amount": -amount,
                 "description": f"Auto-pay via {processor.name} ({outcome.ref})"[:300],
                 "posted_on": ctx.run_date, "period_start": None, "period_end": None,
                 "created_at": now}
            )
            balances.append({"b_id": r.id, "b_paid": amount})
            paid_invoices.append({"id": r.invoice_id, "status": "paid"})
            continue
        if outcome.status == "declined":
            ctx.result.payments_declined += 1
        else:
            ctx.result.payments_failed += 1
        ctx.events.add(event_level(outcome.status), "payments",
                       f"auto-pay of {amount} for {r.number} via {processor.name}: "
                       f"{outcome.status} ({outcome.message})", r.id)
    session = ctx.session
    if payments:
        session.execute(insert(Payment), payments)
    if transactions:
        session.execute(insert(Transaction), transactions)
    if balances:
        session.execute(
            update(_accounts)
            .where(_accounts.c.id == bindparam("b_id"))
            .values(balance=_accounts.c.balance - bindparam("b_paid")),
            balances,
        )
        session.execute(
            update(_accounts)
            .where(_accounts.c.id.in_([b["b_id"] for b in balances]), _accounts.c.balance <= 0)
            .values(past_due_since=None)
        )
    if paid_invoices:
        session.execute(update(Invoice), paid_invoices)
