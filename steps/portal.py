"""Steps: the admin and customer portals in a real browser (Chromium via Playwright).

Each step drives the page the way staff or a customer would, then compares what
the page shows with what the `Target` says (its `portals` capability): a page
is never its own evidence. One Chromium per process (session fixture), a fresh
browser context per scenario (`portal` fixture). When a step fails, the page is
saved as a screenshot in the run directory and the path is appended to the
step's error. The data-testid names come from the profile's
``portals.selectors``; the pages' paths are the portal's routes under
``admin_url``/``customer_url``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from harness.browser import Browser, BrowserSession, chromium_path
from harness.config import Profile
from harness.pytest.context import GoliveContext, normalise
from harness.targets.base import require
from harness.targets.views import PortalView
from steps.needs import needs

_session_key = pytest.StashKey[BrowserSession]()
_golive_key = pytest.StashKey[GoliveContext]()
_MONEY = re.compile(r"-?[\d,]+(\.\d+)?")


def money(text: str) -> Decimal:
    """``$1,234.50`` / ``1,234.50`` / ``-3.00`` → Decimal; AssertionError if not money."""
    found = _MONEY.search(text.replace("\u2212", "-"))
    assert found is not None, f"the page shows {text!r} where an amount of money belongs"
    return Decimal(found.group(0).replace(",", ""))


class Portal:
    """One scenario's view of the portals: its page, where the portals are, who is in."""

    def __init__(self, golive: GoliveContext, session: BrowserSession) -> None:
        self.golive = golive
        self.session = session
        self.page: Any = session.page
        self.settings = golive.profile.portals
        self.ids = self.settings.selectors
        self._urls: PortalView | None = None
        self.customer: str | None = None  # account number logged in to the customer portal
        self.staff: str | None = None  # role logged in to the admin portal
        self.notes: dict[str, Any] = {}  # what earlier steps of the scenario saw

    # --- where ---------------------------------------------------------------------
    def urls(self) -> PortalView:
        admin, customer = self.settings.admin_url, self.settings.customer_url
        if admin and customer:
            return PortalView(admin.rstrip("/"), customer.rstrip("/"))
        if self._urls is None:
            # a target without portals: NOT APPLICABLE unless the profile names them
            found = require(self.golive.target.portals, "portals").urls()
            self._urls = PortalView(admin or found.admin_url, customer or found.customer_url)
        return self._urls

    def admin(self, path: str = "/") -> int:
        return self.goto(self.urls().admin_url + path)

    def portal(self, path: str = "/") -> int:
        return self.goto(self.urls().customer_url + path)

    def goto(self, url: str) -> int:
        response = self.page.goto(url)
        return int(response.status) if response is not None else 0

    # --- reading the page --------------------------------------------------------------
    def by(self, name: str) -> Any:
        """The element whose data-testid is the profile's selector ``name``."""
        return self.page.get_by_test_id(getattr(self.ids, name))

    def text(self, name: str) -> str:
        return str(self.by(name).first.inner_text()).strip()

    def shows(self, name: str) -> bool:
        return bool(self.by(name).count() > 0)

    def where(self) -> str:
        """What the page is, for error messages: its path and any error it shows."""
        path = re.sub(r"^https?://[^/]+", "", str(self.page.url))
        if self.shows("forbidden"):
            missing = self.text("missing_permission") if self.shows("missing_permission") else "?"
            return f"{path}: 403 Forbidden (missing permission {missing})"
        if self.shows("form_error"):
            return f"{path}: the page says {self.text('form_error')!r}"
        return path

    # --- logging in --------------------------------------------------------------------
    def staff_login(self, role: str) -> Any:
        logins = self.settings.staff
        assert role in logins, (
            f"no login for staff role {role!r} in the profile's portals.staff "
            f"(roles there: {', '.join(sorted(logins)) or 'none'})")
        login = logins[role]
        self.page.context.clear_cookies()
        self.admin("/login")
        self.by("admin_username").fill(login.username)
        self.by("admin_password").fill(login.password.get_secret_value())
        self.by("admin_submit").click()
        self.page.wait_for_load_state()
        assert self.shows("staff_user"), (
            f"staff role {role} ({login.username}) could not log in to the admin portal: "
            f"{self.where()}")
        shown = self.text("staff_user")
        assert shown == login.username, (
            f"the admin portal shows {shown!r} logged in, expected {login.username!r}")
        self.staff = role
        return login

    def customer_login(self, account: str) -> str:
        """Log in as ``account`` (number or name); returns the account number."""
        view = self.golive.target.account(account)
        assert view is not None, f"the target has no account {account!r}"
        customer = self.settings.customer
        assert customer is not None, "the profile has no portals.customer (account, password)"
        self.page.context.clear_cookies()
        self.portal("/login")
        self.by("customer_login").fill(view.number)
        self.by("customer_password").fill(customer.password.get_secret_value())
        self.by("customer_submit").click()
        self.page.wait_for_load_state()
        assert self.shows("account_number"), (
            f"customer {view.number} could not log in to the customer portal: {self.where()}")
        shown = self.text("account_number")
        assert shown == view.number, (
            f"the customer portal shows account {shown} after logging in as {view.number}")
        self.customer = view.number
        return view.number


# --- fixtures and the screenshot hook ---------------------------------------------------


@pytest.fixture(scope="session")
def portal_browser(golive_profile: Profile) -> Iterator[Browser]:
    """One headless Chromium for this process (each xdist worker has its own)."""
    settings = golive_profile.portals
    browser = Browser(chromium_path(settings.chromium), settings.timeout_seconds).start()
    yield browser
    browser.close()


@pytest.fixture
def portal(request: pytest.FixtureRequest, golive: GoliveContext,
           portal_browser: Browser) -> Iterator[Portal]:
    """A fresh browser context for this scenario: no cookies from any other scenario."""
    session = portal_browser.session(golive.run_dir / "screenshots",
                                     request.node.nodeid.rsplit("/", 1)[-1])
    request.node.stash[_session_key] = session
    request.node.stash[_golive_key] = golive
    yield Portal(golive, session)
    session.close()


@pytest.hookimpl(tryfirst=True)
def pytest_bdd_step_error(request: pytest.FixtureRequest, feature: Any, scenario: Any,
                          step: Any, step_func: Callable[..., object],
                          step_func_args: dict[str, object], exception: Exception) -> None:
    """A failed step of a browser scenario: save the page, attach it to the step (named by
    its SHA-256) and name the file in the error (runs before golive's recorder copies the
    error into the run record)."""
    session = request.node.stash.get(_session_key, None)
    if session is None:
        return
    path = session.screenshot(step.name)
    golive = request.node.stash.get(_golive_key, None)
    if path is not None and golive is not None:
        kept = golive.attach_file(path, "screenshot", f"the page when this step failed: "
                                                      f"{step.name}")
        path = golive.run_dir / kept.path if kept is not None and kept.path else path
    if path is not None and exception.args:
        exception.args = (f"{exception.args[0]}\nscreenshot: {path}", *exception.args[1:])
    elif path is not None:
        exception.args = (f"screenshot: {path}",)


# --- logging in: both portals -------------------------------------------------------------


@when("each staff role of the profile logs in to the admin portal",
      target_fixture="staff_seen")
def each_role_logs_in(portal: Portal) -> dict[str, str]:
    roles = sorted(portal.settings.staff)
    assert roles, "the profile's portals.staff names no staff role to log in with"
    seen: dict[str, str] = {}
    for role in roles:
        portal.staff_login(role)
        assert portal.shows("dashboard"), f"role {role}: no dashboard after login: {portal.where()}"
        seen[role] = portal.text("staff_user")
    return seen


@then("every role sees the admin dashboard under its own user")
def every_role_dashboard(portal: Portal, staff_seen: dict[str, str]) -> None:
    want = {role: login.username for role, login in portal.settings.staff.items()}
    assert staff_seen == want, f"logged-in users per role: {staff_seen}, expected {want}"


@given(parsers.parse('staff of role "{role}" are logged in to the admin portal'))
def staff_logged_in(portal: Portal, role: str) -> None:
    portal.staff_login(role)


@given("the profile's customer is logged in to the customer portal")
def profile_customer_logged_in(portal: Portal) -> None:
    customer = portal.settings.customer
    assert customer is not None, "the profile has no portals.customer (account, password)"
    portal.customer_login(customer.account)


@given(parsers.parse('the customer "{account}" is logged in to the customer portal'))
def customer_logged_in(portal: Portal, account: str) -> None:
    portal.customer_login(account)


@then("the customer portal pages render:")
def customer_pages_render(portal: Portal, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    col = {name.strip().lower(): i for i, name in enumerate(header)}
    assert {"page", "shows"} <= col.keys(), "the table needs the columns 'page' and 'shows'"
    broken: list[str] = []
    for row in rows:
        path, testid = row[col["page"]].strip(), row[col["shows"]].strip()
        status = portal.portal(path)
        if status != 200 or portal.page.get_by_test_id(testid).count() == 0:
            broken.append(f"{path}: HTTP {status}, {testid!r} "
                          f"{'missing' if status == 200 else ''} ({portal.where()})")
        elif portal.shows("account_number") and portal.text("account_number") != portal.customer:
            broken.append(f"{path}: shows account {portal.text('account_number')}")
    assert not broken, "customer portal pages that do not render:\n" + "\n".join(broken)


# --- account data shown in the customer portal -----------------------------------------------


def _next_bill_date(golive: GoliveContext, number: str) -> str | None:
    """The platform's next bill date of an account: the earliest of its active packages."""
    dates = [p.next_bill_date for p in golive.target.packages(number)
             if p.status == "active" and p.next_bill_date is not None]
    return min(dates).isoformat() if dates else None


@then("the customer portal shows these accounts as the platform and the checklist have them:")
def portal_shows_accounts(portal: Portal, datatable: list[list[str]]) -> None:
    golive = portal.golive
    header, *rows = datatable
    assert header and header[0].strip().lower() == "account", "the table needs a column 'account'"
    problems: list[str] = []
    for row in rows:
        label = row[0].strip()
        spec = golive.expected_account(label)
        view = golive.target.account(spec.account)
        assert view is not None, f"{label}: the target has no account {spec.account!r}"
        portal.customer_login(view.number)
        shown = {"name": portal.text("account_name"),
                 "next bill date": portal.text("next_bill_date") or None,
                 "balance": money(portal.text("balance"))}
        platform = {"name": view.name, "next bill date": _next_bill_date(golive, view.number),
                    "balance": view.balance}
        checklist = {"balance": getattr(spec.expect, "balance", None)}
        for field, want in platform.items():
            if normalise(shown[field]) != normalise(want):
                problems.append(f"{label} ({view.number}) {field}: the portal shows "
                                f"{normalise(shown[field])}, the platform has {normalise(want)}")
        for field, want in checklist.items():
            if want is not None and normalise(shown[field]) != normalise(want):
                problems.append(f"{label} ({view.number}) {field}: the portal shows "
                                f"{normalise(shown[field])}, the checklist expects "
                                f"{normalise(want)}")
    assert not problems, "the customer portal disagrees:\n" + "\n".join(problems)


# --- the usage report --------------------------------------------------------------------------


@when("they open their usage report")
def open_usage(portal: Portal) -> None:
    status = portal.portal("/usage")
    assert status == 200, f"the usage report answered HTTP {status}: {portal.where()}"


@needs("portals")
@then("the usage report shows the account's own minutes as the platform has them")
def usage_own_minutes(portal: Portal) -> None:
    assert portal.customer is not None
    usage = require(portal.golive.target.portals, "portals").usage(portal.customer)
    total = int(portal.text("usage_total"))
    calls = sum(int(c.inner_text()) for c in portal.by("usage_calls").all())
    assert (total, calls) == (usage.minutes, usage.calls), (
        f"{portal.customer}: the usage report shows {total} minutes in {calls} calls, "
        f"the platform has {usage.minutes} minutes in {usage.calls} calls")


@needs("pools")
@then("the usage report shows the minute pool as the platform has it")
def usage_pool(portal: Portal) -> None:
    assert portal.customer is not None
    golive = portal.golive
    pool = require(golive.target.pools, "pools").pool(portal.customer)
    assert pool is not None, f"the platform has no minute pool for {portal.customer}"
    shown = (portal.text("pool_owner"), int(portal.text("bucket_included")),
             int(portal.text("bucket_used")), int(portal.text("bucket_overage")))
    want = (pool.owner, pool.included, pool.used, pool.overage)
    assert shown == want, (
        f"{portal.customer}: the usage report shows pool (owner, included, used, overage) "
        f"{shown}, the platform has {want}")
