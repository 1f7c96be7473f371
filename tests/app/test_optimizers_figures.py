"""The Optimizers page's Plotly figures (ui.optimizers_figures): pure functions of engine data, checked
trace by trace — diverged and reached cells of the sweep, the highlighted schedule and its parameters,
the EWA curves, NaN gaps, log colour and the lifted path of the landscape."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.optim.ewa import ewa, noisy_series
from engine.optim.landscape import LandscapeConfig, compute_landscape
from engine.optim.race import RaceConfig
from engine.optim.sweep import Sweep, log_grid, sweep
from engine.schedules import SCHEDULES, learning_rate
from ui import optimizers_figures as figures
from ui.charts import PALETTE


def small_sweep() -> Sweep:
    """Two racers × three rates: racer 1 reached the tolerance at rate 2, diverged at rate 3; racer 2 diverged everywhere."""
    return Sweep(learning_rates=np.array([0.01, 0.1, 1.0]), labels=("SGD", "Adam"),
                 final=np.array([[0.5, 1e-9, np.nan], [np.nan, np.nan, np.nan]]),
                 diverged_at=np.array([[-1, -1, 7], [3, 2, 1]]), reached_at=np.array([[-1, 42, -1], [-1, -1, -1]]), steps=100)


# -- the sweep --------------------------------------------------------------------------------------
def test_rate_text_is_short():
    assert [figures.rate_text(r) for r in (1e-3, 3e-3, 1e-6, 0.03, 2.5, 100.0)] == ["1e-3", "3e-3", "1e-6", "0.03", "2.5", "100"]
    assert figures.rate_text(float("nan")) == "—"


def test_sweep_heatmap_marks_diverged_and_reached_cells():
    fig = figures.sweep_heatmap(small_sweep(), f_min=0.0)
    main, diverged = fig.data[0], fig.data[1]
    z = np.array(main.z, dtype=float)
    assert np.isnan(z[0, 2]) and np.isnan(z[1]).all(), "diverged cells have no colour in the loss map"
    assert z[0, 1] == pytest.approx(-9.0) and z[0, 0] == pytest.approx(math.log10(0.5)), "colour is log10(f − f*)"
    overlay = np.array(diverged.z, dtype=float)
    assert (np.isfinite(overlay) == (small_sweep().diverged_at >= 0)).all(), "the dark overlay covers exactly the diverged cells"
    assert diverged.colorscale[0][1] == figures.DIVERGED and not diverged.showscale
    assert diverged.text[0][2] == "×" and diverged.text[0][0] == ""
    assert main.text[0][1] == "✓" and main.text[0][0] == "" and main.text[1][1] == ""
    assert "diverged at step 7" in main.customdata[0][2] and "diverged at step 2" in main.customdata[1][1]
    assert "reached 1e-6 at step 42" in main.customdata[0][1]
    assert "reached" not in main.customdata[0][0]


def test_sweep_heatmap_rows_are_numbered_racers_in_their_palette_colour():
    fig = figures.sweep_heatmap(small_sweep(), f_min=0.0)
    ticks = fig.layout.yaxis.ticktext
    assert "1 · SGD" in ticks[0] and PALETTE[0] in ticks[0]
    assert "2 · Adam" in ticks[1] and PALETTE[1] in ticks[1]
    assert fig.layout.yaxis.autorange == "reversed", "racer 1 on top, as in the race panel"


def test_sweep_heatmap_x_axis_is_a_log_grid_with_short_ticks():
    grid = log_grid(1e-3, 1.0, 4)
    result = sweep(RaceConfig(steps=50), grid)
    fig = figures.sweep_heatmap(result, 0.0)
    np.testing.assert_allclose(fig.data[0].x, np.log10(grid))
    assert list(fig.layout.xaxis.ticktext) == ["1e-3", "3e-3", "0.01", "0.03", "0.1", "0.3", "1"]


def test_sweep_colour_without_a_minimum_is_the_final_loss_and_never_minus_infinity():
    s = small_sweep()
    np.testing.assert_array_equal(figures.sweep_colour(s, None), s.final)
    exact = Sweep(s.learning_rates, s.labels, np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 0.0]]), np.full((2, 3), -1),
                  np.full((2, 3), -1), 10)
    colour = figures.sweep_colour(exact, 0.0)
    assert np.isfinite(colour).all() and colour.min() == pytest.approx(math.log10(figures.FLOOR))
    fig = figures.sweep_heatmap(s, None)
    assert fig.data[0].colorbar.title.text == "final f"
    assert all("✓" not in t for row in fig.data[0].text for t in row), "no minimum: nothing is marked as reached"


def test_sweep_heatmap_marks_the_race_rates_and_the_stability_edge():
    fig = figures.sweep_heatmap(small_sweep(), 0.0, race_rates=(0.1, 0.5), edge=0.05)
    marks = [t for t in fig.data if t.type == "scatter"]
    assert [m.x[0] for m in marks] == pytest.approx([-1.0, math.log10(0.5)])
    assert [m.marker.color for m in marks] == [PALETTE[0], PALETTE[1]]
    assert len(fig.layout.shapes) == 1 and fig.layout.shapes[0].x0 == pytest.approx(math.log10(0.05))
    assert not figures.sweep_heatmap(small_sweep(), 0.0, edge=50.0).layout.shapes, "an edge off the grid is not drawn"


# -- schedules ------------------------------------------------------------------------------------------
def test_schedules_figure_draws_every_schedule_and_the_race_one_thick():
    config = RaceConfig(schedule="cosine", schedule_steps=120, steps=300)
    fig = figures.schedules_figure(config)
    assert len(fig.data) == len(SCHEDULES)
    widths = {name: trace.line.width for name, trace in zip(SCHEDULES, fig.data, strict=True)}
    assert widths["cosine"] > 2 * max(w for name, w in widths.items() if name != "cosine")
    cosine = fig.data[SCHEDULES.index("cosine")]
    assert "the race" in cosine.name and "T=120" in cosine.name
    expected = [learning_rate(config.schedule_spec(), 1.0, t) for t in range(300)]
    np.testing.assert_allclose(cosine.y, expected)
    assert cosine.y[150] == 0.0, "past its period the race's cosine stays at α_min = 0"
    other = figures.schedules_figure(config, highlight="step")
    assert other.data[SCHEDULES.index("step")].line.width > other.data[SCHEDULES.index("cosine")].line.width


def test_schedules_use_sensible_parameters_where_the_race_ones_do_not_fit():
    config = RaceConfig(schedule="constant", schedule_decay=0.5, steps=300)
    fig = figures.schedules_figure(config)
    exponential = fig.data[SCHEDULES.index("exponential")]
    assert exponential.y[-1] == pytest.approx(0.01 ** (299 / 300), rel=1e-2), "γ chosen so that γ^steps = 1 %"
    gamma = figures.display_spec(config, "exponential").decay
    assert f"γ={gamma:g}" in exponential.name
    assert figures.display_spec(config.replace(schedule="exponential"), "exponential").decay == 0.5, "the race's own γ"
    inverse = fig.data[SCHEDULES.index("inverse_time")]
    assert inverse.y[-1] == pytest.approx(1 / (1 + 9 / 300 * 299), rel=1e-2)
    assert figures.display_spec(config.replace(steps=50), "warmup").warmup_epochs == 5, "w = 100 > 50 steps: a tenth"


# -- exponentially weighted averages -------------------------------------------------------------------
def test_ewa_figure_shows_the_corrected_average_only_when_asked():
    series = noisy_series(200, 3.0, 1)
    raw, corrected = ewa(series.noisy, 0.9), ewa(series.noisy, 0.9, bias_correction=True)
    off = figures.ewa_figure(series, 0.9, raw, corrected, show_corrected=False)
    on = figures.ewa_figure(series, 0.9, raw, corrected, show_corrected=True)
    assert [t.name for t in off.data] == ["noisy θ_t", "clean signal", "v_t"]
    assert len(on.data) == 4 and "no bias correction" in on.data[2].name and "1 − β^t" in on.data[3].name
    np.testing.assert_allclose(on.data[3].y, corrected)
    np.testing.assert_allclose(on.data[2].y, raw)
    assert on.data[1].line.dash == "dash" and off.data[0].mode == "markers"
    assert "β = 0.9" in on.layout.title.text


# -- the landscape -------------------------------------------------------------------------------------
def payload(grid: np.ndarray, directions: str = "random") -> dict:
    n = len(grid)
    axis = np.linspace(-1.0, 1.0, n)
    path = np.array([[0.8, 0.6], [0.4, 0.2], [0.0, 0.0]])
    return {"alphas": axis, "betas": axis, "grid": grid, "path": path, "path_loss": np.array([2.0, 1.0, 0.5]),
            "center_loss": 0.5, "directions": directions, "explained": 0.3, "pca_variance": (), "n_parameters": 10}


def test_landscape_contour_keeps_nan_cells_as_gaps_and_marks_start_and_centre():
    grid = np.full((5, 5), 1.0) + np.arange(5)[None, :] * 0.1
    grid[0, 0] = np.nan
    fig = figures.landscape_contour(payload(grid))
    contour = fig.data[0]
    assert contour.type == "contour" and contour.connectgaps is False
    assert np.isnan(np.array(contour.z, dtype=float)[0, 0])
    np.testing.assert_allclose(np.array(contour.z, dtype=float)[1:], grid[1:])  # a narrow range stays linear
    path, start, centre = fig.data[1], fig.data[2], fig.data[3]
    assert list(path.marker.color) == [0, 1, 2], "the path is coloured by epoch"
    assert list(path.customdata[:, 1]) == [2.0, 1.0, 0.5]
    assert start.text == ("θ₀",) and (start.x[0], start.y[0]) == (0.8, 0.6)
    assert centre.text == ("θ*",) and (centre.x[0], centre.y[0]) == (0.0, 0.0)
    assert fig.layout.xaxis.title.text.startswith("α") and fig.layout.yaxis.title.text.startswith("β")


def test_landscape_contour_switches_to_log_colour_beyond_two_decades():
    grid = np.logspace(-2, 3, 25).reshape(5, 5)
    fig = figures.landscape_contour(payload(grid, "pca"))
    np.testing.assert_allclose(np.array(fig.data[0].z, dtype=float), np.log10(grid))
    assert fig.data[0].colorbar.title.text == "log₁₀ loss"
    assert "PC 1" in fig.layout.xaxis.title.text
    assert not figures.use_log(np.array([[1.0, 50.0], [np.nan, 2.0]]))
    assert not figures.use_log(np.array([[0.0, 1e6]])), "a zero loss cannot go on a log scale"


def test_on_grid_interpolates_bilinearly_and_is_nan_off_the_grid():
    axis = np.array([-1.0, 0.0, 1.0])
    grid = axis[None, :] * 2 + axis[:, None] * 3  # f(α, β) = 2α + 3β, linear: interpolation is exact
    points = np.array([[0.5, -0.25], [1.0, 1.0], [-1.0, 0.0], [1.5, 0.0]])
    out = figures.on_grid(axis, axis, grid, points)
    np.testing.assert_allclose(out[:3], [2 * 0.5 - 0.75, 5.0, -2.0])
    assert np.isnan(out[3])


def test_landscape_surface_lifts_the_path_onto_the_surface():
    grid = np.add.outer(np.linspace(0, 1, 5), np.linspace(0, 2, 5))  # [beta, alpha]
    p = payload(grid)
    fig = figures.landscape_surface(p)
    surface, path = fig.data
    assert surface.type == "surface" and path.type == "scatter3d"
    lifted = figures.on_grid(p["alphas"], p["betas"], grid, p["path"])
    lift = 0.01 * (grid.max() - grid.min())
    np.testing.assert_allclose(path.z, lifted + lift)
    np.testing.assert_allclose(path.customdata[:, 1], p["path_loss"])  # hover keeps the true loss at θ_t


def test_thin_path_keeps_the_ends_and_caps_the_points():
    path = np.random.default_rng(0).standard_normal((5001, 2))
    losses = np.arange(5001.0)
    shown, epochs, thinned = figures.thin_path(path, losses)
    assert len(shown) <= figures.PATH_POINTS and epochs[0] == 0 and epochs[-1] == 5000
    np.testing.assert_array_equal(shown, path[epochs])
    np.testing.assert_array_equal(thinned, losses[epochs])


def test_figures_of_a_real_landscape():
    config = LandscapeConfig(hidden=(4,), activations=("tanh",), keep_probs=(1.0,), batch_norm=(False,), epochs=5, resolution=11)
    p = compute_landscape(config)
    contour = figures.landscape_contour(p)
    assert np.array(contour.data[0].z, dtype=float).shape == (11, 11)
    assert len(contour.data[1].x) == 6, "θ_0 … θ_5"
    assert figures.landscape_surface(p).data[1].type == "scatter3d"
