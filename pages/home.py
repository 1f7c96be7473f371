"""Home: what each page teaches, and a warm-up that trains a small network live."""

import streamlit as st

from engine.activations import ACTIVATIONS
from engine.config import ConfigError
from engine.curve_fit import TARGETS, CurveFitConfig, CurveFitTrainer
from ui import charts, state
from ui.catalogue import PAGES
from ui.live import LiveJob, live_panel

PAGE = "home"
LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)

# -- purpose -----------------------------------------------------------------------------------
st.title("Neural network playground")
st.markdown(
    "Build networks, train them live and look inside: loss curves, decision boundaries, gradients, "
    "attention maps, feature maps and more. Every formula shown is checked by a test, and every "
    "claim can be reproduced with one click."
)
columns = st.columns(4)
for i, page in enumerate(PAGES):
    with columns[i % 4].container(border=True, height="stretch"):
        st.page_link(page.file, label=page.title, icon=page.icon)
        st.caption(page.teaches)

st.header("Warm-up: watch a network fit a curve", divider="gray")
st.markdown(
    "A small MLP learns $y = f(x)$ from noisy samples by mini-batch gradient descent (Adam, "
    "mean squared error $\\tfrac{1}{m}\\sum (\\hat y - y)^2$). Press **Run**, then move the learning "
    "rate while it trains: each change is marked on the loss curve at the epoch it took effect."
)

# -- inputs --------------------------------------------------------------------------------------
for name, default in (("activation", "tanh"), ("learning_rate", 0.01), ("batch_size", 32), ("log_y", True)):
    st.session_state.setdefault(state.widget_key(PAGE, name), default)  # set, not passed: see state.keep_widgets
left, middle, right, far = st.columns(4)
target = left.selectbox("Target curve", list(TARGETS), key=state.widget_key(PAGE, "target"))
activation = middle.selectbox("Activation", list(ACTIVATIONS), key=state.widget_key(PAGE, "activation"))
learning_rate = right.select_slider("Learning rate", LEARNING_RATES, key=state.widget_key(PAGE, "learning_rate"))
batch_size = far.select_slider("Batch size", (1, 4, 8, 16, 32, 64, 128), key=state.widget_key(PAGE, "batch_size"))
try:
    config = CurveFitConfig(target=target, activation=activation, learning_rate=learning_rate, batch_size=batch_size)
except ConfigError as exc:
    st.error(str(exc))
    st.stop()

# -- compute and show: the job runs in the runtime; the panel follows it ----------------------------
def render(snapshot) -> None:
    fit, loss = st.columns(2)
    fit.vega_lite_chart(*charts.curve_fit(snapshot.payload), key="home-fit")
    log_y = loss.toggle("Log-scale loss", key=state.widget_key(PAGE, "log_y"))
    loss.vega_lite_chart(*charts.metric_curves(snapshot, ("loss",), unit="epoch", log_y=log_y), key="home-loss")


live_panel(LiveJob(PAGE, CurveFitTrainer, unit="epoch"), config, render)
