"""Every page in a real browser: loads without an error element or console error; the home
page's warm-up trains, its chart updates, and a refresh re-attaches to the running job."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import SCREENSHOTS
from ui.catalogue import PAGES

pytestmark = pytest.mark.browser

STATUS = re.compile(r"(running|paused|done|failed) · epoch ([\d,]+)")


def wait_for_app(page) -> None:
    page.wait_for_selector("[data-testid='stApp']", timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelector('[data-testid=\"stMainBlockContainer\"] h1')", timeout=30_000)


def assert_clean(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, "a Streamlit exception is shown"
    assert page.get_by_role("dialog").count() == 0, f"a dialog is open: {page.get_by_role('dialog').all_inner_texts()}"
    assert page.console_errors == [], f"console errors: {page.console_errors}"
    assert page.failed_requests == [], f"failed requests: {page.failed_requests}"


@pytest.mark.parametrize("entry", PAGES, ids=[p.key for p in PAGES])
def test_page_opens_cleanly(app_url, page, entry):
    page.goto(f"{app_url}/{entry.key}")
    wait_for_app(page)
    assert entry.title in page.locator("h1").first.inner_text()
    page.screenshot(path=SCREENSHOTS / f"{entry.key}.png", full_page=True)
    assert_clean(page)


def read_status(page) -> tuple[str, int]:
    text = page.locator("[data-testid='stMarkdownContainer']", has_text=STATUS).last.inner_text()
    state, epoch = STATUS.search(text).groups()
    return state, int(epoch.replace(",", ""))


def test_home_trains_live_and_reattaches_after_refresh(app_url, page):
    page.goto(app_url)
    wait_for_app(page)
    page.screenshot(path=SCREENSHOTS / "home.png", full_page=True)
    page.get_by_role("button", name="Run").click()
    page.wait_for_function("() => document.body.innerText.match(/running · epoch [1-9]/)", timeout=20_000)
    _, first = read_status(page)

    # The chart updates while training: count distinct status lines over two seconds.
    seen, start = set(), time.monotonic()
    while time.monotonic() - start < 2.0:
        seen.add(read_status(page)[1])
        time.sleep(0.05)
    assert len(seen) >= 5, f"the live view updated only {len(seen)} times in 2 s"
    assert max(seen) > first
    page.screenshot(path=SCREENSHOTS / "home-training.png", full_page=True)

    assert "run=" in page.url, "the run id is kept in the URL"
    page.reload()
    wait_for_app(page)
    page.wait_for_function("() => document.body.innerText.match(/running · epoch [1-9]/)", timeout=20_000)
    state, after = read_status(page)
    assert state == "running" and after > max(seen), "the refreshed page follows the same, still running job"

    page.get_by_role("button", name="Pause").click()
    page.wait_for_function("() => document.body.innerText.match(/paused · epoch/)", timeout=10_000)
    _, paused_at = read_status(page)
    time.sleep(1.0)
    assert read_status(page)[1] == paused_at, "a paused job makes no progress"
    page.screenshot(path=SCREENSHOTS / "home-paused.png", full_page=True)
    assert_clean(page)
