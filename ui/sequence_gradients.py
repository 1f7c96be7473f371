"""The Sequence page's "Gradients through time" section: ‖∂L_T/∂h_t‖ against t for fresh RNN, GRU and LSTM
cells and for the model trained in the first tab (log scale), and the exploding case — a tanh RNN whose W_h
starts large, trained with and without gradient clipping as a job — with what happened read from the figures."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from engine.config import ConfigError
from engine.sequence.charlm import CharLMConfig
from engine.sequence.gradients import ExplodingConfig, ExplodingTrainer, compare_at_init, gradient_through_time
from ui import sequence_charts as charts
from ui import sequence_model, state
from ui.jobs import ComputeJob, compute_panel

PAGE = "sequence"
EXPLODING = ComputeJob(PAGE, "exploding", ExplodingTrainer, label="Train both", icon=":material/bolt:",
                       hint="Press **Train both** to train the same large-W_h RNN without and with clipping.",
                       stage=lambda p: f"training… {p.get('progress', 0.0):.0%}")


def key(name: str) -> str:
    return state.widget_key(PAGE, f"gradients.{name}")


def gradients_section(config: CharLMConfig | None) -> None:
    st.markdown("Back-propagation through time multiplies one Jacobian per step, so the gradient of the loss at the last step T "
                "with respect to an earlier state is a product of T − t factors:")
    st.latex(r"\frac{\partial L_T}{\partial h_t} = \frac{\partial L_T}{\partial h_T} \prod_{s=t+1}^{T} "
             r"\frac{\partial h_s}{\partial h_{s-1}}, \qquad \text{RNN: } \frac{\partial h_s}{\partial h_{s-1}} = "
             r"\mathrm{diag}(1 - h_s^2)\, W_h")
    st.caption("Factors smaller than 1 make it vanish exponentially with the distance T − t; larger ones make it explode. "
               "Gated cells add a path (GRU: (1 − z) ⊙ h_{t−1}; LSTM: f ⊙ c_{t−1}) whose factor can stay near 1.")
    found = sequence_model.current(config)
    if found is None:
        st.warning("The settings in the first tab cannot be used yet: fix them there first.")
        return
    _through_time(found)
    st.divider()
    exploding_section()


def _through_time(found: sequence_model.Model) -> None:
    s = st.session_state
    s.setdefault(key("length"), 100)
    length = int(st.select_slider("Sequence length T", [25, 50, 100, 150, 200], key=key("length")))
    data = sequence_model.prepared(found.config)
    ids = data.ids[: length + 1]
    if len(ids) < length + 1:
        st.warning(f"The text has only {len(data.ids):,} characters; use a shorter T.")
        return
    c = found.config
    curves = dict(_at_init(tuple(int(i) for i in ids), data.vocab_size, c.hidden))
    memory = f"gradients.trained.{c.corpus}.{hash(c.text)}.{c.hidden}.{length}"
    measured = dict(state.recall(PAGE, memory, {}))
    a, b = st.columns([1, 3], vertical_alignment="center")
    if a.button("Measure the trained model", icon=":material/straighten:", key=state.action_key(PAGE, "gradients.measure"),
                disabled=not found.trained or c.layers > 1, width="stretch"):
        measured[c.cell] = gradient_through_time(found.model, ids)
        state.remember(PAGE, memory, measured)
    b.caption(found.describe() + " Its curve is added to the chart; train another cell type (same text and hidden size) and "
              "measure it too to compare all three after training." if found.trained and c.layers == 1
              else "Train a one-layer model in the first tab to add its curve after training to this chart.")
    curves.update({f"{cell} · after training": norms for cell, norms in measured.items()})
    st.plotly_chart(charts.gradient_plot(curves), key=state.action_key(PAGE, "gradients.plot"), width="stretch")
    st.markdown(_reading(curves, length))


@st.cache_data(show_spinner=False, max_entries=16)
def _at_init(ids: tuple[int, ...], vocab_size: int, hidden: int) -> dict[str, np.ndarray]:
    """One backward pass per fresh cell type (no training), cached per sequence and size."""
    return compare_at_init(list(ids), vocab_size, hidden=hidden)


def _reading(curves: dict[str, np.ndarray], length: int) -> str:
    """For each curve, how many times smaller the gradient is at t = 0 than at the last step (read from the figures)."""
    parts = []
    for label, norms in curves.items():
        first, last = float(norms[0]), float(norms[-1])
        cell, _, when = label.partition(" · ")
        name = f"{charts.CELL_NAMES[cell]} {when or 'at initialisation'}"
        if first <= 0 or last <= 0:
            parts.append(f"- **{name}**: the gradient at t = 0 is 0 to machine precision.")
            continue
        ratio = last / first
        verb = f"**{charts.sci(ratio)}** times smaller" if ratio >= 1 else f"**{charts.sci(1 / ratio)}** times larger"
        parts.append(f"- **{name}**: at t = 0 the gradient is {verb} than at t = {length - 1} "
                     f"(about {math.log10(max(ratio, 1 / ratio)) / max(length - 1, 1):.2f} decades per step).")
    return "Read from these curves:\n" + "\n".join(parts)


# -- the exploding case ---------------------------------------------------------------------------------------------
def exploding_section() -> None:
    st.subheader("Exploding gradients and clipping")
    st.markdown("The same tanh RNN (hidden 64) on the dinosaur names, its recurrent weights W_h multiplied by a factor at "
                "initialisation, trained with plain SGD and full BPTT over 128 characters — once without clipping and once "
                "with the gradient clipped to norm 1 (g ← g · 1/‖g‖ when ‖g‖ > 1).")
    s = st.session_state
    s.setdefault(key("w_h_scale"), 4.0)
    s.setdefault(key("learning_rate"), 1.0)
    s.setdefault(key("updates"), 20)
    a, b, c = st.columns(3)
    a.select_slider("W_h scale", [1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0], key=key("w_h_scale"),
                    help="At 8 and above the very first gradient overflows float32: no clipping can rescale infinity.")
    b.select_slider("Learning rate", [0.01, 0.1, 0.3, 1.0], key=key("learning_rate"))
    c.select_slider("Updates", [10, 20, 40], key=key("updates"))
    try:
        config = ExplodingConfig(w_h_scale=float(s[key("w_h_scale")]), learning_rate=float(s[key("learning_rate")]),
                                 updates=int(s[key("updates")]))
    except ConfigError as exc:
        st.warning(f"These settings cannot be used: {exc}")
        config = None
    found = compute_panel(EXPLODING, config)
    if found is None:
        return
    snap, computed = found
    p = snap.payload
    if not p or "runs" not in p:
        st.info(f"The demo did not finish ({snap.reason or snap.state.value}). Run it again.")
        return
    if config is not None and computed != config:
        st.caption("These results are for the settings of the last run; train again for the current ones.")
    loss, norm = charts.exploding_plots(p["runs"])
    left, right = st.columns(2)
    left.plotly_chart(loss, key=state.action_key(PAGE, "gradients.exploding_loss"), width="stretch")
    right.plotly_chart(norm, key=state.action_key(PAGE, "gradients.exploding_norm"), width="stretch")
    st.markdown(exploding_reading(p["runs"], computed))


def exploding_reading(runs: dict, config: ExplodingConfig) -> str:
    """What each run did, in words computed from its record."""
    uniform = math.log(sequence_model.prepared(CharLMConfig()).vocab_size)  # the demo learns the dinosaur names
    lines = []
    for name, run in runs.items():
        loss, norm, weight = (np.asarray(run[k], dtype=float) for k in ("loss", "grad_norm", "max_weight"))
        label = "Without clipping" if name == "unclipped" else "With clipping at 1"
        if run["stopped"]:
            lines.append(f"- **{label}**: training stopped — {run['stopped']} A gradient that overflows cannot be rescaled, "
                         "so the update is skipped and the run ends.")
            continue
        finite = loss[np.isfinite(loss)]
        verdict = "below" if finite[-1] < uniform - 0.05 else "not below"
        lines.append(f"- **{label}**: first gradient norm **{charts.sci(norm[0])}**, largest |weight| reached "
                     f"**{charts.sci(weight.max())}**, loss {finite[0]:.2f} → **{finite[-1]:.2f}** nats/char after {len(loss)} updates "
                     f"({verdict} a uniform guess, {uniform:.2f}).")
    clipped = np.asarray(runs["clipped"]["grad_norm"], dtype=float)
    trend = (f" In the clipped run the gradient norm went from {charts.sci(clipped[0])} at update 1 to {charts.sci(clipped[-1])} at "
             f"update {len(clipped)}." if len(clipped) > 1 and np.isfinite(clipped).all() else "")
    return "\n".join(lines) + ("\n\nClipping keeps the direction of the gradient and bounds each step's length to the learning rate "
                               f"× 1 (here {config.learning_rate:g}): a single huge gradient can no longer throw the weights far away."
                               + trend)
