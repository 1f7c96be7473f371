"""The Positional-encodings page's experiments: why order needs encoding (one attention layer on
two word orders) and the length-extrapolation experiment (a job in the runtime)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from engine.attention.extrapolation import ExtrapolationConfig, ExtrapolationTrainer
from engine.attention.order import order_test
from engine.config import ConfigError
from ui import positional_charts as charts
from ui import state
from ui.jobs import ComputeJob, compute_panel

PAGE = "positional"
SCHEMES = ("none", "sinusoidal", "rope")
SCHEME_LABELS = {"none": "no positional encoding", "sinusoidal": "sinusoidal (added)", "rope": "RoPE (rotated q, k)",
                 "learned": "learned table", "alibi": "ALiBi (score bias)"}
MAX_WORDS = 24


def key(name: str) -> str:
    return state.widget_key(PAGE, name)


# -- why order matters ------------------------------------------------------------------------------------
def order_section() -> None:
    st.markdown("One self-attention layer (2 heads, seeded random weights, d_model = 16) reads two sentences made of the same "
                "words, and its outputs are averaged into one vector per sentence. Each word has one embedding, wherever it "
                "stands.")
    s = st.session_state
    s.setdefault(key("sentence_a"), "the cat chased the mouse")
    s.setdefault(key("sentence_b"), "the mouse chased the cat")
    left, right = st.columns(2)
    a = left.text_input("Sentence A", key=key("sentence_a"), max_chars=200)
    b = right.text_input("Sentence B", key=key("sentence_b"), max_chars=200)
    words_a, words_b = a.split(), b.split()
    if not words_a or not words_b:
        st.warning("Type at least one word in each sentence.")
        return
    if max(len(words_a), len(words_b)) > MAX_WORDS:
        st.warning(f"Use at most {MAX_WORDS} words per sentence.")
        return
    rows = {"positional information": [], "max |pooled A − pooled B|": [], "verdict": []}
    results = {}
    for scheme in SCHEMES:
        r = order_test(words_a, words_b, d_model=16, seed=0, positional=scheme)
        results[scheme] = r
        same = r["difference"] < 1e-9
        rows["positional information"].append(SCHEME_LABELS[scheme])
        rows["max |pooled A − pooled B|"].append(f"{r['difference']:.2e}")
        rows["verdict"].append("cannot tell A from B" if same else "tells A from B")
    st.dataframe(rows, hide_index=True, width="stretch")
    permutation = results["none"].get("permutation")
    if permutation is not None:
        error = results["none"]["equivariance_error"]
        if words_a == words_b:
            st.caption("A and B are the same sentence: type the same words in another order to compare.")
        else:
            d_sin, d_rope = results["sinusoidal"]["difference"], results["rope"]["difference"]
            st.markdown(f"B is a reordering of A. Without positional information each output of B is exactly the output of the "
                        f"same word in A (largest difference **{error:.1e}**): attention is *permutation-equivariant*, so any "
                        f"order-free summary (a mean, a max) is identical. With sinusoidal codes the pooled vectors differ by "
                        f"**{d_sin:.1e}**, with RoPE by **{d_rope:.1e}**.")
    else:
        st.caption("B is not a reordering of A, so the sentences differ anyway; try the same words in another order.")
    with st.expander("The attention weights of sentence A, without and with positions", key=state.action_key(PAGE, "order.weights")):
        for scheme in ("none", "sinusoidal"):
            w = np.asarray(results[scheme]["weights_a"])
            w = w.reshape(-1, *w.shape[-2:])[0]  # head 1
            st.plotly_chart(charts.matrix_heatmap(w, f"head 1, {SCHEME_LABELS[scheme]}", "key", "query", height=300, symmetric=False,
                                                  colorscale="Blues").update_xaxes(tickvals=list(range(len(words_a))), ticktext=words_a)
                            .update_yaxes(tickvals=list(range(len(words_a))), ticktext=words_a),
                            key=state.action_key(PAGE, f"order.{scheme}"), width="stretch")


# -- extrapolation ----------------------------------------------------------------------------------------
def _stage(p) -> str:
    if p.get("stage") == "training":
        return f"training… {p.get('progress', 0.0):.0%}"
    return f"evaluating on longer sequences… {p.get('progress', 0.0):.0%}"


EXPERIMENT = ComputeJob(PAGE, "extrapolation", ExtrapolationTrainer, label="Run the experiment", icon=":material/science:",
                        hint="Press **Run the experiment** to train one small model per scheme and test them on longer sequences.",
                        stage=_stage)


def extrapolation_section() -> None:
    st.markdown("Train one tiny causal transformer per scheme on sequences of length L, then test every model on longer "
                "sequences. The task decides what position information is needed: **previous** (output the token one step "
                "back — a relative rule) or **first** (output the first token — an absolute one).")
    s = st.session_state
    for name, default in (("task", "previous"), ("train_length", 16), ("layers", 1), ("heads", 2), ("seed", 0)):
        s.setdefault(key(f"x.{name}"), default)
    a, b, c, d, e = st.columns([1.2, 1.4, 0.8, 0.8, 0.8])
    task = a.segmented_control("Task", ["previous", "first"], key=key("x.task")) or "previous"
    length = b.select_slider("Training length L", [4, 8, 16, 32, 64], key=key("x.train_length"),
                             help="Longer sequences take longer to train: from a few seconds to about a minute.")
    layers = c.selectbox("Layers", [1, 2], key=key("x.layers"))
    heads = d.selectbox("Heads", [1, 2, 4, 8], key=key("x.heads"), help="ALiBi gives each head its own slope.")
    seed = e.number_input("Seed", 0, 10**6, key=key("x.seed"))
    try:
        config = ExtrapolationConfig(task=task, train_length=int(length), layers=int(layers), heads=int(heads), seed=int(seed))
    except ConfigError as exc:
        st.warning(f"These settings cannot be used: {exc}")
        config = None
    found = compute_panel(EXPERIMENT, config)
    if found is None:
        return
    snap, computed = found
    if snap.reason and snap.state.value == "failed":
        st.error(f"The experiment stopped: {snap.reason}")
        return
    p = snap.payload
    if not p or p.get("stage") != "done":
        st.info(f"This experiment did not finish ({snap.reason or snap.state.value}). Run it again.")
        return
    if config is not None and computed != config:
        st.caption("These results are for the settings of the last run; run it again for the current ones.")
    st.plotly_chart(charts.extrapolation_plot(p), key=state.action_key(PAGE, "x.plot"), width="stretch")
    _table(p)
    if p.get("learned_table") is not None:
        with st.expander("The learned position table this experiment trained", key=state.action_key(PAGE, "x.learned")):
            table = np.asarray(p["learned_table"])
            st.plotly_chart(charts.matrix_heatmap(table, f"learned table: {len(table)} positions × d_model {table.shape[1]}", "dimension",
                                                  "position", height=340), key=state.action_key(PAGE, "x.learned_map"), width="stretch")
            st.caption(f"One trained row per position 0 … {len(table) - 1}; there is no row for position {len(table)} or beyond, "
                       "which is why the learned model cannot run on longer sequences. Compare its rows with the sinusoidal table.")
    st.markdown("Read it with care: the models are causal (each token sees only itself and earlier tokens), and a causal "
                "mask leaks some position by itself — a token at position t averages over t + 1 tokens — so “none” is "
                "not always at chance, especially with two layers. The learned table simply has no rows past L. Which "
                "scheme extrapolates best depends on the task, the depth, the number of heads (ALiBi's slopes) and the "
                "seed: change them and compare.")


def _table(p) -> None:
    lengths = list(p["lengths"])
    rows = {"scheme": list(p["schemes"])}
    for j, n in enumerate(lengths):
        rows[f"length {n}"] = [("—" if a != a else f"{a:.0%}") for a in np.asarray(p["accuracy"])[:, j]]
    st.dataframe(rows, hide_index=True, width="stretch")
    notes = [f"**{scheme}**: {note}" for scheme, note in zip(p["schemes"], p.get("notes", ()), strict=False) if note]
    if notes:
        st.markdown("\n".join(f"- {n}" for n in notes))
    st.caption(f"Chance is {p['chance']:.0%} (one of {round(1 / p['chance'])} tokens). One seed, one run: change the seed to "
               "see how much of the picture is noise.")
