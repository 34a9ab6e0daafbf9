"""The demo's outbound channels: mail server, provisioning endpoints, payment gateways.

Lock-down points them at golive's sinks (`redirect`); the payment processors get
the demo's own gateway sandbox, which answers like a gateway (approve/decline).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from demo.gateway import GatewayServer
from demo.models import Account, Contact, Invoice, MailConfig, PaymentProcessor, ProvisioningConfig
from harness.targets.base import TargetError
from harness.targets.capabilities import PaymentSandbox
from harness.targets.demo.database import DemoDatabase
from harness.targets.views import InvoiceMailView, OutboundEndpoint

_PAYMENT_FIELDS = ("amount", "currency", "kind", "reference")  # never keys, cards or accounts


class DemoOutbound:
    """Endpoints named ``mail``, ``provisioning:<service>``, ``payment:<kind>:<name>``."""

    def __init__(self, db: DemoDatabase) -> None:
        self.db = db

    def endpoints(self) -> list[OutboundEndpoint]:
        with self.db.session() as session:
            found: list[OutboundEndpoint] = []
            for mail in session.scalars(select(MailConfig).order_by(MailConfig.id)):
                name = "mail" if not found else f"mail:{mail.id}"
                found.append(OutboundEndpoint("mail", name,
                                              f"smtp://{mail.smtp_host}:{mail.smtp_port}"))
            for prov in session.scalars(select(ProvisioningConfig).order_by(ProvisioningConfig.id)):
                found.append(OutboundEndpoint("provisioning", f"provisioning:{prov.service}",
                                              prov.url))
            for proc in session.scalars(select(PaymentProcessor).order_by(PaymentProcessor.id)):
                found.append(OutboundEndpoint("payment", f"payment:{proc.kind}:{proc.name}",
                                              proc.gateway_url))
            return found

    def redirect(self, mapping: Mapping[str, str]) -> dict[str, Any]:
        """Point the named endpoints at new URLs; returns {name: {from, to}}."""
        self.db.guard()
        current = {e.name: e for e in self.endpoints()}
        unknown = sorted(set(mapping) - set(current))
        if unknown:
            raise TargetError(f"redirect_outbound: no endpoint named {', '.join(unknown)} "
                              f"(known: {', '.join(sorted(current))})")
        done: dict[str, Any] = {}
        with self.db.session() as session, session.begin():
            for name, new in mapping.items():
                kind, _, rest = name.partition(":")
                if kind == "mail":
                    parts = urlsplit(new)
                    mails = select(MailConfig).order_by(MailConfig.id)
                    row = session.scalars(
                        mails.where(MailConfig.id == int(rest)) if rest else mails).first()
                    assert row is not None  # endpoints() just listed it
                    row.smtp_host, row.smtp_port = parts.hostname or "", parts.port or 25
                elif kind == "provisioning":
                    prov = session.scalars(
                        select(ProvisioningConfig).where(ProvisioningConfig.service == rest)
                    ).one()
                    prov.url = new
                else:
                    proc_name = rest.partition(":")[2]
                    proc = session.scalars(
                        select(PaymentProcessor).where(PaymentProcessor.name == proc_name)
                    ).one()
                    proc.gateway_url = new
                done[name] = {"from": current[name].url, "to": new}
        return done

    def invoice_mails(self, bill_run_id: int) -> list[InvoiceMailView] | None:
        """Each invoice of the run with its account's primary contact e-mail (the lowest
        contact id wins, as the demo's mailer picks it) and where it says it emailed it."""
        with self.db.session() as session:
            primary: dict[int, str] = {}
            for account_id, email in session.execute(
                    select(Contact.account_id, Contact.email)
                    .join(Invoice, Invoice.account_id == Contact.account_id)
                    .where(Invoice.bill_run_id == bill_run_id, Contact.is_primary.is_(True))
                    .order_by(Contact.id.desc())):
                primary[account_id] = email
            rows = session.execute(
                select(Invoice.number, Invoice.account_id, Account.number, Invoice.emailed_to)
                .join(Account, Account.id == Invoice.account_id)
                .where(Invoice.bill_run_id == bill_run_id).order_by(Invoice.id))
            return [InvoiceMailView(invoice=number, account=account, contact=primary.get(acct_id),
                                    emailed_to=emailed_to, bill_run_id=bill_run_id)
                    for number, acct_id, account, emailed_to in rows]

    def start_payment_sandbox(self) -> PaymentSandbox | None:
        """The demo's payment-gateway sandbox on 127.0.0.1, for lock-down."""
        return GatewaySandbox(GatewayServer().start())


class GatewaySandbox:
    """`demo.gateway.GatewayServer` seen as a `PaymentSandbox` (secrets left out)."""

    def __init__(self, server: GatewayServer) -> None:
        self._server = server
        self.url: str = server.url

    def captured(self) -> list[dict[str, Any]]:
        out = []
        for req in list(self._server.requests):
            raw = req.get("body")
            body: dict[str, Any] = raw if isinstance(raw, dict) else {}
            out.append({"method": req.get("method"), "path": req.get("path"),
                        "status": req.get("status"),
                        "outcome": (req.get("response") or {}).get("status"),
                        **{k: body.get(k) for k in _PAYMENT_FIELDS if k in body}})
        return out

    def stop(self) -> None:
        self._server.stop()
