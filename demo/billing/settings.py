"""Billing settings read from the database (never hard-coded), validated once per run."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from demo.models import BillingSetting, CustomAction

DEFAULTS = {
    "tax_rate": "0",
    "payment_terms_days": "14",
    "suspend_after_days": "30",
    "usage_rate_default": "0",
    "currency": "USD",
}
DEFAULT_LATE_FEE = Decimal("5.00")


class BillingConfigError(ValueError):
    """A billing setting the run cannot work with (one-line message)."""


@dataclass(frozen=True)
class BillingSettings:
    tax_rate: Decimal  # a fraction: "0.08" is 8 %
    payment_terms_days: int
    suspend_after_days: int
    usage_rate_default: Decimal
    currency: str
    late_fee: Decimal | None  # None when the late_fee custom action is not enabled


def _decimal(key: str, raw: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise BillingConfigError(f"billing setting {key}: not a number: {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise BillingConfigError(f"billing setting {key}: must be >= 0, got {raw!r}")
    return value


def _int(key: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise BillingConfigError(f"billing setting {key}: not a whole number: {raw!r}") from None
    if value < 0:
        raise BillingConfigError(f"billing setting {key}: must be >= 0, got {raw!r}")
    return value


def load_settings(session: Session) -> BillingSettings:
    raw = dict(DEFAULTS)
    raw.update({s.key: s.value for s in session.scalars(select(BillingSetting))})
    tax_rate = _decimal("tax_rate", raw["tax_rate"])
    if tax_rate >= 1:
        raise BillingConfigError(
            f"billing setting tax_rate: expected a fraction (0.08 for 8 %), got {raw['tax_rate']!r}"
        )
    late = session.scalars(
        select(CustomAction).where(CustomAction.name == "late_fee", CustomAction.enabled.is_(True))
    ).first()
    late_fee = None
    if late is not None:
        amount = (late.config or {}).get("amount", DEFAULT_LATE_FEE)
        late_fee = _decimal("late_fee.amount", str(amount))
    return BillingSettings(
        tax_rate=tax_rate,
        payment_terms_days=_int("payment_terms_days", raw["payment_terms_days"]),
        suspend_after_days=_int("suspend_after_days", raw["suspend_after_days"]),
        usage_rate_default=_decimal("usage_rate_default", raw["usage_rate_default"]),
        currency=raw["currency"],
        late_fee=late_fee,
    )
