"""Steps about the diverse accounts of ``checklists/accounts.yaml``.

Expected values live in the checklist (or in the feature's own table), never
here; every comparison goes through ``golive.check_account`` so the report's
accounts table shows each expected-vs-actual pair, passed or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pytest_bdd import given, parsers, then

from harness.checklists import AccountExpect
from harness.pytest.context import GoliveContext
from harness.targets.base import require
from harness.targets.views import AccountView


@dataclass
class Subject:
    """The account a scenario is about and what the checklist expects of it."""

    label: str  # the checklist id (ACC-BOB) or the name the feature gave
    ref: str  # what the target is asked for: a number or an exact name
    view: AccountView
    expect: AccountExpect | None  # from the checklist, or None


def _lookup(golive: GoliveContext, ref: str) -> AccountView:
    view = golive.target.account(ref)
    assert view is not None, f"the target has no account {ref!r}"
    return view


@given(parsers.parse('the diverse account "{account_id}" from the checklist'),
       target_fixture="subject")
def diverse_account(golive: GoliveContext, account_id: str) -> Subject:
    spec = golive.expected_account(account_id)
    assert spec.has_expectations, (
        f"{account_id} has no expectations in checklists/accounts.yaml: it verifies nothing"
    )
    return Subject(account_id, spec.account, _lookup(golive, spec.account), spec.expect)


@given(parsers.parse('the account "{ref}"'), target_fixture="subject")
def named_account(golive: GoliveContext, ref: str) -> Subject:
    return Subject(ref, ref, _lookup(golive, ref), None)


def _bill_run_id(golive: GoliveContext) -> int | None:
    run_id = golive.bill_run.id
    return int(run_id) if run_id is not None else None


def _usage_charge(golive: GoliveContext, subject: Subject) -> Decimal:
    txs = golive.target.transactions(subject.ref, bill_run_id=_bill_run_id(golive))
    return sum((t.amount for t in txs if t.kind == "usage"), Decimal("0"))


def _pool_applied(golive: GoliveContext, subject: Subject) -> int:
    pools = require(golive.target.pools, "pools")
    pool = pools.pool(subject.ref, bill_run_id=_bill_run_id(golive))
    return 0 if pool is None else min(pool.used, pool.included)


def _invoice_total(golive: GoliveContext, subject: Subject) -> Decimal | None:
    invoices = golive.target.invoices(subject.ref, bill_run_id=_bill_run_id(golive))
    return sum((i.total for i in invoices), Decimal("0")) if invoices else None


@then("it matches every expectation in the checklist")
def matches_checklist(golive: GoliveContext, subject: Subject) -> None:
    """Checks every expectation, records each one, and fails with all mismatches at once."""
    exp = subject.expect
    assert exp is not None, f"{subject.label} has no expectations in the checklist"
    failures: list[str] = []

    def check(name: str, expected: object, actual: object) -> None:
        try:
            golive.check_account(subject.label, name, expected, actual)
        except AssertionError as exc:
            failures.append(str(exc))

    if exp.balance is not None:
        check("balance", exp.balance, subject.view.balance)
    if exp.status is not None:
        check("status", exp.status, subject.view.status)
    if exp.invoice_total is not None:
        check("invoice total", exp.invoice_total, _invoice_total(golive, subject))
    if exp.next_bill_dates:
        packages = {p.code: p for p in golive.target.packages(subject.ref)}
        for code, want in exp.next_bill_dates.items():
            pkg = packages.get(code)
            got = "(no such package)" if pkg is None else pkg.next_bill_date
            check(f"next bill date {code}", want, got)
    if exp.usage_charge is not None:
        check("usage charge", exp.usage_charge, _usage_charge(golive, subject))
    if exp.pool_minutes_applied is not None:
        check("pool minutes applied", exp.pool_minutes_applied, _pool_applied(golive, subject))
    assert not failures, "\n".join(failures)


@then(parsers.parse('its balance is "{amount}"'))
def balance_is(golive: GoliveContext, subject: Subject, amount: str) -> None:
    golive.check_account(subject.label, "balance", amount, subject.view.balance)


@then(parsers.parse("it has {count:d} sub-accounts"))
def has_children(golive: GoliveContext, subject: Subject, count: int) -> None:
    children = require(golive.target.sub_accounts, "sub_accounts").children(subject.ref)
    golive.check_account(subject.label, "sub-accounts", count, len(children))


@then(parsers.parse('it was charged "{amount}" of usage in the bill run'))
def usage_charged(golive: GoliveContext, subject: Subject, amount: str) -> None:
    golive.check_account(subject.label, "usage charge", amount, _usage_charge(golive, subject))


@then(parsers.parse("{minutes:d} minutes were applied to its minute bucket pool"))
def pool_minutes(golive: GoliveContext, subject: Subject, minutes: int) -> None:
    golive.check_account(
        subject.label, "pool minutes applied", minutes, _pool_applied(golive, subject)
    )


@then("its packages' next bill dates are:")
def next_bill_dates_table(
    golive: GoliveContext, subject: Subject, datatable: list[list[str]]
) -> None:
    header, *rows = datatable
    col = {name.strip().lower(): i for i, name in enumerate(header)}
    assert {"package", "next bill date"} <= col.keys(), (
        "the table needs the columns 'package' and 'next bill date'"
    )
    packages = {p.code: p for p in golive.target.packages(subject.ref)}
    failures: list[str] = []
    for row in rows:
        code, want = row[col["package"]].strip(), row[col["next bill date"]].strip()
        pkg = packages.get(code)
        got: object = "(no such package)" if pkg is None else pkg.next_bill_date
        try:
            golive.check_account(
                subject.label, f"next bill date {code}", None if want in ("", "-") else want, got
            )
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n".join(failures)
