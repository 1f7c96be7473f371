"""Receptive fields: which input pixels one unit deep in a stack of convolutions and poolings can see.

Walking the stack from the input, three numbers per layer follow from the standard recurrences (Dumoulin & Visin 2016;
Araujo et al. 2019, "Computing receptive fields of convolutional neural networks"), with f_eff = d(f − 1) + 1 the span of
a kernel of f taps at dilation d:

- jump j_l = j_{l−1}·s_l — how many input pixels apart two neighbouring units of layer l are (the product of the strides);
- size r_l = r_{l−1} + (f_eff − 1)·j_{l−1} — how many input pixels one unit sees, along each axis;
- start_l = start_{l−1} + ((f_eff − 1)/2 − p_l)·j_{l−1} — the input coordinate of the centre of the first unit's field.

Pooling is a layer like any other here (a 2×2 pooling of stride 2 is kernel 2, stride 2, padding 0). The field of a unit
near the border reaches into the padding; `input_region` gives it both clipped to the image and as is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from engine.cnn.arithmetic import conv_output_size, effective_kernel


@dataclasses.dataclass(frozen=True)
class Layer:
    kernel: int
    stride: int = 1
    dilation: int = 1
    padding: int | None = None  # None: "same"-style (f_eff − 1)//2, which keeps the size at stride 1 for odd f_eff

    @property
    def pad(self) -> int:
        return (effective_kernel(self.kernel, self.dilation) - 1) // 2 if self.padding is None else self.padding


def _walk(layers: Sequence[Layer]) -> list[tuple[int, int, int]]:
    """(r, j, first) after each layer; `first` is the leftmost input pixel the first unit sees (can be < 0: padding)."""
    r, j, first, out = 1, 1, 0, []
    for layer in layers:
        if layer.kernel < 1 or layer.stride < 1 or layer.dilation < 1 or layer.pad < 0:
            raise ValueError(f"kernel, stride and dilation must be at least 1 and padding at least 0, not {layer}.")
        span = effective_kernel(layer.kernel, layer.dilation)
        first -= layer.pad * j  # the first unit's leftmost tap sits p units of the previous layer before its first unit
        r += (span - 1) * j
        j *= layer.stride
        out.append((r, j, first))
    return out


def receptive_fields(layers: Sequence[Layer], input_size: int | None = None) -> list[dict]:
    """One row per layer: its settings, receptive field size r, jump j and start (centre of the first unit's field).

    With `input_size`, each row also has the layer's output size ("size"), and an impossible layer raises ValueError."""
    rows, n = [], input_size
    for l, (layer, (r, j, first)) in enumerate(zip(layers, _walk(layers), strict=True), start=1):
        row = {
            "layer": l,
            "kernel": layer.kernel,
            "stride": layer.stride,
            "dilation": layer.dilation,
            "padding": layer.pad,
            "effective_kernel": effective_kernel(layer.kernel, layer.dilation),
            "receptive_field": r,
            "jump": j,
            "start": first + (r - 1) / 2,
        }
        if n is not None:
            n = conv_output_size(n, layer.kernel, layer.stride, layer.pad, layer.dilation)
            row["size"] = n
        rows.append(row)
    return rows


def output_size(layers: Sequence[Layer], input_size: int) -> int:
    """Size of the last layer's map along one axis for an input_size-wide input."""
    n = input_size
    for layer in layers:
        n = conv_output_size(n, layer.kernel, layer.stride, layer.pad, layer.dilation)
    return n


def input_region(
    layers: Sequence[Layer], input_size: int, out_row: int, out_col: int, clip: bool = True
) -> tuple[int, int, int, int]:
    """(top, left, bottom, right), inclusive: the input pixels that the last layer's unit (out_row, out_col) sees.

    Clipped to the input_size × input_size image by default; with clip=False the field as is, reaching into the padding
    (negative or ≥ input_size coordinates) near the border."""
    if not layers:
        raise ValueError("the stack has no layers: a pixel of the input sees only itself.")
    n = output_size(layers, input_size)
    if not (0 <= out_row < n and 0 <= out_col < n):
        raise ValueError(f"the last layer's map is {n}×{n}: unit ({out_row}, {out_col}) is outside it.")
    r, j, first = _walk(layers)[-1]
    top, left = first + out_row * j, first + out_col * j
    bottom, right = top + r - 1, left + r - 1
    if clip:
        top, left = max(top, 0), max(left, 0)
        bottom, right = min(bottom, input_size - 1), min(right, input_size - 1)
    return top, left, bottom, right
