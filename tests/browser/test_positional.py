"""The Positional-encodings page in a real browser: a click on the heat map picks a dimension and
a position, every section draws, and the extrapolation experiment runs to its table."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_optimizers import open_section
from tests.browser.test_pages import assert_clean, wait_for_app

pytestmark = pytest.mark.browser
WAVE = re.compile(r"dimension (\d+) \(")


def test_a_click_on_the_heat_map_picks_a_dimension_and_a_position(app_url, page):
    page.goto(f"{app_url}/positional")
    wait_for_app(page)
    page.wait_for_selector("[data-testid='stPlotlyChart']", timeout=30_000)
    page.get_by_text("dimension 0 (sin, pair 0)").first.wait_for(timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / "positional-sinusoidal.png"), full_page=True)
    box = page.locator("[data-testid='stPlotlyChart'] .nsewdrag").first.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
    page.wait_for_function("() => !document.body.innerText.includes('dimension 0 (sin, pair 0)')", timeout=20_000)
    dimension = int(WAVE.search(page.inner_text("body"))[1])
    assert 25 < dimension < 50, dimension  # 30 % across 128 dimensions
    assert_clean(page)


@pytest.mark.parametrize(("section", "shows"), [
    ("Similarity", "All 100 rows are distinct"),
    ("Relative positions", "Largest difference"),
    ("Compare schemes", "depends only on the offset"),
    ("Why order matters", "permutation-equivariant"),
])
def test_each_section_draws(app_url, page, section, shows):
    page.goto(f"{app_url}/positional")
    wait_for_app(page)
    open_section(page, section)
    page.get_by_text(shows).first.wait_for(timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / f"positional-{section.split()[0].lower()}.png"), full_page=True)
    assert_clean(page)


def test_the_extrapolation_experiment_runs_to_its_table(app_url, page):
    page.goto(f"{app_url}/positional")
    wait_for_app(page)
    open_section(page, "Extrapolation")
    page.get_by_role("slider").first.focus()
    for _ in range(2):  # L: 16 → 4, the quickest run
        page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000)
    page.get_by_role("button", name="Run the experiment").click()
    page.get_by_text("no table entries past 4").first.wait_for(timeout=120_000)
    page.wait_for_selector("[data-testid='stPlotlyChart']", timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / "positional-extrapolation.png"), full_page=True)
    assert_clean(page)
