"""The browser wrapper (harness.browser) and the demo target's portals capability.

Real parts only: the system's Chromium, the demo's PortalServer on a small
hand-built SQLite database (tests.demo.portal_fixtures).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from common.errors import EnvironmentProblem
from harness.browser import Browser, chromium_path
from harness.targets.capabilities import Portals
from harness.targets.demo import DemoTarget
from tests.demo.portal_fixtures import ADA, PASSWORD, POOL_CHILD, build_portal_db
from tests.harness.target_profiles import demo_profile

pytest.importorskip("playwright.sync_api")


def test_missing_chromium_names_what_to_install(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(EnvironmentProblem) as err:
        chromium_path(tmp_path / "no-chromium")
    assert "no-chromium" in str(err.value) and "apt-get install chromium" in str(err.value)
    monkeypatch.setenv("GOLIVE_CHROMIUM", str(tmp_path / "nope"))
    with pytest.raises(EnvironmentProblem, match=r"\$GOLIVE_CHROMIUM"):
        chromium_path(None)


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoTarget]:
    root = tmp_path_factory.mktemp("portal")
    url = f"sqlite:///{root / 'demo.db'}"
    build_portal_db(url).engine.dispose()
    demo = DemoTarget(demo_profile(root, url))
    yield demo
    demo.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = Browser(chromium_path(None), timeout_seconds=15).start()
    yield chromium
    chromium.close()


def _listening(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex((parts.hostname or "", parts.port or 80)) == 0


def test_demo_target_starts_its_portals_once_and_close_stops_them(target: DemoTarget) -> None:
    import urllib.request

    assert isinstance(target.portals, Portals)
    first = target.portals.urls()
    assert target.portals.urls() == first  # one server per process, not one per call
    with urllib.request.urlopen(first.customer_url + "/login") as answer:
        assert answer.status == 200
    assert _listening(first.customer_url)
    target.close()  # DemoTarget.close() stops the portal server, then the engine
    assert not _listening(first.customer_url)  # the port is closed
    target.close()  # idempotent
    again = target.portals.urls()  # started again on demand after a close
    assert again.customer_url.startswith("http://127.0.0.1:")


def test_reads_the_portals_are_compared_with(target: DemoTarget) -> None:
    portals = target.portals
    contact = portals.contact(ADA)
    assert contact is not None and contact.name == "Ada Lovelace"
    tickets = portals.tickets(ADA)
    assert tickets and tickets[0].account == ADA and portals.ticket(tickets[0].id) == tickets[0]
    usage = portals.usage(POOL_CHILD)
    assert usage.calls > 0 and usage.minutes > 0


def test_fresh_context_per_session_and_screenshot_in_run_dir(
    browser: Browser, target: DemoTarget, tmp_path: Path
) -> None:
    urls = target.portals.urls()
    first = browser.session(tmp_path / "shots", "features/x.feature::logged in")
    page: Any = first.page
    page.goto(urls.customer_url + "/login")
    page.get_by_test_id("login").fill(ADA)
    page.get_by_test_id("password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    assert page.get_by_test_id("account-number").inner_text() == ADA
    shot = first.screenshot("after login")
    assert shot is not None and shot.parent == tmp_path / "shots"
    assert shot.read_bytes().startswith(b"\x89PNG")
    second = browser.session(tmp_path / "shots", "other")
    second.page.goto(urls.customer_url + "/")
    assert "/portal/login" in second.page.url  # no cookies from the first session
    first.close()
    second.close()
