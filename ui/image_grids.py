"""Grids of small pictures drawn with PIL: activations coloured on a dark-to-bright ramp, and sheets of
labelled thumbnails (feature maps, filters, galleries, Gram matrices, history strips).

Used by the CNN and style-transfer pages. `tile` returns its sheet at SCALE× (pass it to
ui.images.data_uri for a live view, or `.reduce(SCALE)` for st.image).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from ui.images import SCALE, font

INK = (17, 24, 39)
# a perceptually even dark-to-bright ramp (blue-purple → teal → yellow), for activations
_ANCHORS = np.array([[48, 18, 59], [65, 69, 171], [39, 130, 187], [31, 170, 148], [116, 198, 82], [223, 214, 46], [250, 250, 110]], float)
RAMP = np.stack([np.interp(np.linspace(0, len(_ANCHORS) - 1, 256), np.arange(len(_ANCHORS)), _ANCHORS[:, c]) for c in range(3)],
                axis=1).astype(np.uint8)


def colourise(maps: np.ndarray, joint: bool = False) -> np.ndarray:
    """(C, H, W) activations as (C, H, W, 3) uint8 on the RAMP, each map scaled to its own min…max
    (or all to the common min…max when `joint`), so a weak map still shows its pattern."""
    maps = np.asarray(maps, np.float32)
    if joint:
        low, high = maps.min(), maps.max()
    else:
        low, high = maps.min(axis=(1, 2), keepdims=True), maps.max(axis=(1, 2), keepdims=True)
    scaled = (maps - low) / np.maximum(high - low, 1e-12)
    return RAMP[np.clip(np.rint(scaled * 255), 0, 255).astype(np.uint8)]


def tile(images: Sequence[np.ndarray], labels: Sequence[str], columns: int, cell: int, label_size: int = 11,
         borders: Sequence[tuple[int, int, int] | None] | None = None) -> Image.Image:
    """A grid of small images (each H×W×3 uint8, scaled with nearest-neighbour to `cell` px so pixels stay crisp),
    each with a label under it and an optional coloured border."""
    count = len(images)
    columns = max(1, min(columns, count))
    rows = -(-count // columns)
    pad, label_h = 6, label_size + 6 if any(labels) else 0
    width, height = columns * (cell + pad) + pad, rows * (cell + pad + label_h) + pad
    sheet = Image.new("RGB", (width * SCALE, height * SCALE), "white")
    draw = ImageDraw.Draw(sheet)
    for n, (picture, text) in enumerate(zip(images, labels, strict=True)):
        r, c = divmod(n, columns)
        x, y = pad + c * (cell + pad), pad + r * (cell + pad + label_h)
        sheet.paste(Image.fromarray(picture).resize((cell * SCALE, cell * SCALE), Image.Resampling.NEAREST), (x * SCALE, y * SCALE))
        border = borders[n] if borders else None
        if border:
            draw.rectangle([(x - 2) * SCALE, (y - 2) * SCALE, (x + cell + 2) * SCALE, (y + cell + 2) * SCALE], outline=border,
                           width=2 * SCALE)
        if text:
            draw.text(((x + cell / 2) * SCALE, (y + cell + 2) * SCALE), text, fill=INK, font=font(label_size), anchor="ma")
    return sheet
