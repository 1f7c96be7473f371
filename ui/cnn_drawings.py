"""Pictures of the CNN page drawn with PIL: number grids (the kernel sliding over an input, pooling,
the receptive field) and learned filters as pictures; image grids are in ui/image_grids.py.

Pure functions from arrays to PIL images, drawn at SCALE× and reduced, like ui/images.py; the
live view of the training section uses them through `data_uri`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from ui.images import SCALE, font

INK, GRID, PAD_FILL = (17, 24, 39), (203, 213, 225), (241, 245, 249)
TAP, OUT = (37, 99, 235), (234, 88, 12)  # the kernel's taps (blue) and the output being computed (orange)


def number_text(value: float) -> str:
    if abs(value - round(value)) < 1e-9:
        return f"{int(round(value))}".replace("-", "−")
    return f"{value:.2f}".rstrip("0").replace("-", "−")


def number_grid(draw: ImageDraw.ImageDraw, origin: tuple[int, int], values: np.ndarray, cell: int, title: str = "",
                fills: dict[tuple[int, int], tuple[int, int, int]] | None = None,
                outlines: dict[tuple[int, int], tuple[int, int, int]] | None = None, blank: np.ndarray | None = None) -> None:
    """A grid of numbers at origin (display px); `fills`/`outlines` colour chosen cells; `blank` cells show no number."""
    x0, y0 = origin
    s, text_font = cell * SCALE, font(max(9, cell // 3))
    if title:
        draw.text((x0 * SCALE, (y0 - 18) * SCALE), title, fill=INK, font=font(12))
    rows, cols = values.shape
    for i in range(rows):
        for j in range(cols):
            box = [(x0 + j * cell) * SCALE, (y0 + i * cell) * SCALE, (x0 + (j + 1) * cell) * SCALE, (y0 + (i + 1) * cell) * SCALE]
            draw.rectangle(box, fill=(fills or {}).get((i, j), (255, 255, 255)), outline=GRID, width=SCALE)
            if blank is None or not blank[i, j]:
                draw.text((box[0] + s / 2, box[1] + s / 2), number_text(float(values[i, j])), fill=INK, font=text_font, anchor="mm")
    for (i, j), colour in (outlines or {}).items():
        box = [(x0 + j * cell) * SCALE, (y0 + i * cell) * SCALE, (x0 + (j + 1) * cell) * SCALE, (y0 + (i + 1) * cell) * SCALE]
        draw.rectangle(box, outline=colour, width=3 * SCALE)


def canvas(width: int, height: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (width * SCALE, height * SCALE), "white")
    return image, ImageDraw.Draw(image)


def sliding_view(padded: np.ndarray, pad: int, kernel: np.ndarray, output: np.ndarray, done: int, taps: Sequence[tuple[int, int]],
                 out_cell: tuple[int, int]) -> Image.Image:
    """Input (padding cells grey), kernel and output side by side: the taps of the current position
    outlined blue, the output cell being computed orange, outputs not computed yet blank."""
    cell = 34 if max(padded.shape) <= 11 else 26
    n, k, (oh, ow) = padded.shape[0], kernel.shape[0], output.shape
    gap = 40
    width = (n + k + ow) * cell + 2 * gap + 20
    height = max(n, oh) * cell + 40
    image, draw = canvas(width, height)
    fills = {(i, j): PAD_FILL for i in range(n) for j in range(n) if min(i, j) < pad or max(i, j) >= n - pad}
    for t in taps:
        fills[t] = (219, 234, 254)
    number_grid(draw, (10, 30), padded, cell, "input" + (f" (padding {pad})" if pad else ""), fills,
                {t: TAP for t in taps})
    number_grid(draw, (10 + n * cell + gap, 30), kernel, cell, "kernel", {(i, j): (219, 234, 254) for i in range(k) for j in range(k)})
    blank = np.ones(output.shape, bool)
    blank.ravel()[:done] = False
    number_grid(draw, (10 + (n + k) * cell + 2 * gap, 30), output, cell, "output", {out_cell: (255, 237, 213)},
                {out_cell: OUT}, blank)
    return image.reduce(SCALE)


def value_grid_image(values: np.ndarray, title: str, highlight: dict[tuple[int, int], tuple[int, int, int]] | None = None,
                     cell: int = 30) -> Image.Image:
    """One titled grid of numbers (pooling inputs and outputs)."""
    rows, cols = values.shape
    image, draw = canvas(cols * cell + 20, rows * cell + 40)
    number_grid(draw, (10, 30), values, cell, title, highlight)
    return image.reduce(SCALE)


def region_view(size: int, region: tuple[int, int, int, int], centre: tuple[float, float] | None = None,
                cell: int | None = None) -> Image.Image:
    """An input of size × size pixels with the receptive-field region (top, left, bottom, right, inclusive) shaded."""
    cell = cell or max(4, min(18, 420 // size))
    image, draw = canvas(size * cell + 2, size * cell + 2)
    top, left, bottom, right = region
    for i in range(size):
        for j in range(size):
            inside = top <= i <= bottom and left <= j <= right
            box = [j * cell * SCALE, i * cell * SCALE, (j + 1) * cell * SCALE, (i + 1) * cell * SCALE]
            draw.rectangle(box, fill=(191, 219, 254) if inside else (248, 250, 252), outline=GRID if cell >= 6 else None)
    draw.rectangle([left * cell * SCALE, top * cell * SCALE, (right + 1) * cell * SCALE, (bottom + 1) * cell * SCALE],
                   outline=TAP, width=2 * SCALE)
    if centre is not None:
        cy, cx = centre
        r = max(2, cell // 3) * SCALE
        x, y = (cx + 0.5) * cell * SCALE, (cy + 0.5) * cell * SCALE
        draw.ellipse([x - r, y - r, x + r, y + r], fill=OUT)
    return image.reduce(SCALE)


def filters_rgb(filters: np.ndarray) -> list[np.ndarray]:
    """First-layer filters (c_out, 3, k, k) as k×k RGB pictures, each scaled symmetrically around grey:
    grey = 0, so a filter's sign pattern shows (the usual way to draw learned filters)."""
    out = []
    for w in np.asarray(filters, np.float32):
        m = max(float(np.abs(w).max()), 1e-12)
        out.append(np.clip(np.rint((w.transpose(1, 2, 0) / m * 0.5 + 0.5) * 255), 0, 255).astype(np.uint8))
    return out
