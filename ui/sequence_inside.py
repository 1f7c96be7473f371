"""The Sequence page's "Inside the cell" section: the character model reads the learner's string, and
its hidden units and gates are shown over time as heat maps (GRU update z and reset r; LSTM forget, input
and output gates and the cell state), with the cell unrolled over the first characters and, for one
chosen step, the actual numbers that the cell's formula combines."""

from __future__ import annotations

import numpy as np
import streamlit as st

from engine.sequence.charlm import CharLMConfig, start_symbol
from engine.sequence.corpus import CorpusError
from ui import sequence_charts as charts
from ui import sequence_model, state
from ui.images import data_uri

PAGE = "sequence"
MAX_CHARS = 60  # characters in the maps
DIAGRAM_STEPS = 8  # steps in the unrolled drawing (about the width of the page, so it is not scaled down)
MAX_UNITS = 32  # rows in each heat map: the units that vary most over the string
TABLE_UNITS = 8
EXAMPLES = {"dinosaurs": "Tyrannosaurus", "shakespeare": "Shall I compare thee to a summer's day?"}
FORMULAS = {
    "rnn": r"h_t = \tanh(W_h h_{t-1} + W_x x_t + b)",
    "gru": r"z_t = \sigma(W_z[h_{t-1}, x_t]),\; r_t = \sigma(W_r[h_{t-1}, x_t]),\; "
           r"\tilde h_t = \tanh(W[r_t \odot h_{t-1}, x_t]),\; h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t",
    "lstm": r"f_t, i_t, o_t = \sigma(\cdot),\; \tilde c_t = \tanh(\cdot),\; c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t,\; "
            r"h_t = o_t \odot \tanh(c_t)",
}
READING = {
    "rnn": "A plain RNN has no gates: its whole state is rewritten at every step through tanh.",
    "gru": "z → 0 keeps the old state (h_t ≈ h_{t−1}); z → 1 replaces it with the candidate h̃. r → 0 makes the candidate "
           "ignore the old state.",
    "lstm": "f → 1 and i → 0 keep the cell state c unchanged; o decides how much of tanh(c) is shown as h.",
}
MAPS = {"rnn": (), "gru": (("z", "update gate z", True), ("r", "reset gate r", True), ("h_tilde", "candidate h̃", False)),
        "lstm": (("f", "forget gate f", True), ("i", "input gate i", True), ("o", "output gate o", True),
                 ("c", "cell state c", False))}


def key(name: str) -> str:
    return state.widget_key(PAGE, f"inside.{name}")


def inside_section(config: CharLMConfig | None) -> None:
    found = sequence_model.current(config)
    if found is None:
        st.warning("The settings in the first tab cannot be used yet: fix them there to look inside the model.")
        return
    cell = found.config.cell
    st.markdown(f"**{cell.upper()} cell.** {READING[cell]}")
    st.latex(FORMULAS[cell])
    (st.caption if found.trained else st.info)(found.describe())
    name = key(f"text.{found.config.corpus}")
    first_line = next((line for line in sequence_model.prepared(found.config).text.split("\n") if line.strip()), "")[:40]
    st.session_state.setdefault(name, EXAMPLES.get(found.config.corpus, first_line))
    a, b = st.columns([3, 1])
    text = a.text_input("Input string (the model reads it after the start symbol)", key=name, max_chars=200)
    layer = 0
    if found.config.layers > 1:
        st.session_state[key("layer")] = min(int(st.session_state.get(key("layer"), 0)), found.config.layers - 1)
        layer = int(b.selectbox("Layer", range(found.config.layers), key=key("layer"), format_func=lambda v: f"layer {v + 1}"))
    if not text:
        st.warning("Type a few characters for the model to read.")
        return
    if len(text) > MAX_CHARS:
        st.caption(f"Only the first {MAX_CHARS} characters are shown.")
        text = text[:MAX_CHARS]
    try:
        ids = [found.vocab.index(start_symbol(found.vocab))] + _encode(text, found.vocab)
    except CorpusError as exc:
        st.warning(str(exc))
        return
    trace = found.model.trace(ids)
    chars = [start_symbol(found.vocab), *text]
    hidden = trace["hidden"][:, layer]  # (T, H)
    gates = {n: g[:, layer] for n, g in trace["gates"].items()}
    units = _varying_units(hidden)
    st.caption(f"Each map shows the {len(units)} of {hidden.shape[1]} units whose h_t varies most over this string, in the same "
               "order in every map; hover a cell for its value.")
    st.plotly_chart(charts.time_heatmap(hidden[:, units], chars, units, "hidden state h_t (−1 … 1)", gate=False),
                    key=state.action_key(PAGE, "inside.hidden"), width="stretch")
    maps = MAPS[cell]
    for row in range(0, len(maps), 2):
        columns = st.columns(2)
        for column, (gate, title, is_gate) in zip(columns, maps[row:row + 2], strict=False):
            column.plotly_chart(charts.time_heatmap(gates[gate][:, units], chars, units, title + (" (0 … 1)" if is_gate else ""),
                                                    gate=is_gate, height=280),
                                key=state.action_key(PAGE, f"inside.{gate}"), width="stretch")
    if cell in ("gru", "lstm"):
        main = "z" if cell == "gru" else "f"
        st.markdown(_gate_summary(cell, gates[main]))
    _unrolled(found, chars, hidden, gates, trace["probs"], units)


def _encode(text: str, vocab: tuple[str, ...]) -> list[int]:
    unknown = sorted({c for c in text if c not in vocab})
    if unknown:
        shown = ", ".join(repr(c) for c in unknown[:8])
        raise CorpusError(f"The model has never seen these characters: {shown}. Use characters from its training text.")
    return [vocab.index(c) for c in text]


def _varying_units(hidden: np.ndarray) -> list[int]:
    order = np.argsort(-hidden.std(axis=0), kind="stable")[:MAX_UNITS]
    return sorted(int(u) for u in order)


def _gate_summary(cell: str, gate: np.ndarray) -> str:
    """What the main gate did on this string, read from its values."""
    mean = float(gate.mean())
    if cell == "gru":
        kept = float((gate < 0.1).mean())
        return (f"On this string the update gate z averages **{mean:.2f}**; **{kept:.0%}** of the unit-steps have z < 0.1, "
                "where the unit keeps its old value almost unchanged.")
    kept = float((gate > 0.9).mean())
    return (f"On this string the forget gate f averages **{mean:.2f}**; **{kept:.0%}** of the unit-steps have f > 0.9, "
            "where the cell keeps most of its old content.")


def _unrolled(found: sequence_model.Model, chars: list[str], hidden: np.ndarray, gates: dict[str, np.ndarray], probs: np.ndarray,
              units: list[int]) -> None:
    st.markdown("**The cell unrolled over time, with its current values**")
    T = len(chars)
    chosen = 0
    if T > 1:
        st.session_state[key("step")] = min(int(st.session_state.get(key("step"), 1)), T - 1)
        chosen = int(st.slider("Step t", 0, T - 1, key=key("step")))
    start = max(0, min(chosen - DIAGRAM_STEPS // 2, T - DIAGRAM_STEPS))
    stop = min(T, start + DIAGRAM_STEPS)
    predictions = [(found.vocab[int(probs[t].argmax())], float(probs[t].max())) for t in range(start, stop)]
    strip = units[:TABLE_UNITS]
    picture = charts.unrolled(chars[start:stop], hidden[start:stop][:, strip], {n: g[start:stop] for n, g in gates.items()},
                              predictions, found.config.cell, chosen - start)
    st.image(data_uri(picture))
    st.markdown(f"At step t = {chosen}, reading “{charts.shown(chars[chosen])}”, for {len(strip)} of the units: the inputs of "
                "the formula and its result (check one row by hand).")
    st.dataframe(_step_table(found.config.cell, hidden, gates, chosen, strip), hide_index=True, width="stretch",
                 key=state.action_key(PAGE, "inside.table"))


def _step_table(cell: str, hidden: np.ndarray, gates: dict[str, np.ndarray], t: int, units: list[int]) -> dict[str, list]:
    previous = hidden[t - 1] if t > 0 else np.zeros_like(hidden[0])
    rows: dict[str, list] = {"unit": units, "h_{t−1}": [float(previous[u]) for u in units]}
    if cell == "gru":
        for name, label in (("z", "z"), ("r", "r"), ("h_tilde", "h̃")):
            rows[label] = [float(gates[name][t, u]) for u in units]
        rows["(1 − z)·h_{t−1} + z·h̃"] = [float((1 - gates["z"][t, u]) * previous[u] + gates["z"][t, u] * gates["h_tilde"][t, u])
                                         for u in units]
    elif cell == "lstm":
        c_prev = gates["c"][t - 1] if t > 0 else np.zeros_like(gates["c"][0])
        rows["c_{t−1}"] = [float(c_prev[u]) for u in units]
        for name, label in (("f", "f"), ("i", "i"), ("c_tilde", "c̃"), ("o", "o"), ("c", "c_t = f·c_{t−1} + i·c̃")):
            rows[label] = [float(gates[name][t, u]) for u in units]
    rows["h_t"] = [float(hidden[t, u]) for u in units]
    return {k: v if k == "unit" else [round(x, 4) for x in v] for k, v in rows.items()}
