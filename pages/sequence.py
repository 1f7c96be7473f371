"""Sequence models: a character-level RNN, GRU or LSTM trained live, what happens inside its cell, gradients
through time, how far back each kind of model remembers, and greedy vs beam-search decoding."""

import streamlit as st

from engine.sequence.charlm import CharLMConfig
from ui import sequence_decoding as decoding
from ui import sequence_gradients as gradients
from ui import sequence_inside as inside
from ui import sequence_memory as memory
from ui import sequence_train as train
from ui import state

PAGE = "sequence"

# -- purpose -------------------------------------------------------------------------------------------
st.title("Sequence models")
st.markdown(
    "A recurrent network reads a sequence one step at a time and carries a hidden state h_t from each step to the next: "
    "the same weights at every step, and a memory of everything read so far. At each step it predicts the next symbol:")
st.latex(r"h_t = \tanh(W_h h_{t-1} + W_x x_t + b), \qquad y_t = \mathrm{softmax}(W_y h_t + c)")
st.caption("Training unrolls the loop over time and back-propagates through it (BPTT); truncated BPTT stops the gradient after a "
           "fixed number of steps. GRU and LSTM cells add gates that decide what to keep, so information — and the gradient — "
           "can travel further back.")

# -- inputs: the link's model on first load (app.py keeps every widget's value while its section is closed) --
state.load_link_once(PAGE, CharLMConfig, train.load)

training, cell, through_time, memory_range, decode = st.tabs(
    ["Train a character model", "Inside the cell", "Gradients through time", "Memory range", "Decoding"],
    key=state.action_key(PAGE, "section"), on_change="rerun")

# -- compute and show: only the open section is drawn ------------------------------------------------------
if training.open:
    with training:
        train.train_section()
if cell.open:
    with cell:
        inside.inside_section(train.current()[0])
if through_time.open:
    with through_time:
        gradients.gradients_section(train.current()[0])
if memory_range.open:
    with memory_range:
        memory.memory_section()
if decode.open:
    with decode:
        decoding.decoding_section(train.current()[0])
