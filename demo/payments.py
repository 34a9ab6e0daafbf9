"""Charging a payment method through its processor's gateway (auto-pay, portal, admin).

The request and its outcome are separate from the database work so that the bill run
can charge thousands of accounts with a few set-based writes, while the portal and
admin use ``charge`` with an ORM session.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from demo.models import (
    Account,
    BillingSetting,
    EventLog,
    Payment,
    PaymentMethod,
    PaymentProcessor,
    Transaction,
)
from demo.outbound.hosts import HostCache
from demo.outbound.http import post_json
from demo.releases import Fault, Release

GATEWAY_TIMEOUT = 10.0
CENT = Decimal("0.01")


class PaymentError(ValueError):
    """A payment that cannot even be attempted (bad amount, no method, no processor)."""


@dataclass(frozen=True)
class ProcessorInfo:
    id: int
    name: str
    kind: str
    gateway_url: str
    merchant_id: str
    api_key: str


@dataclass(frozen=True)
class GatewayOutcome:
    """What became of one charge: approved | declined | failed | error."""

    status: str
    ref: str | None
    message: str


def to_amount(amount: Decimal | str | int | float) -> Decimal:
    """A positive amount in cents; PaymentError otherwise."""
    try:
        value = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise PaymentError(f"amount is not a number: {amount!r}") from None
    if not value.is_finite() or value <= 0:
        raise PaymentError(f"amount must be positive, got {amount}")
    return value


def build_request(
    processor: ProcessorInfo,
    amount: Decimal,
    currency: str,
    reference: str,
    release: Release,
    token: str | None = None,
    card_number: str | None = None,
    routing: str | None = None,
) -> dict[str, Any]:
    """The JSON body the gateway expects for one charge."""
    body: dict[str, Any] = {
        "merchant_id": processor.merchant_id,
        "api_key": processor.api_key,
        "amount": f"{amount:.2f}",
        "currency": currency,
        "kind": processor.kind,
        "reference": reference,
    }
    if card_number is not None:
        body["card_number"] = card_number
    elif token is not None:
        body["token"] = token
    if processor.kind == "echeck":
        body["routing"] = routing
        # REGRESSION(echeck-broken): the eCheck integration sends the amount in cents as
        # an integer and forgets the routing number; the gateway answers 400.
        if release.has(Fault.ECHECK_BROKEN):
            body["amount"] = int(amount * 100)
            body.pop("routing", None)
    return body


def send_charge(
    processor: ProcessorInfo, body: dict[str, Any], hosts: HostCache | None = None
) -> GatewayOutcome:
    """POST the charge to ``<gateway_url>/charge`` and classify the answer."""
    url = processor.gateway_url.rstrip("/") + "/charge"
    try:
        answer = post_json(url, body, hosts=hosts, timeout=GATEWAY_TIMEOUT)
    except (OSError, ValueError) as exc:
        return GatewayOutcome("failed", None, f"gateway unreachable: {url}: {exc}")
    reason = str(answer.body.get("reason", ""))
    if answer.status == 200 and answer.body.get("status") == "approved":
        return GatewayOutcome("approved", str(answer.body.get("ref", "")) or None, "approved")
    if answer.status == 402:
        gw_status = str(answer.body.get("status", "declined"))
        return GatewayOutcome("declined", None, f"{gw_status}: {reason}".strip(": "))
    if answer.status == 400:
        return GatewayOutcome("error", None, f"gateway rejected the request: {reason}")
    return GatewayOutcome("failed", None, f"gateway answered HTTP {answer.status} {reason}")


def event_level(status: str) -> str:
    """A refusal is the customer's problem (WARNING); a broken integration or an
    unreachable gateway is the platform's (ERROR)."""
    return {"approved": "INFO", "declined": "WARNING"}.get(status, "ERROR")


def load_processors(session: Session) -> dict[str, ProcessorInfo]:
    """The first enabled processor of each kind ("card", "echeck")."""
    rows = session.scalars(
        select(PaymentProcessor)
        .where(PaymentProcessor.enabled.is_(True))
        .order_by(PaymentProcessor.id)
    )
    found: dict[str, ProcessorInfo] = {}
    for p in rows:
        found.setdefault(
            p.kind, ProcessorInfo(p.id, p.name, p.kind, p.gateway_url, p.merchant_id, p.api_key)
        )
    return found


def currency_of(session: Session) -> str:
    setting = session.get(BillingSetting, "currency")
    return setting.value if setting is not None else "USD"


def _method_for(session: Session, account_id: int, method_id: int | None) -> PaymentMethod:
    if method_id is not None:
        method = session.get(PaymentMethod, method_id)
        if method is None or method.account_id != account_id:
            raise PaymentError(f"payment method {method_id} does not belong to the account")
        return method
    method = session.scalars(
        select(PaymentMethod)
        .where(PaymentMethod.account_id == account_id)
        .order_by(PaymentMethod.is_default.desc(), PaymentMethod.id)
        .limit(1)
    ).first()
    if method is None:
        raise PaymentError("the account has no payment method")
    return method


def charge(
    session: Session,
    account_id: int,
    amount: Decimal | str | int | float,
    source: str,
    release: Release,
    method_id: int | None = None,
    card_number: str | None = None,
    *,
    bill_run_id: int | None = None,
    hosts: HostCache | None = None,
) -> Payment:
    """Charge the account (a stored method, its default method, or a card number typed
    into the portal) and record the Payment; an approved payment also posts a negative
    ``payment`` transaction and lowers the balance. Flushes, does not commit.

    Raises PaymentError when nothing can be attempted; gateway refusals and outages
    are recorded on the Payment (declined / error / failed) and in the event log.
    """
    value = to_amount(amount)
    account = session.get(Account, account_id)
    if account is None:
        raise PaymentError(f"no account with id {account_id}")
    method: PaymentMethod | None = None
    if card_number is not None:
        card_number = card_number.replace(" ", "").replace("-", "")
        kind = "card"
    else:
        method = _method_for(session, account_id, method_id)
        kind = method.kind
    processor = load_processors(session).get(kind)
    if processor is None:
        raise PaymentError(f"no enabled payment processor for {kind} payments")
    reference = f"{account.number}-{source}-{uuid.uuid4().hex[:8]}"
    body = build_request(
        processor,
        value,
        currency_of(session),
        reference,
        release,
        token=method.token if method is not None else None,
        card_number=card_number,
        routing=method.bank_routing if method is not None else None,
    )
    outcome = send_charge(processor, body, hosts)
    now = dt.datetime.now()
    payment = Payment(
        account_id=account_id,
        method_id=method.id if method is not None else None,
        processor_id=processor.id,
        bill_run_id=bill_run_id,
        amount=value,
        status=outcome.status,
        gateway_ref=outcome.ref,
        message=outcome.message[:300],
        source=source,
        created_at=now,
    )
    session.add(payment)
    if outcome.status == "approved":
        session.add(
            Transaction(
                account_id=account_id,
                bill_run_id=bill_run_id,
                kind="payment",
                amount=-value,
                description=f"Payment via {processor.name} ({outcome.ref})"[:300],
                posted_on=now.date(),
                created_at=now,
            )
        )
        account.balance = (account.balance or Decimal("0")) - value
        if account.balance <= 0:
            account.past_due_since = None
    session.add(
        EventLog(
            at=now,
            level=event_level(outcome.status),
            source="payments",
            message=f"{source} payment of {value} for {account.number} via {processor.name}: "
            f"{outcome.status} ({outcome.message})",
            account_id=account_id,
            bill_run_id=bill_run_id,
        )
    )
    session.flush()
    return payment
