"""Steps about the diverse accounts of ``checklists/accounts.yaml``.

Checklists and features name an account by its stable key on the target
(account number or code): names are sanitized on staging and repeat. The name
staging shows is read with the account and recorded beside every check, so
the report says which account was checked under which name. A name that
matches several accounts is an error naming their keys, never a guess.
Expected values come from production (the account's rows in the baseline:
``expect: production``, the default), from hand-written overrides in the
checklist, or from the feature's own table — never from here. Every comparison
goes through ``golive.check_production`` or ``golive.check_account``, so the
report's accounts table shows each expected-vs-actual pair, passed or not, and
where the expected value came from.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from pytest_bdd import given, parsers, then

from harness.checklists import AccountExpect
from harness.pytest.context import ExpectedFrom, FieldCheck, GoliveContext
from harness.targets.base import require
from harness.targets.views import AccountView, PackageView
from steps.needs import needs


@dataclass
class Subject:
    """The account a scenario is about and what the checklist expects of it."""

    label: str  # the checklist id (ACC-BOB), else the key or name the feature gave
    ref: str  # what the target is asked for: the account's key
    view: AccountView
    expect: AccountExpect | None  # the checklist's hand-written values, or None

    @property
    def key(self) -> str:
        return self.view.number

    @property
    def shown(self) -> str:
        """``ACC-BOB (A000001, Bob Smith)``: how messages name the account."""
        named = f"{self.key}, {self.view.name}" if self.view.name else self.key
        return f"{self.label} ({named})" if self.label != self.key else f"{self.key} ({named})"


def check(golive: GoliveContext, subject: Subject, name: str, expected: object,
          actual: object, expected_from: ExpectedFrom = ExpectedFrom.FEATURE) -> None:
    """``golive.check_account`` for the subject: its key, staging's name, the checklist id."""
    golive.check_account(subject.key, name, expected, actual, name=subject.view.name,
                         label=subject.label if subject.label != subject.key else None,
                         expected_from=expected_from)


def _lookup(golive: GoliveContext, ref: str, what: str) -> AccountView:
    view = golive.target.account(ref)
    assert view is not None, (
        f"{what}: staging has no account with the key {ref!r} (checklists name accounts by "
        "their key, the account number or code: sanitizing renames them)")
    return view


@given(parsers.parse('the diverse account "{account_id}" from the checklist'),
       target_fixture="subject")
def diverse_account(golive: GoliveContext, account_id: str) -> Subject:
    spec = golive.expected_account(account_id)
    if spec.hand_written.empty and not golive.has_production:  # a new project's first words
        raise AssertionError(f"{account_id} has no expectations in checklists/accounts.yaml "
                             "(what production billed it): it verifies nothing")
    view = _lookup(golive, spec.account, account_id)
    return Subject(account_id, view.number, view, spec.hand_written)


@given(parsers.parse('the account "{ref}"'), target_fixture="subject")
def named_account(golive: GoliveContext, ref: str) -> Subject:
    view = _lookup(golive, ref, f'the account "{ref}"')
    return Subject(view.number, view.number, view, None)


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


Reading = tuple[object, Callable[[], object]]  # a hand-written value, and staging's


def _hand_written(golive: GoliveContext, subject: Subject) -> dict[str, Reading]:
    """The checklist's hand-written values by check name (as the report names checks),
    each with how staging's value is read through the target."""
    exp = subject.expect
    if exp is None:
        return {}
    found: dict[str, Reading] = {}
    if exp.balance is not None:
        found["balance"] = (exp.balance, lambda: subject.view.balance)
    if exp.status is not None:
        found["status"] = (exp.status, lambda: subject.view.status)
    if exp.invoice_total is not None:
        found["invoice total"] = (exp.invoice_total, lambda: _invoice_total(golive, subject))
    if exp.next_bill_dates:
        packages: dict[str, PackageView] = {}

        def next_bill(code: str) -> object:
            if not packages:
                packages.update({p.code: p for p in golive.target.packages(subject.ref)})
            pkg = packages.get(code)
            return "(no such package)" if pkg is None else pkg.next_bill_date

        for code, want in exp.next_bill_dates.items():
            found[f"next bill date {code}"] = (want, functools.partial(next_bill, code))
    if exp.usage_charge is not None:
        found["usage charge"] = (exp.usage_charge, lambda: _usage_charge(golive, subject))
    if exp.pool_minutes_applied is not None:
        found["pool minutes applied"] = (exp.pool_minutes_applied,
                                         lambda: _pool_applied(golive, subject))
    return found


def _production_checks(golive: GoliveContext, subject: Subject,
                       written: dict[str, Reading]) -> list[FieldCheck]:
    """Every field production's baseline holds for the account; a hand-written value of the
    same name replaces production's value (and leaves ``written``)."""
    comparison = golive.against_production(subject.key)
    if not comparison.production_rows:
        absent = (f"production's baseline has no rows for the key {subject.key!r} (the "
                  "population queries do not return it)")
        if not written:  # nothing else says what it should bill: the check has no evidence
            raise AssertionError(f"{subject.shown}: {absent}: production cannot say what it "
                                 "billed")
        golive.attach_text("text", "not in production's baseline",
                           f"{absent}: only the checklist's hand-written values are checked")
        return []
    checks = []
    for field in comparison.checks:
        if field.name in written:
            want, _ = written.pop(field.name)
            try:
                field = field.with_expected(want)
            except ValueError as exc:
                raise AssertionError(f"{subject.shown}: the checklist's {field.name}: "
                                     f"{exc}") from None
        checks.append(field)
    return checks


@then("it matches every expectation in the checklist")
def matches_checklist(golive: GoliveContext, subject: Subject) -> None:
    """Checks every expectation — production's values (the default), with the checklist's
    hand-written overrides — records each one, and fails with all mismatches at once."""
    failures: list[str] = []
    written = _hand_written(golive, subject)
    label = subject.label if subject.label != subject.key else None
    production = _production_checks(golive, subject, written) if golive.has_production else []
    for field in production:
        try:
            golive.check_production(subject.key, field, name=subject.view.name, label=label)
        except AssertionError as exc:
            failures.append(str(exc))
    for name, (want, read) in written.items():  # no production check of that name
        try:
            check(golive, subject, name, want, read(), ExpectedFrom.CHECKLIST)
        except AssertionError as exc:
            failures.append(str(exc))
    assert production or written, f"{subject.label} has no expectations in the checklist"
    if failures:  # raised, not asserted: the report shows the failures alone
        raise AssertionError("\n".join(failures))


@then("every account golive accounts pick chose bills as production did")
def picked_accounts(golive: GoliveContext) -> None:
    """Each ``picked: true`` account of the checklist, checked like a diverse account: the
    picked block changes with every pick, so no feature needs to name its accounts."""
    chosen = [a.id for a in golive.checklists.accounts if a.picked]
    assert chosen, ("the checklist has no picked accounts: run golive accounts pick "
                    "(it writes them into checklists/accounts.yaml)")
    failures: list[str] = []
    for account_id in chosen:
        try:
            matches_checklist(golive, diverse_account(golive, account_id))
        except AssertionError as exc:
            failures.append(str(exc))
    if failures:  # raised, not asserted: the report shows the failures alone
        raise AssertionError("\n".join(failures))


@then(parsers.parse('its balance is "{amount}"'))
def balance_is(golive: GoliveContext, subject: Subject, amount: str) -> None:
    check(golive, subject, "balance", amount, subject.view.balance)


@needs("sub_accounts")
@then(parsers.parse("it has {count:d} sub-accounts"))
def has_children(golive: GoliveContext, subject: Subject, count: int) -> None:
    children = require(golive.target.sub_accounts, "sub_accounts").children(subject.ref)
    check(golive, subject, "sub-accounts", count, len(children))


@then(parsers.parse('it was charged "{amount}" of usage in the bill run'))
def usage_charged(golive: GoliveContext, subject: Subject, amount: str) -> None:
    check(golive, subject, "usage charge", amount, _usage_charge(golive, subject))


@needs("pools")
@then(parsers.parse("{minutes:d} minutes were applied to its minute bucket pool"))
def pool_minutes(golive: GoliveContext, subject: Subject, minutes: int) -> None:
    check(golive, subject, "pool minutes applied", minutes, _pool_applied(golive, subject))


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
            check(golive, subject, f"next bill date {code}", None if want in ("", "-") else want,
                  got)
        except AssertionError as exc:
            failures.append(str(exc))
    if failures:  # raised, not asserted: the report shows the failures alone
        raise AssertionError("\n".join(failures))
