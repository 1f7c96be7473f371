"""Convolution arithmetic: output sizes, parameter and multiply-add counts, pooling, and the sliding kernel step by step.

Everything here is plain integers and NumPy arrays, so a page can draw a kernel moving over a grid and the sizes and costs
it reports are the ones a learner would compute by hand: output = ⌊(n + 2p − d(f−1) − 1)/s⌋ + 1, which is the course's
⌊(n + 2p − f)/s⌋ + 1 when the dilation d is 1. A dilated kernel spreads its f taps d pixels apart, so it covers an
*effective* kernel of d(f−1) + 1 pixels. "Convolution" means cross-correlation, as in every deep-learning library: the
kernel is not flipped. The cost helpers reproduce the course's depthwise-separable (2160 vs 672 multiplications) and
Inception-bottleneck (120.4M vs 12.4M) examples.
"""

from __future__ import annotations

import dataclasses

import numpy as np


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """The span in pixels of a kernel of `kernel` taps spaced `dilation` apart: d(f − 1) + 1."""
    return dilation * (kernel - 1) + 1


def resolve_padding(padding: int | str, kernel: int, dilation: int = 1) -> int:
    """Padding per side in pixels: "valid" is 0, "same" is (effective kernel − 1)/2, a number is itself."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0
        if padding != "same":
            raise ValueError(f'padding must be a number of pixels, "same" or "valid", not {padding!r}.')
        span = effective_kernel(kernel, dilation)
        if span % 2 == 0:
            raise ValueError(
                f'"same" padding needs an odd kernel: a {span}-pixel kernel would need {span - 1} pixels of padding, which '
                "cannot be split evenly between the two sides (PyTorch and TensorFlow put the extra pixel on one side). "
                "Pick an odd kernel size here."
            )
        return (span - 1) // 2
    if padding < 0:
        raise ValueError(f"padding must be 0 or more pixels, not {padding}.")
    return int(padding)


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if value < 1:
            raise ValueError(f"{name} must be at least 1, not {value}.")


def conv_output_size(n: int, kernel: int, stride: int = 1, padding: int | str = 0, dilation: int = 1) -> int:
    """Output size of a convolution (or pooling) along one axis: ⌊(n + 2p − d(f − 1) − 1)/s⌋ + 1."""
    _check_positive(n=n, kernel=kernel, stride=stride, dilation=dilation)
    p = resolve_padding(padding, kernel, dilation)
    span = effective_kernel(kernel, dilation)
    if span > n + 2 * p:
        raise ValueError(
            f"the kernel spans {span} pixels but the padded input is only {n + 2 * p} pixels wide ({n} + 2·{p}): "
            "there is no place to put it. Use a smaller kernel or dilation, or more padding."
        )
    return (n + 2 * p - span) // stride + 1


def pool_output_size(n: int, size: int, stride: int) -> int:
    """Output size of unpadded pooling: ⌊(n − size)/stride⌋ + 1 (the same arithmetic as a convolution)."""
    return conv_output_size(n, size, stride)


@dataclasses.dataclass(frozen=True)
class ConvCost:
    out_h: int
    out_w: int
    c_out: int
    params: int  # weights + biases
    weights: int  # f·f·(c_in/groups)·c_out
    biases: int  # c_out, or 0 without bias
    mult_adds: int  # one multiply-add per weight per output position: out_h·out_w·c_out·f·f·c_in/groups


def conv_cost(
    h: int, w: int, c_in: int, c_out: int, kernel: int, stride: int = 1, padding: int | str = 0,
    dilation: int = 1, groups: int = 1, bias: bool = True,
) -> ConvCost:
    """Output shape, parameter count and multiply-adds of one Conv2d layer on an h×w×c_in input."""
    _check_positive(c_in=c_in, c_out=c_out, groups=groups)
    if c_in % groups or c_out % groups:
        raise ValueError(f"groups ({groups}) must divide both the input channels ({c_in}) and the output channels ({c_out}).")
    out_h = conv_output_size(h, kernel, stride, padding, dilation)
    out_w = conv_output_size(w, kernel, stride, padding, dilation)
    weights = kernel * kernel * (c_in // groups) * c_out
    biases = c_out if bias else 0
    return ConvCost(out_h, out_w, c_out, weights + biases, weights, biases, out_h * out_w * weights)


def pool2d(x: np.ndarray, size: int, stride: int, mode: str = "max") -> np.ndarray:
    """Max or average pooling of an (H, W) grid over size×size windows, no padding (a partial window at the edge is dropped)."""
    if mode not in ("max", "avg"):
        raise ValueError(f'pooling mode must be "max" or "avg", not {mode!r}.')
    x = np.asarray(x)
    rows = _taps(pool_output_size(x.shape[0], size, stride), size, stride, 1)  # (H', size)
    cols = _taps(pool_output_size(x.shape[1], size, stride), size, stride, 1)  # (W', size)
    windows = x[rows[:, None, :, None], cols[None, :, None, :]]  # (H', W', size, size)
    return windows.max(axis=(2, 3)) if mode == "max" else windows.mean(axis=(2, 3))


# -- the sliding kernel ------------------------------------------------------------------------------------------------
def _taps(n_out: int, kernel: int, stride: int, dilation: int) -> np.ndarray:
    """(n_out, kernel) padded-input coordinates of each tap: output i, tap t reads input i·s + t·d."""
    return np.arange(n_out)[:, None] * stride + np.arange(kernel)[None, :] * dilation


def _prepare(x: np.ndarray, kernel: np.ndarray, stride: int, padding: int | str, dilation: int):
    x, kernel = np.asarray(x, dtype=np.float64), np.asarray(kernel, dtype=np.float64)
    if x.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"the input and the kernel must be 2-D grids, not shapes {x.shape} and {kernel.shape}.")
    if kernel.shape[0] != kernel.shape[1]:
        raise ValueError(f"the kernel must be square, not {kernel.shape[0]}×{kernel.shape[1]}.")
    k = kernel.shape[0]
    p = resolve_padding(padding, k, dilation)
    rows = _taps(conv_output_size(x.shape[0], k, stride, p, dilation), k, stride, dilation)  # (H', k)
    cols = _taps(conv_output_size(x.shape[1], k, stride, p, dilation), k, stride, dilation)  # (W', k)
    return np.pad(x, p), kernel, rows, cols  # padded input (H + 2p, W + 2p): zeros around the border


@dataclasses.dataclass(frozen=True, eq=False)
class Position:
    """One placement of the kernel: where it reads (padded-input coordinates), what it reads, and the output value."""

    out_row: int
    out_col: int
    rows: tuple[int, ...]  # k padded-input rows under the taps (row r of the input is row r + p here)
    cols: tuple[int, ...]  # k padded-input columns
    window: np.ndarray  # (k, k) input values under the taps, 0 where a tap lies in the padding
    products: np.ndarray  # (k, k) window · kernel, element by element
    value: float  # sum of products: the output at (out_row, out_col)


def slide(x: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int | str = 0, dilation: int = 1) -> list[Position]:
    """Every placement of the kernel over the (H, W) input, row by row, for a step-by-step view of a convolution."""
    padded, kernel, rows, cols = _prepare(x, kernel, stride, padding, dilation)
    positions = []
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            window = padded[np.ix_(r, c)]  # (k, k)
            products = window * kernel
            positions.append(Position(i, j, tuple(int(v) for v in r), tuple(int(v) for v in c), window, products, float(products.sum())))
    return positions


def convolve2d(x: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int | str = 0, dilation: int = 1) -> np.ndarray:
    """The (H', W') output of convolving an (H, W) grid with a (k, k) kernel, zero padding, float64.

    Cross-correlation, as in deep learning (PyTorch's conv2d): out[i, j] = Σ_ab x[i·s + a·d, j·s + b·d]·K[a, b] over the
    padded input; the kernel is not flipped as in the signal-processing convolution."""
    padded, kernel, rows, cols = _prepare(x, kernel, stride, padding, dilation)
    windows = padded[rows[:, None, :, None], cols[None, :, None, :]]  # (H', W', k, k): the same taps slide() shows
    return np.einsum("ijab,ab->ij", windows, kernel)


# -- costs of cheaper convolutions ---------------------------------------------------------------------------------------
def separable_cost(h: int, w: int, c_in: int, c_out: int, kernel: int, stride: int = 1, padding: int | str = 0) -> dict:
    """Multiplications of a standard f×f convolution vs a depthwise f×f one followed by a pointwise 1×1 one (MobileNet).

    The ratio (depthwise + pointwise) / standard = (f²·c_in + c_in·c_out) / (f²·c_in·c_out) = 1/c_out + 1/f² exactly."""
    standard = conv_cost(h, w, c_in, c_out, kernel, stride, padding, bias=False)
    depthwise = conv_cost(h, w, c_in, c_in, kernel, stride, padding, groups=c_in, bias=False)
    pointwise = conv_cost(standard.out_h, standard.out_w, c_in, c_out, 1, bias=False)
    separable = depthwise.mult_adds + pointwise.mult_adds
    return {
        "out_h": standard.out_h,
        "out_w": standard.out_w,
        "standard": standard.mult_adds,
        "depthwise": depthwise.mult_adds,
        "pointwise": pointwise.mult_adds,
        "separable": separable,
        "ratio": separable / standard.mult_adds,
        "closed_form": 1 / c_out + 1 / kernel**2,
    }


def inception_bottleneck_cost(
    h: int = 28, w: int = 28, c_in: int = 192, c_out: int = 32, kernel: int = 5, bottleneck: int = 16
) -> dict:
    """Multiplications of an f×f "same" convolution c_in → c_out, directly vs after a 1×1 reduction to `bottleneck` channels."""
    direct = conv_cost(h, w, c_in, c_out, kernel, padding="same", bias=False).mult_adds
    reduce = conv_cost(h, w, c_in, bottleneck, 1, bias=False).mult_adds
    conv = conv_cost(h, w, bottleneck, c_out, kernel, padding="same", bias=False).mult_adds
    return {"direct": direct, "reduce": reduce, "conv": conv, "bottleneck": reduce + conv, "ratio": (reduce + conv) / direct}
