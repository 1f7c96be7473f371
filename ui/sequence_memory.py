"""The Sequence page's "Memory range" section: the delayed-recall experiment (engine/sequence/recall.py) as
a job with progress — a fresh RNN, GRU, LSTM and transformer trained for the same budget at each delay L —
and what actually happened, in words computed from the accuracies, never written in advance."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import streamlit as st

from engine.config import ConfigError
from engine.sequence.recall import MODELS, RecallConfig, RecallTrainer
from ui import sequence_charts as charts
from ui import state
from ui.jobs import ComputeJob, compute_panel

PAGE = "sequence"
LENGTHS = (2, 5, 10, 20, 30, 40, 60, 80)
HELD = 0.9  # "remembers": test accuracy at least this
DEFAULT = RecallConfig()


def _stage(p: Mapping) -> str:
    current = p.get("current")
    if current is None:
        return "finishing…"
    model, L = current
    return f"training the {charts.CELL_NAMES[model]} at L = {L}… {p.get('progress', 0.0):.0%} of the work"


EXPERIMENT = ComputeJob(PAGE, "memory", RecallTrainer, label="Run the experiment", icon=":material/science:",
                        hint="Press **Run the experiment** to train one fresh model per kind and delay (with the defaults about a "
                             "minute on an idle 2-core machine, several while others train).", stage=_stage)


def key(name: str) -> str:
    return state.widget_key(PAGE, f"memory.{name}")


def memory_section() -> None:
    st.markdown("**Delayed recall.** Each sequence is one letter to remember, then L distractor digits, then a query “?”; the "
                "answer at the query is the letter — “C 2 0 3 1 ?” → “C” (L = 4). Only the answer is scored, so the training "
                "signal must travel L + 1 steps back: exactly what a vanishing gradient starves. Every model gets the same "
                "budget of Adam updates at every L; chance is 1 / (number of letters).")
    s = st.session_state
    s.setdefault(key("models"), list(DEFAULT.models))
    s.setdefault(key("lengths"), list(DEFAULT.lengths))
    s.setdefault(key("updates"), DEFAULT.updates)
    s.setdefault(key("hidden"), DEFAULT.hidden)
    s.setdefault(key("seed"), DEFAULT.seed)
    a, b = st.columns(2)
    a.multiselect("Models", MODELS, key=key("models"), format_func=charts.CELL_NAMES.get)
    b.multiselect("Delays L", LENGTHS, key=key("lengths"))
    a, b, c = st.columns(3)
    a.select_slider("Updates per model and L", [50, 100, 200, 300, 500, 1000], key=key("updates"),
                    help="The same training budget for every model: more lets every model reach further.")
    b.select_slider("Hidden size (the transformer's d_model)", [16, 32, 64], key=key("hidden"))
    c.number_input("Seed", 0, 10**6, key=key("seed"))
    try:
        config = RecallConfig(lengths=tuple(sorted(s[key("lengths")])),
                              models=tuple(m for m in MODELS if m in s[key("models")]), hidden=int(s[key("hidden")]),
                              updates=int(s[key("updates")]), seed=int(s[key("seed")]))
    except ConfigError as exc:
        st.warning(f"These settings cannot be used: {exc}")
        config = None
    found = compute_panel(EXPERIMENT, config)
    if found is None:
        return
    snap, computed = found
    p = snap.payload
    if snap.state.value != "done" or not p or p.get("current") is not None:
        st.info(f"The experiment did not finish ({snap.reason or snap.state.value}). Run it again.")
        return
    if config is not None and computed != config:
        st.caption("These results are for the settings of the last run; run it again for the current ones.")
    st.caption(f"Example at L = {p['lengths'][0]}: “{p['example']['sequence']}” → “{p['example']['answer']}”. "
               f"Trained for {p['seconds']:.0f} s in all.")
    st.plotly_chart(charts.recall_plot(p), key=state.action_key(PAGE, "memory.plot"), width="stretch")
    _table(p)
    st.markdown(reading(p))


def _table(p: Mapping) -> None:
    rows = {"model": [charts.CELL_NAMES[m] for m in p["models"]]}
    for j, L in enumerate(p["lengths"]):
        rows[f"L = {L}"] = [f"{a:.0%}" for a in np.asarray(p["accuracy"])[:, j]]
    st.dataframe(rows, hide_index=True, width="stretch", key=state.action_key(PAGE, "memory.table"))


def reading(p: Mapping) -> str:
    """What happened, per model, and whether the plain RNN fell first: all from the accuracy table."""
    lengths, chance = list(p["lengths"]), float(p["chance"])
    accuracy = np.asarray(p["accuracy"], dtype=float)
    near_chance = chance + 0.1
    lines, first_drop = [], {}
    for n, model in enumerate(p["models"]):
        acc, name = accuracy[n], charts.CELL_NAMES[model]
        below = [delay for delay, a in zip(lengths, acc, strict=True) if a < HELD]
        first_drop[model] = below[0] if below else None
        if not below:
            lines.append(f"- **{name}**: at least {HELD:.0%} at every L up to {lengths[-1]} (lowest {acc.min():.0%}).")
            continue
        at_drop = f"{acc[lengths.index(below[0])]:.0%} at L = {below[0]}"
        if below[0] == lengths[0]:
            start = f"below {HELD:.0%} already at the shortest delay ({at_drop})"
        else:
            start = f"at least {HELD:.0%} up to L = {lengths[lengths.index(below[0]) - 1]}, then {at_drop}"
        chance_at = [delay for delay, a in zip(lengths, acc, strict=True) if a <= near_chance]
        if chance_at:
            end = f"; near chance (≤ {near_chance:.0%}) from L = {chance_at[0]}"
        else:
            end = ", still above chance" if below[0] == lengths[-1] else f"; {acc[-1]:.0%} at L = {lengths[-1]}, still above chance"
        lines.append(f"- **{name}**: {start}{end}.")
    table = {m: dict(zip(lengths, accuracy[n], strict=True)) for n, m in enumerate(p["models"])}
    return (f"**What happened in this run** (chance {chance:.0%}):\n" + "\n".join(lines) + "\n\n" +
            _claim(first_drop, table, lengths[0]))


def _claim(first_drop: Mapping[str, int | None], table: Mapping[str, Mapping[int, float]], shortest: int) -> str:
    """The curriculum's claim — accuracy falls with L first for the plain RNN, later for GRU/LSTM — checked on this run."""
    gated = [m for m in ("gru", "lstm") if m in first_drop]
    if "rnn" not in first_drop or not gated:
        return "Include the RNN and a GRU or LSTM to test the claim that the plain RNN loses the symbol first."
    if all(first_drop[m] == shortest for m in ("rnn", *gated)):
        return (f"**The claim is not tested by this run:** no recurrent model reached {HELD:.0%} even at the shortest delay "
                f"(L = {shortest}) with this budget. Give them more updates per model and L.")
    if first_drop["rnn"] is None:
        return (f"**The claim is not tested by this run:** the plain RNN never fell below {HELD:.0%}. Try longer delays or fewer "
                "updates.")
    rnn = first_drop["rnn"]
    later = [m for m in gated if first_drop[m] is None or first_drop[m] > rnn]
    if len(later) == len(gated):
        names = " and ".join(charts.CELL_NAMES[m] for m in later)
        return (f"**The claim holds in this run:** the plain RNN fell below {HELD:.0%} first (at L = {rnn}), the {names} only at "
                "a longer delay or not at all.")
    others = [m for m in gated if m not in later]
    at_rnn = ", ".join(f"{charts.CELL_NAMES[m]} {table[m][rnn]:.0%}" for m in ("rnn", *others))
    return (f"**The claim does not hold in this run:** the {' and '.join(charts.CELL_NAMES[m] for m in others)} fell below "
            f"{HELD:.0%} no later than the plain RNN (at L = {rnn}: {at_rnn}). One seed and a fixed budget: change the seed or "
            "the number of updates and compare.")
