"""The Positional-encodings page through the real router: every section renders, the controls
change what is shown, bad settings get a message."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.live import assert_clean

PAGE = "pages/positional.py"
SECTIONS = ("Sinusoidal", "Similarity", "Relative positions", "Compare schemes", "Why order matters", "Extrapolation")


def section(at: AppTest, name: str) -> AppTest:
    at.session_state["positional.do.section"] = name
    at.run()
    assert_clean(at)
    return at


@pytest.mark.parametrize("name", SECTIONS)
def test_every_section_renders_cleanly(open_page, name):
    at = section(open_page(), name)
    assert at.title[0].value == "Positional encodings"


def test_the_sliders_choose_the_wave_and_the_vector(open_page):
    at = open_page()
    at.slider(key="positional.dimension").set_value(6).run()
    at.slider(key="positional.position").set_value(42).run()
    assert_clean(at)
    specs = " ".join(chart.proto.spec for chart in at.get("plotly_chart"))
    assert "dimension 6 (sin, pair 3)" in specs and "PE(42)" in specs, "the wave and the vector follow the sliders"


def test_an_odd_d_model_gets_a_clear_message(open_page):
    at = open_page()
    at.number_input(key="positional.d_model").set_value(7).run()
    assert not at.exception
    assert any("even" in e.value for e in at.error), [e.value for e in at.error]


def test_the_rotation_identity_is_reported_near_zero(open_page):
    at = section(open_page(), "Relative positions")
    text = next(m.value for m in at.markdown if m.value.startswith("Largest difference"))
    error = float(text.split(": **")[1].split("**")[0])
    assert error < 1e-9


def test_order_matters_only_with_positions(open_page):
    at = section(open_page(), "Why order matters")
    table = at.dataframe[0].value
    verdicts = dict(zip(table["positional information"], table["verdict"], strict=True))
    assert verdicts["no positional encoding"] == "cannot tell A from B"
    assert verdicts["sinusoidal (added)"] == "tells A from B" and verdicts["RoPE (rotated q, k)"] == "tells A from B"
    at.text_input(key="positional.sentence_a").set_value("").run()
    assert_clean(at)
    assert any("at least one word" in w.value for w in at.warning)
