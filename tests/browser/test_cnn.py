"""The CNN page in a real browser: an uploaded photo is filtered by a kernel, the pretrained CNN classifies an
uploaded photo and shows its feature maps and Grad-CAM, and the shapes CNN trains live and reads a drawing."""

from __future__ import annotations

import re

import pytest

from engine.vision.samples import FOLDER
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_optimizers import open_section
from tests.browser.test_pages import assert_clean, wait_for_app

pytestmark = pytest.mark.browser
IMAGE = "[data-testid='stImage'] img"
ACCURACY = re.compile(r"Test accuracy ([\d.]+)%")


def choose(page, label: str, option: str) -> None:
    """Pick `option` in the select box called `label`."""
    page.locator("[data-testid='stSelectbox']", has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def upload(page, label: str, file: str) -> None:
    choose(page, label, "Upload your own…")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(str(FOLDER / file))


def test_an_uploaded_photo_is_filtered_by_the_kernel(app_url, page):
    page.goto(f"{app_url}/cnn")
    wait_for_app(page)
    page.get_by_text("Entries sum to").first.wait_for(timeout=30_000)
    upload(page, "Image", "cat-chelsea.jpg")
    page.get_by_text("input · cat-chelsea.jpg").first.wait_for(timeout=30_000)
    page.wait_for_function("() => document.querySelectorAll(\"[data-testid='stImage'] img\").length >= 2", timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / "cnn-kernels.png"), full_page=True)
    assert_clean(page)


def test_the_pretrained_cnn_reads_an_upload(app_url, page):
    page.goto(f"{app_url}/cnn")
    wait_for_app(page)
    open_section(page, "A pretrained CNN")
    page.get_by_text("Top-5 ImageNet classes").first.wait_for(timeout=60_000)
    upload(page, "Photo", "cat-chelsea.jpg")
    page.wait_for_function("() => /tabby|tiger cat|Egyptian cat/.test(document.body.innerText)", timeout=60_000)
    page.get_by_text("Grad-CAM at head").first.wait_for(timeout=60_000)
    assert page.locator(IMAGE).count() >= 5, "the photo, the feature maps and the three overlays"
    page.screenshot(path=str(SCREENSHOTS / "cnn-pretrained.png"), full_page=True)
    assert_clean(page)


def test_the_shapes_cnn_trains_and_reads_a_drawing(app_url, page):
    page.goto(f"{app_url}/cnn")
    wait_for_app(page)
    open_section(page, "Train a CNN")
    page.wait_for_function("() => document.body.innerText.match(/paused · step 0/)", timeout=60_000)
    page.get_by_role("button", name="Run").click()
    page.wait_for_function("() => { const m = document.body.innerText.match(/Test accuracy ([\\d.]+)%/);"
                           " return m !== null && parseFloat(m[1]) >= 50; }", timeout=120_000)
    page.screenshot(path=str(SCREENSHOTS / "cnn-training.png"), full_page=True)
    page.get_by_role("button", name="Pause").click()
    page.wait_for_function("() => document.body.innerText.match(/paused · step [1-9]/)", timeout=30_000)
    page.get_by_text("my drawing").click()
    canvas = page.locator("canvas").last
    canvas.wait_for(timeout=30_000)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    for (x0, y0), (x1, y1) in (((0.25, 0.5), (0.75, 0.5)), ((0.5, 0.25), (0.5, 0.75))):  # a cross
        page.mouse.move(box["x"] + box["width"] * x0, box["y"] + box["height"] * y0)
        page.mouse.down()
        for k in range(1, 16):
            t = k / 15
            page.mouse.move(box["x"] + box["width"] * (x0 + (x1 - x0) * t), box["y"] + box["height"] * (y0 + (y1 - y0) * t))
        page.mouse.up()
        page.wait_for_timeout(500)
    page.get_by_text("class probabilities").first.wait_for(timeout=30_000)
    page.get_by_text("act1 · ").first.wait_for(timeout=30_000)
    page.screenshot(path=str(SCREENSHOTS / "cnn-drawing.png"), full_page=True)
    assert_clean(page)
