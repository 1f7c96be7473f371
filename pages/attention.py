"""Attention: scaled dot-product attention step by step on your own text, a tiny transformer whose heads
form live, and what attention patterns cost."""

import streamlit as st

from engine.attention.trainer import TransformerConfig
from ui import attention_patterns as patterns
from ui import attention_steps_view as steps
from ui import attention_train as train
from ui import state

PAGE = "attention"

# -- purpose -------------------------------------------------------------------------------------------
st.title("Attention")
st.markdown(
    "Attention lets every token read from every other. Each token asks a question (its query q), offers a label (its key k) "
    "and a message (its value v); the weights are the softmax of how well the query matches each key, and the answer is the "
    "weighted average of the values:")
st.latex(r"\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}} + M\right) V,"
         r"\qquad Q = XW_Q,\; K = XW_K,\; V = XW_V")
st.caption("M is 0 where a query may look and −∞ where it may not (above the diagonal for a causal mask), so every row of "
           "weights sums to 1 over the keys it may see.")

# -- inputs: the link's transformer on first load (app.py keeps every widget's value while its section is closed) --
state.load_link_once(PAGE, TransformerConfig, train.load)

step_by_step, training, cost = st.tabs(["Step by step", "Train a transformer", "Patterns and cost"],
                                       key=state.action_key(PAGE, "section"), on_change="rerun")

# -- compute and show: only the open section is drawn ------------------------------------------------------
if step_by_step.open:
    with step_by_step:
        steps.steps_section()
if training.open:
    with training:
        train.train_section()
if cost.open:
    with cost:
        patterns.patterns_section()
