"""README rule 8: suspend accounts that are past due for too long, and tell the switches."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select, update

from demo.billing.context import RunContext, batches
from demo.billing.delivery import provisioning_urls, send_requests
from demo.models import Account, Product, UserPackage


def past_due_accounts(ctx: RunContext) -> set[int]:
    """Accounts with an overdue invoice on the run date (they get the late fee)."""
    return {
        a.id
        for a in ctx.accounts.values()
        if a.past_due_since is not None and a.past_due_since < ctx.run_date and a.status != "closed"
    }


def suspend_past_due(ctx: RunContext) -> None:
    limit = ctx.settings.suspend_after_days
    to_suspend = sorted(
        a.id
        for a in ctx.accounts.values()
        if a.status == "active"
        and a.past_due_since is not None
        and (ctx.run_date - a.past_due_since).days > limit
    )
    ctx.events.info("billing", f"stage past-due: {len(to_suspend)} accounts past due more than "
                    f"{limit} days will be suspended")
    if not to_suspend:
        return
    ctx.session.execute(
        update(Account), [{"id": a, "status": "suspended"} for a in to_suspend]
    )
    for a in to_suspend:
        ctx.accounts[a] = dataclasses.replace(ctx.accounts[a], status="suspended")
        ctx.events.info("billing", f"account {ctx.accounts[a].number} suspended: past due since "
                        f"{ctx.accounts[a].past_due_since}", a)
    ctx.result.accounts_suspended = len(to_suspend)
    urls = provisioning_urls(ctx)
    for chunk in batches(to_suspend):
        items = [
            (r.account_id, ctx.accounts[r.account_id].number, r.id, r.code, r.service)
            for r in ctx.session.execute(
                select(UserPackage.account_id, UserPackage.id, Product.code, Product.service)
                .join(Product, Product.id == UserPackage.product_id)
                .where(
                    UserPackage.account_id.in_(chunk),
                    UserPackage.status == "active",
                    UserPackage.provisioned.is_(True),
                    Product.service.is_not(None),
                )
                .order_by(UserPackage.account_id, UserPackage.id)
            )
        ]
        send_requests(ctx, "suspend", items, urls)
        ctx.commit()
