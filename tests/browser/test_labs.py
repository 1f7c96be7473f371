"""The Labs page in a real browser: the gallery draws every topic, a real lab runs with its quick settings to
a verdict with its plot, the PNG and CSV downloads arrive, and the gallery card shows the verdict after."""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest

from engine.labs.registry import LABS, TOPICS, by_topic
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_pages import assert_clean, wait_for_app

pytestmark = pytest.mark.browser
VERDICT = re.compile(r"^Verdict: (supported|not supported|mixed), because .+")
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"


def quick_lab():
    """The lab to run: zero_init when registered (a few seconds with its quick settings), else the first with quick settings."""
    if "zero_init" in LABS:
        return LABS["zero_init"]
    return next((lab for lab in LABS.values() if lab.small), None)


def button(page, key: str):
    return page.locator(f".st-key-labs-do-{key} button").first


def test_the_gallery_shows_every_topic(app_url, page):
    if not LABS:
        pytest.skip("no labs are registered yet")
    page.goto(f"{app_url}/labs")
    wait_for_app(page)
    page.get_by_role("button", name="Open").first.wait_for(timeout=30_000)
    page.wait_for_function(IDLE, timeout=30_000)
    for topic in by_topic():
        heading = page.get_by_role("heading", name=TOPICS[topic], exact=True)
        heading.wait_for(timeout=30_000)  # the page draws top to bottom
        assert heading.count() == 1, TOPICS[topic]
    page.locator(f".st-key-labs-do-{list(LABS)[-1]}-card").wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Open").count() == len(LABS)
    page.screenshot(path=str(SCREENSHOTS / "labs-gallery.png"), full_page=True)
    assert_clean(page)


def test_a_lab_runs_to_its_verdict_and_exports(app_url, page):
    lab = quick_lab()
    if lab is None:
        pytest.skip("no lab with quick settings is registered yet")
    page.goto(f"{app_url}/labs")
    wait_for_app(page)
    button(page, f"{lab.key}-open").click()
    page.get_by_role("heading", name=lab.title).wait_for(timeout=30_000)
    button(page, f"{lab.key}-small").click()
    page.wait_for_function(IDLE, timeout=30_000)
    button(page, f"{lab.key}-compute").click()
    page.get_by_text(re.compile("^Verdict: ")).first.wait_for(timeout=180_000)
    page.wait_for_selector("[data-testid='stPlotlyChart'] .main-svg", timeout=30_000)
    verdict = page.locator("[data-testid='stMarkdownContainer'] p", has_text=re.compile("^Verdict: ")).first.inner_text()
    assert VERDICT.match(verdict), verdict
    page.locator("[data-testid='stDataFrame']").nth(1).wait_for(timeout=30_000)
    assert page.locator("[data-testid='stDataFrame']").count() == 2, "the figures and the measurements"
    page.screenshot(path=str(SCREENSHOTS / "labs-result.png"), full_page=True)

    with page.expect_download() as png:
        page.get_by_role("button", name="Plot (PNG)").click()
    assert png.value.suggested_filename == f"lab-{lab.key}.png"
    with open(png.value.path(), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n", "a PNG image"
    with page.expect_download() as figures:
        page.get_by_role("button", name="Figures (CSV)").click()
    with open(figures.value.path(), encoding="utf-8") as f:
        text = f.read()
    assert text.startswith("kind,name,value") and f"verdict,outcome,{verdict.split(',')[0].removeprefix('Verdict: ')}" in text

    page.get_by_role("button", name="Plot (PNG)").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "labs-result-exports.png"))

    button(page, "back").click()
    page.get_by_role("button", name="Open").first.wait_for(timeout=30_000)
    page.wait_for_function(IDLE, timeout=30_000)
    card = page.locator(f".st-key-labs-do-{lab.key}-card")
    assert "Last run." in card.inner_text(), "the card keeps the verdict of its last run"
    page.screenshot(path=str(SCREENSHOTS / "labs-gallery-after.png"), full_page=True)
    assert_clean(page)


def test_a_link_opens_the_lab_and_open_in_page_takes_its_setup_there(app_url, page):
    lab = LABS.get("zero_init")
    if lab is None:
        pytest.skip("zero_init is not registered")
    page.goto(f"{app_url}/labs?lab=zero_init&values={urllib.parse.quote(json.dumps(lab.small))}")
    wait_for_app(page)
    page.get_by_role("heading", name=lab.title).wait_for(timeout=30_000)
    page.wait_for_function(IDLE, timeout=30_000)
    thumb = page.locator(".st-key-labs-zero_init-width [data-testid='stSliderThumbValue']")
    assert thumb.inner_text() == str(lab.small["width"]), "the link's settings are in the widgets"
    page.get_by_role("button", name="Open in Playground").click()
    page.wait_for_function("() => document.querySelector('h1') && document.querySelector('h1').innerText.includes('Playground')",
                           timeout=30_000)
    page.wait_for_selector("[data-testid='stImage'] img", timeout=30_000)
    page.wait_for_function(IDLE, timeout=30_000)
    assert "init=zeros" in page.url and "dataset=circle" in page.url and "hidden=4" in page.url, "the quick settings' 4 hidden units"
    page.screenshot(path=str(SCREENSHOTS / "labs-opened-in-playground.png"))
    assert_clean(page)
