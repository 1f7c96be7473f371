"""The Sequence page's first section: a character-level language model (RNN, GRU or LSTM) learns a corpus
live — the bundled dinosaur names or Shakespeare's sonnets, or the learner's own text — with its loss,
perplexity and gradient-norm curves, samples regenerated every few seconds, and a sampling box
(temperature, argmax, top-k, a prefix) that runs the newest weights."""

from __future__ import annotations

import math
from collections.abc import Callable

import streamlit as st

from engine.config import ConfigError
from engine.runtime import Snapshot
from engine.sequence.charlm import OPTIMIZERS, WINDOWS_PER_STEP, CharLMConfig, CharLMTrainer, sample
from engine.sequence.corpus import CORPORA, MAX_CHARS, CorpusError
from ui import sequence_model, state
from ui.charts import metric_curves
from ui.live import LiveJob, live_panel

PAGE = "sequence"
JOB = LiveJob(PAGE, CharLMTrainer, unit="step", default_speed="max", snapshot_interval_s=0.25)
DEFAULT = CharLMConfig()
FIELDS = ("corpus", "text", "cell", "hidden", "layers", "seq_length", "bptt", "clip", "optimizer", "learning_rate", "batch_size",
          "w_h_scale", "temperature", "seed")
CORPUS_LABELS = {**{name: c.label for name, c in CORPORA.items()}, "custom": "Your own text"}
CELL_LABELS = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}
NEWLINE = "⏎"


def key(name: str) -> str:
    return state.widget_key(PAGE, name)


def action(name: str) -> str:
    return state.action_key(PAGE, f"train.{name}")


# -- config <-> widgets ------------------------------------------------------------------------------------
def load(config: CharLMConfig) -> None:
    """Set every widget to the config's values (a link, before the widgets are drawn)."""
    for name in FIELDS:
        st.session_state[key(name)] = getattr(config, name)


def current() -> tuple[CharLMConfig | None, str | None]:
    """The config the widgets say (the pasted text only when it is the chosen corpus), or None and the reason."""
    values = {name: st.session_state.get(key(name), getattr(DEFAULT, name)) for name in FIELDS}
    if values["corpus"] != "custom":
        values["text"] = ""  # kept in its box, but out of the config, the link and the job
    try:
        return DEFAULT.replace(**values), None
    except ConfigError as exc:
        return None, str(exc)


def _panel() -> None:
    s = st.session_state
    for name in FIELDS:
        s.setdefault(key(name), getattr(DEFAULT, name))
    a, b, c, d = st.columns([1.4, 1.2, 1, 1])
    corpus = a.selectbox("Text to learn", list(CORPUS_LABELS), key=key("corpus"), format_func=CORPUS_LABELS.get)
    b.segmented_control("Cell", list(CELL_LABELS), key=key("cell"), format_func=CELL_LABELS.get, required=True)
    c.select_slider("Hidden size", [16, 32, 64, 128, 256, 512], key=key("hidden"), help="Units in each layer's state h_t.")
    d.slider("Layers", 1, 3, key=key("layers"), help="Stacked cells: each layer reads the hidden states of the one below.")
    if corpus == "custom":
        st.text_area("Your text (a few thousand characters or more trains best)", key=key("text"), height=140, max_chars=4 * MAX_CHARS,
                     placeholder="Paste a text here: a list of names, one per line, or any prose or poetry.")
    else:
        st.caption(CORPORA[corpus].description)
    a, b, c, d = st.columns(4)
    a.slider("Sequence length", 4, 256, key=key("seq_length"), on_change=_fit_bptt, help="Characters in each training window.")
    b.slider("Truncated BPTT length", 1, 256, key=key("bptt"),
             help="The gradient flows back at most this many steps; the state is carried on, detached, across the window.")
    c.number_input("Gradient clipping (0: off)", 0.0, 100.0, step=0.5, format="%g", key=key("clip"),
                   help="A gradient longer than this is rescaled to this length. Applied to the running job.")
    d.selectbox("Optimizer", OPTIMIZERS, key=key("optimizer"))
    a, b, c, d = st.columns(4)
    a.number_input("Learning rate", 1e-4, 2.0, step=1e-3, format="%g", key=key("learning_rate"), help="Applied to the running job.")
    b.number_input("Batch size", 1, 256, step=8, key=key("batch_size"), help="Windows per update.")
    c.number_input("W_h scale at init", 0.1, 20.0, step=0.5, format="%g", key=key("w_h_scale"),
                   help="Multiplies the recurrent weights W_h at initialisation: try 4 with clipping off to make gradients explode.")
    d.number_input("Seed", 0, 10**6, step=1, key=key("seed"))


def _fit_bptt() -> None:
    """A shorter window shortens the truncated-BPTT length with it (it cannot be longer than the window)."""
    s = st.session_state
    s[key("bptt")] = min(int(s[key("bptt")]), int(s[key("seq_length")]))


def train_section() -> None:
    st.markdown("The model reads a text one character at a time and learns to predict the next one. Its loss is the "
                "cross-entropy of the next character in nats; the **perplexity** is the number of equally likely characters "
                "it is effectively choosing between — the vocabulary size for a uniform guess, 1 for a perfect model:")
    st.latex(r"\mathcal{L} = -\frac{1}{T}\sum_{t=1}^{T} \log p(x_{t+1} \mid x_{\le t}), \qquad \text{perplexity} = e^{\mathcal{L}}")
    _panel()
    config, error = current()
    if error:
        st.warning(f"These settings cannot be used: {error}")
        return
    left_out = state.config_to_url(config)
    data = sequence_model.prepared(config)
    for note in data.notes:
        st.info(note, icon=":material/info:")
    extra = " Your text is too long for the link: a shared link carries the other settings only." if "text" in left_out else ""
    st.caption(f"{len(data.text):,} characters of {sequence_model.corpus_label(config)}, {data.vocab_size} distinct "
               f"(a uniform guess scores ln {data.vocab_size} = {math.log(data.vocab_size):.2f} nats/char).{extra}")
    live_panel(JOB, config, _render(config), details)
    sampling_box(config)


# -- the live views ------------------------------------------------------------------------------------------
def show_text(text: str) -> str:
    return text.replace("\n", NEWLINE + "\n")


def _render(config: CharLMConfig) -> Callable[[Snapshot], None]:
    chars_per_step = WINDOWS_PER_STEP * config.batch_size * config.seq_length

    def render(snap: Snapshot) -> None:
        """Figures and the newest samples (fast fragment: text only)."""
        p = snap.payload
        if not p:
            st.info("Building the model…")
            return
        speed = f" · **{snap.steps_per_s * chars_per_step:,.0f}** characters/s" if snap.steps_per_s else ""
        loss = p["loss"]
        figures = (f"loss **{loss:.3f}** nats/char · perplexity **{p['perplexity']:.2f}** (uniform guess "
                   f"{p['uniform_perplexity']:.0f})" if loss == loss else "no update yet")
        st.markdown(f"{figures} · {p['updates']:,} updates · {p['characters']:,} characters read{speed} · "
                    f"{p['n_parameters']:,} parameters")
        st.markdown(f"**Samples** at temperature {p['samples_temperature']:g}, update {p['samples_update']:,} "
                    "(new ones every few seconds while it trains):")
        st.code("\n".join(p["samples"]) if p["names"] else "\n\n".join(show_text(t) for t in p["samples"]), language=None)
    return render


def details(snap: Snapshot) -> None:
    """Curves (slow fragment: Vega-Lite keeps its element and swaps its data)."""
    if not snap.step:
        st.caption("The loss, perplexity and gradient-norm curves start with the first step.")
        return
    a, b, c = st.columns(3)
    data, spec = metric_curves(snap, ("loss",), title="loss (nats per character)", height=220)
    a.vega_lite_chart(data, spec, width="stretch", key=action("loss"))
    data, spec = metric_curves(snap, ("perplexity",), log_y=True, title="perplexity = exp(loss)", height=220)
    b.vega_lite_chart(data, spec, width="stretch", key=action("perplexity"))
    data, spec = metric_curves(snap, ("grad_norm",), log_y=True, title="gradient norm ‖g‖ before clipping", height=220)
    c.vega_lite_chart(data, spec, width="stretch", key=action("grad_norm"))
    clip = snap.payload.get("clip", 0)
    clipped = snap.latest("clipped", 0.0)
    c.caption(f"Clipping at {clip:g}: {clipped:.0%} of the last step's updates were clipped." if clip else "Clipping is off.")


# -- sampling ---------------------------------------------------------------------------------------------------
def sampling_box(config: CharLMConfig) -> None:
    st.subheader("Sample from the model")
    found = sequence_model.current(config)
    if found is None:
        return
    s = st.session_state
    for name, value in (("sample.greedy", False), ("sample.top_k", 0), ("sample.prefix", ""), ("sample.count", 5),
                        ("sample.seed", 0)):
        s.setdefault(key(name), value)
    a, b, c, d, e = st.columns([1.3, 1, 1, 1.4, 1], vertical_alignment="bottom")
    greedy = b.toggle("Argmax", key=key("sample.greedy"), help="Always the most likely next character: no randomness.")
    a.slider("Temperature", 0.05, 3.0, step=0.05, key=key("temperature"), disabled=greedy,
             help="Divides the logits: below 1 sharpens the distribution, above 1 flattens it. Also the live samples'.")
    c.number_input("Top-k (0: all)", 0, len(found.vocab), key=key("sample.top_k"), disabled=greedy,
                   help="Draw only among the k most likely characters.")
    prefix = d.text_input("Prefix", key=key("sample.prefix"), max_chars=60, help="The samples start with this text.")
    e.button("New samples", icon=":material/casino:", key=action("resample"), on_click=_resample, width="stretch")
    count = 1 if greedy else int(s[key("sample.count")])
    length = 40 if found.names else 200
    try:
        texts = [sample(found.model, found.vocab, length, float(s[key("temperature")]), int(s[key("sample.top_k")]), greedy,
                        prefix, seed=int(s[key("sample.seed")]) + i, stop_at_newline=found.names) for i in range(count)]
    except (CorpusError, ValueError, RuntimeError) as exc:
        st.warning(f"{str(exc)[:1].upper()}{str(exc)[1:]}")
        return
    st.code("\n".join(texts) if found.names else "\n\n".join(show_text(t) for t in texts), language=None)
    when = (f"The model as of update {found.updates:,}, when the page last redrew" if found.trained else
            "The untrained model (random weights): press Run above")
    st.caption(f"{when}; **New samples** draws again with the newest weights." +
               (" Argmax always gives the same text: it is a deterministic function of the prefix." if greedy else ""))


def _resample() -> None:
    name = key("sample.seed")
    st.session_state[name] = int(st.session_state.get(name, 0)) + 100
