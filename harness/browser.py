"""A small Playwright wrapper: one headless Chromium per process, a fresh context per
scenario, a screenshot of the page when a step fails.

Playwright cannot download browsers on these machines, so Chromium is the
system's executable: the profile's ``portals.chromium``, else ``$GOLIVE_CHROMIUM``,
else /usr/bin/chromium. A missing browser or Playwright is an `EnvironmentProblem`
that says what to install, never a traceback from deep inside Playwright.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any

from common.errors import EnvironmentProblem

__all__ = ["CHROMIUM_ARGS", "DEFAULT_CHROMIUM", "Browser", "BrowserSession", "chromium_path"]

DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ENV_VAR = "GOLIVE_CHROMIUM"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def chromium_path(configured: Path | str | None = None) -> Path:
    """The Chromium executable to launch; EnvironmentProblem naming the fix when absent."""
    if configured:
        path, source = Path(configured), "portals.chromium in the profile"
    elif os.environ.get(ENV_VAR):
        path, source = Path(os.environ[ENV_VAR]), f"${ENV_VAR}"
    else:
        path, source = DEFAULT_CHROMIUM, "the default"
    if not path.is_file() or not os.access(path, os.X_OK):
        raise EnvironmentProblem(
            f"Chromium not found at {path} ({source}): install it (Debian: apt-get install "
            f"chromium) or point portals.chromium or ${ENV_VAR} at a Chromium executable")
    return path


def safe_name(text: str, limit: int = 80) -> str:
    """``features/portal.feature::Staff log in[admin]`` → a file-name-safe stem."""
    return _UNSAFE.sub("_", text).strip("_")[:limit] or "page"


class BrowserSession:
    """One scenario's browser context and page; cookies never leak between scenarios."""

    def __init__(self, context: Any, screenshots: Path, name: str, timeout_ms: int) -> None:
        self.context = context
        context.set_default_timeout(timeout_ms)
        self.page: Any = context.new_page()
        self.screenshots = screenshots
        self.name = safe_name(name)
        self.taken: list[Path] = []

    def screenshot(self, label: str) -> Path | None:
        """Save the page as PNG under the run directory; None if the page is gone."""
        from playwright.sync_api import Error as PlaywrightError

        self.screenshots.mkdir(parents=True, exist_ok=True)
        path = self.screenshots / f"{self.name}-{len(self.taken) + 1}-{safe_name(label, 40)}.png"
        try:
            self.page.screenshot(path=str(path), full_page=True)
        except PlaywrightError:
            return None  # the page crashed or closed: the step's own error says why
        self.taken.append(path)
        return path

    def close(self) -> None:
        from playwright.sync_api import Error as PlaywrightError

        with contextlib.suppress(PlaywrightError):  # the browser is already gone
            self.context.close()


class Browser:
    """Headless Chromium for this process: `start` once, `session` per scenario, `close`."""

    def __init__(self, executable: Path, timeout_seconds: int = 15) -> None:
        self.executable = executable
        self.timeout_ms = timeout_seconds * 1000
        self._playwright: Any = None
        self._browser: Any = None

    def start(self) -> Browser:
        try:
            from playwright.sync_api import Error as PlaywrightError
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise EnvironmentProblem(
                "the Python package playwright is not installed: pip install playwright "
                "(no browser download needed: golive uses the system's Chromium)") from None
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=str(self.executable), headless=True, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            self._playwright.stop()
            self._playwright = None
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise EnvironmentProblem(f"Chromium at {self.executable} did not start: {first}") \
                from None
        return self

    @property
    def version(self) -> str:
        return str(self._browser.version) if self._browser is not None else "not started"

    def session(self, screenshots: Path, name: str) -> BrowserSession:
        """A fresh context (own cookies and storage) and page for one scenario."""
        if self._browser is None:
            self.start()
        return BrowserSession(self._browser.new_context(), screenshots, name, self.timeout_ms)

    def close(self) -> None:
        browser, self._browser = self._browser, None
        playwright, self._playwright = self._playwright, None
        if browser is not None:
            browser.close()
        if playwright is not None:
            playwright.stop()
