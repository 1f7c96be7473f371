"""Figures of the Playground page: pure functions from a snapshot's payload to Plotly figures.

Colours follow TensorFlow Playground: orange for negative / class 0, blue for positive /
class 1, white around zero; more classes get a categorical palette.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from engine.data2d import EXTENT
from engine.metrics import Report
from ui.charts import PALETTE

ORANGE, BLUE, WHITE = np.array([245, 147, 34]), np.array([8, 119, 189]), np.array([255, 255, 255])
CLASS_COLOURS = np.array([[245, 147, 34], [8, 119, 189], [22, 163, 74], [147, 51, 234], [220, 38, 38]])
DIVERGING = [[0.0, "#f59322"], [0.5, "#ffffff"], [1.0, "#0877bd"]]
_LAYOUT = dict(template="plotly_white", margin=dict(l=10, r=10, t=30, b=10))


def _diverging_rgb(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] to RGB: orange → white → blue."""
    v = np.clip(values, -1.0, 1.0)[..., None]
    rgb = np.where(v < 0, WHITE + (ORANGE - WHITE) * -v, WHITE + (BLUE - WHITE) * v)
    return rgb.astype(np.uint8)


def boundary(payload: Mapping, show_test: bool = True, discretize: bool = False, height: int = 420) -> go.Figure:
    """The network's output over the input plane with the training (and test) points on top."""
    xs, z, k = payload["grid_xs"], np.asarray(payload["boundary"]), payload["n_classes"]
    fig = go.Figure()
    if k > 2:
        steps = []
        for c in range(k):
            colour = "rgb({},{},{})".format(*CLASS_COLOURS[c])
            steps += [[c / k, colour], [(c + 1) / k, colour]]
        fig.add_trace(go.Heatmap(x=xs, y=xs, z=payload["boundary_class"], customdata=z, colorscale=steps, zmin=-0.5,
                                 zmax=k - 0.5, opacity=0.45, showscale=False,
                                 hovertemplate="x₁ %{x:.2f}<br>x₂ %{y:.2f}<br>class %{z} (p %{customdata:.2f})<extra></extra>"))
    else:
        regression = k == 0
        shown = (z >= 0.5).astype(float) if discretize and not regression else z
        scale = dict(zmin=-1.0, zmax=1.0) if regression else dict(zmin=0.0, zmax=1.0)
        fig.add_trace(go.Heatmap(x=xs, y=xs, z=shown, colorscale=DIVERGING, opacity=0.75, showscale=False,
                                 hovertemplate="x₁ %{x:.2f}<br>x₂ %{y:.2f}<br>output %{z:.3f}<extra></extra>", **scale))
    parts = [("train", "circle", "white")] + ([("test", "circle-open", "black")] if show_test else [])
    for part, symbol, outline in parts:
        x, y = np.asarray(payload[f"{part}_x"]), np.asarray(payload[f"{part}_y"])
        if not len(x):
            continue
        if k == 0:
            colour = _diverging_rgb(y)
            colours = [f"rgb({r},{g},{b})" for r, g, b in colour]
        else:
            colours = [f"rgb({r},{g},{b})" for r, g, b in CLASS_COLOURS[y]]
        fig.add_trace(go.Scatter(x=x[:, 0], y=x[:, 1], mode="markers", name=f"{part} ({len(x)})",
                                 marker=dict(color=colours, size=6, symbol=symbol, line=dict(color=outline, width=1)),
                                 hovertemplate=f"{part}<br>x₁ %{{x:.2f}}<br>x₂ %{{y:.2f}}<extra></extra>"))
    fig.update_xaxes(range=[-EXTENT, EXTENT], title="x₁", constrain="domain")
    fig.update_yaxes(range=[-EXTENT, EXTENT], title="x₂", scaleanchor="x", constrain="domain")
    fig.update_layout(height=height, showlegend=True, legend=dict(orientation="h", y=1.08), **_LAYOUT)
    return fig


def _png(rgb: np.ndarray) -> str:
    """An RGB array as a PNG data URI: a few kB instead of a million numbers in the figure's JSON."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _thumbnail(unit: np.ndarray, size: int) -> np.ndarray:
    """A unit's preview as an RGB tile: normalised by its largest magnitude, nearest-neighbour scaled."""
    peak = float(np.abs(unit).max()) or 1.0
    tile = _diverging_rgb(unit[::-1] / peak)
    factor = max(1, size // unit.shape[0])
    return np.kron(tile, np.ones((factor, factor, 1), dtype=np.uint8))


def network(payload: Mapping, labels: Sequence[str], max_links: int = 400, height: int = 420) -> go.Figure:
    """The network as thumbnails of what each unit computes, linked by weights (blue positive,
    orange negative, width by magnitude). Hover a unit for its bias and weights."""
    layers = payload["previews"]  # inputs, hidden..., output: (units, r, r)
    weights, biases = payload["weights"], payload["biases"]
    tallest = max(len(layer) for layer in layers)
    size = int(np.clip(480 // tallest, 8, 48))
    tile = _thumbnail(layers[0][0], size).shape[0]
    gap_y, gap_x = max(tile // 3, 3), tile * 3
    height_px = tallest * (tile + gap_y)
    width_px = len(layers) * tile + (len(layers) - 1) * gap_x
    canvas = np.full((height_px, width_px, 3), 255, dtype=np.uint8)
    centres: list[list[tuple[float, float]]] = []
    for l, layer in enumerate(layers):
        x0 = l * (tile + gap_x)
        top = (height_px - len(layer) * (tile + gap_y)) // 2
        column = []
        for u, unit in enumerate(layer):
            y0 = top + u * (tile + gap_y)
            canvas[y0 : y0 + tile, x0 : x0 + tile] = _thumbnail(unit, size)[:tile, :tile]
            column.append((x0, y0 + tile / 2))
        centres.append(column)
    fig = go.Figure(go.Image(source=_png(canvas), hoverinfo="skip"))
    for l, W in enumerate(weights):
        flat = np.abs(W).ravel()
        if not flat.size:
            continue
        keep = np.argsort(flat)[-max_links:]
        peak = flat.max() or 1.0
        for sign, colour in ((1, "rgba(8,119,189,0.55)"), (-1, "rgba(245,147,34,0.55)")):
            for width in (1, 2.5, 4.5):
                xs, ys = [], []
                for index in keep:
                    j, i = divmod(int(index), W.shape[1])
                    w = W[j, i]
                    bucket = 1 if abs(w) < peak / 3 else (2.5 if abs(w) < 2 * peak / 3 else 4.5)
                    if np.sign(w) != sign or bucket != width:
                        continue
                    (xa, ya), (xb, yb) = centres[l][i], centres[l + 1][j]
                    xs += [xa + tile, xb, None]
                    ys += [ya, yb, None]
                if xs:
                    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=colour, width=width),
                                             hoverinfo="skip", showlegend=False))
    fig.add_trace(_unit_markers(centres, tile, weights, biases, labels))
    fig.update_xaxes(visible=False, range=[-tile * 0.2, width_px + tile * 0.2])
    fig.update_yaxes(visible=False, range=[height_px, 0])
    fig.update_layout(height=height, **_LAYOUT, showlegend=False)
    return fig


def _unit_markers(centres, tile, weights, biases, labels) -> go.Scatter:
    xs, ys, text, ids = [], [], [], []
    for l, column in enumerate(centres):
        for u, (x, y) in enumerate(column):
            xs.append(x + tile / 2)
            ys.append(y)
            ids.append(f"{l}:{u}")
            if l == 0:
                text.append(f"input {labels[u]}")
                continue
            w_in, b = weights[l - 1][u], biases[l - 1][u]
            shown = ", ".join(f"{v:.2f}" for v in w_in[:8]) + (" …" if len(w_in) > 8 else "")
            name = "output" if l == len(centres) - 1 else f"layer {l}, unit {u + 1}"
            text.append(f"{name}<br>bias {b:.3f}<br>weights in: {shown}")
    return go.Scatter(x=xs, y=ys, mode="markers", customdata=ids, text=text, hovertemplate="%{text}<extra></extra>",
                      marker=dict(size=tile, color="rgba(0,0,0,0)", symbol="square"))


def large_preview(unit: np.ndarray, title: str) -> go.Figure:
    fig = go.Figure(go.Heatmap(z=unit, colorscale=DIVERGING, zmid=0, showscale=True))
    fig.update_layout(title=title, height=260, **_LAYOUT)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    return fig


def confusion(report: Report, class_names: Sequence[str]) -> go.Figure:
    fig = go.Figure(go.Heatmap(z=report.confusion, x=list(class_names), y=list(class_names), colorscale="Blues",
                               text=report.confusion, texttemplate="%{text}", showscale=False))
    fig.update_layout(height=260, **_LAYOUT)
    fig.update_xaxes(title="predicted")
    fig.update_yaxes(title="true", autorange="reversed")
    return fig


def roc(fpr: np.ndarray, tpr: np.ndarray, auc: float, threshold_point: tuple[float, float]) -> go.Figure:
    fig = go.Figure([go.Scatter(x=fpr, y=tpr, mode="lines", name=f"ROC (AUC {auc:.3f})", line=dict(color=PALETTE[0])),
                     go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dot", color="#9ca3af"), showlegend=False),
                     go.Scatter(x=[threshold_point[0]], y=[threshold_point[1]], mode="markers", name="threshold",
                                marker=dict(size=10, color=PALETTE[1]))])
    fig.update_layout(height=260, xaxis_title="false-positive rate", yaxis_title="true-positive rate", **_LAYOUT)
    return fig


def weight_histograms(weights: Sequence[np.ndarray]) -> go.Figure:
    fig = go.Figure()
    for l, W in enumerate(weights, start=1):
        fig.add_trace(go.Histogram(x=W.ravel(), name=f"W[{l}]", opacity=0.6, nbinsx=40))
    fig.update_layout(barmode="overlay", height=260, xaxis_title="weight", **_LAYOUT)
    return fig


def layer_bars(values: np.ndarray, title: str, yaxis: str, log: bool = False) -> go.Figure:
    fig = go.Figure(go.Bar(x=[f"layer {i}" for i in range(1, len(values) + 1)], y=values, marker_color=PALETTE[0]))
    fig.update_layout(title=title, height=240, yaxis_title=yaxis, **_LAYOUT)
    if log:
        fig.update_yaxes(type="log")
    return fig
