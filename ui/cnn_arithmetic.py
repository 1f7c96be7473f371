"""The CNN page's arithmetic section: output size, parameters and multiply-adds of one convolution;
the kernel sliding over a small input, one position at a time; max vs average pooling; the
receptive field of a stack of layers; and what 1×1 bottlenecks and depthwise-separable
convolutions save. Every number is computed by engine/cnn/arithmetic.py and receptive_field.py.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import streamlit as st

from engine.cnn import arithmetic, kernels
from engine.cnn.receptive_field import Layer, input_region, output_size, receptive_fields
from ui import cnn_drawings as draw
from ui import state

PAGE = "cnn"
SMALL_KERNELS = ("Sobel x", "Laplacian", "Box blur 3×3", "Sharpen", "Identity")


def key(name: str) -> str:
    return state.widget_key(PAGE, f"arith.{name}")


def _defaults(values: dict) -> None:
    for name, value in values.items():
        st.session_state.setdefault(key(name), value)


def calculator() -> None:
    st.subheader("Output size, parameters, cost")
    _defaults(dict(n=32, kernel=3, stride=1, padding_mode="same", padding=1, dilation=1, c_in=3, c_out=10))
    a, b, c, d = st.columns(4)
    n = a.number_input("Input size n (height = width)", 1, 1024, key=key("n"))
    f = b.number_input("Kernel f", 1, 15, key=key("kernel"))
    s = c.number_input("Stride s", 1, 8, key=key("stride"))
    dil = d.number_input("Dilation d", 1, 8, key=key("dilation"), help="Gaps between the kernel's taps: a 3×3 kernel with d = 2 spans 5×5.")
    a, b, c, d = st.columns(4)
    mode = a.selectbox("Padding", ["same", "valid", "number"], key=key("padding_mode"),
                       help="same: p = (d(f − 1))/2, the output keeps the size at stride 1; valid: p = 0.")
    p_number = b.number_input("p (when padding is a number)", 0, 64, key=key("padding"), disabled=mode != "number")
    c_in = c.number_input("Channels in", 1, 4096, key=key("c_in"))
    c_out = d.number_input("Channels out (filters)", 1, 4096, key=key("c_out"))
    try:
        p = arithmetic.resolve_padding(int(p_number) if mode == "number" else mode, int(f), int(dil))
        cost = arithmetic.conv_cost(int(n), int(n), int(c_in), int(c_out), int(f), int(s), p, int(dil))
    except ValueError as exc:
        st.warning(f"{exc}")
        return
    st.latex(rf"\left\lfloor \frac{{n + 2p - d(f-1) - 1}}{{s}} \right\rfloor + 1 = \left\lfloor \frac{{{n} + 2\cdot{p} - {dil}\cdot{f - 1}"
             rf" - 1}}{{{s}}} \right\rfloor + 1 = {cost.out_h}")
    st.caption("With d = 1 this is the course's ⌊(n + 2p − f)/s⌋ + 1.")
    m1, m2, m3 = st.columns(3)
    m1.metric("Output", f"{cost.out_h} × {cost.out_w} × {cost.c_out}")
    m2.metric("Parameters", f"{cost.params:,}", help=f"f·f·c_in·c_out + c_out = {f}·{f}·{c_in}·{c_out} + {c_out}")
    m3.metric("Multiply-adds", f"{cost.mult_adds:,}",
              help="out_h · out_w · c_out · f · f · c_in: one per tap, per filter, per output pixel.")
    st.caption(f"Every one of the {c_out} filters is {f}×{f}×{c_in} weights plus a bias, whatever the image size: "
               f"a fully connected layer from {n}×{n}×{c_in} inputs to the same {cost.out_h}×{cost.out_w}×{c_out} outputs would need "
               f"{n * n * c_in * cost.out_h * cost.out_w * c_out + cost.out_h * cost.out_w * c_out:,} parameters. "
               "And with f = n and p = 0 the output is 1 × 1: the convolution *is* a fully connected layer from the n·n·c_in "
               "inputs to c_out units, with the same f·f·c_in·c_out + c_out parameters.")


def fraction(value: float) -> str:
    """A kernel entry as the learner would write it: 1/9 rather than 0.11."""
    exact = Fraction(float(value)).limit_denominator(64)
    if exact.denominator == 1 or abs(float(exact) - value) > 1e-6:
        return draw.number_text(value)
    return f"{exact.numerator}/{exact.denominator}".replace("-", "−")


def _small_input(size: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 10, size=(size, size)).astype(np.float32)


def _step(delta: int, count: int) -> None:
    k = key("position")
    st.session_state[k] = int(min(max(1, st.session_state.get(k, 1) + delta), count))


def sliding() -> None:
    st.subheader("The kernel sliding over an input")
    _defaults(dict(slide_size=6, slide_kernel="Sobel x", slide_stride=1, slide_padding=0, slide_dilation=1, slide_seed=0))
    a, b, c, d, e = st.columns(5)
    size = a.slider("Input size", 3, 9, key=key("slide_size"))
    name = b.selectbox("Kernel", SMALL_KERNELS, key=key("slide_kernel"))
    stride = c.slider("Stride", 1, 3, key=key("slide_stride"))
    pad = d.slider("Padding", 0, 2, key=key("slide_padding"))
    dilation = e.slider("Dilation", 1, 2, key=key("slide_dilation"))
    x, kernel = _small_input(size, int(st.session_state[key("slide_seed")])), kernels.PRESETS[name]
    try:
        positions = arithmetic.slide(x, kernel, stride=stride, padding=pad, dilation=dilation)
    except ValueError as exc:
        st.warning(f"{exc}")
        return
    out = arithmetic.convolve2d(x, kernel, stride=stride, padding=pad, dilation=dilation)
    count = len(positions)
    pos_key = key("position")
    st.session_state[pos_key] = int(min(max(1, st.session_state.get(pos_key, 1)), count))
    a, b, c, d = st.columns([1, 1, 5, 1.3], vertical_alignment="bottom")
    a.button("◀", key=state.action_key(PAGE, "arith.back"), on_click=_step, args=(-1, count), width="stretch")
    b.button("▶", key=state.action_key(PAGE, "arith.next"), on_click=_step, args=(1, count), width="stretch")
    if count > 1:
        c.slider("Position", 1, count, key=pos_key)
    d.button("New input", key=state.action_key(PAGE, "arith.new"), width="stretch",
             on_click=lambda: st.session_state.__setitem__(key("slide_seed"), int(st.session_state[key("slide_seed")]) + 1))
    position = positions[int(st.session_state[pos_key]) - 1]
    padded = np.pad(x, pad)
    taps = [(r, c) for r in position.rows for c in position.cols]
    st.image(draw.sliding_view(padded, pad, kernel, out, int(st.session_state[pos_key]), taps, (position.out_row, position.out_col)))
    terms = " + ".join(f"{draw.number_text(w)}·{fraction(k)}" for w, k in zip(position.window.ravel(), kernel.ravel(), strict=True)
                       if k != 0)
    st.markdown(f"Output ({position.out_row + 1}, {position.out_col + 1}) = {terms} = **{draw.number_text(position.value)}**  ·  "
                f"{count} positions make a {out.shape[0]} × {out.shape[1]} output.")


def pooling() -> None:
    st.subheader("Max vs average pooling")
    _defaults(dict(pool_size=2, pool_shift=False))
    a, b = st.columns([1, 2])
    size = a.slider("Window (stride = window)", 2, 3, key=key("pool_size"))
    shift = b.toggle("Shift the input one pixel to the right", key=key("pool_shift"),
                     help="Pooling is said to make a CNN shift invariant. It does so only approximately: count the outputs that change.")
    x = _small_input(6, int(st.session_state.get(key("slide_seed"), 0)) + 100)
    shifted = np.roll(x, 1, axis=1)
    shifted[:, 0] = 0
    shown = shifted if shift else x
    outs = {m: arithmetic.pool2d(shown, size, size, m) for m in ("max", "avg")}
    base = {m: arithmetic.pool2d(x, size, size, m) for m in ("max", "avg")}
    a, b, c = st.columns(3)
    a.image(draw.value_grid_image(shown, "input" + (" (shifted)" if shift else "")))
    b.image(draw.value_grid_image(outs["max"], f"max pool {size}×{size}"))
    c.image(draw.value_grid_image(outs["avg"], f"average pool {size}×{size}"))
    if shift:
        same = {m: int(np.isclose(outs[m], base[m]).sum()) for m in outs}
        total = outs["max"].size
        st.caption(f"After a one-pixel shift, {same['max']} of {total} max-pool outputs and {same['avg']} of {total} average-pool "
                   "outputs are unchanged: pooling gives only approximate shift invariance.")
    st.caption("Pooling has no parameters: max keeps the strongest response in each window, average the mean.")


def receptive_field() -> None:
    st.subheader("Receptive field")
    st.markdown("Each layer sees a small window of the layer below, so deeper units see a larger region of the input. "
                "Edit the stack (a pooling layer is a kernel with a stride):")
    default = {"kernel": [3, 3, 2, 3, 3, 2], "stride": [1, 1, 2, 1, 1, 2], "dilation": [1, 1, 1, 1, 1, 1]}
    rows = st.data_editor(default, key=state.action_key(PAGE, "arith.layers"), num_rows="dynamic", hide_index=True,
                          column_config={c: st.column_config.NumberColumn(c, min_value=1, max_value=15 if c == "kernel" else 4,
                                                                          step=1, required=True) for c in default})
    try:
        layers = [Layer(int(k), int(s), int(d)) for k, s, d in zip(rows["kernel"], rows["stride"], rows["dilation"], strict=True)
                  if not any(v is None or v != v for v in (k, s, d))]
        if not layers:
            st.info("Add at least one layer.")
            return
        table = receptive_fields(layers)
    except (ValueError, TypeError) as exc:
        st.warning(f"These layers cannot be used: {exc}")
        return
    st.dataframe({"layer": list(range(1, len(table) + 1)), "receptive field r": [r["receptive_field"] for r in table],
                  "jump (input px per step)": [r["jump"] for r in table]}, hide_index=True, key=state.action_key(PAGE, "arith.rf"))
    size = 32
    _defaults(dict(rf_unit=4))
    try:
        out_size = output_size(layers, size)
        st.session_state[key("rf_unit")] = min(int(st.session_state[key("rf_unit")]), max(out_size - 1, 0))
        unit = st.slider("Output unit (row = column)", 0, max(out_size - 1, 1), key=key("rf_unit"))
        region = input_region(layers, size, int(unit), int(unit))
    except ValueError as exc:
        st.warning(f"{exc}")
        return
    top, left, bottom, right = region
    st.image(draw.region_view(size, region))
    st.caption(f"On a {size} × {size} input, unit ({unit}, {unit}) of the last layer sees rows {top}–{bottom} and columns "
               f"{left}–{right}: r = {table[-1]['receptive_field']} pixels wide before clipping at the border. "
               "Each layer adds d(f − 1) × the previous row's jump: r_l = r_{l−1} + d(f − 1)·j_{l−1}, starting from r = 1, j = 1 "
               "(padding (d(f − 1))/2 on each side, rounded down).")


def savings() -> None:
    st.subheader("1×1 bottlenecks and depthwise-separable convolutions")
    sep = arithmetic.separable_cost(6, 6, 3, 5, 3)
    inc = arithmetic.inception_bottleneck_cost()
    a, b = st.columns(2)
    a.markdown(f"**Depthwise-separable** (6×6×3 → 4×4×5, 3×3 kernel): a standard convolution costs **{sep['standard']:,}** "
               f"multiplications; a depthwise 3×3 per channel ({sep['depthwise']:,}) then a 1×1 pointwise mix ({sep['pointwise']:,}) "
               f"cost **{sep['separable']:,}**, a ratio of {sep['ratio']:.3f} = 1/c_out + 1/f² = 1/5 + 1/9.")
    b.markdown(f"**Inception bottleneck** (28×28×192 → 28×28×32, 5×5 same): directly **{inc['direct'] / 1e6:.1f} M** multiplications; "
               f"a 1×1 convolution down to 16 channels first, then the 5×5, **{inc['bottleneck'] / 1e6:.1f} M** — about "
               f"{inc['direct'] / inc['bottleneck']:.1f}× fewer.")


def arithmetic_section() -> None:
    calculator()
    sliding()
    pooling()
    receptive_field()
    savings()
