"""The Attention page's second section: a tiny transformer trained live on a toy task, its attention
maps per layer and head as it learns, its curves and head ablation, and an inference box that runs
the newest weights on the learner's own input with chosen heads switched off."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

from engine.attention import tasks
from engine.attention.trainer import POSITIONAL, TransformerConfig, TransformerTrainer, evaluate, held_out, predict, restore
from engine.config import ConfigError
from engine.runtime import Snapshot, UnknownRunError, get_runtime
from ui import attention_charts as charts
from ui import state
from ui.charts import metric_curves
from ui.live import LiveJob, live_panel

PAGE = "attention"
JOB = LiveJob(PAGE, TransformerTrainer, unit="step", default_speed="5/s")
FIELDS = ("task", "architecture", "length", "vocab", "layers", "heads", "d_model", "positional", "learning_rate", "batch_size",
          "seed")
DEFAULT = TransformerConfig()
ARCHITECTURE_LABELS = {"encoder": "encoder (sees the whole input)", "decoder": "decoder (causal, writes after =)"}


def key(name: str) -> str:
    return state.widget_key(PAGE, name)


def action(name: str) -> str:
    return state.action_key(PAGE, f"train.{name}")


# -- config <-> widgets ------------------------------------------------------------------------------------
def load(config: TransformerConfig) -> None:
    """Set every widget to the config's values (a link, before the widgets are drawn)."""
    for name in FIELDS:
        st.session_state[key(name)] = getattr(config, name)


def current() -> tuple[TransformerConfig | None, str | None]:
    """The config the widgets say, or None and the reason it is not valid."""
    values = {name: st.session_state.get(key(name), getattr(DEFAULT, name)) for name in FIELDS}
    try:
        return DEFAULT.replace(**values), None
    except ConfigError as exc:
        return None, str(exc)


def _panel() -> None:
    for name in FIELDS:
        st.session_state.setdefault(key(name), getattr(DEFAULT, name))
    a, b, c, d = st.columns([1.3, 1.5, 1, 1])
    task = a.selectbox("Task", tasks.TASKS, key=key("task"), format_func=lambda t: tasks.TASK_LABELS[t])
    b.selectbox("Architecture", tasks.ARCHITECTURES, key=key("architecture"), format_func=ARCHITECTURE_LABELS.get)
    c.slider("Length n", 4, tasks.MAX_LENGTH, key=key("length"), help="Tokens in each input sequence.")
    d.slider("Vocabulary", 4, 20, key=key("vocab"), help="Symbols: the digits 0 … v−1 (add counts in base v), or brackets' letters.")
    st.caption(tasks.DESCRIPTIONS[task])
    a, b, c, d = st.columns(4)
    a.slider("Layers", 1, 4, key=key("layers"))
    b.slider("Heads", 1, 8, key=key("heads"), help="Each head has width d_model / heads.")
    c.number_input("d_model", 16, 128, step=8, key=key("d_model"))
    d.selectbox("Positions", POSITIONAL, key=key("positional"), help="How the model knows where each token stands.")
    a, b, c, _ = st.columns(4)
    a.number_input("Learning rate", 1e-4, 0.1, step=1e-3, format="%g", key=key("learning_rate"),
                   help="Adam's step size; changes the running job without restarting it.")
    b.number_input("Batch size", 4, 256, step=16, key=key("batch_size"), help="Applied to the running job.")
    c.number_input("Seed", 0, 10**6, step=1, key=key("seed"))


def train_section() -> None:
    st.markdown("A tiny transformer learns a toy task from generated examples. Watch its attention maps form: on **reverse**, "
                "output position i must read input position n − 1 − i, and an anti-diagonal appears.")
    _panel()
    config, error = current()
    if error:
        st.error(f"These settings cannot be used: {error}")
        return
    state.config_to_url(config)
    s = st.session_state
    s[key("view_layer")] = min(int(s.get(key("view_layer"), 0)), config.layers - 1)
    s[key("view_head")] = min(int(s.get(key("view_head"), 0)), config.heads - 1)
    a, b, _ = st.columns([1, 1, 2])
    layer = a.selectbox("Large map: layer", range(config.layers), key=key("view_layer"), format_func=lambda v: f"layer {v + 1}")
    head = b.selectbox("Large map: head", range(config.heads), key=key("view_head"), format_func=lambda v: f"head {v + 1}")
    live_panel(JOB, config, _render(int(layer), int(head)), details)
    inference_box(config)


# -- the live views ------------------------------------------------------------------------------------------
def _render(layer: int, head: int) -> Callable[[Snapshot], None]:
    def render(snap: Snapshot) -> None:
        """The example and the attention grid (fast fragment: a PIL image, never Plotly)."""
        p = snap.payload
        if not p:
            st.info("Building the transformer…")
            return
        ex = p["example"]
        mark = "✓ right" if ex["correct"] else "✗ not yet"
        st.markdown(f"Held-out example: `{ex['input']}` → target `{ex['target']}` · the model says `{ex['prediction']}` "
                    f"**{mark}** · held-out sequence accuracy **{p['sequence_accuracy']:.0%}** · "
                    f"{p['n_parameters']:,} parameters")
        attention = p["attention"]
        shown_layer, shown_head = min(layer, len(attention) - 1), min(head, attention[0].shape[0] - 1)
        st.image(charts.attention_grid_png(attention, ex["positions"], shown_layer, shown_head))
    return render


def details(snap: Snapshot) -> None:
    """Curves and the head-ablation table (slow fragment)."""
    p = snap.payload
    left, right = st.columns(2)
    data, spec = metric_curves(snap, ("loss",), log_y=True, title="held-out loss (cross-entropy)")
    left.vega_lite_chart(data, spec, width="stretch", key=action("loss"))
    data, spec = metric_curves(snap, ("sequence_accuracy", "token_accuracy"), title="held-out accuracy")
    right.vega_lite_chart(data, spec, width="stretch", key=action("accuracy"))
    right.caption(f"A uniform guess gets each token right with probability {p['chance']:.2g}; a whole sequence almost never.")
    heads = np.asarray(p["head_accuracy"])
    base = float(p["sequence_accuracy"])
    rows: dict[str, list] = {"layer": [], "head": [], "sequence accuracy with this head off": [], "change vs all heads on": []}
    for l in range(heads.shape[0]):
        for h in range(heads.shape[1]):
            rows["layer"].append(l + 1)
            rows["head"].append(h + 1)
            rows["sequence accuracy with this head off"].append(f"{heads[l, h]:.1%}")
            rows["change vs all heads on"].append(f"{heads[l, h] - base:+.1%}".replace("-", "−"))
    st.markdown(f"**Head ablation** — all heads on: **{base:.1%}** held-out sequence accuracy. A head whose removal costs "
                "the most is one the model relies on.")
    st.dataframe(rows, hide_index=True, width="stretch", key=action("ablation"))


# -- inference -------------------------------------------------------------------------------------------------
def example_text(config: TransformerConfig) -> str:
    """A valid input for the task at this length and vocabulary."""
    n, v = config.length, config.vocab
    if config.task == "add":
        d = (n - 1) // 2
        return "".join(str((i + 1) % v) for i in range(d)) + "+" + "".join(str((i + 4) % v) for i in range(d))
    if config.task == "brackets":
        return "a(b(c)d)" + "a" * (n - 8) if n >= 8 else "(ab)" + "c" * (n - 4)
    return " ".join(str(x % v) for x in (3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3)[:n])


def latest_payload() -> tuple[dict | None, int]:
    """The training job's newest payload and step in this tab (None before the first run)."""
    run_id = state.run_id(PAGE)
    if run_id is None:
        return None, 0
    try:
        snap = get_runtime().snapshot(run_id)
    except UnknownRunError:
        return None, 0
    return (snap.payload or None), snap.step


def inference_box(config: TransformerConfig) -> None:
    st.subheader("Try it: your own input")
    payload, step = latest_payload()
    if not payload or payload.get("task") != config.task:
        st.info("Start the job (Run or Step) to try the model on your own input.")
        return
    try:
        model = restore(config, payload["weights"])
    except (RuntimeError, KeyError):
        st.info("The model is being rebuilt for the new settings; try again in a moment.")
        return
    field = key(f"infer.{config.task}.{config.length}.{config.vocab}")
    st.session_state.setdefault(field, example_text(config))
    a, b = st.columns([3, 1], vertical_alignment="bottom")
    text = a.text_input(f"Your input · {tasks.DESCRIPTIONS[config.task]}", key=field, max_chars=200)
    b.button("Use the newest weights", icon=":material/refresh:", key=action("refresh"), width="stretch")
    st.caption(f"The model as it was at step {step:,} when the page last redrew.")
    st.markdown("Switch heads off (the model's answer and accuracy without them):")
    off = [[1] * config.heads for _ in range(config.layers)]
    for l in range(config.layers):
        cols = st.columns(config.heads)
        for h in range(config.heads):
            name = key(f"head_on.{l}.{h}")
            st.session_state.setdefault(name, True)
            off[l][h] = int(cols[h].checkbox(f"L{l + 1} H{h + 1}", key=name))
    try:
        source = tasks.encode(config.task, text, config.vocab, config.length)
    except ValueError as exc:
        st.warning(f"{str(exc)[:1].upper()}{str(exc)[1:]}")
        return
    head_mask = None if all(all(row) for row in off) else off
    answer, attentions = predict(model, config, source, head_mask)
    right = tasks.solve(config.task, source, config.vocab)
    inputs, targets, mask = held_out(config)
    accuracy = evaluate(model, inputs, targets, mask, head_mask)["sequence_accuracy"]
    c1, c2, c3 = st.columns(3)
    c1.metric("Model's answer " + ("✓" if answer == right else "✗"), tasks.decode(config.task, answer, config.vocab))
    c2.metric("Correct answer", tasks.decode(config.task, right, config.vocab))
    if head_mask is None:
        c3.metric("Held-out sequence accuracy", f"{accuracy:.1%}")
    else:
        full = evaluate(model, inputs, targets, mask)["sequence_accuracy"]
        # an ASCII "-": st.metric reads it to point the arrow down
        c3.metric("Held-out accuracy, these heads off", f"{accuracy:.1%}", f"{accuracy - full:+.1%} vs all on")
    table = payload["vocabulary"]
    seen = source + ([tasks.SEP] + answer[:-1] if config.architecture == "decoder" else [])
    st.plotly_chart(charts.attention_maps(attentions, [table[t] for t in seen], head_mask), key=action("inference_maps"),
                    width="stretch")
    st.caption("Rows are queries, columns keys; a head switched off still computes its weights, but its output is zeroed "
               "before W_O." + (" The decoder's last pass: the source, “=”, and its answer so far." if config.architecture ==
                                "decoder" else ""))
