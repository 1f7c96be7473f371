"""Positional encodings: why attention needs order, and how sinusoidal, learned, RoPE and ALiBi encode it."""

import streamlit as st

from ui import positional_experiments as experiments
from ui import positional_views as views
from ui import state

PAGE = "positional"

# -- purpose -------------------------------------------------------------------------------------------
st.title("Positional encodings")
st.markdown(
    "Self-attention compares every token with every other, but nothing in $\\mathrm{softmax}(QK^\\top/\\sqrt{d_k})V$ "
    "says where a token stands: shuffle the words and the outputs shuffle with them. A positional encoding puts order "
    "back, by adding a code to each token (sinusoidal, learned), by rotating queries and keys (RoPE), or by biasing the "
    "scores with distance (ALiBi)."
)

# -- inputs and show: one section at a time -------------------------------------------------------------------
sinusoidal, similarity, relative, schemes, order, extrapolation = st.tabs(
    ["Sinusoidal", "Similarity", "Relative positions", "Compare schemes", "Why order matters", "Extrapolation"],
    key=state.action_key(PAGE, "section"), on_change="rerun")
for tab, draw in ((sinusoidal, views.sinusoidal_section), (similarity, views.similarity_section),
                  (relative, views.rotation_section)):
    if tab.open:
        with tab:
            d_model, length, base, problem = views.table_controls()
            if problem:
                st.error(f"These settings cannot be used: {problem}")
            else:
                draw(d_model, length, base)
if schemes.open:
    with schemes:
        views.schemes_section()
if order.open:
    with order:
        experiments.order_section()
if extrapolation.open:
    with extrapolation:
        experiments.extrapolation_section()
