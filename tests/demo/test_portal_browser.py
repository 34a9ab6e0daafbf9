"""The portals in a real Chromium (Playwright): what a QA engineer clicks through."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from demo.gateway import APPROVE_CARD, GatewayServer
from demo.models import Payment, Ticket
from demo.releases import get_release
from demo.upgrade import upgrade
from demo.web import PortalServer
from tests.demo.portal_fixtures import ADA, PASSWORD, SCRIPT, PortalDb, build_portal_db

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium package")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PortalDb, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('portal') / 'demo.db'}"
    with GatewayServer() as gateway:
        db = build_portal_db(url, gateway_url=gateway.url + "/api")
        upgrade(db.engine, get_release("1.1"))
        with PortalServer(db.engine, "1.1") as server:
            yield db, server.url
        db.engine.dispose()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context()  # fresh cookies per test
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_staff_logs_in_searches_and_creates_a_ticket(page, site) -> None:
    db, base = site
    page.goto(f"{base}/admin/")
    assert "/admin/login" in page.url
    page.get_by_test_id("username").fill("support")
    page.get_by_test_id("password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    assert page.get_by_test_id("staff-user").inner_text() == "support"

    page.get_by_test_id("search-input").fill("script")
    page.get_by_test_id("search-submit").click()
    page.get_by_test_id(f"result-{SCRIPT}").get_by_test_id("result-link").click()
    assert page.get_by_test_id("account-number").inner_text() == SCRIPT
    assert page.get_by_test_id("account-name").inner_text().startswith("<script>")

    page.get_by_test_id("new-ticket").click()
    assert page.get_by_test_id("ticket-account").input_value() == SCRIPT
    page.get_by_test_id("ticket-subject").fill("Browser ticket")
    page.get_by_test_id("ticket-body").fill("Created through Chromium")
    page.get_by_test_id("ticket-priority").select_option("high")
    page.get_by_test_id("ticket-submit").click()
    assert "created" in page.get_by_test_id("flash").inner_text()
    assert "Browser ticket" in page.get_by_test_id("tickets").inner_text()
    with Session(db.engine) as s:
        ticket = s.scalars(select(Ticket).where(Ticket.subject == "Browser ticket")).one()
        assert (ticket.priority, ticket.created_by) == ("high", "support")


def test_customer_sees_account_and_pays_online(page, site) -> None:
    db, base = site
    page.goto(f"{base}/portal/login")
    page.get_by_test_id("login").fill(ADA)
    page.get_by_test_id("password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    assert page.get_by_test_id("account-name").inner_text() == "Ada Lovelace"
    assert page.get_by_test_id("account-number").inner_text() == ADA
    assert page.get_by_test_id("next-bill-date").inner_text() == "2026-12-01"
    assert page.get_by_test_id("balance").inner_text() == "76.98"

    page.get_by_test_id("pay-link").click()
    page.get_by_test_id("payment-amount").fill("26.98")
    page.get_by_test_id("card-number").fill(APPROVE_CARD)
    page.get_by_test_id("payment-submit").click()
    result = page.get_by_test_id("payment-result")
    assert result.get_attribute("data-status") == "approved"
    assert page.get_by_test_id("balance").inner_text() == "50.00"
    page.get_by_test_id("nav-account").click()
    assert page.get_by_test_id("balance").inner_text() == "50.00"
    with Session(db.engine) as s:
        payment = s.scalars(select(Payment)).one()
        assert (payment.status, payment.source, str(payment.amount)) == (
            "approved", "portal", "26.98")
