"""The portals over real HTTP: a threaded server on 127.0.0.1, a cookie-keeping client,
the hand-built database on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from demo.gateway import APPROVE_CARD, DECLINE_CARD, GatewayServer
from demo.models import (
    Account,
    Contact,
    Payment,
    PortalUser,
    Product,
    Ticket,
    Transaction,
    UserPackage,
)
from demo.releases import get_release
from demo.upgrade import upgrade
from demo.web import PortalServer
from tests.demo.portal_fixtures import (
    ADA,
    ADA_BALANCE,
    ADA_NEXT_BILL,
    PASSWORD,
    POOL_CHILD,
    ROLES_1_0,
    SCRIPT,
    SCRIPT_NAME,
    PortalDb,
    build_portal_db,
)


@dataclass
class Reply:
    status: int
    body: str
    location: str | None

    def testid(self, name: str) -> str:
        """Text of the first element with ``data-testid=name`` (no nested tags)."""
        match = re.search(rf'data-testid="{re.escape(name)}"[^>]*>([^<]*)<', self.body)
        assert match, f"no data-testid={name!r} in page:\n{self.body[:2000]}"
        return match.group(1).strip()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Browserless:
    """A cookie-keeping HTTP client that does not follow redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(self, method: str, path: str, data: dict[str, str] | None = None) -> Reply:
        body = urllib.parse.urlencode(data or {}).encode() if method == "POST" else None
        req = urllib.request.Request(self.base + path, data=body, method=method)
        try:
            with self.opener.open(req, timeout=30) as resp:
                return Reply(resp.status, resp.read().decode(), resp.headers.get("Location"))
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, exc.read().decode(), exc.headers.get("Location"))

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, str] | None = None) -> Reply:
        return self.request("POST", path, data)

    def staff_login(self, username: str, password: str = PASSWORD) -> Reply:
        return self.post("/admin/login", {"username": username, "password": password})

    def customer_login(self, login: str, password: str = PASSWORD) -> Reply:
        return self.post("/portal/login", {"login": login, "password": password})


@dataclass
class Site:
    db: PortalDb
    server: PortalServer
    gateway: GatewayServer

    def client(self) -> Browserless:
        return Browserless(self.server.url)

    def session(self) -> Session:
        return Session(self.db.engine)


@pytest.fixture
def make_site(db_url: str) -> Iterator[object]:
    """``make_site(release, upgraded=True)`` builds the database, deploys and serves it."""
    started: list[tuple[PortalServer, GatewayServer, PortalDb]] = []
    gateway = GatewayServer().start()
    db = build_portal_db(db_url, gateway_url=gateway.url + "/api")

    def make(release: str, upgraded: bool = True) -> Site:
        if upgraded:
            upgrade(db.engine, get_release(release))
        server = PortalServer(db.engine, release).start()
        started.append((server, gateway, db))
        return Site(db, server, gateway)

    yield make
    for server, _, _ in started:
        server.stop()
    gateway.stop()
    db.engine.dispose()


# --- the permission matrix ----------------------------------------------------------

# (method, path, permission); "{t}" is Ada's ticket id. Empty POSTs are rejected with
# 400 by a permitted user, so the matrix never changes data except closing the ticket.
PAGES: list[tuple[str, str, str]] = [
    ("GET", "/admin/accounts?q=Ada", "accounts.view"),
    ("GET", f"/admin/accounts/{ADA}", "accounts.view"),
    ("GET", "/admin/accounts/new", "accounts.add"),
    ("POST", "/admin/accounts/new", "accounts.add"),
    ("GET", f"/admin/accounts/{ADA}/packages/new", "packages.add"),
    ("POST", f"/admin/accounts/{ADA}/packages/new", "packages.add"),
    ("GET", f"/admin/accounts/{ADA}/payment", "payments.process"),
    ("POST", f"/admin/accounts/{ADA}/payment", "payments.process"),
    ("GET", f"/admin/accounts/{ADA}/adjustment", "adjustments.create"),
    ("POST", f"/admin/accounts/{ADA}/adjustment", "adjustments.create"),
    ("GET", "/admin/tickets", "tickets.create"),
    ("GET", "/admin/tickets/new", "tickets.create"),
    ("POST", "/admin/tickets/new", "tickets.create"),
    ("GET", "/admin/tickets/{t}", "tickets.edit"),
    ("POST", "/admin/tickets/{t}", "tickets.edit"),
    ("POST", "/admin/tickets/{t}/close", "tickets.edit"),
    ("GET", "/admin/workorders", "workorders.manage"),
    ("GET", "/admin/workorders/new", "workorders.manage"),
    ("POST", "/admin/workorders/new", "workorders.manage"),
    ("GET", "/admin/events", "eventlog.view"),
    ("GET", "/admin/events?level=ERROR", "eventlog.view"),
    ("GET", "/admin/permissions", "permissions.view"),
]


def expected_permissions(role: str, release: str) -> set[str]:
    perms = set(ROLES_1_0[role])
    rel = get_release(release)
    if rel.at_least("1.1") and role in ("admin", "billing"):
        perms.add("adjustments.create")
    if release == "1.1-support-no-ticket-edit" and role == "support":
        perms.discard("tickets.edit")
    return perms


@pytest.mark.parametrize("release", ["1.0", "1.1", "1.1-support-no-ticket-edit"])
def test_each_role_gets_403_exactly_where_its_permissions_say(make_site, release: str) -> None:
    site = make_site(release)
    for role in ROLES_1_0:
        client = site.client()
        assert client.staff_login(role).status == 303
        granted = expected_permissions(role, release)
        for method, path, perm in PAGES:
            path = path.format(t=site.db.ticket_id)
            reply = client.request(method, path)
            where = f"{role} {method} {path} on {release}"
            if perm == "adjustments.create" and release == "1.0":
                assert reply.status == 404, where  # the feature does not exist in 1.0
            elif perm in granted:
                assert reply.status in (200, 303, 400), where
                assert reply.location is None or "/login" not in reply.location, where
            else:
                assert reply.status == 403, where
                assert reply.testid("missing-permission") == perm, where
                assert 'data-testid="forbidden"' in reply.body


def test_unauthenticated_requests_go_to_login(make_site) -> None:
    site = make_site("1.1")
    client = site.client()
    reply = client.get(f"/admin/accounts/{ADA}")
    assert reply.status == 303
    assert reply.location.endswith("/admin/login?next=/admin/accounts/A000001")
    assert client.post(f"/admin/accounts/{ADA}/adjustment", {"amount": "5"}).status == 303
    reply = client.get("/portal/pay")
    assert reply.status == 303 and "/portal/login" in reply.location
    with site.session() as s:
        assert s.scalar(select(Account.balance).where(Account.number == ADA)) == ADA_BALANCE


def test_wrong_password_is_refused_and_next_is_followed(make_site) -> None:
    site = make_site("1.1")
    client = site.client()
    bad = client.staff_login("admin", "wrong")
    assert bad.status == 401
    assert "wrong password" in bad.testid("form-error")
    assert client.get("/admin/").status == 303  # still not logged in
    reply = client.post("/admin/login?next=/admin/events", {"username": "support",
                                                             "password": PASSWORD})
    assert reply.location.endswith("/admin/events")
    assert client.customer_login(ADA, "nope").status == 401
    assert client.get("/portal/").status == 303
    outside = client.post("/portal/login?next=//evil.example/", {"login": ADA,
                                                                 "password": PASSWORD})
    assert outside.location.endswith("/portal/")


def test_support_edits_tickets_on_1_1(make_site) -> None:
    site = make_site("1.1")
    client = site.client()
    client.staff_login("support")
    reply = client.post(f"/admin/tickets/{site.db.ticket_id}",
                        {"subject": "Slow internet (line checked)", "body": "Rebooted",
                         "status": "pending", "priority": "high"})
    assert reply.status == 303
    with site.session() as s:
        ticket = s.get(Ticket, site.db.ticket_id)
        assert (ticket.subject, ticket.status, ticket.priority) == (
            "Slow internet (line checked)", "pending", "high")
    assert client.post(f"/admin/tickets/{site.db.ticket_id}/close").status == 303
    with site.session() as s:
        assert s.get(Ticket, site.db.ticket_id).status == "closed"


def test_support_cannot_edit_tickets_after_the_regressed_upgrade(make_site) -> None:
    site = make_site("1.1-support-no-ticket-edit")
    client = site.client()
    client.staff_login("support")
    reply = client.post(f"/admin/tickets/{site.db.ticket_id}",
                        {"subject": "changed", "body": "x", "status": "closed",
                         "priority": "low"})
    assert reply.status == 403
    assert reply.testid("missing-permission") == "tickets.edit"
    assert client.get("/admin/tickets").status == 200  # can still list and create
    with site.session() as s:
        assert s.get(Ticket, site.db.ticket_id).subject == "Slow internet"


def test_credit_adjustment_needs_the_1_1_upgrade(make_site) -> None:
    site = make_site("1.1", upgraded=False)
    client = site.client()
    client.staff_login("admin")
    page = client.get(f"/admin/accounts/{ADA}")
    assert 'data-testid="adjustment-form"' not in page.body
    reply = client.post(f"/admin/accounts/{ADA}/adjustment", {"amount": "10", "reason": "x"})
    assert reply.status == 403
    assert reply.testid("missing-permission") == "adjustments.create"

    assert "added permission adjustments.create" in upgrade(site.db.engine, get_release("1.1"))
    assert 'data-testid="adjustment-form"' in client.get(f"/admin/accounts/{ADA}").body
    bad = client.post(f"/admin/accounts/{ADA}/adjustment", {"amount": "-3", "reason": "x"})
    assert bad.status == 400 and "greater than zero" in bad.testid("form-error")
    reply = client.post(f"/admin/accounts/{ADA}/adjustment",
                        {"amount": "10.50", "reason": "Outage credit"})
    assert reply.status == 303
    page = client.get(f"/admin/accounts/{ADA}")
    assert page.testid("balance") == f"{ADA_BALANCE - Decimal('10.50'):,.2f}"
    with site.session() as s:
        acct = s.scalar(select(Account).where(Account.number == ADA))
        assert acct.balance == ADA_BALANCE - Decimal("10.50")
        adj = s.scalars(select(Transaction).where(Transaction.account_id == acct.id,
                                                  Transaction.kind == "adjustment")).one()
        assert adj.amount == Decimal("-10.50") and adj.invoice_id is None


def test_permissions_page_shows_the_matrix(make_site) -> None:
    site = make_site("1.1")
    client = site.client()
    client.staff_login("admin")
    page = client.get("/admin/permissions")
    assert page.testid("perm-billing-adjustments.create") == "yes"
    assert page.testid("perm-support-adjustments.create") == "no"
    assert page.testid("perm-support-tickets.edit") == "yes"
    assert page.testid("perm-sales-accounts.add") == "yes"
    assert page.testid("perm-billing-tickets.create") == "no"


# --- admin pages ----------------------------------------------------------------------


def test_search_and_account_page(make_site) -> None:
    site = make_site("1.1")
    client = site.client()
    client.staff_login("billing")
    found = client.get("/admin/accounts?q=lovelace")
    assert f'data-testid="result-{ADA}"' in found.body
    assert f'data-testid="result-{SCRIPT}"' not in found.body
    assert f'data-testid="result-{POOL_CHILD}"' in client.get("/admin/accounts?q=A000004").body
    page = client.get(f"/admin/accounts/{ADA}")
    assert page.testid("account-name") == "Ada Lovelace"
    assert page.testid("balance") == "76.98"
    assert page.testid("next-bill-date") == "2026-12-01"
    assert "INV-20261101-A000001" in page.body
    assert page.testid("invoice-total") == "76.98"
    assert client.get("/admin/accounts/A999999").status == 404


def test_add_account_and_package(make_site) -> None:
    site = make_site("1.1")
    client = site.client()
    client.staff_login("sales")
    form = {"name": "Grace Hopper", "bill_day": "31", "first_name": "Grace",
            "last_name": "Hopper", "email": "grace@example.com", "phone": "555",
            "street": "2 Navy Rd", "city": "Arlington", "postcode": "22201"}
    bad = client.post("/admin/accounts/new", {**form, "email": "grace.example.com"})
    assert bad.status == 400 and "email" in bad.testid("form-error")
    reply = client.post("/admin/accounts/new", form)
    assert reply.status == 303 and reply.location.endswith("/admin/accounts/A000005")
    with site.session() as s:
        inet = s.scalar(select(Product).where(Product.code == "INET-100"))
    reply = client.post("/admin/accounts/A000005/packages/new",
                        {"product_id": str(inet.id), "start_date": "2026-11-15",
                         "quantity": "2"})
    assert reply.status == 303
    with site.session() as s:
        acct = s.scalar(select(Account).where(Account.number == "A000005"))
        assert acct.bill_day == 31 and acct.name == "Grace Hopper"
        up = s.scalars(select(UserPackage).where(UserPackage.account_id == acct.id)).one()
        assert (up.next_bill_date, up.quantity, up.provisioned) == (
            dt.date(2026, 11, 15), 2, False)


def test_tickets_and_work_orders(make_site) -> None:
    site = make_site("1.1")
    client = site.client()
    client.staff_login("support")
    reply = client.post("/admin/tickets/new", {"account": SCRIPT, "subject": "No TV",
                                               "body": "Black screen", "priority": "urgent"})
    assert reply.status == 303
    listing = client.get("/admin/tickets?status=open")
    assert "No TV" in listing.body and "Slow internet" in listing.body
    assert client.post("/admin/tickets/new", {"account": "A999999", "subject": "x",
                                              "body": "y", "priority": "low"}).status == 400
    reply = client.post("/admin/workorders/new", {"account": SCRIPT, "ticket_id": "",
                                                  "description": "Replace set-top box",
                                                  "assigned_to": "tech1"})
    assert reply.status == 303
    order_path = urllib.parse.urlparse(reply.location).path
    assert re.fullmatch(r"/admin/workorders/\d+", order_path)
    reply = client.post(order_path, {"status": "done", "description": "Box replaced",
                                     "assigned_to": "tech1", "ticket_id": ""})
    assert reply.status == 303
    assert client.get(order_path).testid("workorder-status") == "done"


def test_event_log_level_filter(make_site) -> None:
    site = make_site("1.1")
    client = site.client()
    client.staff_login("support")
    errors = client.get("/admin/events?level=ERROR")
    assert "unreachable" in errors.body and "bill run started" not in errors.body
    assert "bill run started" in client.get("/admin/events").body


def test_admin_payment_with_stored_card(make_site) -> None:
    site = make_site("1.1")
    client = site.client()
    client.staff_login("billing")
    reply = client.post(f"/admin/accounts/{ADA}/payment",
                        {"amount": "20.00", "method_id": str(site.db.card_method_id)})
    assert reply.status == 200, reply.body
    assert 'data-status="approved"' in reply.body
    assert reply.testid("balance") == "56.98"
    assert site.gateway.requests[-1]["body"]["token"] == "tok_0a1b2c3d"
    with site.session() as s:
        payment = s.scalars(select(Payment)).one()
        assert (payment.status, payment.source) == ("approved", "admin")


# --- customer portal --------------------------------------------------------------------


def test_portal_shows_balance_and_next_bill_date(make_site) -> None:
    site = make_site("1.1")
    client = site.client()
    assert client.customer_login(ADA).status == 303
    page = client.get("/portal/")
    assert page.testid("account-name") == "Ada Lovelace"
    assert page.testid("account-number") == ADA
    assert page.testid("next-bill-date") == ADA_NEXT_BILL.isoformat()
    assert page.testid("balance") == "76.98"


def test_portal_shows_the_stale_balance_on_the_regressed_release(make_site) -> None:
    site = make_site("1.1-portal-stale-balance")
    client = site.client()
    client.customer_login(ADA)
    page = client.get("/portal/")
    assert page.testid("balance") == "0.00"  # 76.98 minus the latest run's invoice
    assert page.testid("next-bill-date") == "2026-12-01"
    other = site.client()
    other.customer_login(SCRIPT)  # not billed by the latest run: unaffected
    assert other.get("/portal/").testid("balance") == "12.50"


def test_portal_usage_report(make_site) -> None:
    site = make_site("1.1")
    client = site.client()
    client.customer_login(POOL_CHILD)
    page = client.get("/portal/usage")
    assert 'data-testid="usage-2026-10-03"' in page.body
    row = re.search(r'data-testid="usage-2026-10-03">(.*?)</tr>', page.body, re.S).group(1)
    assert '"usage-calls">2<' in row and '"usage-minutes">20<' in row
    assert page.testid("usage-total") == "50"
    assert page.testid("pool-owner") == "A000003"
    assert page.testid("bucket-included") == "400"
    assert page.testid("bucket-used") == "50"


def test_contact_edit_persists_and_rejects_a_bad_email(make_site) -> None:
    site = make_site("1.1")
    client = site.client()
    client.customer_login(ADA)
    form = {"first_name": "Ada", "last_name": "King", "email": "ada.king@example.org",
            "phone": "+44 20 7946 0000", "street": "12 St James's Sq", "city": "London",
            "postcode": "SW1Y 4JH"}
    bad = client.post("/portal/contact", {**form, "email": "not-an-email"})
    assert bad.status == 400
    assert "not a valid email" in bad.testid("form-error")
    assert client.post("/portal/contact", form).status == 303
    page = client.get("/portal/contact")
    assert 'value="ada.king@example.org"' in page.body
    with site.session() as s:
        acct = s.scalar(select(Account).where(Account.number == ADA))
        contact = s.scalars(select(Contact).where(Contact.account_id == acct.id)).one()
        assert (contact.last_name, contact.email, contact.city) == (
            "King", "ada.king@example.org", "London")


def test_portal_tickets(make_site) -> None:
    site = make_site("1.1")
    client = site.client()
    client.customer_login(SCRIPT)
    assert client.post("/portal/tickets", {"subject": "", "body": "x"}).status == 400
    assert client.post("/portal/tickets", {"subject": "Remote broken",
                                           "body": "Buttons stuck"}).status == 303
    page = client.get("/portal/tickets")
    assert page.testid("ticket-subject") == "Remote broken"
    assert "Slow internet" not in page.body  # Ada's ticket is not shown to others


def test_portal_payment_approved_and_declined(make_site) -> None:
    site = make_site("1.1")
    client = site.client()
    client.customer_login(ADA)
    declined = client.post("/portal/pay", {"amount": "30.00", "card_number": DECLINE_CARD})
    assert declined.status == 402
    assert 'data-status="declined"' in declined.body
    assert declined.testid("balance") == "76.98"
    approved = client.post("/portal/pay", {"amount": "30.00", "card_number": APPROVE_CARD})
    assert approved.status == 200
    assert approved.testid("payment-result").startswith("Payment approved")
    assert approved.testid("balance") == "46.98"
    assert client.post("/portal/pay", {"amount": "abc", "card_number": APPROVE_CARD}
                       ).status == 400
    with site.session() as s:
        assert [p.status for p in s.scalars(select(Payment).order_by(Payment.id))] == [
            "declined", "approved"]
        assert {p.source for p in s.scalars(select(Payment))} == {"portal"}


def test_signup_creates_account_package_and_portal_user(make_site) -> None:
    site = make_site("1.1")
    client = site.client()
    with site.session() as s:
        voice = s.scalar(select(Product).where(Product.code == "VOICE-200"))
    form = {"first_name": "Alan", "last_name": "Turing", "email": "alan@example.com",
            "phone": "555 0199", "street": "Bletchley Park", "city": "Milton Keynes",
            "postcode": "MK3 6EB", "product_id": str(voice.id), "start_date": "2026-11-05",
            "password": "demo"}
    assert client.post("/portal/signup", {**form, "email": "alan@"}).status == 400
    reply = client.post("/portal/signup", form)
    assert reply.status == 200
    number = reply.testid("new-account-number")
    assert number == "A000005"
    with site.session() as s:
        acct = s.scalar(select(Account).where(Account.number == number))
        assert acct.name == "Alan Turing" and acct.bill_day == 5
        up = s.scalars(select(UserPackage).where(UserPackage.account_id == acct.id)).one()
        assert (up.product_id, up.next_bill_date, up.provisioned) == (
            voice.id, dt.date(2026, 11, 5), False)
        assert s.scalar(select(PortalUser.login).where(PortalUser.account_id == acct.id)) \
            == number
        assert s.scalar(select(Contact.email).where(Contact.account_id == acct.id)) \
            == "alan@example.com"
    new = site.client()
    assert new.customer_login(number).status == 303
    page = new.get("/portal/")
    assert page.testid("next-bill-date") == "2026-11-05"
    assert page.testid("balance") == "0.00"


# --- escaping and error pages -----------------------------------------------------------


def test_account_names_are_escaped(make_site) -> None:
    site = make_site("1.1")
    staff = site.client()
    staff.staff_login("admin")
    customer = site.client()
    customer.customer_login(SCRIPT)
    for page in (staff.get(f"/admin/accounts/{SCRIPT}"), staff.get("/admin/accounts?q=script"),
                 customer.get("/portal/")):
        assert page.status == 200
        assert SCRIPT_NAME not in page.body
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Ltd" in page.body


def test_not_found_and_server_error_pages(make_site, caplog: pytest.LogCaptureFixture) -> None:
    site = make_site("1.1")
    client = site.client()
    missing = client.get("/no/such/page")
    assert missing.status == 404 and missing.testid("error-code") == "404"
    client.staff_login("admin")
    with site.db.engine.begin() as conn:
        conn.execute(text("DROP TABLE work_orders"))
    with caplog.at_level(logging.ERROR, logger="demo.web"):
        broken = client.get("/admin/workorders")
    assert broken.status == 500
    assert broken.testid("error-code") == "500"
    assert "Traceback" not in broken.body and "work_orders" not in broken.body
    assert any("unhandled error on GET /admin/workorders" in r.getMessage()
               for r in caplog.records)
    assert client.get("/admin/").status == 200  # the server goes on
