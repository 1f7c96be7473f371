"""Plotly figures for the Optimizers page's static sections: pure functions of engine data, no Streamlit.

    sweep_heatmap       racer × η → final loss (log10 of f − f* when the minimum is known); diverged cells
                        dark with "×", cells that reached f − f* < TOLERANCE marked "✓"
    schedules_figure    η_t / η_0 of every schedule over the race's steps, the race's own drawn thick
    ewa_figure          a noisy series, its clean signal and its exponentially weighted averages
    landscape_contour   a network's loss over the (α, β) plane around θ*, with the projected training path
    landscape_surface   the same grid as a 3-D surface, the path lifted onto it

These sections redraw only on a rerun (never inside a fast fragment), so Plotly's remount is no cost here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from engine.optim.ewa import Series
from engine.optim.race import TOLERANCE, RaceConfig
from engine.optim.sweep import Sweep
from engine.schedules import LABELS as SCHEDULE_LABELS
from engine.schedules import SCHEDULES, ScheduleSpec, learning_rate
from ui.charts import PALETTE

FLOOR = 1e-16  # f − f* below this is float noise: coloured as 1e-16
DIVERGED = "#262626"
LOG_DECADES = 2.0  # a loss range wider than this many decades is coloured on a log scale
PATH_POINTS = 500  # path points drawn (evenly thinned beyond; the last point is always kept)


def _layout(fig: go.Figure, title: str, height: int = 420, **extra: Any) -> go.Figure:
    layout = dict(template="plotly_white", title=dict(text=title, x=0.01, font_size=15), height=height,
                  margin=dict(l=10, r=10, t=40, b=10))
    fig.update_layout(**(layout | extra))
    return fig


def rate_text(rate: float) -> str:
    """η in the short form of the tick labels: 0.001 → "1e-3", 0.003 → "3e-3", 2.5 → "2.5"."""
    if rate != rate:
        return "—"
    if 1e-2 <= rate <= 100:
        return f"{rate:.3g}"
    mantissa, exponent = f"{rate:.2e}".split("e")
    return f"{float(mantissa):g}e{int(exponent)}"


# -- the learning-rate sweep --------------------------------------------------------------------------
def racer_names(labels: Sequence[str]) -> list[str]:
    """Row labels as in the race panel: "1 · SGD"."""
    return [f"{i + 1} · {label}" for i, label in enumerate(labels)]


def sweep_colour(sweep: Sweep, f_min: float | None) -> np.ndarray:
    """(n, m) colour values: log10(final − f*) when the minimum is known, else the final loss; NaN where diverged."""
    if f_min is None:
        return sweep.final.copy()
    with np.errstate(invalid="ignore"):
        return np.log10(np.maximum(sweep.final - f_min, FLOOR))


def sweep_heatmap(sweep: Sweep, f_min: float | None, race_rates: Sequence[float] = (), edge: float | None = None) -> go.Figure:
    """Rows: racers (racer i's label in PALETTE[i]); columns: the log grid of η; `race_rates` marks each racer's
    own η of the race (◇); `edge`, if given and on the grid, is gradient descent's stability edge 2/κ (a dashed line)."""
    n, m = sweep.final.shape
    x = np.log10(sweep.learning_rates)  # (m,) a log grid: equal cell widths
    y = list(range(n))
    z = sweep_colour(sweep, f_min)
    bad = sweep.diverged_at >= 0
    reached = (sweep.reached_at >= 0) & ~bad & (f_min is not None)  # no minimum known: nothing to reach
    hover = np.empty((n, m), dtype=object)
    for i in range(n):
        for j in range(m):
            where = f"{racer_names(sweep.labels)[i]}<br>η = {sweep.learning_rates[j]:.3g}<br>"
            if bad[i, j]:
                hover[i, j] = where + f"diverged at step {sweep.diverged_at[i, j]}"
            else:
                hover[i, j] = where + f"final f = {sweep.final[i, j]:.4g}"
                if reached[i, j]:
                    hover[i, j] += f"<br>reached {rate_text(TOLERANCE)} at step {sweep.reached_at[i, j]}"
    marks = np.where(reached, "✓", "")
    title = "log₁₀(f − f*)" if f_min is not None else "final f"
    fig = go.Figure()
    fig.add_trace(go.Heatmap(x=x, y=y, z=z, colorscale="YlOrRd", colorbar=dict(title=dict(text=title, side="right"), thickness=12),
                             text=marks, texttemplate="%{text}", textfont=dict(color="#1e3a8a", size=11),
                             customdata=hover, hovertemplate="%{customdata}<extra></extra>", hoverongaps=False, name="final loss"))
    fig.add_trace(go.Heatmap(x=x, y=y, z=np.where(bad, 1.0, np.nan), colorscale=[[0, DIVERGED], [1, DIVERGED]], showscale=False,
                             text=np.where(bad, "×", ""), texttemplate="%{text}", textfont=dict(color="white", size=12),
                             customdata=hover, hovertemplate="%{customdata}<extra></extra>", hoverongaps=False, name="diverged"))
    for i, rate in enumerate(race_rates[:n]):
        if rate > 0:
            fig.add_trace(go.Scatter(x=[math.log10(rate)], y=[i], mode="markers", showlegend=False, name="the race's η",
                                     marker=dict(symbol="diamond-open", size=13, color=PALETTE[i % len(PALETTE)], line_width=2.5),
                                     hovertemplate=f"the race's η = {rate:.3g}<extra></extra>"))
    if edge is not None and x.min() <= math.log10(edge) <= x.max():
        fig.add_vline(x=math.log10(edge), line=dict(color="#1e3a8a", width=1.5, dash="dash"),
                      annotation=dict(text="2/κ", font=dict(color="#1e3a8a")), annotation_position="top")
    low, high = float(np.floor(x.min() + 1e-9)), float(np.ceil(x.max() - 1e-9))
    ticks = [d + o for d in np.arange(low, high + 1) for o in (0.0, math.log10(3)) if x.min() - 1e-9 <= d + o <= x.max() + 1e-9]
    half = (x[1] - x[0]) / 2 if m > 1 else 0.5
    names = [f'<span style="color:{PALETTE[i % len(PALETTE)]}"><b>{name}</b></span>' for i, name in enumerate(racer_names(sweep.labels))]
    fig.update_xaxes(title="learning rate η (log scale)", tickvals=ticks, ticktext=[rate_text(10**t) for t in ticks],
                     range=[x.min() - half, x.max() + half], showgrid=False, zeroline=False)
    fig.update_yaxes(tickvals=y, ticktext=names, autorange="reversed", showgrid=False, zeroline=False)
    return _layout(fig, f"Final loss after {sweep.steps:,} steps", height=max(240, 120 + 46 * n))


# -- schedules --------------------------------------------------------------------------------------------
def display_spec(config: RaceConfig, name: str) -> ScheduleSpec:
    """The parameters schedule `name` is drawn with: the race's own for the race's schedule; for the others the
    race's where they make sense over `config.steps` steps, else parameters that show the schedule's shape."""
    race = config.schedule_spec()
    if name == config.schedule:
        return ScheduleSpec(name, race.decay, race.step_size, race.period, race.warmup_epochs)
    steps, n, decay = config.steps, config.schedule_steps, config.schedule_decay
    inside = n if 1 < n < steps else max(1, steps // 3)
    if name == "step":
        return ScheduleSpec(name, decay=decay if decay < 1 else 0.5, step_size=inside)
    if name == "exponential":  # γ^steps between 0.1 % and 50 %: else γ with γ^steps = 1 %
        fits = decay < 1 and 1e-3 <= decay**steps <= 0.5
        return ScheduleSpec(name, decay=decay if fits else round(0.01 ** (1 / steps), 5))
    if name == "inverse_time":  # 1/(1 + decay·steps) between 1 % and 50 %: else the end at 10 %
        fits = 1 <= decay * steps <= 99
        return ScheduleSpec(name, decay=decay if fits else float(f"{9 / steps:.3g}"))
    if name == "cosine":
        return ScheduleSpec(name, period=n if 1 < n <= steps else steps)
    if name == "warmup":
        return ScheduleSpec(name, warmup_epochs=n if 1 < n < steps else max(1, steps // 10))
    return ScheduleSpec(name)


def schedule_legend(spec: ScheduleSpec) -> str:
    """The schedule's name and the parameters it is drawn with."""
    label = SCHEDULE_LABELS[spec.name]
    detail = {"step": f"γ={spec.decay:g} every {spec.step_size}", "exponential": f"γ={spec.decay:g}",
              "inverse_time": f"decay={spec.decay:g}", "cosine": f"T={spec.period}", "warmup": f"w={spec.warmup_epochs}"}
    return f"{label} ({detail[spec.name]})" if spec.name in detail else label


def schedule_curve(spec: ScheduleSpec, steps: int) -> np.ndarray:
    """η_t / η_0 for t = 0 … steps − 1 (the race's step t + 1 uses epoch t)."""
    return np.array([learning_rate(spec, 1.0, t) for t in range(steps)])


def schedules_figure(config: RaceConfig, highlight: str | None = None) -> go.Figure:
    """Every schedule's α_t/α_0 for t = 0 … steps − 1 (the race's steps); `highlight` (default: the race's schedule) drawn thick."""
    highlight = config.schedule if highlight is None else highlight
    t = np.arange(config.steps)
    fig = go.Figure()
    for k, name in enumerate(SCHEDULES):
        spec = display_spec(config, name)
        chosen = name == highlight
        legend = schedule_legend(spec) + (" — the race" if name == config.schedule else "")
        fig.add_trace(go.Scatter(x=t, y=schedule_curve(spec, config.steps), mode="lines", name=legend,
                                 line=dict(width=4.5 if chosen else 1.6, color=PALETTE[k % len(PALETTE)]),
                                 opacity=1.0 if chosen else 0.75,
                                 hovertemplate=f"{SCHEDULE_LABELS[name]}<br>t = %{{x}}: α_t/α₀ = %{{y:.3g}}<extra></extra>"))
    fig.update_xaxes(title="t (counted from 0)")
    fig.update_yaxes(title="α_t / α₀", rangemode="tozero")
    return _layout(fig, "Learning-rate schedules over the race", legend=dict(orientation="h", y=-0.22, x=0))


# -- exponentially weighted averages -------------------------------------------------------------------
def ewa_figure(series: Series, beta: float, raw: np.ndarray, corrected: np.ndarray | None, show_corrected: bool) -> go.Figure:
    """The noisy values (grey), the clean signal (dashed), v_t, and v̂_t = v_t/(1 − β^t) when show_corrected."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=series.t, y=series.noisy, mode="markers", name="noisy θ_t", marker=dict(color="#9ca3af", size=5)))
    fig.add_trace(go.Scatter(x=series.t, y=series.clean, mode="lines", name="clean signal",
                             line=dict(color="#374151", width=1.2, dash="dash")))
    plain = "v_t (no bias correction)" if show_corrected else "v_t"
    fig.add_trace(go.Scatter(x=series.t, y=raw, mode="lines", name=plain,
                             line=dict(color=PALETTE[1], width=2.0 if show_corrected else 3.0, dash="dot" if show_corrected else None)))
    if show_corrected and corrected is not None:
        fig.add_trace(go.Scatter(x=series.t, y=corrected, mode="lines", name="v̂_t = v_t / (1 − β^t)",
                                 line=dict(color=PALETTE[0], width=3.0)))
    fig.update_xaxes(title="t")
    fig.update_yaxes(title="value")
    return _layout(fig, f"Exponentially weighted average, β = {beta:g}", legend=dict(orientation="h", y=-0.2, x=0))


# -- a network's loss landscape --------------------------------------------------------------------
def use_log(grid: np.ndarray) -> bool:
    """Colour on a log scale when the finite, positive losses span more than LOG_DECADES decades."""
    finite = grid[np.isfinite(grid)]
    return bool(finite.size) and finite.min() > 0 and math.log10(finite.max() / finite.min()) > LOG_DECADES


def _shown(grid: np.ndarray, log: bool) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log10(grid) if log else np.asarray(grid, dtype=float)


def thin_path(path: np.ndarray, losses: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At most PATH_POINTS of the path (T, 2), with their epochs and losses; the first and last kept."""
    epochs = np.arange(len(path))
    if len(path) > PATH_POINTS:
        epochs = np.unique(np.linspace(0, len(path) - 1, PATH_POINTS).round().astype(int))
    return path[epochs], epochs, np.asarray(losses)[epochs]


def on_grid(alphas: np.ndarray, betas: np.ndarray, grid: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Bilinear interpolation of grid[beta_index, alpha_index] at points (T, 2) of (α, β); NaN off the grid."""
    a, b = points[:, 0], points[:, 1]
    i = np.clip(np.searchsorted(alphas, a) - 1, 0, len(alphas) - 2)
    k = np.clip(np.searchsorted(betas, b) - 1, 0, len(betas) - 2)
    u = (a - alphas[i]) / (alphas[i + 1] - alphas[i])
    v = (b - betas[k]) / (betas[k + 1] - betas[k])
    value = (grid[k, i] * (1 - u) * (1 - v) + grid[k, i + 1] * u * (1 - v) + grid[k + 1, i] * (1 - u) * v
             + grid[k + 1, i + 1] * u * v)
    off = (a < alphas[0]) | (a > alphas[-1]) | (b < betas[0]) | (b > betas[-1])
    return np.where(off, np.nan, value)


def _axis_names(payload: Mapping[str, Any]) -> tuple[str, str]:
    if payload["directions"] == "pca":
        return "α along PC 1", "β along PC 2"
    return "α along d₁ (random)", "β along d₂ (random)"


def landscape_contour(payload: Mapping[str, Any]) -> go.Figure:
    """Contours of the training loss over the plane (NaN cells: gaps), the projected path coloured by epoch,
    θ₀ and θ* (the centre) marked."""
    alphas, betas, grid = (np.asarray(payload[k]) for k in ("alphas", "betas", "grid"))
    log = use_log(grid)
    fig = go.Figure()
    fig.add_trace(go.Contour(x=alphas, y=betas, z=_shown(grid, log), customdata=grid, colorscale="Viridis", ncontours=30,
                             connectgaps=False, line=dict(width=0.5), name="loss",
                             colorbar=dict(title=dict(text="log₁₀ loss" if log else "loss", side="right"), thickness=12),
                             hovertemplate="α = %{x:.3f}, β = %{y:.3f}<br>loss = %{customdata:.4g}<extra></extra>"))
    path, epochs, losses = thin_path(np.asarray(payload["path"]), np.asarray(payload["path_loss"]))
    if len(path):
        fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines+markers", name="training path",
                                 line=dict(color="white", width=1.5),
                                 marker=dict(size=5, color=epochs, colorscale="Reds", line=dict(color="#111827", width=0.5)),
                                 customdata=np.stack([epochs, losses], axis=1),
                                 hovertemplate="epoch %{customdata[0]:.0f}<br>loss %{customdata[1]:.4g}<extra></extra>"))
        fig.add_trace(go.Scatter(x=path[:1, 0], y=path[:1, 1], mode="markers+text", text=["θ₀"], textposition="top center",
                                 textfont=dict(color="white", size=15), name="θ₀ (start)", hoverinfo="skip",
                                 marker=dict(symbol="circle", size=11, color="#f97316", line=dict(color="white", width=1.5))))
    fig.add_trace(go.Scatter(x=[0.0], y=[0.0], mode="markers+text", text=["θ*"], textposition="bottom center",
                             textfont=dict(color="white", size=15), name="θ* (trained; the centre)",
                             marker=dict(symbol="star", size=15, color="#facc15", line=dict(color="#111827", width=1)),
                             hovertemplate=f"θ*: loss {payload['center_loss']:.4g}<extra></extra>"))
    x_name, y_name = _axis_names(payload)
    fig.update_xaxes(title=x_name, range=[alphas[0], alphas[-1]], showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(title=y_name, range=[betas[0], betas[-1]], showgrid=False, zeroline=False, scaleanchor="x", scaleratio=1,
                     constrain="domain")
    return _layout(fig, "Training loss around θ*", height=460, legend=dict(orientation="h", y=-0.18, x=0))


def landscape_surface(payload: Mapping[str, Any]) -> go.Figure:
    """The same grid as a 3-D surface (log height when the loss spans decades), the path lifted onto it."""
    alphas, betas, grid = (np.asarray(payload[k]) for k in ("alphas", "betas", "grid"))
    log = use_log(grid)
    fig = go.Figure(go.Surface(x=alphas, y=betas, z=_shown(grid, log), customdata=grid, colorscale="Viridis", showscale=False,
                               opacity=0.92, name="loss",
                               hovertemplate="α = %{x:.3f}, β = %{y:.3f}<br>loss = %{customdata:.4g}<extra></extra>"))
    path, epochs, losses = thin_path(np.asarray(payload["path"]), np.asarray(payload["path_loss"]))
    if len(path):
        height = on_grid(alphas, betas, grid, path)
        z = _shown(grid, log)
        lift = 0.01 * float(np.nanmax(z) - np.nanmin(z)) if np.isfinite(z).any() else 0.0  # just above the surface, visible
        fig.add_trace(go.Scatter3d(x=path[:, 0], y=path[:, 1], z=_shown(height, log) + lift, mode="lines+markers", name="training path",
                                   line=dict(color="#f97316", width=5), marker=dict(size=2.5, color="#f97316"),
                                   customdata=np.stack([epochs, losses, height], axis=1),
                                   hovertemplate="epoch %{customdata[0]:.0f}<br>loss at θ_t %{customdata[1]:.4g}"
                                                 "<br>on the plane %{customdata[2]:.4g}<extra></extra>"))
    x_name, y_name = _axis_names(payload)
    scene = dict(xaxis_title=x_name, yaxis_title=y_name, zaxis_title="log₁₀ loss" if log else "loss",
                 camera=dict(eye=dict(x=1.5, y=-1.5, z=1.0)))
    return _layout(fig, "The same plane in 3-D", height=460, scene=scene, showlegend=False, margin=dict(l=0, r=0, t=40, b=0))
