"""What browser tests call directly: where Chromium is, logging in through the admin's form, and
full-page screenshots kept for people (and CI) to look at.

Pages come from the `page` fixture (conftest.py), whose context has the live server as base URL,
so paths are enough: `page.goto("/admin/")`.
"""

import os
import re
from pathlib import Path

from playwright.sync_api import Page

REPO = Path(__file__).resolve().parents[2]
# UserFactory's password (tests/factories.py), so `login(page, "alice")` is enough.
PASSWORD = "pw-for-tests"


def chromium_path() -> str:
    """Debian's Chromium (apt package `chromium`), never a browser Playwright downloads."""
    return os.environ.get("ASKPRO_CHROMIUM") or "/usr/bin/chromium"


def screenshot_dir() -> Path:
    """ASKPRO_SCREENSHOTS, else <repo>/var/screenshots/ (ignored by git with the rest of /var/)."""
    given = os.environ.get("ASKPRO_SCREENSHOTS", "").strip()
    return Path(given) if given else REPO / "var" / "screenshots"


def screenshot(page: Page, name: str) -> Path:
    """The whole page (not just the viewport) as <screenshot_dir>/<name>.png; returns the path."""
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "-", name).strip("-")
    path = folder / f"{stem}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Log in through the real admin login form (/admin/login/), landing on the admin index.

    Fails at once, with the form's own error, when the admin turns the login down.
    """
    page.goto("/admin/login/?next=/admin/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
    if "/admin/login/" in page.url:
        errors = page.locator(".errornote, .errorlist").all_inner_texts()
        raise AssertionError(f"login as {username!r} refused: {' / '.join(errors) or page.url}")
