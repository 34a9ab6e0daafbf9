"""Steps about payment processing (seeds/002: "process payments for all payment processors
configured (credit card, echeck, etc.)").

A declined card is the customer's problem and a correct answer of the platform; a
payment that *failed* or *errored* (gateway unreachable, request rejected) is the
platform's problem. Staff-taken payments go through the target (on staging only), and
through the lock-down's gateway sandbox, never a real gateway.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from pytest_bdd import parsers, then, when

from harness.pytest.context import GoliveContext, normalise
from harness.targets.base import require
from harness.targets.capabilities import Payments, StaffPayments
from harness.targets.views import PaymentView

PLATFORM_FAILURES = ("failed", "error")


def _describe(p: PaymentView) -> str:
    return (f"{p.source} {p.kind} payment of {p.amount} for {p.account} via {p.processor}: "
            f"{p.status} ({p.message})")


def _money(text: str) -> Decimal:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise AssertionError(f"not an amount of money: {text!r}") from None


def _payments(golive: GoliveContext) -> Payments:
    return require(golive.target.payments, "payments")


def _staff(golive: GoliveContext) -> StaffPayments:
    return require(golive.target.staff_payments, "staff_payments")


def _run_id(golive: GoliveContext) -> int:
    run_id = golive.bill_run.id
    assert run_id is not None, "this session's bill run is unknown: nothing to check"
    return int(run_id)


@then("every configured payment processor is enabled")
def processors_enabled(golive: GoliveContext) -> None:
    processors = _payments(golive).processors()
    assert processors, "the platform has no payment processor configured"
    disabled = [p for p in processors if not p.enabled]
    assert not disabled, "disabled payment processor(s): " + ", ".join(
        f"{p.name} ({p.kind})" for p in disabled)


@then(parsers.parse("there is an enabled payment processor for each kind: {kinds}"))
def processor_per_kind(golive: GoliveContext, kinds: str) -> None:
    enabled = {p.kind for p in _payments(golive).processors() if p.enabled}
    missing = [k.strip() for k in kinds.split(",") if k.strip() not in enabled]
    assert not missing, (f"no enabled payment processor for {', '.join(missing)} "
                         f"(enabled kinds: {', '.join(sorted(enabled)) or 'none'})")


@then("the bill run's auto-pay payments were:")
def autopay_table(golive: GoliveContext, datatable: list[list[str]]) -> None:
    """One row per account: its auto-pay payment of the bill run (kind, status, amount)."""
    header, *rows = datatable
    col = {h.strip().lower(): i for i, h in enumerate(header)}
    assert {"account", "kind", "status"} <= col.keys(), (
        "the table needs the columns account, kind and status (amount optional)")
    run_id = _run_id(golive)
    problems: list[str] = []
    for row in rows:
        account = row[col["account"]].strip()
        paid = [p for p in _payments(golive).payments(account, bill_run_id=run_id)
                if p.source == "autopay"]
        if len(paid) != 1:
            problems.append(f"{account}: expected one auto-pay payment in bill run #{run_id}, "
                            f"found {len(paid)}: " + "; ".join(_describe(p) for p in paid))
            continue
        got = paid[0]
        want = {"kind": row[col["kind"]].strip(), "status": row[col["status"]].strip()}
        if "amount" in col:
            want["amount"] = row[col["amount"]].strip()
        for field, value in want.items():
            actual = getattr(got, field)
            try:
                golive.check_account(account, f"auto-pay {field}", value, actual)
            except AssertionError as exc:
                problems.append(f"{exc} — {_describe(got)}")
    assert not problems, "\n".join(problems)


@then("no payment of the bill run failed on the platform's side")
def no_platform_failures(golive: GoliveContext) -> None:
    paid = _payments(golive).payments(bill_run_id=_run_id(golive))
    bad = [p for p in paid if p.status in PLATFORM_FAILURES]
    assert not bad, (f"{len(bad)} of {len(paid)} payment(s) of the bill run failed or were "
                     "rejected by the gateway (declines are not counted):\n  "
                     + "\n  ".join(_describe(p) for p in bad[:10]))


@when(parsers.parse('staff take a "{kind}" payment of "{amount}" from account "{ref}" '
                    'with card "{card}"'), target_fixture="payment")
def staff_payment_card(golive: GoliveContext, kind: str, amount: str, ref: str,
                       card: str) -> PaymentView:
    return _staff(golive).take(ref, _money(amount), kind, card_number=card)


@when(parsers.parse('staff take a "{kind}" payment of "{amount}" from account "{ref}" '
                    "with its stored method"), target_fixture="payment")
def staff_payment_stored(golive: GoliveContext, kind: str, amount: str,
                         ref: str) -> PaymentView:
    return _staff(golive).take(ref, _money(amount), kind)


@then(parsers.parse('the payment is {status} through the "{kind}" processor'))
def payment_outcome(payment: PaymentView, status: str, kind: str) -> None:
    assert payment.kind == kind, f"the payment went through a {payment.kind} processor: " \
        f"{_describe(payment)}"
    assert payment.status == status, f"expected {status}: {_describe(payment)}"


@then(parsers.parse('the payment amount is "{amount}"'))
def payment_amount(payment: PaymentView, amount: str) -> None:
    assert normalise(payment.amount) == normalise(amount), (
        f"expected {amount}: {_describe(payment)}")


@then(parsers.parse('the payment is recorded against account "{ref}" as taken by staff'))
def payment_recorded(golive: GoliveContext, payment: PaymentView, ref: str) -> None:
    mine = [p for p in _payments(golive).payments(ref)
            if p.source == payment.source and p.amount == payment.amount
            and p.status == payment.status and p.processor == payment.processor]
    assert mine, f"the platform has no record of the payment: {_describe(payment)}"
    assert payment.source != "autopay", f"not recorded as taken by staff: {_describe(payment)}"
