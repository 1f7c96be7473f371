"""Figures of the Playground page: pure functions from a snapshot's payload to images and charts.

The two views that redraw five times a second while training — the decision boundary and the
network diagram — are drawn here as images (see ui/images.py). Colours follow TensorFlow Playground: orange for negative / class 0,
blue for positive / class 1, white around zero; more classes get a categorical palette.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from PIL import Image, ImageDraw

from engine.data2d import EXTENT
from ui.charts import PALETTE, Chart
from ui.images import SCALE, data_uri, font

ORANGE, BLUE, WHITE = np.array([245, 147, 34]), np.array([8, 119, 189]), np.array([255, 255, 255])
CLASS_COLOURS = np.array([[245, 147, 34], [8, 119, 189], [22, 163, 74], [147, 51, 234], [220, 38, 38]])
def diverging_rgb(values: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """Values in [-1, 1] to RGB: orange → white → blue (strength < 1 gives paler colours)."""
    v = np.clip(values, -1.0, 1.0)[..., None] * strength
    rgb = np.where(v < 0, WHITE + (ORANGE - WHITE) * -v, WHITE + (BLUE - WHITE) * v)
    return rgb.astype(np.uint8)


# -- the decision boundary --------------------------------------------------------------------------------
def surface_rgb(payload: Mapping, discretize: bool = False) -> np.ndarray:
    """The network's output over the plane as an RGB array, top row = largest x₂."""
    z, k = np.asarray(payload["boundary"], dtype=float), payload["n_classes"]
    if k > 2:
        confidence = np.ones_like(z) if discretize else np.clip((z - 1.0 / k) / (1.0 - 1.0 / k), 0, 1)
        rgb = WHITE + (CLASS_COLOURS[np.asarray(payload["boundary_class"])] - WHITE) * (0.55 * confidence)[..., None]
        return rgb.astype(np.uint8)[::-1]
    v = z if k == 0 else 2.0 * z - 1.0
    if discretize and k:
        v = np.sign(v)
    return diverging_rgb(v, strength=0.75)[::-1]


def _point_colours(y: np.ndarray, k: int) -> np.ndarray:
    return diverging_rgb(np.asarray(y, dtype=float)) if k == 0 else CLASS_COLOURS[np.asarray(y, dtype=int)]


def boundary_png(payload: Mapping, show_test: bool = True, discretize: bool = False, size: int = 380) -> str:
    """The output surface with the training points (filled) and test points (dark outline)."""
    s, left, bottom, top = size * SCALE, 34 * SCALE, 26 * SCALE, 8 * SCALE
    image = Image.new("RGB", (left + s + top, top + s + bottom), "white")
    surface = Image.fromarray(surface_rgb(payload, discretize)).resize((s, s), Image.Resampling.BILINEAR)
    image.paste(surface, (left, top))
    draw = ImageDraw.Draw(image)

    def pixel(x1: np.ndarray, x2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return left + (x1 + EXTENT) / (2 * EXTENT) * s, top + (EXTENT - x2) / (2 * EXTENT) * s

    parts = [("train", "white")] + ([("test", "#111827")] if show_test else [])
    r = 3.5 * SCALE
    for part, outline in parts:
        x, y = np.asarray(payload[f"{part}_x"]), np.asarray(payload[f"{part}_y"])
        if not len(x):
            continue
        px, py = pixel(x[:, 0], x[:, 1])
        for cx, cy, colour in zip(px, py, _point_colours(y, payload["n_classes"]), strict=True):
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=tuple(int(c) for c in colour), outline=outline, width=SCALE)
    draw.rectangle((left, top, left + s, top + s), outline="#9ca3af", width=SCALE)
    small = font(11)
    for tick in (-6, -3, 0, 3, 6):
        tx, ty = pixel(np.array(tick, float), np.array(tick, float))
        draw.text((float(tx), top + s + 4 * SCALE), str(tick), fill="#4b5563", font=small, anchor="mt")
        draw.text((left - 5 * SCALE, float(ty)), str(tick), fill="#4b5563", font=small, anchor="rm")
    return data_uri(image, photo=True)


# -- the network diagram -----------------------------------------------------------------------------------
def _tile(unit: np.ndarray, size: int) -> Image.Image:
    peak = float(np.abs(unit).max()) or 1.0
    return Image.fromarray(diverging_rgb(unit[::-1] / peak)).resize((size, size), Image.Resampling.NEAREST)


def network_png(payload: Mapping, labels: Sequence[str], max_links: int = 400, width: int = 620) -> str:
    """Each unit as a thumbnail of what it computes over the plane, linked by its weights: blue
    positive, orange negative, thickness by magnitude (the largest `max_links` per layer)."""
    layers, weights = payload["previews"], payload["weights"]
    tallest = max(len(layer) for layer in layers)
    tile = int(np.clip(300 // tallest, 6, 40)) * SCALE
    gap_y = max(tile // 4, 2 * SCALE)
    column_gap = (width * SCALE - len(layers) * tile - 60 * SCALE) // max(len(layers) - 1, 1)
    height = tallest * (tile + gap_y) + 30 * SCALE
    image = Image.new("RGB", (width * SCALE, height), "white")
    draw = ImageDraw.Draw(image)
    x_left = 50 * SCALE
    centres = []
    for l, layer in enumerate(layers):
        top = (height - 24 * SCALE - len(layer) * (tile + gap_y)) // 2
        centres.append([(x_left + l * (tile + column_gap), top + u * (tile + gap_y)) for u in range(len(layer))])
    for l, W in enumerate(weights):
        flat = np.abs(W).ravel()
        if not flat.size:
            continue
        peak = float(flat.max()) or 1.0
        for index in np.argsort(flat)[-max_links:]:
            j, i = divmod(int(index), W.shape[1])
            w = float(W[j, i])
            (xa, ya), (xb, yb) = centres[l][i], centres[l + 1][j]
            colour = (8, 119, 189) if w >= 0 else (245, 147, 34)
            draw.line((xa + tile, ya + tile / 2, xb, yb + tile / 2), fill=colour, width=max(SCALE, round(4 * SCALE * abs(w) / peak)))
    for l, layer in enumerate(layers):
        for (x, y), unit in zip(centres[l], layer, strict=True):
            image.paste(_tile(unit, tile), (x, y))
            draw.rectangle((x, y, x + tile, y + tile), outline="#d1d5db", width=1)
    small = font(11)
    for u, label in enumerate(labels[: len(layers[0])]):
        x, y = centres[0][u]
        draw.text((x - 6 * SCALE, y + tile / 2), label, fill="#374151", font=small, anchor="rm")
    names = ["inputs"] + [f"layer {l} ({len(layer)})" for l, layer in enumerate(layers[1:-1], start=1)] + ["output"]
    for l, name in enumerate(names):
        draw.text((centres[l][0][0] + tile / 2, height - 12 * SCALE), name, fill="#6b7280", font=small, anchor="mm")
    return data_uri(image)


def unit_png(unit: np.ndarray, size: int = 200) -> str:
    """One unit's preview, large."""
    return data_uri(_tile(unit, size * SCALE))


# -- charts for the tabs (Vega-Lite: they redraw in place) ------------------------------------------------------
def roc(fpr: np.ndarray, tpr: np.ndarray, auc: float, point: tuple[float, float]) -> Chart:
    data = {"fpr": fpr.tolist() + [point[0]], "tpr": tpr.tolist() + [point[1]], "kind": ["curve"] * len(fpr) + ["threshold"]}
    spec = {
        "height": 240, "title": f"ROC curve (AUC {auc:.3f}); the dot is the chosen threshold",
        "encoding": {"x": {"field": "fpr", "type": "quantitative", "title": "false-positive rate", "scale": {"domain": [0, 1]}},
                     "y": {"field": "tpr", "type": "quantitative", "title": "true-positive rate", "scale": {"domain": [0, 1]}}},
        "layer": [{"transform": [{"filter": "datum.kind == 'curve'"}],
                   "mark": {"type": "line", "color": PALETTE[0], "interpolate": "step-after"}},
                  {"transform": [{"filter": "datum.kind == 'threshold'"}], "mark": {"type": "circle", "size": 90, "color": PALETTE[1]}}],
    }
    return data, spec


def weight_histograms(weights: Sequence[np.ndarray], bins: int = 30) -> Chart:
    everything = np.concatenate([W.ravel() for W in weights]) if weights else np.zeros(1)
    edges = np.linspace(everything.min(), everything.max() + 1e-12, bins + 1)
    data = {"weight": [], "count": [], "layer": []}
    for l, W in enumerate(weights, start=1):
        counts, _ = np.histogram(W.ravel(), edges)
        data["weight"] += ((edges[:-1] + edges[1:]) / 2).tolist()
        data["count"] += counts.tolist()
        data["layer"] += [f"W[{l}]"] * bins
    spec = {"height": 220, "title": "Weights per layer", "mark": {"type": "bar", "opacity": 0.6},
            "encoding": {"x": {"field": "weight", "type": "quantitative", "bin": {"binned": True}},
                         "y": {"field": "count", "type": "quantitative", "stack": None},
                         "color": {"field": "layer", "type": "nominal", "title": None}}}
    return data, spec


def layer_bars(values: np.ndarray, title: str, unit: str) -> Chart:
    data = {"layer": [f"layer {l}" for l in range(1, len(values) + 1)], "value": np.nan_to_num(values).tolist()}
    spec = {"height": 180, "title": title, "mark": {"type": "bar", "color": PALETTE[0]},
            "encoding": {"x": {"field": "layer", "type": "nominal", "title": None, "sort": None},
                         "y": {"field": "value", "type": "quantitative", "title": unit, "scale": {"domain": [0, 100]}}}}
    return data, spec
