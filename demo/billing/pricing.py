"""One account's invoice arithmetic (README rules 5–7): product and invoice discounts,
tax, late fee, totals. Pure functions over plain values, so they are easy to test.

Choices where the README leaves room (also in demo/billing/README.md):
- the invoice discount is a percent of charges + usage (before product discounts), and
  is capped so that charges + usage − all discounts never goes below zero;
- tax base = taxable charges + usage − their product discounts − the invoice discount's
  share of them (pro rata), never below zero;
- the late fee and staff adjustments are neither discounted nor taxed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from demo.billing.charges import ChargeLine
from demo.billing.loaders import DiscountRow, PendingAdjustment
from demo.billing.money import ZERO, cents
from demo.releases import Fault, Release

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class TxLine:
    kind: str  # charge | usage | discount | tax | adjustment
    amount: Decimal
    description: str
    user_package_id: int | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None


@dataclass
class InvoiceDraft:
    account_id: int
    lines: list[TxLine] = field(default_factory=list)
    subtotal: Decimal = ZERO
    discount_total: Decimal = ZERO  # positive: what the discounts took off
    tax_total: Decimal = ZERO
    total: Decimal = ZERO  # subtotal − discounts + tax + adjustments (incl. pending)
    pending_ids: list[int] = field(default_factory=list)
    pending_total: Decimal = ZERO  # already in the balance when it was posted

    @property
    def balance_delta(self) -> Decimal:
        return self.total - self.pending_total


def product_discount(charge: Decimal, discount: DiscountRow) -> Decimal:
    """Percent of the charge, or the fixed amount never more than the charge."""
    if discount.kind == "percent":
        return min(cents(charge * Decimal(discount.value) / HUNDRED), charge)
    return min(Decimal(discount.value), charge)


def price_invoice(
    account_id: int,
    charges: list[ChargeLine],
    usage_amount: Decimal,
    usage_description: str,
    discounts: list[DiscountRow],
    tax_rate: Decimal,
    release: Release,
    late_fee: Decimal | None = None,
    pending: list[PendingAdjustment] | None = None,
) -> InvoiceDraft | None:
    """The invoice draft, or None when the run has nothing to charge this account."""
    if not charges and usage_amount <= 0:
        return None
    draft = InvoiceDraft(account_id)
    taxable_base = ZERO
    net_all = ZERO
    by_product = [d for d in discounts if d.product_id is not None]
    for charge in charges:
        draft.lines.append(
            TxLine("charge", charge.amount, charge.description, charge.user_package_id,
                   charge.period_start, charge.period_end)
        )
        net = charge.amount
        for discount in (d for d in by_product if d.product_id == charge.product_id):
            times = 1
            # REGRESSION(discount-twice): product discounts are applied twice.
            if release.has(Fault.DISCOUNT_TWICE):
                times = 2
            for _ in range(times):
                off = min(product_discount(charge.amount, discount), net)
                net -= off
                draft.lines.append(
                    TxLine("discount", -off, f"Discount {discount.name} ({discount.code})",
                           charge.user_package_id)
                )
        net_all += net
        if charge.taxable:
            taxable_base += net
    if usage_amount > 0:
        draft.lines.append(TxLine("usage", usage_amount, usage_description))
        net_all += usage_amount
        taxable_base += usage_amount
    gross = sum((c.amount for c in charges), ZERO) + max(usage_amount, ZERO)
    for discount in (d for d in discounts if d.product_id is None):
        if discount.kind == "percent":
            off = cents(gross * Decimal(discount.value) / HUNDRED)
        else:
            off = Decimal(discount.value)
        off = min(off, net_all)
        if off <= 0:
            continue
        if net_all > 0:
            taxable_base -= taxable_base * off / net_all
        net_all -= off
        draft.lines.append(TxLine("discount", -off, f"Discount {discount.name} ({discount.code})"))
    tax = cents(tax_rate * max(taxable_base, ZERO))
    if tax > 0:
        draft.lines.append(TxLine("tax", tax, f"Tax {tax_rate * HUNDRED:.2f}%"))
    if late_fee is not None and late_fee > 0:
        draft.lines.append(TxLine("adjustment", cents(late_fee), "Late fee"))
    draft.subtotal = sum((t.amount for t in draft.lines if t.kind in ("charge", "usage")), ZERO)
    draft.discount_total = -sum((t.amount for t in draft.lines if t.kind == "discount"), ZERO)
    draft.tax_total = tax if tax > 0 else ZERO
    adjustments = sum((t.amount for t in draft.lines if t.kind == "adjustment"), ZERO)
    for adj in pending or []:
        draft.pending_ids.append(adj.id)
        draft.pending_total += Decimal(adj.amount)
    draft.total = (
        draft.subtotal - draft.discount_total + draft.tax_total + adjustments + draft.pending_total
    )
    return draft
