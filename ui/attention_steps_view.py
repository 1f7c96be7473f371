"""The Attention page's first section: scaled dot-product attention step by step on the learner's own
text — tokens, X, Q, K, V, the scores with the dot product behind each, scaling, the mask, the softmax
weights, the output, every head side by side with the concatenation and W_O, and why √d_k."""

from __future__ import annotations

import numpy as np
import streamlit as st

from engine.attention import steps as engine
from engine.config import ConfigError
from ui import attention_charts as charts
from ui import state

PAGE = "attention"
MAX_TOKENS = 24  # more would make the matrices unreadable
EXAMPLES = (
    "The animal didn't cross the street because it was too tired.",
    "I am a robot",
    "The cat 🐱 sat on the mat and purred ❤️",
    "Внимание — это всё, что вам нужно",
    "Η προσοχή είναι ό,τι χρειάζεσαι",
    "注意力就是你所需要的一切",
)
DEFAULTS = {"steps.example": EXAMPLES[0], "steps.text": EXAMPLES[0], "steps.level": "word", "steps.d_model": 8,
            "steps.heads": 2, "steps.scale": True, "steps.causal": False, "steps.temperature": 1.0, "steps.positional": True,
            "steps.seed": 0, "steps.head": 0, "steps.query": 0, "steps.embeddings": "random"}
EMBEDDINGS = {"random": "seeded random", "trained": "the trained transformer's"}


def key(name: str) -> str:
    return state.widget_key(PAGE, f"steps.{name}")


def action(name: str) -> str:
    return state.action_key(PAGE, f"steps.{name}")


def sentence(message: str) -> str:
    """An engine message (which starts in lower case) as a sentence."""
    return message[:1].upper() + message[1:]


def _example_chosen() -> None:
    st.session_state[key("text")] = st.session_state[key("example")]


def controls() -> tuple[str, str, engine.StepConfig | None, str | None]:
    """The text, the token level, the config (None when invalid) and what is wrong with it."""
    for name, default in DEFAULTS.items():
        st.session_state.setdefault(state.widget_key(PAGE, name), default)
    a, b = st.columns([1, 2])
    a.selectbox("Examples", EXAMPLES, key=key("example"), on_change=_example_chosen,
                help="Emoji, Cyrillic, Greek and Chinese work too; use characters for Chinese (it has no spaces).")
    text = b.text_input("Your text", key=key("text"), max_chars=2000)
    c, d, e, f, g = st.columns([1.2, 1, 1, 1.4, 1])
    level = c.segmented_control("Tokens", engine.LEVELS, key=key("level"), required=True,
                                format_func=lambda v: {"word": "words", "char": "characters"}[v]) or "word"
    d_model = d.number_input("d_model", 2, 256, step=1, key=key("d_model"), help="The width of each token's vector.")
    heads = e.number_input("Heads h", 1, 8, step=1, key=key("heads"), help="Each head has width d_k = d_model / h.")
    temperature = f.slider("Softmax temperature T", 0.1, 5.0, step=0.1, key=key("temperature"),
                           help="Scores are divided by T: T < 1 sharpens the weights, T > 1 flattens them.")
    seed = g.number_input("Seed", 0, 10**6, step=1, key=key("seed"), help="Draws the embeddings and the weight matrices.")
    t0, t1, t2, t3 = st.columns([1.3, 1, 1, 1])
    t0.segmented_control("Embeddings", list(EMBEDDINGS), key=key("embeddings"), required=True, format_func=EMBEDDINGS.get,
                         help="Seeded random vectors, or the token vectors of the transformer trained in the next tab "
                              "(its vocabulary only: digits, letters, brackets).")
    scale = t1.toggle("Divide by √d_k", key=key("scale"))
    causal = t2.toggle("Causal mask (no peeking ahead)", key=key("causal"))
    positional = t3.toggle("Add positions (sinusoidal)", key=key("positional"),
                           help="The sinusoidal table of the Positional encodings page, added to the embeddings.")
    if positional:
        t3.page_link("pages/positional.py", label="How positions are encoded", icon=":material/format_list_numbered:")
    try:
        config = engine.StepConfig(d_model=int(d_model), heads=int(heads), scale=scale, causal=causal,
                                   temperature=float(temperature), positional=positional, seed=int(seed))
    except ConfigError as exc:
        return text, level, None, sentence(str(exc))
    return text, level, config, None


def steps_section() -> None:
    st.markdown("Type a sentence and follow it through one self-attention layer. Hover a cell to see how it was computed.")
    text, level, config, problem = controls()
    if problem:
        st.error(f"These settings cannot be used: {problem}")
        return
    trained = st.session_state.get(key("embeddings")) == "trained"
    try:
        tokens, truncated = engine.tokenize(text, "char" if trained else level, MAX_TOKENS)
    except ValueError as exc:
        st.warning(sentence(str(exc)))
        return
    if truncated:
        st.warning(f"The text has more than {MAX_TOKENS} tokens: only the first {MAX_TOKENS} are shown.")
    embeddings = None
    if trained:
        tokens = [t for t in tokens if t != " "]
        config, embeddings = _trained_embeddings(tokens, config)
        if embeddings is None:
            return
    s = engine.attention_steps(tokens, config, embeddings=embeddings)
    _tokens_and_x(s)
    head, query = _pickers(s)
    _one_head(s, head, query)
    _multi_head(s)
    _saturation()


def _trained_embeddings(tokens: list[str], config: engine.StepConfig) -> tuple[engine.StepConfig, np.ndarray | None]:
    """The trained transformer's vectors for these tokens (and the config at its width), or a message and None."""
    from ui import attention_train  # the training section owns the job

    payload, step = attention_train.latest_payload()
    if not payload or "weights" not in payload:
        st.info("Train a transformer first (the **Train a transformer** tab): its token vectors then appear here.")
        return config, None
    vocabulary = list(payload["vocabulary"])
    unknown = sorted({t for t in tokens if t not in vocabulary})
    if not tokens or unknown:
        st.warning(f"The trained model ({payload['task']}) knows only these tokens: {' '.join(vocabulary)}"
                   + (f" — not {' '.join(unknown)}." if unknown else ".") + " Try for example “3 1 4 1 5”.")
        return config, None
    table = np.asarray(payload["weights"]["embed.weight"], dtype=float)
    width = table.shape[1]
    heads = config.heads if width % config.heads == 0 else 1
    if (width, heads) != (config.d_model, config.heads):
        st.caption(f"d_model is the trained model's, {width}" + ("" if heads == config.heads else f", with {heads} head") + ".")
    st.caption(f"Token vectors from the transformer at step {step:,}; W_Q, W_K, W_V here are still the seeded ones — the "
               "training tab shows the trained heads' own attention.")
    return config.replace(d_model=width, heads=heads), table[[vocabulary.index(t) for t in tokens]]


def _row_clicked() -> None:
    """A click on the weights map chooses that row's query token."""
    points = (st.session_state.get(action("weights")) or {}).get("selection", {}).get("points", [])
    if points:
        st.session_state[key("query")] = int(points[0]["y"])


def _tokens_and_x(s: engine.Steps) -> None:
    st.subheader("1 · Tokens and their vectors X")
    st.markdown(" ".join(f"`{charts.shown(t)}`" for t in s.tokens) + f" — **n = {s.n}** tokens")
    source = "the trained transformer's vector for the token" if st.session_state.get(key("embeddings")) == "trained" else \
        "a seeded random embedding per token"
    what = source + (" plus its position's sinusoidal code" if s.config.positional else "")
    st.plotly_chart(charts.token_heatmap(s.X, s.tokens, None, f"X: n × d_model = {s.n} × {s.config.d_model}", "dimension",
                                         "token"), key=action("x"), width="stretch")
    st.caption(f"Each row is {what}. The same token always gets the same embedding"
               + (", so without positions two equal tokens have equal rows." if not s.config.positional else "."))


def _pickers(s: engine.Steps) -> tuple[int, int]:
    ss = st.session_state
    ss[key("head")] = min(int(ss.get(key("head"), 0)), s.config.heads - 1)
    ss[key("query")] = min(int(ss.get(key("query"), 0)), s.n - 1)
    a, b = st.columns([1, 3])
    head = a.selectbox("Head", range(s.config.heads), key=key("head"), format_func=lambda h: f"head {h + 1}")
    query = b.selectbox("Query token (its row is highlighted)", range(s.n), key=key("query"),
                        format_func=lambda i: f"{i}: {charts.shown(s.tokens[i])}")
    return int(head), int(query)


def _one_head(s: engine.Steps, head: int, query: int) -> None:
    c, d_k, n, tok = s.config, s.config.d_k, s.n, s.tokens
    st.subheader(f"2 · Queries, keys and values (head {head + 1})")
    st.latex(rf"Q = XW_Q,\quad K = XW_K,\quad V = XW_V \qquad W_Q, W_K, W_V: d_{{model}} \times d_k = {c.d_model} \times {d_k}")
    cols = st.columns(3)
    for col, name, m in zip(cols, "QKV", (s.Q, s.K, s.V), strict=True):
        col.plotly_chart(charts.token_heatmap(m[head], tok, None, f"{name}: {n} × {d_k}", "dimension", "token"),
                         key=action(f"qkv.{name}"), width="stretch")
    with st.expander(f"The weight matrices W_Q, W_K, W_V of head {head + 1} ({c.d_model} × {d_k})", key=action("weights_open")):
        cols = st.columns(3)
        dims = [str(i) for i in range(c.d_model)]
        for col, name, m in zip(cols, "QKV", (s.W_Q, s.W_K, s.W_V), strict=True):
            col.plotly_chart(charts.token_heatmap(m[head], dims, None, f"W_{name}: {c.d_model} × {d_k}", "column", "row of X"),
                             key=action(f"w.{name}"), width="stretch")
        st.caption("Seeded random, N(0, 1/d_model), no biases: the same matrices whatever the text. Training would shape them; "
                   "the **Train a transformer** tab shows what trained heads attend to.")
    st.subheader("3 · Scores, scaled and masked")
    left, right = st.columns(2)
    left.plotly_chart(charts.token_heatmap(s.scores[head], tok, tok, "QKᵀ: every query against every key", "key", "query",
                                           hover=charts.score_hover(s, head), highlight_row=query),
                      key=action("scores"), width="stretch")
    divide = [f"÷ √d_k = √{d_k} = {np.sqrt(d_k):.3g}"] if c.scale else ["no ÷ √d_k"]
    if c.temperature != 1:
        divide.append(f"÷ T = {c.temperature:g}")
    right.plotly_chart(charts.token_heatmap(s.tempered[head], tok, tok, "scaled: " + ", ".join(divide), "key", "query",
                                            highlight_row=query), key=action("scaled"), width="stretch")
    st.caption(f"Hover a QKᵀ cell for the dot product q_i·k_j that made it ({d_k} terms). Unscaled scores have a spread "
               f"of about √d_k; dividing by √d_k keeps it near 1 whatever the width.")
    left, right = st.columns(2)
    left.plotly_chart(charts.token_heatmap(s.masked[head], tok, tok, "+ M: −∞ where blocked (grey)" if c.causal or s.mask.any()
                                           else "+ M: nothing masked (M = 0)", "key", "query", highlight_row=query),
                      key=action("masked"), width="stretch")
    w = s.weights[head]
    right.plotly_chart(charts.token_heatmap(w, tok, tok, "softmax of each row: the attention weights (click a row)", "key", "query",
                                            weights=True, highlight_row=query, clickable=True), key=action("weights"),
                       on_select=_row_clicked, selection_mode="points", width="stretch", config={"displayModeBar": False})
    sums = s.weights.sum(axis=-1)
    st.markdown(f"Every row of weights sums to 1: measured over all {c.heads * n} rows of all heads, the largest "
                f"|row sum − 1| is **{float(np.abs(sums - 1).max()):.1e}**."
                + (" The causal mask gives query i only keys j ≤ i: the upper triangle is 0." if c.causal else ""))
    left, right = st.columns([1, 1])
    left.plotly_chart(charts.weights_bar(w[query], tok, query), key=action("bar"), width="stretch")
    top = int(np.argmax(w[query]))
    left.caption(f"“{charts.shown(tok[query])}” puts its largest weight, {w[query, top]:.3f}, on “{charts.shown(tok[top])}” "
                 f"(key {top}); uniform weights would be 1/{int((~s.mask[query]).sum())} = {1 / (~s.mask[query]).sum():.3f}.")
    right.plotly_chart(charts.token_heatmap(s.head_outputs[head], tok, None, f"output = weights · V: {n} × {d_k}",
                                            "dimension", "token", highlight_row=query), key=action("output"), width="stretch")
    right.caption(f"Row {query} is a weighted average of the rows of V, with the weights of the bar chart.")


def _multi_head(s: engine.Steps) -> None:
    c, n = s.config, s.n
    st.subheader(f"4 · {c.heads} head{'s' if c.heads > 1 else ''}, concatenated and projected by W_O")
    st.latex(r"\mathrm{MultiHead}(X) = [\,\mathrm{head}_1 \,|\, \dots \,|\, \mathrm{head}_h\,]\; W_O")
    st.plotly_chart(charts.head_weights(s.weights, s.tokens, height=300 if c.heads <= 4 else 240), key=action("heads"),
                    width="stretch")
    st.markdown(f"Each head has its own W_Q, W_K, W_V and outputs **n × d_k = {n} × {c.d_k}** (d_k = d_model / h = "
                f"{c.d_model} / {c.heads}), not n × d_model. Side by side the {c.heads} heads make **n × d_model = {n} × "
                f"{c.d_model}**; W_O (**{c.d_model} × {c.d_model}**) mixes them into the output, again **{n} × {c.d_model}**.")
    left, right = st.columns(2)
    dividers = [h * c.d_k - 0.5 for h in range(1, c.heads)]
    left.plotly_chart(charts.token_heatmap(s.concat, s.tokens, None, f"concat: {n} × {c.d_model}", "dimension", "token",
                                           dividers=dividers), key=action("concat"), width="stretch")
    right.plotly_chart(charts.token_heatmap(s.output, s.tokens, None, f"output = concat · W_O: {n} × {c.d_model}",
                                            "dimension", "token"), key=action("final"), width="stretch")
    plain = c.replace(positional=False)
    once = engine.attention_steps(s.tokens, plain, embeddings=s.X).output
    twice = engine.attention_steps(s.tokens, plain, embeddings=2 * s.X).output
    st.caption(f"Self-attention is not linear: doubling X changes the weights too, so attn(2X) ≠ 2·attn(X) — measured on this "
               f"text, the largest |attn(2X) − 2·attn(X)| is {float(np.abs(twice - 2 * once).max()):.3f}.")


@st.cache_data(show_spinner=False)
def _saturation_data() -> dict:
    return engine.saturation()


def _saturation() -> None:
    st.subheader("5 · Why divide by √d_k: softmax saturation")
    t = float(st.session_state[key("temperature")])
    p = engine.softmax([2.0, 1.0, 0.1], temperature=t)
    st.markdown(f"The softmax turns scores into weights: softmax([2, 1, 0.1]) at T = {t:g} is "
                f"**[{p[0]:.3f}, {p[1]:.3f}, {p[2]:.3f}]**"
                + (": exp(2) + exp(1) + exp(0.1) = 11.21, and 7.389 / 11.21 = 0.659." if t == 1 else ".")
                + " Large score differences push it towards a single 1 and zeros, where its gradient vanishes.")
    s = _saturation_data()
    st.plotly_chart(charts.saturation_figure(s), key=action("saturation"), width="stretch")
    last = -1
    st.caption(f"For random q, k ~ N(0, I_d) against {s['n_keys']} keys: the score q·k has standard deviation √d "
               f"(measured {s['std_unscaled'][last]:.1f} at d = {s['d'][last]}, √d = {s['expected_std'][last]:.1f}). Without "
               f"scaling the largest weight climbs to {s['max_weight_unscaled'][last]:.2f} and the entropy falls to "
               f"{s['entropy_unscaled'][last]:.2f} nats; with ÷√d they stay within {min(s['max_weight_scaled']):.2f}–"
               f"{max(s['max_weight_scaled']):.2f} and {min(s['entropy_scaled']):.2f}–{max(s['entropy_scaled']):.2f} nats "
               f"over every d from {s['d'][0]} to {s['d'][last]}.")
