"""Hand-made kernels on a real image: the textbook presets, a forgiving parser for a learner's own kernel, and display.

Before a CNN learns its filters, people designed them by hand: Sobel and Scharr kernels respond to brightness changing
along x or y (edges), the Laplacian to changes in every direction, blurs average a neighbourhood, sharpen adds the
difference from the neighbours back. `apply_kernel` runs one over an image with PyTorch's conv2d (cross-correlation, as
in a CNN layer, with zero padding), and `to_display` turns the response into pixels: an edge detector's entries sum to 0,
so its response is signed (flat regions give 0) and is drawn around mid-grey; a kernel summing to 1 gives an image again.
"""

from __future__ import annotations

import math
import re

import numpy as np
import torch
import torch.nn.functional as F

from engine.cnn.arithmetic import resolve_padding

LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601 weights of R, G, B in perceived brightness
MAX_SIZE = 7


def _k(rows, scale: float = 1.0) -> np.ndarray:
    return (np.array(rows, dtype=np.float64) * scale).astype(np.float32)


_BINOMIAL_5 = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1])  # a 5×5 Gaussian approximation, entries sum to 256

PRESETS: dict[str, np.ndarray] = {
    "Identity": _k([[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    "Sobel x": _k([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "Sobel y": _k([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
    "Scharr x": _k([[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]]),
    "Scharr y": _k([[-3, -10, -3], [0, 0, 0], [3, 10, 3]]),
    "Prewitt x": _k([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]]),
    "Prewitt y": _k([[-1, -1, -1], [0, 0, 0], [1, 1, 1]]),
    "Laplacian": _k([[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
    "Box blur 3×3": _k(np.ones((3, 3)), 1 / 9),
    "Gaussian blur 3×3": _k([[1, 2, 1], [2, 4, 2], [1, 2, 1]], 1 / 16),
    "Box blur 5×5": _k(np.ones((5, 5)), 1 / 25),
    "Gaussian blur 5×5": _k(_BINOMIAL_5, 1 / 256),
    "Sharpen": _k([[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "Emboss": _k([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]),
}

PRESET_NOTES: dict[str, str] = {
    "Identity": "Copies the image: the output pixel is the input pixel under the centre tap.",
    "Sobel x": "Brightness rising from left to right: responds to vertical edges, smoothing along them.",
    "Sobel y": "Brightness rising from top to bottom: responds to horizontal edges.",
    "Scharr x": "Like Sobel x, with weights 3-10-3 that respond more evenly to edges at every angle.",
    "Scharr y": "Like Sobel y, with Scharr's more rotation-invariant weights.",
    "Prewitt x": "The simplest vertical-edge detector: right column minus left column.",
    "Prewitt y": "The simplest horizontal-edge detector: bottom row minus top row.",
    "Laplacian": "∂²/∂x² + ∂²/∂y², the sum of the second differences along x and y: edges and fine detail in any orientation, "
                 "zero on flat areas and even gradients, positive on the dark side of an edge.",
    "Box blur 3×3": "Mean of the 3×3 neighbourhood: blurs, and turns fine texture into a blocky smear.",
    "Gaussian blur 3×3": "Weighted mean with more weight near the centre: a softer blur than the box.",
    "Box blur 5×5": "Mean of the 5×5 neighbourhood: a stronger box blur.",
    "Gaussian blur 5×5": "A wider Gaussian (binomial 1-4-6-4-1) blur.",
    "Sharpen": "The pixel plus its difference from its four neighbours: edges get crisper (and noise louder).",
    "Emboss": "A diagonal derivative plus the image: looks like a relief lit from the top left.",
}


class KernelError(ValueError):
    """A typed-in kernel is malformed; the message says where and why, for the learner."""


def _number(text: str, row: int, col: int) -> float:
    """A decimal ("0.25", "-1e-3") or a fraction ("1/16", "-2/3") as a float."""
    parts = text.replace("−", "-").split("/")  # a typographic minus is still a minus
    try:
        if len(parts) > 2:
            raise ValueError
        value = float(parts[0]) if len(parts) == 1 else float(parts[0]) / float(parts[1])
    except ValueError:
        raise KernelError(f'row {row}, column {col}: "{text}" is not a number.') from None
    except ZeroDivisionError:
        raise KernelError(f'row {row}, column {col}: "{text}" divides by zero.') from None
    if not math.isfinite(value):
        raise KernelError(f'row {row}, column {col}: "{text}" is not a finite number.')
    return value


def parse_kernel(text: str) -> np.ndarray:
    """A square kernel from text: rows on separate lines or separated by ";", entries by spaces or commas.

    Returns float32 (k, k) with k odd in 1..7; anything else raises KernelError with a message naming the problem."""
    lines = [line.strip() for line in re.split(r"[\n;]", text) if line.strip()]
    if not lines:
        raise KernelError("the kernel is empty: type rows of numbers, one row per line (e.g. 0 -1 0).")
    rows = []
    for r, line in enumerate(lines, start=1):
        entries = [e for e in re.split(r"[\s,]+", line) if e]
        rows.append([_number(e, r, c) for c, e in enumerate(entries, start=1)])
        if len(rows[-1]) != len(rows[0]):
            raise KernelError(f"row {r} has {len(rows[-1])} numbers but row 1 has {len(rows[0])}: every row needs the same count.")
    k, width = len(rows), len(rows[0])
    if k != width:
        raise KernelError(f"the kernel has {k} row(s) of {width} number(s); it must be square (as many rows as columns).")
    if k % 2 == 0 or k > MAX_SIZE:
        raise KernelError(f"a kernel must be 1×1, 3×3, 5×5 or 7×7 (odd, so it has a centre pixel), not {k}×{k}.")
    return np.array(rows, dtype=np.float32)


def _common_denominator(kernel: np.ndarray) -> int | None:
    """The smallest D ≤ 1024 such that every entry is exactly (as float32) an integer over D, or None."""
    for d in range(1, 1025):
        numerators = np.round(kernel.astype(np.float64) * d)
        if np.array_equal((numerators / d).astype(np.float32), kernel):
            return d
    return None


def format_kernel(kernel: np.ndarray) -> str:
    """The kernel as text that `parse_kernel` reads back exactly, one row per line, columns aligned.

    Integers stay integers; entries that share a small denominator are written as the textbook does ("1/16 2/16 1/16");
    anything else as the shortest decimal that reads back to the same float32."""
    kernel = np.asarray(kernel, dtype=np.float32)
    d = _common_denominator(kernel)
    if d is None:
        cells = [[np.format_float_positional(v, unique=True, trim="-") for v in row] for row in kernel]
    else:
        numerators = np.round(kernel.astype(np.float64) * d).astype(int)
        cells = [[str(n) if d == 1 or n == 0 else f"{n}/{d}" for n in row] for row in numerators]
    width = max(len(c) for row in cells for c in row)
    return "\n".join(" ".join(c.rjust(width) for c in row) for row in cells)


def _as_float_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"the image must be an RGB array of shape (H, W, 3), not {image.shape}.")
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    return image.astype(np.float32, copy=False)


def apply_kernel(image: np.ndarray, kernel: np.ndarray, mode: str = "grayscale", padding: str = "same") -> np.ndarray:
    """The kernel's response over an RGB image (uint8, or float in 0..1), float32.

    "grayscale": one map (H', W') of the luma 0.299 R + 0.587 G + 0.114 B; "per channel": (H', W', 3), the kernel run over
    R, G and B separately (a depthwise convolution). Zero padding, so near the border a blur darkens and an edge detector
    sees an edge; "valid" drops the border instead (H' = H − k + 1)."""
    if mode not in ("grayscale", "per channel"):
        raise ValueError(f'mode must be "grayscale" or "per channel", not {mode!r}.')
    if padding not in ("same", "valid"):
        raise ValueError(f'padding must be "same" or "valid", not {padding!r}.')
    kernel = np.asarray(kernel, dtype=np.float32)
    if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1]:
        raise ValueError(f"the kernel must be a square 2-D array, not shape {kernel.shape}.")
    k = kernel.shape[0]
    p = resolve_padding(padding, k)
    x = torch.from_numpy(_as_float_image(image)).permute(2, 0, 1)  # (3, H, W)
    if mode == "grayscale":
        x = torch.tensordot(torch.tensor(LUMA), x, dims=1)[None]  # (1, H, W)
    c = x.shape[0]
    weight = torch.from_numpy(kernel).expand(c, 1, k, k).contiguous()  # (C, 1, k, k): one copy of the kernel per channel
    with torch.inference_mode():
        out = F.conv2d(x[None], weight, padding=p, groups=c)[0]  # (C, H', W')
    return out[0].numpy() if mode == "grayscale" else out.permute(1, 2, 0).contiguous().numpy()


def display_signed(kernel: np.ndarray) -> bool | None:
    """How `to_display` should show this kernel's response by default: True (signed, around mid-grey) when its entries sum
    to about 0 (edge and detail detectors), None (an image, clipped to 0..1) otherwise (blurs, sharpen, identity)."""
    kernel = np.asarray(kernel, dtype=np.float64)
    return True if abs(kernel.sum()) <= 1e-6 * max(np.abs(kernel).sum(), 1e-12) else None


def to_display(response: np.ndarray, signed: bool | None = None) -> np.ndarray:
    """A filter response as uint8 pixels, same shape.

    signed=None: the response is an image (kernel summing to 1): clip to 0..1 and scale to 0..255.
    signed=True: 0 is mid-grey (128), +max|r| white and −max|r| black, so both edge polarities show.
    signed=False: |r| scaled so max|r| is white: edge strength whatever its direction."""
    r = np.asarray(response, dtype=np.float32)
    if signed is None:
        return np.round(np.clip(r, 0.0, 1.0) * 255.0).astype(np.uint8)
    peak = float(np.abs(r).max()) if r.size else 0.0
    scale = 1.0 / peak if peak > 0 else 0.0
    if signed:
        return np.round(np.clip(127.5 + 127.5 * r * scale, 0.0, 255.0)).astype(np.uint8)
    return np.round(np.clip(np.abs(r) * scale * 255.0, 0.0, 255.0)).astype(np.uint8)
