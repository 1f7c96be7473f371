"""Figures of the optimizer race: pure functions from engine data to images and charts.

The map that animates while the race runs is a PIL image (see ui/images.py): the surface as
pale filled contour bands (log-scaled where the surface's minimum is 0), each racer's path in
its colour with a dot per step (the spacing shows the step size), and a legend with each
racer's state. The loss curves are Vega-Lite (they redraw in place). The clickable contour map
and the 3-D view are Plotly: they are drawn by the page's script, not by the live fragment.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw

from engine.optim.race import TOLERANCE, RaceConfig
from engine.optim.surfaces import SURFACES, Surface
from engine.runtime import Snapshot
from ui.charts import PALETTE, Chart
from ui.images import SCALE, data_uri, font

LOW, HIGH, LINE = np.array([255, 252, 240]), np.array([196, 207, 222]), np.array([160, 174, 192])
BANDS = 18
COLOURSCALE = [[0.0, "rgb(255,252,240)"], [1.0, "rgb(196,207,222)"]]
MAP = 440  # the map's side in display pixels
CLICK_GRID = 45  # invisible points per side that make the Plotly contour clickable


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def level(surface: Surface, z: np.ndarray, condition: float) -> tuple[np.ndarray, str]:
    """What the colour shows: log10(f − f* + c) where the surface has a minimum of 0, else f itself."""
    f_min = surface.minimum_value(condition)
    if surface.log_scale and f_min is not None:
        gap = np.maximum(z - f_min, 0.0)
        floor = max(1e-6, 1e-5 * float(np.nanmax(gap)))
        return np.log10(gap + floor), "log₁₀(f − f*)"
    return z, "f"


@functools.lru_cache(maxsize=32)
def _background(surface_key: str, condition: float, side: int) -> Image.Image:
    """The surface as filled contour bands with darker band edges, top row = largest y."""
    surface = SURFACES[surface_key]
    _, _, z = surface.grid(side, condition)
    values, _ = level(surface, z, condition)
    low, high = np.nanpercentile(values, [0.5, 99.5])
    t = np.clip((values - low) / max(high - low, 1e-12), 0, 1)
    band = np.minimum((t * BANDS).astype(int), BANDS - 1)
    rgb = LOW + (HIGH - LOW) * (band / (BANDS - 1))[..., None]
    edge = np.zeros_like(band, dtype=bool)
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    rgb[edge] = LINE
    return Image.fromarray(rgb.astype(np.uint8)[::-1]).resize((side * SCALE, side * SCALE), Image.Resampling.BILINEAR)


def race_png(payload: Mapping, legend_width: int = 250) -> str:
    """The map with every racer's path, and the legend with where each racer stands."""
    surface = SURFACES[payload["surface"]]
    s, left, top, bottom = MAP * SCALE, 30 * SCALE, 8 * SCALE, 24 * SCALE
    image = Image.new("RGB", (left + s + legend_width * SCALE, top + s + bottom), "white")
    plane = _background(surface.key, float(payload["condition"]), MAP).copy()
    draw = ImageDraw.Draw(plane)
    x0, x1, y0, y1 = surface.extent

    def pixel(p: np.ndarray) -> np.ndarray:
        p = np.asarray(p, dtype=float).reshape(-1, 2)
        return np.stack([(p[:, 0] - x0) / (x1 - x0) * s, (y1 - p[:, 1]) / (y1 - y0) * s], axis=1)

    for mx, my in pixel(np.array(surface.minima).reshape(-1, 2)):
        r = 6 * SCALE
        draw.polygon([(mx, my - r), (mx + r, my), (mx, my + r), (mx - r, my)], fill="white", outline="#111827", width=SCALE)
    start = pixel(payload["paths"][0][0])[0]
    r = 6 * SCALE
    draw.ellipse((start[0] - r, start[1] - r, start[0] + r, start[1] + r), outline="#111827", width=2 * SCALE)
    for i, path in enumerate(payload["paths"]):
        colour = _rgb(PALETTE[i % len(PALETTE)])
        points = pixel(np.clip(path, [x0 - 1e3, y0 - 1e3], [x1 + 1e3, y1 + 1e3]))
        if len(points) > 1:
            draw.line([tuple(p) for p in points], fill=colour, width=2 * SCALE, joint="curve")
        if len(points) <= 400:
            d = 1.6 * SCALE
            for px, py in points[1:]:
                draw.ellipse((px - d, py - d, px + d, py + d), fill=colour)
        px, py = points[-1]
        if payload["diverged_at"][i] >= 0:
            d = 7 * SCALE
            draw.line((px - d, py - d, px + d, py + d), fill=colour, width=3 * SCALE)
            draw.line((px - d, py + d, px + d, py - d), fill=colour, width=3 * SCALE)
        else:
            d = 6 * SCALE
            draw.ellipse((px - d, py - d, px + d, py + d), fill=colour, outline="white", width=2 * SCALE)
    image.paste(plane, (left, top))
    draw = ImageDraw.Draw(image)
    draw.rectangle((left, top, left + s, top + s), outline="#9ca3af", width=SCALE)
    small = font(11)
    for value in np.linspace(x0, x1, 5):
        px = left + (value - x0) / (x1 - x0) * s
        draw.text((px, top + s + 4 * SCALE), f"{value:g}", fill="#4b5563", font=small, anchor="mt")
    for value in np.linspace(y0, y1, 5):
        py = top + (y1 - value) / (y1 - y0) * s
        draw.text((left - 4 * SCALE, py), f"{value:g}", fill="#4b5563", font=small, anchor="rm")
    _legend(draw, payload, left + s + 16 * SCALE, top)
    return data_uri(image, palette=True)


def status_line(payload: Mapping, i: int) -> str:
    """Where racer i stands, in words."""
    if payload["diverged_at"][i] >= 0:
        verb = "diverged" if SURFACES[payload["surface"]].bounded_below else "escaped towards −∞"
        return f"{verb} at step {payload['diverged_at'][i]:,}"
    loss = float(payload["losses"][i])
    f_min = payload["f_min"]
    text = f"f = {loss:.3g}" if f_min is None else f"f − f* = {max(loss - f_min, 0.0):.2g}"
    if payload["reached_at"][i] >= 0:
        text += f" · < {TOLERANCE:g} at step {payload['reached_at'][i]:,}"
    return text


def _legend(draw: ImageDraw.ImageDraw, payload: Mapping, x: float, y: float) -> None:
    title, body = font(13), font(11)
    draw.text((x, y), f"step {payload['step']:,} of {payload['steps']:,}", fill="#111827", font=title)
    y += 26 * SCALE
    for i, label in enumerate(payload["labels"]):
        colour = _rgb(PALETTE[i % len(PALETTE)])
        draw.line((x, y + 8 * SCALE, x + 18 * SCALE, y + 8 * SCALE), fill=colour, width=4 * SCALE)
        draw.text((x + 24 * SCALE, y), f"{i + 1} {label}", fill="#111827", font=body)
        draw.text((x + 24 * SCALE, y + 15 * SCALE), status_line(payload, i), fill="#4b5563", font=body)
        y += 38 * SCALE
    y += 6 * SCALE
    r = 5 * SCALE
    draw.ellipse((x + 4 * SCALE - r, y + 6 * SCALE - r, x + 4 * SCALE + r, y + 6 * SCALE + r), outline="#111827", width=2 * SCALE)
    draw.text((x + 24 * SCALE, y), "start", fill="#4b5563", font=body)
    if SURFACES[payload["surface"]].minima:
        y += 18 * SCALE
        cx, cy = x + 4 * SCALE, y + 6 * SCALE
        draw.polygon([(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)], fill="white", outline="#111827", width=SCALE)
        draw.text((x + 24 * SCALE, y), "minimum", fill="#4b5563", font=body)


def race_losses(snapshot: Snapshot, height: int = 250) -> Chart:
    """Each racer's f − f* (log scale) against the step; f itself where f is unbounded below."""
    p = snapshot.payload
    f_min = p["f_min"]
    labels = [f"{i + 1} {label}" for i, label in enumerate(p["labels"])]
    rows: dict[str, list] = {"step": [], "value": [], "racer": []}
    for i, label in enumerate(labels):
        steps, values = snapshot.metric(f"loss_{i}")
        if f_min is not None:
            values = values - f_min
            keep = values > 0
            steps, values = steps[keep], values[keep]
        rows["step"] += steps.tolist()
        rows["value"] += values.tolist()
        rows["racer"] += [label] * len(steps)
    spec = {
        "height": height,
        "mark": {"type": "line", "strokeWidth": 1.8, "clip": True},
        "encoding": {
            "x": {"field": "step", "type": "quantitative", "title": "step"},
            "y": {"field": "value", "type": "quantitative", "title": "f − f*" if f_min is not None else "f",
                  "scale": {"type": "log"} if f_min is not None else {"zero": False}},
            "color": {"field": "racer", "type": "nominal", "title": None, "legend": {"orient": "top", "columns": 2},
                      "scale": {"domain": labels, "range": [PALETTE[i % len(PALETTE)] for i in range(len(labels))]}},
            "tooltip": [{"field": "racer"}, {"field": "step"}, {"field": "value", "format": ".3g"}],
        },
    }
    return rows, spec


# -- Plotly views, drawn by the page's script ------------------------------------------------------------
def contour_figure(config: RaceConfig, payload: Mapping | None, height: int = 430) -> go.Figure:
    """The surface as a contour map to click a start point on, with the paths as they stand."""
    surface = SURFACES[config.surface]
    xs, ys, z = surface.grid(160, config.condition)
    values, title = level(surface, z, config.condition)
    low, high = np.nanpercentile(values, [0.5, 99.5])
    fig = go.Figure(go.Contour(x=xs, y=ys, z=np.clip(values, low, high), colorscale=COLOURSCALE, ncontours=BANDS,
                               colorbar=dict(title=title, thickness=12), hovertemplate="x %{x:.2f}<br>y %{y:.2f}<extra></extra>"))
    x0, x1, y0, y1 = surface.extent
    gx, gy = np.meshgrid(np.linspace(x0, x1, CLICK_GRID), np.linspace(y0, y1, CLICK_GRID))
    fig.add_trace(go.Scatter(x=gx.ravel(), y=gy.ravel(), mode="markers", marker=dict(size=10, opacity=0), showlegend=False,
                             hovertemplate="start here: (%{x:.2f}, %{y:.2f})<extra></extra>"))
    if payload and payload.get("surface") == config.surface:
        for i, path in enumerate(payload["paths"]):
            fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines", name=f"{i + 1} {payload['labels'][i]}",
                                     line=dict(color=PALETTE[i % len(PALETTE)], width=2), hoverinfo="skip"))
    if surface.minima:
        m = np.array(surface.minima)
        fig.add_trace(go.Scatter(x=m[:, 0], y=m[:, 1], mode="markers", name="minimum", hoverinfo="skip",
                                 marker=dict(symbol="diamond", size=10, color="white", line=dict(color="#111827", width=1.5))))
    fig.add_trace(go.Scatter(x=[config.start_x], y=[config.start_y], mode="markers", name="start", hoverinfo="skip",
                             marker=dict(symbol="circle-open", size=13, color="#111827", line=dict(width=2.5))))
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=10, b=0), template="plotly_white", dragmode=False,
                      clickmode="event+select", legend=dict(orientation="h", y=-0.08))
    fig.update_xaxes(range=[x0, x1], title="x", constrain="domain")
    fig.update_yaxes(range=[y0, y1], title="y", scaleanchor="x")
    return fig


def surface_figure(config: RaceConfig, payload: Mapping | None, height: int = 460) -> go.Figure:
    """The surface in 3-D, with the paths lifted onto it (log height where the minimum is 0)."""
    surface = SURFACES[config.surface]
    xs, ys, z = surface.grid(90, config.condition)
    f_min = surface.minimum_value(config.condition)
    log = surface.log_scale and f_min is not None

    def height_of(values: np.ndarray) -> np.ndarray:
        return np.log10(1.0 + np.maximum(values - f_min, 0.0)) if log else values

    fig = go.Figure(go.Surface(x=xs, y=ys, z=height_of(z), colorscale=COLOURSCALE, showscale=False, opacity=0.92,
                               contours=dict(z=dict(show=True, usecolormap=False, color="#64748b", width=1))))
    if payload and payload.get("surface") == config.surface:
        for i, path in enumerate(payload["paths"]):
            inside = ((path[:, 0] >= xs[0]) & (path[:, 0] <= xs[-1]) & (path[:, 1] >= ys[0]) & (path[:, 1] <= ys[-1]))
            p = path[inside]
            lift = height_of(surface.f(p[:, 0], p[:, 1], config.condition))
            fig.add_trace(go.Scatter3d(x=p[:, 0], y=p[:, 1], z=lift, mode="lines+markers", name=f"{i + 1} {payload['labels'][i]}",
                                       line=dict(color=PALETTE[i % len(PALETTE)], width=5), marker=dict(size=2)))
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=10, b=0), legend=dict(orientation="h"),
                      scene=dict(xaxis_title="x", yaxis_title="y", zaxis_title="log₁₀(1 + f − f*)" if log else "f"))
    return fig
