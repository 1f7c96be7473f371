"""The style-transfer page through the real router: it renders with its formulas, presets set the weights, a few
steps of a small transfer show the image, its terms and curves, and a finished run is kept for comparison; bad input
(zero weights, a file that is not an image) gets a message and breaks nothing; an upload stays out of the link; VGG-19
is shown as unavailable with the reason."""

from __future__ import annotations

import io
import re
import time

import numpy as np
import pytest
from PIL import Image

from engine.runtime import get_runtime
from engine.style.backbone import vgg19_status
from engine.style.images import decode_png
from tests.app.live import assert_clean, click, until

PAGE = "pages/style.py"
SMALL = {"size": "128", "iterations": "20"}  # a link: small and short, for a loaded CPU


def shown(at, caption: str, timeout: float = 60.0) -> None:
    """Rerun until an image with this caption is on the page (the first build may outlast the page's wait)."""
    deadline = time.monotonic() + timeout
    while not any(caption in str(i.proto) for i in at.get("image")):
        assert time.monotonic() < deadline, f"no image captioned {caption!r}"
        time.sleep(0.2)
        at.run()
        assert_clean(at)


def test_the_page_renders_with_the_formulas(page):
    assert page.title[0].value == "Style transfer"
    formulas = " ".join(latex.value for latex in page.latex)
    assert r"J_\mathrm{style}(S, G)" in formulas and r"\beta\, J_\mathrm{style}(S, G)" in formulas
    assert "(C, G)" not in formulas.split("J_\\mathrm{style}")[1][:10], "the style term compares S and G, never C"


def test_a_cc_by_sample_is_credited(page):
    page.selectbox(key="style.content.image").set_value("palace-china").run()
    assert_clean(page)
    assert any("danielbuechele (Flickr), CC BY 2.0" in str(i.proto) for i in page.get("image"))


def test_vgg19_is_shown_unavailable_with_the_reason(page):
    available, reason = vgg19_status()
    assert not available  # this machine has neither torchvision nor the cached weights
    box = page.checkbox(key="style.do.vgg19")
    assert box.disabled and not box.value
    assert reason in box.help
    assert any(reason in c.value for c in page.caption)
    assert page.radio(key="style.backbone").options == ["EfficientNet-Lite0 (bundled)"]


def test_presets_set_the_weights(page):
    click(page, "style.do.preset.style only")
    assert page.select_slider(key="style.alpha").value == 0.0
    assert page.select_slider(key="style.beta").value == 1.0
    assert page.radio(key="style.init").value == "noise"
    assert any("**style only** preset" in c.value for c in page.caption)
    click(page, "style.do.preset.content only")
    assert page.select_slider(key="style.beta").value == 0.0 and page.select_slider(key="style.alpha").value == 1.0


def test_a_link_is_loaded_and_snapped_to_the_sliders(open_page):
    at = open_page(size="100", beta="0.25", tv_weight="7", style="style-scream")
    assert_clean(at)
    assert at.select_slider(key="style.size").value == 128
    assert at.select_slider(key="style.beta").value == 0.3
    assert at.select_slider(key="style.tv_weight").value == 10.0
    assert at.selectbox(key="style.style.image").value == "style-scream"


def test_a_few_steps_show_the_image_terms_and_curves(open_page):
    at = open_page(**SMALL)
    until(at, lambda s: s.state == "paused", timeout=60)
    click(at, "style.do.step")
    until(at, lambda s: s.epoch >= 1, timeout=60)
    at.run()
    assert_clean(at)
    markdown = [m.value for m in at.markdown]
    assert any("**J(G)**" in m and "| J_style |" in m and "| β 0.3 |" in m for m in markdown), markdown
    assert any("iteration" in p.proto.text and "ms per iteration" in p.proto.text for p in at.get("progress"))
    specs = [chart.proto.spec for chart in at.get("vega_lite_chart")]
    assert any("J(G) and its terms" in s for s in specs) and any("style term per layer" in s for s in specs), specs
    assert len(at.get("image")) >= 4  # the two inputs, G, the history strip (then Grams and feature maps)
    assert any(b.label.startswith("Download PNG (128 × 96)") for b in at.get("download_button"))


def test_a_finished_run_is_kept_for_comparison(open_page):
    at = open_page(size="128", iterations="10")
    click(at, "style.do.run")
    until(at, lambda s: s.state == "done", timeout=90)
    at.run()
    assert_clean(at)
    assert any("in the style of van Gogh, The Starry Night · 128 px" in c.value for c in at.caption), [c.value for c in at.caption]
    assert any(m.value.startswith("J(G) **") for m in at.markdown)
    at.select_slider(key="style.beta").set_value(3.0).run()  # edited after the run finished: the same picture, not kept again
    assert_clean(at)
    kept = [c.value for c in at.caption if "in the style of" in c.value]
    assert len(kept) == 1 and "β 0.3" in kept[0], kept


def test_zero_weights_show_the_reason_and_keep_the_run(open_page):
    at = open_page(**SMALL)
    run_id = at.query_params["run"]
    at.select_slider(key="style.alpha").set_value(0.0)
    at.select_slider(key="style.beta").set_value(0.0).run()
    assert not at.exception
    assert any("both weights are zero" in e.value for e in at.error), [e.value for e in at.error]
    assert at.query_params["run"] == run_id and any(c.value.startswith("The run below keeps") for c in at.caption)


def test_a_file_that_is_not_an_image_gets_a_message(page):
    page.session_state["style:content.upload"] = ("notes.png", b"this is not a picture")
    page.selectbox(key="style.content.image").set_value("upload").run()
    assert not page.exception
    assert any("notes.png" in e.value and "not an image" in e.value for e in page.error), [e.value for e in page.error]


def _upload(mode: str, size: tuple[int, int] = (48, 40)) -> bytes:
    """A small image file in an awkward mode: alpha, 16-bit grey, CMYK (JPEG) or plain RGB."""
    rng = np.random.default_rng(0)
    w, h = size
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 65535, (h, w), np.uint16))
    else:
        image = Image.fromarray(rng.integers(0, 255, (h, w, 3), np.uint8)).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG" if mode == "CMYK" else "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("mode", ["RGBA", "I;16", "CMYK"])
def test_an_upload_goes_in_the_config_but_not_in_the_link(open_page, mode):
    at = open_page(**SMALL)
    at.session_state["style:style.upload"] = (f"tiny-{mode}.img", _upload(mode))
    at.selectbox(key="style.style.image").set_value("upload").run()
    assert_clean(at)
    assert not {"style", "style_png", "content_png"} & set(at.query_params), dict(at.query_params)
    assert at.query_params["size"] == "128"
    config = get_runtime().spec(at.query_params["run"]).config
    assert config.style == "upload" and len(config.style_png) > 100
    assert decode_png(config.style_png).shape == (40, 48, 3)


def test_a_large_upload_is_scaled_down_with_a_message(page):
    page.session_state["style:content.upload"] = ("large.png", _upload("RGB", (1500, 1000)))
    page.selectbox(key="style.content.image").set_value("upload").run()
    assert_clean(page)
    assert any("1500 × 1000 px" in c.value and "1024 × 683" in c.value for c in page.caption), [c.value for c in page.caption]


def test_the_same_image_twice_gets_a_note_and_still_runs(open_page):
    at = open_page(**SMALL)
    at.selectbox(key="style.style.image").set_value("dog").run()
    assert_clean(at)
    assert any("the same image" in i.value for i in at.info), [i.value for i in at.info]
    assert at.query_params["style"] == "dog" and at.query_params["content"] == "dog"
    click(at, "style.do.step")
    until(at, lambda s: s.epoch >= 1, timeout=60)
    table = next(m.value for m in at.markdown if "**J(G)**" in m.value)
    style = float(re.search(r"\| J_style \| ([\d.e+-]+) \|", table)[1])
    assert style < 1.0, table  # S = C and G starts as C: almost nothing to match (with a real style, about 200)


def test_a_new_content_image_rebuilds_the_run_and_shows_at_once(open_page):
    at = open_page(**SMALL)
    run_id = at.query_params["run"]
    shown(at, "128 × 96 px, after 0 iterations")  # the dog, 4:3
    at.selectbox(key="style.content.image").set_value("astronaut").run()
    assert_clean(at)
    assert at.query_params["run"] == run_id
    assert any("128 × 128 px, after 0 iterations" in str(i.proto) for i in at.get("image")), "the new, square content at once"


def test_a_hot_change_applies_to_the_running_transfer(open_page):
    at = open_page(size="128", iterations="400")
    click(at, "style.do.run")
    before = until(at, lambda s: s.state == "running" and s.epoch >= 1, timeout=60)
    at.select_slider(key="style.beta").set_value(3.0).run()
    assert_clean(at)
    config = get_runtime().spec(at.query_params["run"]).config
    assert config.beta == 3.0
    after = until(at, lambda s: s.epoch > before.epoch, timeout=60)
    assert after.state == "running", "a hot change does not restart the run"
    click(at, "style.do.pause")

