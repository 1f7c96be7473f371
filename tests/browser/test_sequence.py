"""The Sequence page in a real browser: the character model trains while its status, curves and samples
update; every other section draws without an error element or console error; the exploding demo runs."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_optimizers import open_section
from tests.browser.test_pages import assert_clean, wait_for_app

pytestmark = pytest.mark.browser
STATUS = re.compile(r"(running|paused|done|failed) · step ([\d,]+)")
CODE = "[data-testid='stCode'] code"
VEGA = "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"


def step_of(page) -> int:
    text = page.locator("[data-testid='stMarkdownContainer']", has_text=STATUS).last.inner_text()
    return int(STATUS.search(text).group(2).replace(",", ""))


def test_the_character_model_trains_with_curves_and_samples(app_url, page):
    page.goto(f"{app_url}/sequence?hidden=64")
    wait_for_app(page)
    page.wait_for_function("() => document.body.innerText.match(/paused · step 0/)", timeout=30_000)
    page.wait_for_selector(CODE, timeout=30_000)
    before = page.locator(CODE).first.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "sequence-start.png"), full_page=True)
    page.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_function("() => document.body.innerText.match(/running · step ([2-9]|\\d\\d)/)", timeout=30_000)
    first = step_of(page)
    page.wait_for_selector(VEGA, timeout=30_000)  # the loss, perplexity and gradient-norm curves
    page.wait_for_function("(before) => { const c = document.querySelector(\"[data-testid='stCode'] code\");"
                           " return c !== null && c.innerText !== before; }", arg=before, timeout=60_000)
    page.wait_for_function("() => document.body.innerText.match(/perplexity \\d/)", timeout=30_000)
    page.wait_for_timeout(8_000)  # let the loss fall a little for the screenshot
    assert step_of(page) > first, "the status line follows the job"
    assert page.locator("[data-testid='stVegaLiteChart']").count() == 3
    page.screenshot(path=str(SCREENSHOTS / "sequence-training.png"), full_page=True)
    page.get_by_role("button", name="Pause", exact=True).click()
    page.wait_for_function("() => document.body.innerText.match(/paused · step/)", timeout=30_000)
    assert_clean(page)


PLOT = "[data-testid='stPlotlyChart'] .main-svg"


@pytest.mark.parametrize(("tab", "ready", "lower", "name"), [
    ("Inside the cell", PLOT, "[data-testid='stDataFrame']", "inside"),
    ("Gradients through time", PLOT, "text=Train both", "gradients"),
    ("Memory range", "text=Run the experiment", None, "memory"),
    ("Decoding", PLOT, PLOT, "decoding"),
])
def test_each_section_draws_cleanly(app_url, page, tab, ready, lower, name):
    page.goto(f"{app_url}/sequence?cell=gru&hidden=64")
    wait_for_app(page)
    page.wait_for_function("() => document.body.innerText.match(/paused · step 0/)", timeout=30_000)
    open_section(page, tab)
    page.wait_for_selector(ready, timeout=60_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(SCREENSHOTS / f"sequence-{name}.png"), full_page=True)
    if lower:  # the app scrolls inside its own container: a second picture further down
        page.locator(lower).last.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        page.screenshot(path=str(SCREENSHOTS / f"sequence-{name}-lower.png"))
    assert_clean(page)


def test_the_exploding_demo_compares_clipping(app_url, page):
    page.goto(f"{app_url}/sequence")
    wait_for_app(page)
    open_section(page, "Gradients through time")
    page.get_by_role("button", name="Train both").click()
    page.get_by_text("With clipping at 1").first.wait_for(timeout=120_000)
    assert page.locator("[data-testid='stPlotlyChart']").count() == 3, "gradients through time, then loss and norm per update"
    page.get_by_text("With clipping at 1").first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / "sequence-exploding-lower.png"))
    page.screenshot(path=str(SCREENSHOTS / "sequence-exploding.png"), full_page=True)
    assert_clean(page)


def test_the_memory_experiment_runs_with_progress_and_reports(app_url, page):
    page.goto(f"{app_url}/sequence")
    wait_for_app(page)
    open_section(page, "Memory range")
    slider = page.locator("[data-testid='stSlider']", has_text="Updates per model and L").get_by_role("slider")
    slider.focus()
    page.keyboard.press("Home")  # 50 updates per model and L: a short run
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)
    page.get_by_role("button", name="Run the experiment").click()
    page.wait_for_selector("[data-testid='stProgress']", timeout=30_000)
    page.get_by_text("What happened in this run").first.wait_for(timeout=240_000)
    page.get_by_text("What happened in this run").first.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(SCREENSHOTS / "sequence-memory-result.png"))
    assert page.locator("[data-testid='stPlotlyChart']").count() == 1
    assert_clean(page)
