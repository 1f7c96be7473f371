"""The Optimizers page in a real browser: the race animates and finishes, a click on the contour
map moves the start, and every section draws its figures."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_pages import assert_clean, wait_for_app

pytestmark = pytest.mark.browser
ARTIFACTS = SCREENSHOTS.parent
STATUS = re.compile(r"(running|paused|done|failed) · step ([\d,]+)")


def wait_for_start_x(page, value: str, equal: bool = True) -> None:
    """Wait until the Start x input shows (or no longer shows) `value`; the input may be missing
    for a moment while the page redraws."""
    page.wait_for_function("""([value, equal]) => {
        const input = document.querySelector('input[aria-label="Start x"]');
        return input !== null && (input.value === value) === equal;
    }""", arg=[value, equal], timeout=20_000)


def race_status(page) -> tuple[str, int]:
    text = page.locator("[data-testid='stMarkdownContainer']", has_text=STATUS).first.inner_text()
    state, step = STATUS.search(text).groups()
    return state, int(step.replace(",", ""))


def open_section(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)


def test_the_race_animates_and_finishes(app_url, page):
    page.goto(f"{app_url}/optimizers")
    wait_for_app(page)
    page.wait_for_selector("[data-testid='stImage'] img", timeout=30_000)
    assert race_status(page) == ("paused", 0)
    page.screenshot(path=str(SCREENSHOTS / "optimizers-start.png"), full_page=True)
    page.get_by_role("button", name="Run").click()
    # How often the race map changes as a learner sees it: src changes of its image, counted by the browser.
    rate = page.evaluate("""() => new Promise(done => {
        let changes = 0;
        const observer = new MutationObserver(records => { changes += records.length; });
        observer.observe(document.querySelector("[data-testid='stImage'] img"), {attributes: true, attributeFilter: ["src"]});
        setTimeout(() => { observer.disconnect(); done(changes / 3); }, 3000);
    })""")
    (ARTIFACTS / "optimizers-frames-per-s.txt").write_text(f"{rate:.1f}\n")
    assert rate >= 2, f"the race map changed {rate:.1f} times a second"  # reported; the floor only says it animates
    page.wait_for_function("() => document.body.innerText.match(/done · step 300/)", timeout=60_000)
    page.get_by_text("Race finished: 300 steps.").wait_for(timeout=10_000)
    page.screenshot(path=str(SCREENSHOTS / "optimizers-finished.png"), full_page=True)
    assert_clean(page)


def test_a_click_on_the_contour_map_moves_the_start(app_url, page):
    page.goto(f"{app_url}/optimizers")
    wait_for_app(page)
    start_x = page.get_by_label("Start x")
    wait_for_start_x(page, "-4.00")  # the default start, once the page has drawn it
    chart = page.locator("[data-testid='stPlotlyChart']").first
    chart.scroll_into_view_if_needed()
    box = page.locator("[data-testid='stPlotlyChart'] .nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25)  # upper right: x > 0, y > 0
    wait_for_start_x(page, "-4.00", equal=False)
    x, y = float(start_x.input_value()), float(page.get_by_label("Start y").input_value())
    assert x > 0 and y > 0, (x, y)
    page.wait_for_function("() => document.body.innerText.match(/paused · step 0/)", timeout=20_000)
    assert_clean(page)


@pytest.mark.parametrize(("section", "shows"), [
    ("Learning-rate sweep", "Use the best rates in the race"),
    ("Schedules", "linear scaling rule"),
    ("Averages (EWA)", "1/(1 − β)"),
])
def test_each_section_draws(app_url, page, section, shows):
    page.goto(f"{app_url}/optimizers")
    wait_for_app(page)
    open_section(page, section)
    page.get_by_text(shows).first.wait_for(timeout=30_000)
    page.wait_for_selector("[data-testid='stPlotlyChart']", timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / f"optimizers-{section.split()[0].lower()}.png"), full_page=True)
    assert_clean(page)


def test_the_landscape_is_computed_with_progress(app_url, page):
    page.goto(f"{app_url}/optimizers")
    wait_for_app(page)
    open_section(page, "A network's landscape")
    started = "() => document.querySelector(\"[data-testid='stProgress']\") || document.body.innerText.includes('of the path')"
    for attempt in range(2):  # a click that lands while the page is still redrawing can be lost on a loaded machine
        page.get_by_role("button", name="Compute landscape").click()
        try:
            page.wait_for_function(started, timeout=20_000)
            break
        except PlaywrightTimeout:
            if attempt:
                raise
    page.get_by_text("of the path").first.wait_for(timeout=120_000)
    page.wait_for_selector("[data-testid='stPlotlyChart']", timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / "optimizers-landscape.png"), full_page=True)
    assert_clean(page)


def test_the_race_settings_survive_a_visit_to_the_playground(app_url, page):
    page.goto(f"{app_url}/optimizers")
    wait_for_app(page)
    page.get_by_role("button", name="Presets").click()
    page.get_by_role("button", name="Crossing a plateau").click()
    wait_for_start_x(page, "-2.60")
    page.get_by_role("button", name="Run").click()
    page.wait_for_function("() => document.body.innerText.match(/done · step 300/)", timeout=60_000)
    page.get_by_role("link", name="Playground").click()
    page.wait_for_function("() => document.body.innerText.match(/paused · epoch 0/)", timeout=30_000)
    page.get_by_role("button", name="Run").click()
    page.wait_for_function("() => document.body.innerText.match(/running · epoch [1-9]/)", timeout=30_000)
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("link", name="Optimizers").click()
    page.wait_for_selector("input[aria-label='Start x']", timeout=30_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / "optimizers-back.png"), full_page=True)
    assert page.get_by_label("Start x").input_value() == "-2.60"
    assert "surface=plateau" in page.url and page.get_by_text("plateau (tanh)").count() >= 1
    assert page.get_by_text("default value").count() == 0, "no widget-default warning"
    assert_clean(page)
