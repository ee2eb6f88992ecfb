"""Fixtures shared by the test folders: a real browser for the pages
tapegrad writes (Debian's Chromium, headless, driven with Playwright's
Python API: the system browser, never `playwright install`)."""

import os
import shutil

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium (skips, saying what is missing, without
    Playwright's Python package or the browser)."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright (Python package) is not installed"
    )
    exe = _chromium()
    if exe is None:
        pytest.skip("Chromium is not installed (Debian package chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()
