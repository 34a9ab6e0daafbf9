"""README rule 10: one email per invoice of the run, over one SMTP connection."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from demo.billing.context import CHUNK, RunContext
from demo.models import Account, Contact, Invoice, MailConfig
from demo.outbound.mail import MAIL_ERRORS, MailSender
from demo.releases import Fault

HARDCODED_HOST = ("smtp.billing-vendor.example", 25)


def invoice_subject(number: str) -> str:
    return f"Your invoice {number}"


def invoice_body(name: str, number: str, total: str, due: dt.date) -> str:
    return (
        f"Dear {name},\n\nyour invoice {number} for {total} is ready.\n"
        f"Please pay by {due.isoformat()}.\n\nThank you for your business.\n"
    )


def email_invoices(ctx: RunContext) -> None:
    session = ctx.session
    invoices = session.execute(
        select(Invoice.id, Invoice.number, Invoice.total, Invoice.due_date, Invoice.account_id,
               Account.name)
        .join(Account, Account.id == Invoice.account_id)
        .where(Invoice.bill_run_id == ctx.bill_run_id)
        .order_by(Invoice.id)
    ).all()
    contacts: dict[int, str] = {}
    for account_id, email in session.execute(
        select(Contact.account_id, Contact.email)
        .join(Invoice, Invoice.account_id == Contact.account_id)
        .where(Invoice.bill_run_id == ctx.bill_run_id, Contact.is_primary.is_(True))
        .order_by(Contact.id.desc())
    ):
        contacts[account_id] = email  # the lowest contact id wins
    config = session.scalars(select(MailConfig).order_by(MailConfig.id)).first()
    ctx.events.info("mail", f"stage emails: {len(invoices)} invoices to email")
    if config is None:
        for inv in invoices:
            ctx.events.error("mail", f"invoice {inv.number} not emailed: no mail_config",
                             inv.account_id)
        return
    host, port = config.smtp_host, config.smtp_port
    # REGRESSION(mail-hardcoded-host): invoice emails go to a hard-coded vendor host
    # instead of the configured mail server.
    if ctx.release.has(Fault.MAIL_HARDCODED_HOST):
        host, port = HARDCODED_HOST
    sent: list[dict[str, object]] = []
    with MailSender(host, port, config.from_address, config.username, config.password,
                    hosts=ctx.hosts) as sender:
        for inv in invoices:
            to = contacts.get(inv.account_id)
            if not to:
                ctx.events.error("mail", f"invoice {inv.number} not emailed: the account has "
                                 "no primary contact email", inv.account_id)
                continue
            try:
                sender.send(to, invoice_subject(inv.number),
                            invoice_body(inv.name, inv.number, f"{inv.total}", inv.due_date))
            except MAIL_ERRORS as exc:
                ctx.events.error("mail", f"invoice {inv.number} to {to} via {host}:{port} "
                                 f"failed: {exc}", inv.account_id)
                continue
            sent.append({"id": inv.id, "emailed_to": to, "emailed_at": dt.datetime.now()})
            ctx.result.emails_sent += 1
            if len(sent) >= CHUNK:
                session.execute(update(Invoice), sent)
                sent = []
                ctx.commit()
    if sent:
        session.execute(update(Invoice), sent)
    ctx.commit()
