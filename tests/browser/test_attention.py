"""The Attention page in a real browser: the step-by-step section draws its matrices, the transformer
trains on reverse while its attention image changes, and the cost is measured into a chart."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_optimizers import open_section
from tests.browser.test_pages import assert_clean, wait_for_app

pytestmark = pytest.mark.browser
STATUS = re.compile(r"(running|paused|done|failed) · step ([\d,]+)")
IMAGE = "[data-testid='stImage'] img"


def test_step_by_step_draws_every_stage(app_url, page):
    page.goto(f"{app_url}/attention")
    wait_for_app(page)
    page.get_by_text("Every row of weights sums to 1").first.wait_for(timeout=30_000)
    page.wait_for_function("() => document.querySelectorAll(\"[data-testid='stPlotlyChart']\").length >= 10", timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / "attention-steps.png"), full_page=True)
    assert_clean(page)


def test_a_click_on_the_weights_picks_the_query_token(app_url, page):
    page.goto(f"{app_url}/attention")
    wait_for_app(page)
    page.get_by_text("Every row of weights sums to 1").first.wait_for(timeout=30_000)
    chart = page.locator("[data-testid='stPlotlyChart']", has_text="click a row").first
    chart.scroll_into_view_if_needed()
    box = chart.locator(".nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.96)  # the last row: the final token "."
    page.get_by_text("Where “.”").first.wait_for(timeout=20_000)
    assert_clean(page)


def test_the_transformer_trains_and_its_attention_changes(app_url, page):
    page.goto(f"{app_url}/attention")
    wait_for_app(page)
    open_section(page, "Train a transformer")
    page.wait_for_selector(IMAGE, timeout=30_000)
    page.wait_for_function("() => document.body.innerText.match(/paused · step 0/)", timeout=30_000)
    before = page.locator(IMAGE).first.get_attribute("src")
    page.get_by_role("button", name="Run").click()
    page.wait_for_function("() => document.body.innerText.match(/running · step ([2-9]|\\d\\d)/)", timeout=30_000)
    page.wait_for_function("(before) => { const img = document.querySelector(\"[data-testid='stImage'] img\");"
                           " return img !== null && img.src !== before; }", arg=before, timeout=30_000)
    page.wait_for_function("() => document.body.innerText.match(/running · step (\\d{3,}|[3-9]\\d)/)", timeout=60_000)
    page.screenshot(path=str(SCREENSHOTS / "attention-training.png"), full_page=True)
    page.get_by_role("button", name="Pause").click()
    page.wait_for_function("() => document.body.innerText.match(/paused · step/)", timeout=30_000)
    page.get_by_text("Model's answer").first.wait_for(timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / "attention-inference.png"), full_page=True)
    assert_clean(page)


def test_the_cost_is_measured_into_a_log_log_chart(app_url, page):
    page.goto(f"{app_url}/attention")
    wait_for_app(page)
    open_section(page, "Patterns and cost")
    page.get_by_text("pairs computed").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Measure").click()
    page.get_by_text("Fitted log-log slope").first.wait_for(timeout=60_000)  # its verdict depends on the (noisy) figure
    page.wait_for_selector("[data-testid='stPlotlyChart'] .main-svg", timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / "attention-patterns.png"), full_page=True)
    assert_clean(page)
