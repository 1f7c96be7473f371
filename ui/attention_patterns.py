"""The Attention page's third section: which query may look at which key (a gallery of masks with the
share of pairs each computes), and what full and sliding-window attention cost as n grows."""

from __future__ import annotations

import streamlit as st

from engine.attention import patterns
from ui import attention_charts as charts
from ui import state

PAGE = "attention"
DEFAULTS = {"n": 16, "width": 2, "dilation": 2, "global_tokens": 1, "block": 4, "causal": False, "window": 64}


def key(name: str) -> str:
    return state.widget_key(PAGE, f"patterns.{name}")


def action(name: str) -> str:
    return state.action_key(PAGE, f"patterns.{name}")


def patterns_section() -> None:
    _gallery()
    _cost()


def _gallery() -> None:
    st.subheader("Mask gallery")
    st.markdown("A mask decides which keys each query may read (blue: computed, grey: skipped). Full attention computes all "
                "n² pairs; the sparse patterns of long-context models compute far fewer.")
    for name, default in DEFAULTS.items():
        st.session_state.setdefault(key(name), default)
    a, b, c, d, e, f = st.columns([1.4, 1, 1, 1, 1, 1.2], vertical_alignment="bottom")
    n = a.slider("Sequence length n", 4, 64, key=key("n"))
    width = b.number_input("Window w", 0, 32, key=key("width"), help="Keys up to w positions away on each side.")
    dilation = c.number_input("Dilation r", 1, 8, key=key("dilation"), help="Dilated window: every r-th key.")
    global_tokens = d.number_input("Global tokens g", 0, 16, key=key("global_tokens"))
    block = e.number_input("Block b", 1, 64, key=key("block"), help="Block-sparse: tokens attend within blocks of b.")
    causal = f.toggle("Causal too", key=key("causal"), help="Keep only keys j ≤ i of every pattern.")
    kinds = patterns.KINDS
    for start in range(0, len(kinds), 3):
        for col, kind in zip(st.columns(3), kinds[start:start + 3], strict=False):
            blocked = patterns.mask(kind, int(n), int(width), int(dilation), int(global_tokens), int(block), causal)
            fraction = patterns.fraction_computed(blocked)
            computed = int((~blocked).sum())
            col.plotly_chart(charts.mask_heatmap(blocked, f"{patterns.KIND_LABELS[kind]}: {fraction:.0%} of pairs"),
                             key=action(f"mask.{kind}"), width="stretch", config={"displayModeBar": False})
            col.caption(f"{patterns.DESCRIPTIONS[kind]} **{computed:,} of {int(n) ** 2:,} pairs computed ({fraction:.1%}).**")


def _cost() -> None:
    st.subheader("Cost against sequence length")
    st.markdown("Full attention builds an n × n score matrix, so doubling n quadruples its work and memory. Sliding-window "
                "attention lets each query read the 2w + 1 keys of its window (this implementation scores blocks of 3w keys "
                "and never builds the n × n matrix): its cost grows like n·w.")
    a, b = st.columns([1, 3], vertical_alignment="bottom")
    window = a.select_slider("Window w for the measurement", [16, 32, 64, 128], key=key("window"))
    if b.button("Measure", icon=":material/timer:", type="primary", key=action("measure")):
        with st.spinner(f"Timing one attention forward for n = {patterns.LENGTHS[0]} … {patterns.LENGTHS[-1]:,}…"):
            try:
                state.remember(PAGE, "cost", patterns.measure_cost(d=64, window=int(window), device="cpu"))
            except (ValueError, RuntimeError) as exc:
                st.error(f"The measurement failed: {exc}")
    result = state.recall(PAGE, "cost")
    if result is None:
        st.info("Press **Measure** to time full and sliding-window attention on this server (about 1–3 s).")
        return
    slopes = {kind: {"time": patterns.loglog_slope(result["lengths"], result[kind]["time_s"]),
                     "memory": patterns.loglog_slope(result["lengths"], result[kind]["memory_bytes"])}
              for kind in ("full", "window")}
    st.plotly_chart(charts.cost_figure(result, slopes), key=action("cost"), width="stretch")
    full, win = slopes["full"], slopes["window"]
    st.markdown(f"Fitted log-log slope (the larger half of the lengths): **full attention {full['time']:.2f}** in time and "
                f"{full['memory']:.2f} in memory — {_verdict(full['time'], 2, 'quadratic: doubling n quadruples the work')}. "
                f"**Sliding window (w = {result['width']}) {win['time']:.2f}** in time and {win['memory']:.2f} in memory — "
                f"{_verdict(win['time'], 1, 'linear: doubling n doubles the work')}.")
    st.caption(f"Measured on this server's {result['device'].upper()} (one float32 head, d = {result['d']}, median of 3 runs "
               "after a warm-up). Timings on a shared machine are noisy, and small n is dominated by fixed overheads; press "
               "Measure again to see the spread. The memory figures are computed from the tensor shapes (scores, weights and "
               "output), not measured.")


def _verdict(slope: float, expected: int, meaning: str) -> str:
    """What a measured time slope says, read from the figure, not written in advance."""
    if abs(slope - expected) <= 0.35:
        return f"close to {expected}, {meaning}"
    return f"the theory says {expected}; this measurement is off (timings on a shared machine are noisy): press Measure again"
