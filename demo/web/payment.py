"""Taking a payment from either portal through demo.payments.charge."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from demo.models import Account
from demo.web.context import Ctx

log = logging.getLogger("demo.web")

MESSAGES = {
    "approved": "Payment approved",
    "declined": "Payment declined",
    "error": "The payment could not be processed",
    "failed": "The payment service is unavailable; please try again later",
}


@dataclass(frozen=True)
class PaymentOutcome:
    status: str  # approved | declined | error | failed | unavailable
    message: str
    detail: str = ""
    ref: str | None = None

    @property
    def approved(self) -> bool:
        return self.status == "approved"

    @property
    def http_status(self) -> int:
        return {"approved": 200, "declined": 402}.get(self.status, 503)


def take_payment(
    ctx: Ctx,
    account: Account,
    amount: Decimal,
    source: str,
    method_id: int | None = None,
    card_number: str | None = None,
) -> PaymentOutcome:
    """Charge ``account`` and commit what the charge recorded (payment, event, balance)."""
    try:
        from demo.payments import PaymentError, charge  # lazy: billing owns it
    except ImportError as exc:
        log.error("online payments unavailable: %s", exc)
        return PaymentOutcome("unavailable", "Online payments are not available")
    try:
        payment = charge(ctx.db, account.id, amount, source, ctx.release,
                         method_id=method_id, card_number=card_number)
    except PaymentError as exc:
        ctx.db.rollback()
        return PaymentOutcome("error", MESSAGES["error"], str(exc))
    ctx.db.commit()
    message = MESSAGES.get(payment.status, MESSAGES["error"])
    return PaymentOutcome(payment.status, message, payment.message, payment.gateway_ref)
