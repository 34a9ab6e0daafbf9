"""The sign-off page opened from disk in a real Chromium: it renders and loads nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from harness.coverage import compute_coverage
from harness.gate import decide
from harness.record import AccountCheck, Outcome, RunRecord, RunStatus
from harness.reports import write_reports
from tests.harness.gate_records import ITEMS, Rules, good_record

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def gated(record: RunRecord) -> RunRecord:
    compute_coverage(record, ITEMS, {})
    decide(record, Rules(), dt.date(2026, 11, 3))
    return record


def open_report(html: Path) -> tuple[dict[str, str], list[str], bool]:
    """Open ``html`` via file://; return the banner's texts, every request URL, and
    whether a script ran (an injected alert would show up as a dialog)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package")
    requests: list[str] = []
    dialogs: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(html.as_uri())
            page.wait_for_load_state("networkidle")
            texts = {
                "verdict": page.inner_text("#verdict-text"),
                "banner": page.inner_text("#verdict"),
                "alarm": page.inner_text("#run-status-alarm")
                if page.locator("#run-status-alarm").count() else "",
                "background": page.eval_on_selector(
                    "#verdict", "e => getComputedStyle(e).backgroundColor"),
                "accounts": page.inner_text("#accounts + table"),
            }
        finally:
            browser.close()
    return texts, requests, bool(dialogs)


def test_no_go_report_renders_offline_with_its_verdict(tmp_path: Path) -> None:
    record = good_record()
    record.status = RunStatus.INTERRUPTED
    record.stages[-1].outcome = Outcome.INTERRUPTED
    record.accounts.append(
        AccountCheck("<script>alert('pwn')</script>", "balance", "1.00", "2.00", False))
    html = write_reports(gated(record), tmp_path)["signoff.html"]
    texts, requests, script_ran = open_report(html)
    assert texts["verdict"] == "NO-GO"
    assert "status interrupted" in texts["banner"]
    assert "RUN INTERRUPTED" in texts["alarm"]
    assert texts["background"] == "rgb(179, 38, 30)"  # the red banner
    assert "<script>alert('pwn')</script>" in texts["accounts"]  # shown as text
    assert not script_ran
    assert requests == [html.as_uri()]  # nothing but the page itself: self-contained


def test_go_report_shows_a_green_banner(tmp_path: Path) -> None:
    html = write_reports(gated(good_record()), tmp_path)["signoff.html"]
    texts, requests, _ = open_report(html)
    assert texts["verdict"] == "GO"
    assert texts["alarm"] == ""
    assert texts["background"] == "rgb(27, 127, 59)"
    assert requests == [html.as_uri()]
