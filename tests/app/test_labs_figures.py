"""The Labs page's pure figure code: the PIL chart behind the PNG download (axes, ticks, log scales, error
bars, bars, legend), the Plotly evidence plot and the CSV exports."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest
from PIL import Image, ImageChops

from engine.labs.base import Evidence, LabResult, Measured, Series, Verdict
from ui.charts import PALETTE
from ui.labs_charts import evidence_figure
from ui.labs_export import figures_csv, table_csv
from ui.labs_png import Axis, evidence_png, linear_ticks, log_ticks, tick_text
from ui.labs_result import plain

XS = (1, 2, 4, 8, 16)
RISING = Series("rising", XS, (0.001, 0.01, 0.1, 1.0, 10.0), (0.0005, 0.005, 0.05, 0.5, 5.0))
FLAT = Series("flat", XS, (1.0,) * 5)
LINE = Evidence("line", "size", "response", (RISING, FLAT), log_x=True, log_y=True)
BARS = Evidence("bar", "loss", "recall", (Series("CE", ("1:5", "1:20"), (0.8, 0.4), (0.05, 0.08)),
                                          Series("focal", ("1:5", "1:20"), (0.82, 0.6), (0.04, 0.05))))


def picture(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return np.asarray(image.convert("RGB")).astype(int)


def where(pixels: np.ndarray, colour: str) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the pixels within a small distance of a #rrggbb colour."""
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    return np.nonzero(np.abs(pixels - rgb).sum(axis=2) < 30)


def test_ticks_are_round_and_cover_the_range():
    assert linear_ticks(0, 1) == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert linear_ticks(-3, 7)[0] <= -3 and linear_ticks(-3, 7)[-1] >= 7
    assert linear_ticks(5, 5), "a flat series still gets an axis"
    assert log_ticks(1e-9, 2.0) == pytest.approx([10.0 ** k for k in range(-9, 1)])
    assert log_ticks(1.5, 40) == pytest.approx([2, 5, 10, 20]), "1-2-5 ticks when under three powers of ten fit"
    assert log_ticks(1e-17, 10) == pytest.approx([10.0 ** k for k in range(-16, 2, 2)]), "every other power over 19 decades"
    assert [tick_text(v) for v in (0, 0.5, 20, -2, 1e-5, 123456)] == ["0", "0.5", "20", "−2", "1e−5", "1.23e5"]


def test_a_log_axis_maps_decades_evenly():
    axis = Axis([1.0, 100.0], 0.0, 200.0, log=True)
    a, b, c = axis(1.0), axis(10.0), axis(100.0)
    assert b - a == pytest.approx(c - b)
    assert axis(0.0) is None and axis(-1.0) is None and axis(math.nan) is None, "what a log axis cannot show is skipped"


def test_the_png_is_a_chart_of_the_series():
    pixels = picture(evidence_png(LINE, "A lab", "verdict: supported"))
    assert pixels.shape == (540, 900, 3)
    rows, cols = where(pixels[100:], PALETTE[0])  # below the title and the legend
    assert len(rows) > 200, "the rising series is drawn in the first colour"
    assert len(where(pixels, PALETTE[1])[0]) > 200, "the flat series in the second"
    left, right = cols < np.percentile(cols, 10), cols > np.percentile(cols, 90)
    assert rows[right].mean() < rows[left].mean() - 200, "a rising series goes up the picture (y grows upwards)"
    flat_rows = where(pixels[100:], PALETTE[1])[0]
    assert np.ptp(flat_rows) < 12, "a constant series is a horizontal line"


def test_error_bars_are_drawn_where_the_evidence_has_them():
    with_err = Image.open(io.BytesIO(evidence_png(LINE)))
    without = Image.open(io.BytesIO(evidence_png(Evidence("line", "size", "response", (RISING.__class__(
        RISING.name, RISING.x, RISING.y), FLAT), log_x=True, log_y=True))))
    box = ImageChops.difference(with_err.convert("RGB"), without.convert("RGB")).getbbox()
    assert box is not None, "error bars change the picture"
    assert box[3] - box[1] > 100, "they span the points' vertical ranges"


def test_bars_are_grouped_in_series_order():
    pixels = picture(evidence_png(BARS, "Bars"))
    ce, focal = where(pixels, PALETTE[0])[1], where(pixels, PALETTE[1])[1]
    assert len(ce) > 1000 and len(focal) > 1000, "filled bars in both colours"
    bars_ce, bars_focal = ce[ce > 84], focal[focal > 84]  # right of the legend swatches' column
    assert bars_ce.min() < bars_focal.min(), "within a category, the first series stands left of the second"


def test_a_chart_with_nothing_to_plot_still_draws():
    empty = Evidence("line", "x", "y", (Series("nothing", (1, 2), (math.nan, math.inf)),), log_y=True)
    assert picture(evidence_png(empty)).shape == (540, 900, 3)
    zero = Evidence("line", "x", "y", (Series("zero", (1, 2), (0.0, 1.0), (0.5, 0.5)),), log_y=True)
    assert picture(evidence_png(zero)).shape == (540, 900, 3)


def test_the_plotly_figure_follows_the_evidence():
    fig = evidence_figure(LINE, title="A lab")
    assert [t.name for t in fig.data] == ["rising", "flat"]
    assert list(fig.data[0].error_y.array) == list(RISING.err) and fig.data[1].error_y.array is None
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert fig.layout.yaxis.exponentformat == "power", "10⁻⁶ on a log axis, not SI's 1µ"
    assert fig.layout.xaxis.title.text == "size" and fig.layout.yaxis.title.text == "response"
    bars = evidence_figure(BARS)
    assert [t.type for t in bars.data] == ["bar", "bar"] and bars.layout.barmode == "group"
    assert bars.layout.yaxis.type is None


def test_the_csv_exports():
    result = LabResult("demo", {"seeds": 3, "activation": "tanh"},
                       Measured({"gap": 0.25}, ({"depth": 2, "norm": 0.5}, {"depth": 4, "norm": 0.1, "note": "small"}), LINE),
                       Verdict("supported", "the gap is 0.25."))
    rows = list(csv.reader(io.StringIO(figures_csv(result, "Supported if the gap is above 0.1."))))
    assert rows[0] == ["kind", "name", "value"]
    assert ["setting", "seeds", "3"] in rows and ["figure", "gap", "0.25"] in rows
    assert ["verdict", "outcome", "supported"] in rows and ["verdict", "rule", "Supported if the gap is above 0.1."] in rows
    table = list(csv.reader(io.StringIO(table_csv(result))))
    assert table == [["depth", "norm", "note"], ["2", "0.5", ""], ["4", "0.1", "small"]]


def test_a_labs_words_are_shown_as_they_are():
    assert plain("lowest f − f*: (a*, b*) at $5, d_k [sic]") == "lowest f − f\\*: (a\\*, b\\*) at \\$5, d\\_k \\[sic\\]"
    assert plain("zero init's spread is 0 (below 1e-06).") == "zero init's spread is 0 (below 1e-06)."
