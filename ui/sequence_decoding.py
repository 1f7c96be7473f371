"""The Sequence page's "Decoding" section: greedy search against beam search (width k, length-normalisation
exponent α) on the character model of the first tab, with the beam's tree of extensions and their
cumulative log-probabilities, and which search found the more probable string, read from the numbers."""

from __future__ import annotations

import streamlit as st

from engine.sequence.beam import beam_search, greedy
from engine.sequence.charlm import CharLMConfig
from engine.sequence.corpus import CorpusError
from ui import sequence_charts as charts
from ui import sequence_model, state

PAGE = "sequence"
MAX_PRUNED_K = 4  # for wider beams (up to k² candidates a step) only the kept extensions are drawn


def key(name: str) -> str:
    return state.widget_key(PAGE, f"decoding.{name}")


def decoding_section(config: CharLMConfig | None) -> None:
    st.markdown("**Greedy search** takes the single most likely next character at every step. **Beam search** keeps the k "
                "most probable partial strings, extends each by its k most likely characters, and keeps the best k again; "
                "a string ends at the end symbol (a newline). The winner maximises the length-normalised score:")
    st.latex(r"\mathrm{score}(y) = \frac{\log P(y)}{|y|^{\alpha}}, \qquad \log P(y) = \sum_{t=1}^{|y|} \log P(y_t \mid y_{<t})")
    st.caption("Every character costs log-probability, so α = 0 favours short strings; α = 1 ranks by the average per character; "
               "0.7 is the usual compromise. With k = 1 beam search is greedy search.")
    found = sequence_model.current(config)
    if found is None:
        st.warning("The settings in the first tab cannot be used yet: fix them there first.")
        return
    (st.caption if found.trained else st.warning)(found.describe())
    s = st.session_state
    for name, value in (("prefix", ""), ("k", 3), ("alpha", 0.7), ("max_len", 20)):
        s.setdefault(key(name), value)
    a, b, c, d = st.columns([1.5, 1, 1, 1])
    prefix = a.text_input("Prefix", key=key("prefix"), max_chars=40, help="Decoding continues after this text.")
    k = int(b.slider("Beam width k", 1, 8, key=key("k")))
    alpha = float(c.slider("Length normalisation α", 0.0, 1.5, step=0.1, key=key("alpha")))
    max_len = int(d.slider("Max length", 5, 40, key=key("max_len")))
    try:
        g = greedy(found.model, found.vocab, prefix, max_len)
        beam = beam_search(found.model, found.vocab, prefix, k, max_len, alpha)
    except CorpusError as exc:
        st.warning(f"{str(exc)[:1].upper()}{str(exc)[1:]}")
        return
    g_score = g["logp"] / g["length"] ** alpha
    best = beam["hypotheses"][0]
    left, right = st.columns(2)
    left.markdown(f"**Greedy:** `{_text(prefix, g['text'])}`  \nlog P = {g['logp']:.2f} · score {g_score:.3f}")
    right.markdown(f"**Beam search, k = {k}:** `{_text(prefix, best['text'])}`  \nlog P = {best['logp']:.2f} · "
                   f"score {best['score']:.3f}")
    st.markdown(_comparison(g, g_score, best, k))
    rows: dict[str, list] = {"rank": [], "text": [], "ends with ⏎": [], "length |y|": [], "log P(y)": [], "score": []}
    for rank, h in enumerate(beam["hypotheses"], start=1):
        rows["rank"].append(rank)
        rows["text"].append(_text(prefix, h["text"]))
        rows["ends with ⏎"].append("yes" if h["finished"] else "no (cut at max length)")
        rows["length |y|"].append(h["length"])
        rows["log P(y)"].append(round(h["logp"], 3))
        rows["score"].append(round(h["score"], 4))
    st.dataframe(rows, hide_index=True, width="stretch", key=state.action_key(PAGE, "decoding.table"))
    tree = beam["tree"]
    show_pruned = k <= MAX_PRUNED_K
    st.plotly_chart(charts.beam_tree(tree, show_pruned), key=state.action_key(PAGE, "decoding.tree"), width="stretch")
    st.caption("Every extension considered, with its cumulative log P under each kept one; a square is a finished string (⏎). "
               + ("" if show_pruned else f"{len(tree):,} extensions were considered; only the kept ones are drawn."))


def _text(prefix: str, text: str) -> str:
    return (prefix + text) or "(empty)"


def _comparison(g: dict, g_score: float, best: dict, k: int) -> str:
    """Which search found the more probable, and the better-scored, string (from the numbers)."""
    if best["text"] == g["text"] and best["finished"] == g["finished"]:
        return f"Here beam search with k = {k} returns the greedy string."
    more = "a more probable" if best["logp"] > g["logp"] else "a less probable"
    score = "higher" if best["score"] > g_score else "lower"
    return (f"Beam search found {more} string than greedy (log P {best['logp']:.2f} vs {g['logp']:.2f}), with a {score} "
            f"length-normalised score ({best['score']:.3f} vs {g_score:.3f}).")
