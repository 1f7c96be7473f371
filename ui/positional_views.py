"""The sections of the Positional-encodings page that need no training: the sinusoidal table,
similarity, the rotation identity, and the schemes side by side."""

from __future__ import annotations

import numpy as np
import streamlit as st

from engine.attention import positional as pos
from ui import positional_charts as charts
from ui import state

PAGE = "positional"
EXAMPLE = ["I", "am", "a", "robot"]


def key(name: str) -> str:
    return state.widget_key(PAGE, name)


def action(name: str) -> str:
    return state.action_key(PAGE, name)


def table_controls() -> tuple[int, int, float, str | None]:
    """d_model, length and base for the sinusoidal sections, and what is wrong with them."""
    for name, default in (("d_model", 128), ("length", 100), ("base", 10000.0)):
        st.session_state.setdefault(key(name), default)
    a, b, c = st.columns(3)
    d = a.number_input("d_model", 2, pos.MAX_D_MODEL, step=2, key=key("d_model"), help="Even: sin and cos come in pairs.")
    n = b.number_input("Positions", 1, pos.MAX_LENGTH, step=10, key=key("length"))
    base = c.number_input("Base", 1.0001, 1e9, format="%g", key=key("base"), help="10000 in the original Transformer.")
    try:
        pos.check(int(n), int(d), float(base))
    except ValueError as exc:
        return int(d), int(n), float(base), str(exc)
    return int(d), int(n), float(base), None


@st.cache_data(show_spinner=False, max_entries=16)
def table(length: int, d_model: int, base: float) -> np.ndarray:
    return pos.sinusoidal(length, d_model, base)


# -- sinusoidal ------------------------------------------------------------------------------------------
def sinusoidal_section(d: int, n: int, base: float) -> None:
    st.latex(r"PE_{(p,\,2i)} = \sin\!\big(p / \mathrm{base}^{2i/d}\big),\qquad PE_{(p,\,2i+1)} = \cos\!\big(p / \mathrm{base}^{2i/d}\big)")
    pe = table(n, d, base)
    s = st.session_state
    s[key("dimension")] = min(s.get(key("dimension"), 0), d - 1)
    s[key("position")] = min(s.get(key("position"), min(10, n - 1)), n - 1)
    st.plotly_chart(charts.pe_heatmap(pe, s[key("dimension")], s[key("position")]), key=action("heatmap"), on_select=_clicked,
                    selection_mode="points", width="stretch", config={"displayModeBar": False})
    st.caption("Click a cell to choose its dimension and position (or use the sliders). Early dimensions change fast along "
               "the positions, late ones slowly: each pair is a clock hand turning at its own speed.")
    left, right = st.columns(2)
    dim = left.slider("Dimension", 0, d - 1, key=key("dimension"))
    p = right.slider("Position", 0, n - 1, key=key("position"))
    waves = pos.wavelengths(d, base)
    left.plotly_chart(charts.dimension_wave(pe, dim, waves[dim // 2]), key=action("wave"), width="stretch")
    right.plotly_chart(charts.position_vector(pe, p), key=action("vector"), width="stretch")
    st.plotly_chart(charts.wavelength_plot(waves, base), key=action("wavelengths"), width="stretch")
    st.caption(f"From 2π ≈ 6.28 positions (pair 0) to {waves[-1]:,.0f} positions (pair {d // 2 - 1}); each pair's wavelength is "
               f"base^(2/d) = {base ** (2 / d):.4f} times the previous one.")
    with st.expander("The classic worked example, with the real numbers", icon=":material/calculate:", key=action("example")):
        rows = pos.worked_example(EXAMPLE, d_model=4, base=10000.0)
        st.markdown("“I am a robot” at d_model = 4, base 10000: the frequencies are 1 and 1/100, so PE(p) = "
                    "[sin p, cos p, sin(p/100), cos(p/100)].")
        st.dataframe({"token": [r[0] for r in rows], "position": [r[1] for r in rows],
                      **{f"PE[{j}]": [round(float(r[2][j]), 4) for r in rows] for j in range(4)}}, hide_index=True)
        st.caption("Some course notes print other numbers for this example; they are not sinusoidal values. Position 0 is "
                   "always [0, 1, 0, 1] (sin 0 = 0, cos 0 = 1).")


def _clicked() -> None:
    event = st.session_state.get(action("heatmap")) or {}
    points = event.get("selection", {}).get("points", [])
    if points:
        st.session_state[key("dimension")] = int(points[0]["x"])
        st.session_state[key("position")] = int(points[0]["y"])


# -- similarity -------------------------------------------------------------------------------------------
def similarity_section(d: int, n: int, base: float) -> None:
    pe = table(n, d, base)
    cosine = st.toggle("Cosine similarity", key=key("cosine"), help="Divide by the norms (all equal to √(d/2)).")
    sim = pos.similarity(pe, cosine=cosine)
    st.plotly_chart(charts.matrix_heatmap(sim, "PE(p)·PE(q): constant along every diagonal", "q", "p", symmetric=True),
                    key=action("similarity"), width="stretch")
    offsets = np.arange(n)
    st.plotly_chart(charts.similarity_by_offset(offsets, sim[0, :], cosine), key=action("offset"), width="stretch")
    spread = max(float(np.ptp(np.diagonal(sim, k))) for k in range(min(n, 50)))
    distance, p, q = pos.min_pairwise_distance(pe) if n > 1 else (float("nan"), 0, 0)
    st.markdown(f"PE(p)·PE(q) = Σᵢ cos(ωᵢ (p − q)): it depends only on the offset. Measured: along each of the first "
                f"{min(n, 50)} diagonals the values differ by at most **{spread:.1e}**.")
    if n > 1:
        st.markdown(f"All {n} rows are distinct: the closest two, positions {p} and {q}, are **{distance:.4f}** apart "
                    "(Euclidean distance), so no two positions get the same code.")


# -- relative positions -------------------------------------------------------------------------------------
def rotation_section(d: int, n: int, base: float) -> None:
    st.latex(r"PE(p + k) = M_k\, PE(p),\qquad M_k = \operatorname{diag}\!\left(\begin{bmatrix}\cos\omega_i k & \sin\omega_i k\\"
             r"-\sin\omega_i k & \cos\omega_i k\end{bmatrix}\right)_{i=0}^{d/2-1},\quad \omega_i = \mathrm{base}^{-2i/d}")
    if n < 2:
        st.info("Use at least two positions to see a shift.")
        return
    st.session_state.setdefault(key("shift"), min(3, n - 1))
    st.session_state.setdefault(key("from"), 0)
    st.session_state[key("shift")] = min(st.session_state[key("shift")], n - 1)
    a, b = st.columns(2)
    k = a.slider("Shift k", 1, n - 1, key=key("shift"))
    st.session_state[key("from")] = min(st.session_state[key("from")], n - 1 - k)
    p = b.slider("From position p", 0, max(n - 1 - k, 1), key=key("from")) if n - 1 - k > 0 else 0
    pe = table(n, d, base)
    m = pos.rotation_matrix(k, d, base)
    rotated = m @ pe[p]
    error = float(np.abs(pe[k:] - pe[:-k] @ m.T).max())
    shown = min(d, 32)
    st.plotly_chart(charts.rotation_check(pe[p][:shown], pe[p + k][:shown], rotated[:shown], p, k), key=action("rotation"),
                    width="stretch")
    st.markdown(f"Largest difference between PE(p + {k}) and M_{k}·PE(p) over **every** p = 0 … {n - 1 - k}: "
                f"**{error:.1e}** (floating-point rounding). M_{k} does not depend on p: a model can learn to attend "
                "“k positions back” with one fixed linear map.")
    st.plotly_chart(charts.matrix_heatmap(m[:shown, :shown], f"M_{k} (first {shown} dimensions): one 2 × 2 rotation per pair",
                                          "column", "row", height=360), key=action("matrix"), width="stretch")


# -- schemes side by side ---------------------------------------------------------------------------------
def schemes_section() -> None:
    st.markdown(
        "- **None**: attention sees a bag of tokens; permuting the input permutes the output (see *Why order matters*).\n"
        "- **Sinusoidal**: the fixed table above, added to the token embeddings.\n"
        "- **Learned**: a trainable table, one row per position up to a maximum length — it has no entries past that "
        "length (the *Extrapolation* experiment trains one).\n"
        "- **RoPE**: rotates each coordinate pair (x₂ᵢ, x₂ᵢ₊₁) of every query and key at position p by p·ωᵢ instead of "
        "adding anything; q·k then depends on the offset.\n"
        "- **ALiBi**: adds −m·(i − j) to the score of query i and key j, one slope m per head; no vectors at all.")
    rope, alibi = st.columns(2)
    with rope:
        st.markdown("**RoPE**")
        st.session_state.setdefault(key("rope_d"), 16)
        d = st.select_slider("Head width", [4, 8, 16, 32, 64], key=key("rope_d"))
        angles = pos.rope_angles(np.arange(24), d)
        st.plotly_chart(charts.rope_pairs(angles, [0, 1, d // 4, d // 2 - 1]), key=action("rope"), width="stretch")
        rng = np.random.default_rng(0)
        q, kk = rng.standard_normal(d), rng.standard_normal(d)
        positions = np.arange(24)
        scores = pos.apply_rope(np.tile(q, (24, 1)), positions) @ pos.apply_rope(np.tile(kk, (24, 1)), positions).T
        st.plotly_chart(charts.matrix_heatmap(scores, "q·k for the same q and k placed at every pair of positions", "key position",
                                              "query position", height=330), key=action("rope_scores"), width="stretch")
        spread = max(float(np.ptp(np.diagonal(scores, o))) for o in range(-23, 24))
        norm_change = float(np.abs(np.linalg.norm(pos.apply_rope(np.tile(q, (24, 1)), positions), axis=1) - np.linalg.norm(q)).max())
        st.caption(f"Constant along each diagonal (spread {spread:.1e}): the score depends only on the offset. Rotations keep "
                   f"lengths: norms change by {norm_change:.1e}.")
    with alibi:
        st.markdown("**ALiBi**")
        st.session_state.setdefault(key("alibi_heads"), 4)
        heads = st.select_slider("Heads", [1, 2, 3, 4, 6, 8], key=key("alibi_heads"))
        slopes = pos.alibi_slopes(heads)
        st.plotly_chart(charts.alibi_grid(pos.alibi_bias(12, heads), slopes), key=action("alibi"), width="stretch")
        st.caption("Bias −m·(i − j) added to the score of query i and key j ≤ i (later keys are masked). Steep heads look "
                   "at near neighbours, gentle ones further back. Slopes 2^(−8/h), 2^(−16/h), … (Press et al., 2022).")
