"""Steps: credit adjustments staff post to an account in the admin portal (release 1.1).

A credit is posted the way staff would — the account page's credit-adjustment
form — and then checked three ways: the page's balance, the platform's balance,
and the platform's adjustment transaction, which must wait uninvoiced for the
account's next bill run. Who may post one is checked by opening the form as
each role, without posting anything (safe against production).
"""

from __future__ import annotations

from decimal import Decimal

from pytest_bdd import parsers, then, when

from steps.portal import Portal, money


def _roles(text: str) -> list[str]:
    return [r.strip() for r in text.split(",") if r.strip()]


@when(parsers.parse('they post a credit adjustment of "{amount}" to account "{account}" '
                    'for "{reason}"'))
def post_credit(portal: Portal, amount: str, account: str, reason: str) -> None:
    portal.golive.require_writable(f"posting a credit adjustment to {account}")
    view = portal.golive.target.account(account)
    assert view is not None, f"the target has no account {account!r}"
    status = portal.admin(f"/accounts/{view.number}")
    assert status == 200, f"the account page of {view.number} answered HTTP {status}"
    assert portal.shows("adjustment_form"), (
        f"staff role {portal.staff} is not offered a credit adjustment on {view.number}: "
        f"{portal.where()}")
    shown_before = money(portal.text("balance"))
    portal.by("adjustment_amount").fill(amount)
    portal.by("adjustment_reason").fill(reason)
    portal.by("adjustment_submit").click()
    portal.page.wait_for_load_state()
    assert not portal.shows("form_error") and not portal.shows("forbidden"), (
        f"the credit adjustment was refused: {portal.where()}")
    portal.notes.update(account=view.number, credit=Decimal(amount), before=view.balance,
                        shown_before=shown_before, reason=reason)


@then("the portal confirms the credit and shows the balance lowered by it")
def credit_confirmed(portal: Portal) -> None:
    notes = portal.notes
    assert portal.shows("flash"), f"no confirmation after posting the credit: {portal.where()}"
    flash = portal.text("flash")
    assert "credit adjustment" in flash.lower(), f"the portal says {flash!r}"
    shown = money(portal.text("balance"))
    want = notes["shown_before"] - notes["credit"]
    assert shown == want, (f"{notes['account']}: the page shows balance {shown} after a "
                           f"credit of {notes['credit']}, expected {want}")


@then("the platform's balance is lowered by the credit")
def platform_balance(portal: Portal) -> None:
    notes = portal.notes
    view = portal.golive.target.account(notes["account"])
    assert view is not None
    want = notes["before"] - notes["credit"]
    assert view.balance == want, (f"{notes['account']}: the platform's balance is "
                                  f"{view.balance}, expected {want}")


@then(parsers.parse('the platform holds the credit as an adjustment described as '
                    '"{description}", waiting for the next invoice'))
def platform_adjustment(portal: Portal, description: str) -> None:
    notes = portal.notes
    found = [t for t in portal.golive.target.transactions(notes["account"])
             if t.kind == "adjustment" and t.description == description]
    assert found, (f"{notes['account']}: no adjustment transaction described as {description!r} "
                   "on the platform")
    credit = found[-1]
    assert credit.amount == -notes["credit"], (
        f"{notes['account']}: the adjustment is {credit.amount}, expected {-notes['credit']}")
    assert credit.bill_run_id is None, (
        f"{notes['account']}: the credit was already billed in bill run #{credit.bill_run_id}; "
        "it must wait for the next invoice")


@then(parsers.parse('on account "{account}" the credit adjustment is open to staff roles '
                    '"{allowed}" and refused to "{refused}"'))
def adjustment_access(portal: Portal, account: str, allowed: str, refused: str) -> None:
    problems: list[str] = []
    for role in _roles(allowed):
        portal.staff_login(role)
        status = portal.admin(f"/accounts/{account}/adjustment")
        if status != 200 or not portal.shows("adjustment_form"):
            problems.append(f"{role}: not offered the form (HTTP {status}, {portal.where()})")
    for role in _roles(refused):
        portal.staff_login(role)
        status = portal.admin(f"/accounts/{account}/adjustment")
        if portal.shows("adjustment_form") or not portal.shows("forbidden"):
            problems.append(f"{role}: not refused (HTTP {status}, {portal.where()})")
    assert not problems, "credit adjustment access:\n" + "\n".join(problems)
