"""The CNN page through the real router: every section renders, the calculator and the kernel grid answer
their inputs (and explain bad ones), a bad upload gets a message, the CNN trains a step and can be looked into."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.live import assert_clean, until

PAGE = "pages/cnn.py"
SECTIONS = ("Kernels by hand", "Arithmetic", "Architectures", "Train a CNN", "A pretrained CNN")


def section(at: AppTest, name: str) -> AppTest:
    at.session_state["cnn.do.section"] = name
    at.run()
    assert_clean(at)
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.mark.parametrize("name", SECTIONS)
def test_every_section_renders_cleanly(open_page, name):
    at = section(open_page(), name)
    assert at.title[0].value == "CNN: convolutional networks"


def test_the_calculator_follows_the_formula(open_page):
    at = section(open_page(), "Arithmetic")
    assert metric(at, "Parameters") == "280"  # the curriculum's 10 filters of 3×3×3
    at.number_input(key="cnn.arith.n").set_value(7)
    at.number_input(key="cnn.arith.stride").set_value(2)
    at.selectbox(key="cnn.arith.padding_mode").set_value("valid").run()
    assert metric(at, "Output") == "3 × 3 × 10"  # ⌊(7 − 3)/2⌋ + 1
    at.number_input(key="cnn.arith.kernel").set_value(4)
    at.selectbox(key="cnn.arith.padding_mode").set_value("same").run()
    assert not at.exception
    assert any("odd" in w.value for w in at.warning), [w.value for w in at.warning]


def test_the_kernel_grid_names_a_cell_that_is_not_a_number(open_page):
    at = section(open_page(), "Kernels by hand")
    at.session_state["cnn.do.kernel.grid.0.Sobel x"] = {"edited_rows": {1: {"c2": "x"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    messages = [e.value for e in at.error]
    assert any("row 2, column 2" in m and "x" in m for m in messages), messages


def test_a_file_that_is_not_an_image_gets_a_message(open_page):
    at = section(open_page(), "A pretrained CNN")
    assert any("dog" in chart.proto.spec.lower() or "malamute" in chart.proto.spec for chart in at.get("plotly_chart"))
    at.session_state["cnn:pretrained.upload"] = ("notes.png", b"this is not a picture")
    at.selectbox(key="cnn.pretrained.image").set_value("upload").run()
    assert not at.exception
    assert any("not an image" in e.value for e in at.error), [e.value for e in at.error]


def test_the_cnn_takes_a_step_and_can_be_looked_into(open_page):
    at = section(open_page(), "Train a CNN")
    at.button(key="cnn.do.step").click().run()
    until(at, lambda s: s.epoch >= 1, timeout=60)
    assert_clean(at)
    assert any(m.value.startswith("Test accuracy") for m in at.markdown)
    assert any("class probabilities" in chart.proto.spec for chart in at.get("plotly_chart"))


def test_blocks_that_shrink_the_image_away_get_a_message(open_page):
    at = section(open_page(), "Train a CNN")
    at.select_slider(key="cnn.train.image_size").set_value(28)
    at.slider(key="cnn.train.blocks").set_value(4)
    for i in range(4):
        at.selectbox(key=f"cnn.train.strides.{i}").set_value(2)
    at.run()
    assert not at.exception
    assert any("shrinks to nothing" in e.value for e in at.error), [e.value for e in at.error]
