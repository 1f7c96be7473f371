"""Figures of the Positional-encodings page: pure functions from engine arrays to Plotly figures.

Every view on this page is static between reruns (nothing trains while it is shown, except the
extrapolation experiment, whose progress is text), so Plotly serves them all. Large tables are
sent as float32 (a 512 × 512 heat map is 1 MB instead of 2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.charts import PALETTE

DIVERGING = "RdBu"
LAYOUT = dict(template="plotly_white", margin=dict(l=10, r=10, t=40, b=10))


def pe_heatmap(pe: np.ndarray, dimension: int | None = None, position: int | None = None, height: int = 420) -> go.Figure:
    """PE as position (rows) × dimension (columns), −1 blue … +1 red, with the chosen dimension
    and position outlined."""
    length, d = pe.shape
    fig = go.Figure(go.Heatmap(z=pe.astype(np.float32), colorscale=DIVERGING, zmin=-1, zmax=1, reversescale=True,
                               colorbar=dict(title="value", thickness=12),
                               hovertemplate="position %{y}<br>dimension %{x}<br>PE = %{z:.4f}<extra></extra>"))
    # Plotly reports clicks on markers, not on heat-map cells: an invisible grid of up to 96 × 96
    # points (every cell on small tables) makes the map clickable, each point carrying its cell.
    xs = np.unique(np.linspace(0, d - 1, min(d, 96)).round().astype(int))
    ys = np.unique(np.linspace(0, length - 1, min(length, 96)).round().astype(int))
    gx, gy = np.meshgrid(xs, ys)
    fig.add_trace(go.Scatter(x=gx.ravel(), y=gy.ravel(), mode="markers", marker=dict(size=9, opacity=0), showlegend=False,
                             customdata=pe[gy.ravel(), gx.ravel()].astype(np.float32),
                             hovertemplate="position %{y}<br>dimension %{x}<br>PE = %{customdata:.4f}<extra></extra>"))
    if dimension is not None:
        fig.add_vline(x=dimension, line=dict(color="#111827", width=1.5))
    if position is not None:
        fig.add_hline(y=position, line=dict(color="#111827", width=1.5))
    fig.update_layout(height=height, title=f"PE for {length} positions × d_model = {d}", clickmode="event+select", dragmode=False,
                      **LAYOUT)
    fig.update_xaxes(title="dimension", range=[-0.5, d - 0.5])
    fig.update_yaxes(title="position", autorange="reversed")
    return fig


def dimension_wave(pe: np.ndarray, dimension: int, wavelength: float, height: int = 260) -> go.Figure:
    kind = "sin" if dimension % 2 == 0 else "cos"
    fig = go.Figure(go.Scatter(x=np.arange(len(pe)), y=pe[:, dimension], mode="lines+markers", marker=dict(size=3),
                               line=dict(color=PALETTE[0])))
    fig.update_layout(height=height, title=f"dimension {dimension} ({kind}, pair {dimension // 2}): wavelength {wavelength:,.2f} positions",
                      **LAYOUT)
    fig.update_xaxes(title="position")
    fig.update_yaxes(title="PE", range=[-1.1, 1.1])
    return fig


def position_vector(pe: np.ndarray, position: int, height: int = 260) -> go.Figure:
    row = pe[position]
    fig = go.Figure(go.Bar(x=np.arange(len(row)), y=row, marker_color=np.where(row >= 0, "#dc2626", "#2563eb")))
    fig.update_layout(height=height, title=f"PE({position}): the vector added to the token at position {position}", **LAYOUT)
    fig.update_xaxes(title="dimension")
    fig.update_yaxes(title="value", range=[-1.1, 1.1])
    return fig


def wavelength_plot(wavelengths: np.ndarray, base: float, height: int = 260) -> go.Figure:
    pairs = np.arange(len(wavelengths))
    fig = go.Figure(go.Scatter(x=pairs, y=wavelengths, mode="lines+markers", marker=dict(size=4), line=dict(color=PALETTE[2])))
    fig.add_hline(y=2 * np.pi, line=dict(dash="dot", color="#6b7280"), annotation_text="2π")
    fig.add_hline(y=2 * np.pi * base, line=dict(dash="dot", color="#6b7280"), annotation_text="2π · base")
    fig.update_layout(height=height, title="Wavelength of each (sin, cos) pair: a geometric progression", **LAYOUT)
    fig.update_xaxes(title="pair i (dimensions 2i, 2i + 1)")
    fig.update_yaxes(title="wavelength (positions)", type="log")
    return fig


def matrix_heatmap(m: np.ndarray, title: str, x_title: str, y_title: str, height: int = 380, symmetric: bool = True,
                   colorscale: str = DIVERGING, hover: str = "%{z:.4f}") -> go.Figure:
    peak = float(np.nanmax(np.abs(m))) or 1.0
    kw = dict(zmin=-peak, zmax=peak) if symmetric else {}
    fig = go.Figure(go.Heatmap(z=np.asarray(m, dtype=np.float32), colorscale=colorscale, reversescale=symmetric, **kw,
                               colorbar=dict(thickness=12),
                               hovertemplate=f"{y_title} %{{y}}<br>{x_title} %{{x}}<br>{hover}<extra></extra>"))
    fig.update_layout(height=height, title=title, **LAYOUT)
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title, autorange="reversed")
    return fig


def similarity_by_offset(offsets: np.ndarray, values: np.ndarray, cosine: bool, height: int = 280) -> go.Figure:
    fig = go.Figure(go.Scatter(x=offsets, y=values, mode="lines", line=dict(color=PALETTE[0])))
    fig.update_layout(height=height, title=("cosine similarity" if cosine else "PE(p)·PE(p + k)") + " against the offset k", **LAYOUT)
    fig.update_xaxes(title="offset k = q − p")
    fig.update_yaxes(title="similarity")
    return fig


def rotation_check(before: np.ndarray, shifted: np.ndarray, rotated: np.ndarray, p: int, k: int, height: int = 300) -> go.Figure:
    dims = np.arange(len(before))
    fig = go.Figure([
        go.Bar(x=dims, y=before, name=f"PE({p})", marker_color="#cbd5e1"),
        go.Bar(x=dims, y=shifted, name=f"PE({p} + {k})", marker_color=PALETTE[0]),
        go.Scatter(x=dims, y=rotated, name=f"M_{k} · PE({p})", mode="markers", marker=dict(color=PALETTE[1], size=8, symbol="x")),
    ])
    fig.update_layout(height=height, barmode="group", title=f"Shifting by k = {k} is the rotation M_{k}, whatever p is", **LAYOUT)
    fig.update_xaxes(title="dimension")
    return fig


def rope_pairs(angles: np.ndarray, pairs: Sequence[int], height: int = 320) -> go.Figure:
    """The unit vector (1, 0) of each chosen pair rotated to each position: a fast pair spins, a slow one creeps."""
    fig = go.Figure()
    for n, i in enumerate(pairs):
        a = angles[:, i]
        fig.add_trace(go.Scatter(x=np.cos(a), y=np.sin(a), mode="lines+markers", name=f"pair {i}",
                                 line=dict(color=PALETTE[n % len(PALETTE)]), marker=dict(size=5),
                                 text=[f"position {p}" for p in range(len(a))], hovertemplate="%{text}<extra>pair " + str(i) + "</extra>"))
    fig.update_layout(height=height, title="RoPE turns each pair by p·ω_i: the tip of (1, 0) at positions 0, 1, 2, …", **LAYOUT)
    fig.update_xaxes(range=[-1.15, 1.15], title="coordinate 2i")
    fig.update_yaxes(range=[-1.15, 1.15], scaleanchor="x", title="coordinate 2i + 1")
    return fig


def alibi_grid(bias: np.ndarray, slopes: np.ndarray, height: int = 260) -> go.Figure:
    heads = len(bias)
    fig = make_subplots(rows=1, cols=heads, subplot_titles=[f"head {h + 1}: m = {s:.4g}" for h, s in enumerate(slopes)],
                        horizontal_spacing=0.02)
    low = float(bias.min()) or -1.0
    for h in range(heads):
        fig.add_trace(go.Heatmap(z=bias[h].astype(np.float32), zmin=low, zmax=0, colorscale="Blues", reversescale=True,
                                 showscale=h == heads - 1, hovertemplate="query %{y}<br>key %{x}<br>bias %{z:.3f}<extra></extra>"),
                      row=1, col=h + 1)
        fig.update_yaxes(autorange="reversed", showticklabels=h == 0, row=1, col=h + 1)
        fig.update_xaxes(showticklabels=False, row=1, col=h + 1)
    fig.update_layout(height=height, **LAYOUT)
    fig.update_annotations(font_size=10)
    return fig


def extrapolation_plot(payload: Mapping, height: int = 380) -> go.Figure:
    """Accuracy against test length for each scheme; the training length marked."""
    fig = go.Figure()
    lengths = np.asarray(payload["lengths"])
    for n, scheme in enumerate(payload["schemes"]):
        acc = np.asarray(payload["accuracy"][n], dtype=float)
        fig.add_trace(go.Scatter(x=lengths, y=acc, mode="lines+markers", name=scheme, line=dict(color=PALETTE[n % len(PALETTE)]),
                                 connectgaps=False, hovertemplate="length %{x}<br>accuracy %{y:.1%}<extra>" + scheme + "</extra>"))
    fig.add_vline(x=payload["train_length"], line=dict(dash="dash", color="#6b7280"), annotation_text="trained up to here")
    fig.add_hline(y=payload["chance"], line=dict(dash="dot", color="#9ca3af"), annotation_text="chance")
    fig.update_layout(height=height, title="Token accuracy at the training length L and beyond", **LAYOUT)
    fig.update_xaxes(title="sequence length", type="log", tickvals=lengths)
    fig.update_yaxes(title="accuracy", range=[0, 1.05], tickformat=".0%")
    return fig
