"""The bill run: its stages in order, each committed as it goes (README rules 1–12)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, update

from demo.billing.autopay import charge_autopay
from demo.billing.context import RunContext
from demo.billing.emails import email_invoices
from demo.billing.events import EventBuffer
from demo.billing.invoicing import invoice_accounts
from demo.billing.loaders import load_accounts
from demo.billing.pastdue import suspend_past_due
from demo.billing.provision import activate_services
from demo.billing.result import BillRunResult
from demo.billing.settings import load_settings
from demo.db import session_factory
from demo.models import BillRun
from demo.releases import Release, get_release

STAGES = (suspend_past_due, invoice_accounts, activate_services, email_invoices, charge_autopay)


def run_bill_run(engine: Engine, run_date: dt.date, release: Release | str) -> BillRunResult:
    """Bill everything due on ``run_date``. Per-account failures are logged and skipped;
    running it again for the same date bills nothing twice. Raises BillingConfigError
    (before anything is written) when the billing settings are unusable."""
    if isinstance(release, str):
        release = get_release(release)
    with session_factory(engine)() as session:
        settings = load_settings(session)
        run = BillRun(run_date=run_date, release=release.name, status="running",
                      started_at=dt.datetime.now())
        session.add(run)
        session.commit()
        ctx = RunContext(
            session=session,
            bill_run_id=run.id,
            run_date=run_date,
            release=release,
            settings=settings,
            events=EventBuffer(run.id),
            result=BillRunResult(run.id, run_date),
            accounts=load_accounts(session),
        )
        ctx.events.info("billing", f"bill run {run.id} for {run_date} started "
                        f"(release {release.name})")
        ctx.commit()
        try:
            for stage in STAGES:
                stage(ctx)
                ctx.commit()
        except BaseException:
            session.rollback()
            _finish(ctx, "failed")
            raise
        result = ctx.result
        ctx.events.info(
            "billing",
            f"bill run {run.id} finished: {result.invoices} invoices, total {result.total}, "
            f"{result.emails_sent} emails, {result.provisioning_sent} provisioning requests, "
            f"payments {result.payments_approved} approved / {result.payments_declined} "
            f"declined / {result.payments_failed} failed, {ctx.events.errors} errors",
        )
        _finish(ctx, "done")
        return result


def _finish(ctx: RunContext, status: str) -> None:
    ctx.result.errors = ctx.events.errors
    ctx.events.flush(ctx.session)
    ctx.session.execute(
        update(BillRun)
        .where(BillRun.id == ctx.bill_run_id)
        .values(status=status, finished_at=dt.datetime.now(),
                accounts_billed=ctx.result.accounts_billed, invoices=ctx.result.invoices,
                errors=ctx.result.errors, total=ctx.result.total)
    )
    ctx.session.commit()
