"""What a release manager sees, in a real Chromium: the summary first — verdict, blockers,
signatures — and the page printed by `golive report --pdf`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness import cli
from harness.reports import write_reports
from harness.signoff.render import SignatureView, signatures_html, splice
from tests.harness.report_records import evidence_record
from tests.harness.test_report_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.browser


def with_page(html: Path, look: Any, media: str = "screen") -> Any:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.emulate_media(media=media)
            page.goto(html.as_uri())
            return look(page)
        finally:
            browser.close()


def test_the_manager_sees_verdict_blockers_and_signatures_first(tmp_path: Path) -> None:
    html = write_reports(evidence_record(tmp_path), tmp_path)["signoff.html"]

    def look(page: Any) -> dict[str, Any]:
        first = page.evaluate("[...document.querySelectorAll('main > section, main > h2, "
                              "main > nav')].map(e => e.id)")
        return {
            "order": first,
            "verdict": page.inner_text("#verdict-text"),
            "summary_top": page.locator("#summary").bounding_box()["y"],
            "blockers_top": page.locator("#blocker-list").bounding_box()["y"],
            "blockers": page.inner_text("#blocker-list"),
            "signatures": page.inner_text("#signatures"),
            "gate_top": page.locator("#gate").bounding_box()["y"],
        }

    seen = with_page(html, look)
    assert seen["order"][0] == "summary"  # before the contents and every detail section
    assert seen["verdict"] == "NO-GO"
    assert seen["summary_top"] < 900 and seen["blockers_top"] < 900  # without scrolling
    assert seen["gate_top"] > seen["blockers_top"]
    assert "open a ticket (failed)" in seen["blockers"] and "HIGH" in seen["blockers"]
    assert "qa: MUST STILL SIGN" in seen["signatures"]
    assert "customer: MUST STILL SIGN" in seen["signatures"]


def test_signed_roles_show_who_signed_and_who_must_still_sign(tmp_path: Path) -> None:
    html = write_reports(evidence_record(tmp_path), tmp_path)["signoff.html"]
    views = [SignatureView(1, "qa", "Quinn", "approve", None, "2026-11-03T11:00", "valid"),
             SignatureView(2, "manager", "Mia", "approve", None, "2026-11-03T11:05", "stale",
                           ["run.json changed since it was signed"])]
    html.write_text(splice(html.read_text(), signatures_html(views, ["qa", "manager",
                                                                     "customer"])))
    roles = with_page(html, lambda page: page.inner_text("#signature-roles"))
    assert "qa: APPROVED by Quinn at 2026-11-03T11:00" in roles
    assert "manager: STALE signed by Mia, but the run changed since" in roles
    assert "customer: MUST STILL SIGN" in roles


def test_print_css_gives_the_summary_its_own_page(tmp_path: Path) -> None:
    html = write_reports(evidence_record(tmp_path), tmp_path)["signoff.html"]
    styles = with_page(html, lambda page: page.evaluate(
        "[getComputedStyle(document.querySelector('#summary')).breakAfter,"
        " getComputedStyle(document.querySelector('#contents')).display]"), media="print")
    assert styles == ["page", "none"]


def test_golive_report_pdf_prints_the_page_with_chromium(tmp_path: Path) -> None:
    paths = write_reports(evidence_record(tmp_path / "run"), tmp_path / "run")
    result = CliRunner().invoke(cli.main, ["report", str(paths["run.json"].parent), "--pdf",
                                           "--profile", str(tmp_path / "none.yaml")])
    assert result.exit_code == 1, result.output  # the run's verdict: NO-GO
    pdf = tmp_path / "run" / "signoff.pdf"
    assert "signoff.pdf" in result.output
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    assert pages >= 2, pages  # the summary on its own page, then the detail
