"""``signoff.pdf``: the sign-off page printed by headless Chromium (``golive report --pdf``).

The page's own print CSS decides the layout (the summary on its own first
page, no contents list, colours kept); every collapsed section is opened
first so the PDF holds the steps and evidence the page shows. Chromium is the
system's (`harness.browser.chromium_path`), driven by Playwright.
"""

from __future__ import annotations

from pathlib import Path

from common.errors import EnvironmentProblem
from harness.browser import CHROMIUM_ARGS

__all__ = ["PDF_NAME", "render_pdf"]

PDF_NAME = "signoff.pdf"
_TIMEOUT_MS = 180_000  # a capped page of a big run prints in seconds; a loaded machine is slow


def render_pdf(html: Path, chromium: Path, out: Path | None = None) -> Path:
    """Print ``html`` to ``out`` (default: ``signoff.pdf`` beside it); return its path."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise EnvironmentProblem("the Python package playwright is not installed: "
                                 "pip install playwright") from None
    out = out or html.with_name(PDF_NAME)
    tmp = out.with_name(out.name + ".tmp")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(chromium), headless=True,
                                                 args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.set_default_timeout(_TIMEOUT_MS)
                page.goto(html.resolve().as_uri(), wait_until="load")
                page.emulate_media(media="print")
                page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
                page.pdf(path=str(tmp), format="A4", print_background=True,
                         margin={"top": "12mm", "bottom": "12mm", "left": "10mm",
                                 "right": "10mm"})
            finally:
                browser.close()
        tmp.replace(out)
    except PlaywrightError as exc:
        tmp.unlink(missing_ok=True)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise EnvironmentProblem(f"Chromium at {chromium} could not print {html}: {first}") \
            from None
    return out
