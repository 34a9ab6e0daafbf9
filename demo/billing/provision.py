"""README rule 9: activate services that are not provisioned yet."""

from __future__ import annotations

from sqlalchemy import or_, select

from demo.billing.context import CHUNK, RunContext
from demo.billing.delivery import mark_provisioned, provisioning_urls, send_requests
from demo.models import Account, Product, UserPackage


def activate_services(ctx: RunContext) -> None:
    rows = ctx.session.execute(
        select(UserPackage.account_id, Account.number, UserPackage.id, Product.code,
               Product.service)
        .join(Product, Product.id == UserPackage.product_id)
        .join(Account, Account.id == UserPackage.account_id)
        .where(
            UserPackage.status == "active",
            UserPackage.provisioned.is_(False),
            Product.service.is_not(None),
            UserPackage.start_date <= ctx.run_date,
            or_(UserPackage.end_date.is_(None), UserPackage.end_date >= ctx.run_date),
            Account.status == "active",
        )
        .order_by(UserPackage.account_id, UserPackage.id)
    ).all()
    ctx.events.info("provisioning", f"stage provisioning: {len(rows)} services to activate")
    urls = provisioning_urls(ctx)
    items = [tuple(r) for r in rows]
    for i in range(0, len(items), CHUNK):
        ok = send_requests(ctx, "activate", items[i : i + CHUNK], urls)  # type: ignore[arg-type]
        mark_provisioned(ctx, ok)
        ctx.commit()
