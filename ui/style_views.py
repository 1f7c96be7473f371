"""Pictures and curves for the style-transfer page, built from a StyleTrainer snapshot as plain data: Gram heat maps,
the content layer's feature maps, the history strip, the loss curves against the iteration, and the PNG download.

Pure functions, no Streamlit calls: the live views redraw them from each new snapshot (PIL images drawn at SCALE×, for
ui.images.data_uri; Vega-Lite specs from ui.charts.metric_curves, with the runtime's steps turned into iterations).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
from PIL import Image

from engine.runtime import Snapshot
from ui import image_grids as grids
from ui.charts import Chart, metric_curves

TERMS = ("loss", "content_loss", "style_loss", "tv_loss")
POINTS_UNTIL = 30  # curves with at most this many recorded steps also mark each point


def square(picture: np.ndarray) -> np.ndarray:
    """A (H, W, 3) picture centred on a white square, so that grids.tile (square cells) keeps its aspect ratio."""
    h, w = picture.shape[:2]
    side = max(h, w)
    out = np.full((side, side, 3), 255, np.uint8)
    top, left = (side - h) // 2, (side - w) // 2
    out[top:top + h, left:left + w] = picture
    return out


def gram_maps(gram: Mapping, layer: str, cell: int = 168) -> Image.Image:
    """The style image's Gram matrix, the generated image's, and their absolute difference for one layer, on one colour
    scale (so the difference map darkens as the two Grams meet). Square roots of the entries are coloured: a Gram's
    diagonal is far larger than the rest, and on a linear scale everything off it would look black."""
    style, generated = np.asarray(gram["style"]), np.asarray(gram["generated"])  # (k, k), k ≤ 64 channels
    maps = np.sqrt(np.maximum(np.stack([style, generated, np.abs(style - generated)]), 0.0))
    pictures = grids.colourise(maps, joint=True)
    k = style.shape[0]
    labels = [f"Gram[{layer}](S)", f"Gram[{layer}](G)", "|S − G|"]
    return grids.tile(list(pictures), labels, columns=3, cell=max(cell, k), label_size=11)


def feature_maps(features: Mapping, cell: int = 96) -> Image.Image:
    """The content layer's most active channels: the content image's maps (top row) above the generated image's
    (bottom row), each pair on one colour scale so that a match looks the same."""
    content, generated = np.asarray(features["content"]), np.asarray(features["generated"])  # (k, h, w)
    channels = list(features["channels"])
    top, bottom = [], []
    for i in range(len(channels)):
        pair = grids.colourise(np.stack([content[i], generated[i]]), joint=True)
        top.append(square(pair[0]))
        bottom.append(square(pair[1]))
    labels = [f"C · #{c}" for c in channels] + [f"G · #{c}" for c in channels]
    return grids.tile(top + bottom, labels, columns=len(channels), cell=cell, label_size=10)


def history_strip(iterations: Sequence[int], pictures: Sequence[np.ndarray], columns: int = 4, cell: int = 96) -> Image.Image:
    """The thumbnails kept at log-spaced iterations, labelled with their iteration."""
    return grids.tile([square(np.asarray(p)) for p in pictures], [f"iteration {i}" for i in iterations], columns=columns,
                      cell=cell, label_size=10)


def _by_iteration(snapshot: Snapshot, chart: Chart, names: Mapping[str, str]) -> Chart:
    """A metric_curves chart with its x values (runtime steps) turned into iterations — a step runs a few iterations —
    and its series renamed (metric_curves names them after the metrics, "style loss.stage3")."""
    rows, spec = chart
    steps, iterations = snapshot.metric("iteration")
    if len(steps):
        steps, iterations = np.concatenate([[0.0], steps]), np.concatenate([[0.0], iterations])
        rows["step"] = np.interp(np.asarray(rows["step"], float), steps, iterations).round().tolist()
    rows["series"] = [names.get(s, s) for s in rows["series"]]
    curves = spec["layer"][0]
    curves["encoding"]["color"]["scale"]["domain"] = [names.get(s, s) for s in curves["encoding"]["color"]["scale"]["domain"]]
    curves["encoding"]["x"]["axis"] = {"format": "d", "tickMinStep": 1}  # whole iterations
    if len(steps) <= POINTS_UNTIL:
        curves["mark"]["point"] = True  # a run's first steps: one point each, or a single step would draw nothing
    return rows, spec


def term_curves(snapshot: Snapshot) -> Chart:
    """J(G) and its three unweighted terms, log scale."""
    names = {"loss": "J(G)", "content loss": "content", "style loss": "style", "tv loss": "TV"}
    return _by_iteration(snapshot, metric_curves(snapshot, TERMS, unit="iteration", log_y=True,
                                                 title="J(G) and its terms (unweighted)"), names)


def layer_curves(snapshot: Snapshot, layers: Sequence[str]) -> Chart:
    """w_l ‖Gram_l(S) − Gram_l(G)‖² per style layer (they sum to the style term), log scale."""
    names = {f"style loss.{layer}": layer for layer in layers}
    return _by_iteration(snapshot, metric_curves(snapshot, [f"style_loss.{layer}" for layer in layers], unit="iteration",
                                                 log_y=True, title="style term per layer, w_l · ‖ΔGram_l‖²"), names)


def png_bytes(image: np.ndarray) -> bytes:
    """A uint8 (H, W, 3) image as PNG file contents, at its own size."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image)).save(buffer, format="PNG")
    return buffer.getvalue()
