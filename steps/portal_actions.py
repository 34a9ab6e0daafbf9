"""Steps: what staff and customers *do* in the portals — tickets, online payment,
signup, contact details — each checked against the platform through the `Target`.

These scenarios write to staging after the bill run, so the features point them at
accounts no other feature checks. The browser, the `portal` fixture and the
screenshot on failure come from `steps.portal`.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

from pytest_bdd import parsers, then, when

from harness.targets.base import Target, require
from steps.portal import Portal, money

_TICKET_NO = re.compile(r"#(\d+)")


# --- tickets (admin portal) --------------------------------------------------------------


@when(parsers.parse('they create a ticket on account "{account}" with priority "{priority}"'))
def create_ticket(portal: Portal, account: str, priority: str) -> None:
    portal.golive.require_writable(f"creating a ticket on {account}")
    subject = f"golive ticket check {uuid.uuid4().hex[:8]}"
    status = portal.admin(f"/tickets/new?account={account}")
    assert status == 200, f"the new-ticket page answered HTTP {status}: {portal.where()}"
    portal.by("ticket_account").fill(account)
    portal.by("ticket_subject").fill(subject)
    portal.by("ticket_body").fill("Raised by golive to prove tickets can be created.")
    portal.by("ticket_priority").select_option(priority)
    portal.by("ticket_submit").click()
    portal.page.wait_for_load_state()
    assert portal.shows("flash"), f"no confirmation after creating the ticket: {portal.where()}"
    found = _TICKET_NO.search(portal.text("flash"))
    assert found, f"the confirmation names no ticket number: {portal.text('flash')!r}"
    portal.notes.update(ticket=int(found.group(1)), subject=subject, account=account)


@then(parsers.parse('the platform has the ticket on the account with status "{status}" '
                    'and priority "{priority}"'))
def platform_ticket(portal: Portal, status: str, priority: str) -> None:
    ticket_id = portal.notes["ticket"]
    ticket = require(portal.golive.target.portals, "portals").ticket(ticket_id)
    assert ticket is not None, f"the portal confirmed ticket #{ticket_id}; the platform has none"
    want = (portal.notes["account"], portal.notes["subject"], status, priority)
    got = (ticket.account, ticket.subject, ticket.status, ticket.priority)
    assert got == want, (f"ticket #{ticket_id} (account, subject, status, priority): "
                         f"the platform has {got}, expected {want}")


@when(parsers.parse('they change the ticket\'s status to "{status}" and priority to '
                    '"{priority}"'))
def edit_ticket(portal: Portal, status: str, priority: str) -> None:
    portal.golive.require_writable("editing a ticket")
    ticket_id = portal.notes["ticket"]
    code = portal.admin(f"/tickets/{ticket_id}")
    assert code == 200 and portal.shows("ticket_save"), (
        f"staff role {portal.staff} cannot open ticket #{ticket_id} for editing: HTTP {code}, "
        f"{portal.where()}")
    portal.by("ticket_status_select").select_option(status)
    portal.by("ticket_priority").select_option(priority)
    portal.by("ticket_save").click()
    portal.page.wait_for_load_state()
    assert not portal.shows("forbidden") and not portal.shows("form_error"), (
        f"saving ticket #{ticket_id} was refused: {portal.where()}")


@then(parsers.parse('the ticket page shows status "{status}" and priority "{priority}"'))
def ticket_page_shows(portal: Portal, status: str, priority: str) -> None:
    ticket_id = portal.notes["ticket"]
    portal.admin(f"/tickets/{ticket_id}")
    shown = (portal.text("ticket_status"),
             str(portal.by("ticket_priority").input_value()))
    assert shown == (status, priority), (
        f"ticket #{ticket_id} page shows (status, priority) {shown}, expected "
        f"{(status, priority)}")


# --- online payment (customer portal) -----------------------------------------------------


def _balance(target: Target, ref: str) -> Decimal:
    view = target.account(ref)
    assert view is not None, f"the platform has no account {ref!r}"
    return view.balance


@when(parsers.parse('they pay "{amount}" online with card "{card}"'))
def pay_online(portal: Portal, amount: str, card: str) -> None:
    portal.golive.require_writable(f"paying {amount} online")
    assert portal.customer is not None
    target = portal.golive.target
    status = portal.portal("/pay")
    assert status == 200, f"the payment page answered HTTP {status}: {portal.where()}"
    before_page = money(portal.text("balance"))
    before_platform = _balance(target, portal.customer)
    portal.by("payment_amount").fill(amount)
    portal.by("card_number").fill(card)
    portal.by("payment_submit").click()
    portal.page.wait_for_load_state()
    assert portal.shows("payment_result"), f"the payment page shows no outcome: {portal.where()}"
    result = portal.by("payment_result").first
    portal.notes.update(
        outcome=str(result.get_attribute("data-status") or "").strip() or result.inner_text(),
        message=str(result.inner_text()).strip(),
        page_before=before_page, page_after=money(portal.text("balance")),
        platform_before=before_platform,
        platform_after=_balance(target, portal.customer))


@then(parsers.parse('the payment is "{outcome}"'))
def payment_outcome(portal: Portal, outcome: str) -> None:
    assert portal.notes["outcome"] == outcome, (
        f"the payment was {portal.notes['outcome']!r} ({portal.notes['message']}), "
        f"expected {outcome!r}")


def _drop(portal: Portal, where: str) -> Decimal:
    return Decimal(portal.notes[f"{where}_before"]) - Decimal(portal.notes[f"{where}_after"])


@then(parsers.parse('the balance shown and the platform\'s balance dropped by "{amount}"'))
def balance_dropped(portal: Portal, amount: str) -> None:
    want = Decimal(amount)
    page, platform = _drop(portal, "page"), _drop(portal, "platform")
    assert (page, platform) == (want, want), (
        f"balance drop after the payment: the page shows {page} "
        f"({portal.notes['page_before']} → {portal.notes['page_after']}), the platform has "
        f"{platform} ({portal.notes['platform_before']} → {portal.notes['platform_after']}); "
        f"expected {want}")


@then("the balance shown and the platform's balance are unchanged")
def balance_unchanged(portal: Portal) -> None:
    balance_dropped(portal, "0")


# --- signup (customer portal) ---------------------------------------------------------------


@when(parsers.parse('a new customer signs up for package "{code}" with password "{password}"'))
def sign_up(portal: Portal, code: str, password: str) -> None:
    portal.golive.require_writable(f"signing a new customer up for {code}")
    tag = uuid.uuid4().hex[:8]
    person = {"first_name": "Golive", "last_name": f"Signup {tag}",
              "email": f"signup-{tag}@example.invalid", "phone": "555-0100",
              "street": "1 Test Street", "city": "Testville", "postcode": "00000"}
    portal.page.context.clear_cookies()
    status = portal.portal("/signup")
    assert status == 200, f"the signup page answered HTTP {status}: {portal.where()}"
    for key, value in person.items():
        portal.by(f"contact_{key}").fill(value)
    option = portal.by("signup_product").locator(f'option[data-code="{code}"]')
    assert option.count() == 1, f"the signup page offers no package {code}"
    portal.by("signup_product").select_option(option.get_attribute("value"))
    portal.by("signup_password").fill(password)
    portal.by("signup_submit").click()
    portal.page.wait_for_load_state()
    assert portal.shows("new_account_number"), f"signup did not finish: {portal.where()}"
    portal.notes.update(number=portal.text("new_account_number"), person=person,
                        password=password, code=code)


@then("the platform has the new account with that package and contact")
def platform_has_signup(portal: Portal) -> None:
    target, notes = portal.golive.target, portal.notes
    number, person = notes["number"], notes["person"]
    view = target.account(number)
    assert view is not None, f"signup showed account {number}; the platform has no such account"
    name = f"{person['first_name']} {person['last_name']}"
    codes = [p.code for p in target.packages(number) if p.status == "active"]
    contact = require(target.portals, "portals").contact(number)
    got = (view.name, view.status, codes, contact.email if contact else None)
    want = (name, "active", [notes["code"]], person["email"])
    assert got == want, f"account {number} (name, status, packages, email): {got}, expected {want}"


@then("the new customer can log in to the customer portal and sees their account")
def new_customer_logs_in(portal: Portal) -> None:
    number, password = portal.notes["number"], portal.notes["password"]
    portal.page.context.clear_cookies()
    portal.portal("/login")
    portal.by("customer_login").fill(number)
    portal.by("customer_password").fill(password)
    portal.by("customer_submit").click()
    portal.page.wait_for_load_state()
    assert portal.shows("account_number") and portal.text("account_number") == number, (
        f"the new customer {number} cannot log in: {portal.where()}")


# --- contact details (customer portal) --------------------------------------------------------

_CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "street", "city", "postcode")


def _fill_contact(portal: Portal, values: dict[str, str]) -> None:
    portal.golive.require_writable("saving contact details")
    status = portal.portal("/contact")
    assert status == 200, f"the contact page answered HTTP {status}: {portal.where()}"
    for key, value in values.items():
        assert key in _CONTACT_FIELDS, (
            f"unknown contact field {key!r} ({', '.join(_CONTACT_FIELDS)})")
        portal.by(f"contact_{key}").fill(value)
    portal.by("contact_submit").click()
    portal.page.wait_for_load_state()


@when("they save their contact details:")
def save_contact(portal: Portal, datatable: list[list[str]]) -> None:
    values = {row[0].strip(): row[1].strip() for row in datatable[1:]}
    _fill_contact(portal, values)
    assert not portal.shows("form_error"), f"the contact details were refused: {portal.where()}"
    portal.notes["contact"] = values


@then("the platform's contact of the account has those details")
def platform_contact(portal: Portal) -> None:
    assert portal.customer is not None
    values = portal.notes["contact"]
    contact = require(portal.golive.target.portals, "portals").contact(portal.customer)
    assert contact is not None, f"the platform has no contact for {portal.customer}"
    want = {"name": f"{values['first_name']} {values['last_name']}",
            **{k: values[k] for k in ("email", "phone", "street", "city", "postcode")}}
    got = {k: getattr(contact, k) for k in want}
    assert got == want, f"{portal.customer}'s contact on the platform: {got}, expected {want}"


@when(parsers.parse('they try to save the email "{email}"'))
def save_bad_email(portal: Portal, email: str) -> None:
    _fill_contact(portal, {"email": email})
    portal.notes["refused"] = portal.text("form_error") if portal.shows("form_error") else None


@then("the portal refuses it and the platform keeps the saved email")
def refused_email(portal: Portal) -> None:
    assert portal.customer is not None
    refused = portal.notes["refused"]
    assert refused and "email" in refused.lower(), (
        f"the portal accepted an invalid email (error shown: {refused!r})")
    contact = require(portal.golive.target.portals, "portals").contact(portal.customer)
    saved = portal.notes["contact"]["email"]
    assert contact is not None and contact.email == saved, (
        f"the platform's email is {contact.email if contact else None!r}, expected the saved "
        f"{saved!r}")
