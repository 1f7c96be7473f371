"""Playground: build a network, train it live on 2-D data, and look inside."""

import streamlit as st

from engine.playground.config import PlaygroundConfig
from engine.playground.trainer import PlaygroundTrainer
from ui import playground_controls as controls
from ui import playground_export, state
from ui import playground_views as views
from ui.live import LiveJob, live_panel

PAGE = "playground"

# -- purpose -------------------------------------------------------------------------------------------
st.title("Playground")
st.markdown(
    "Build a small neural network, train it live on 2-D data, and watch what every unit computes. "
    "Each unit computes $a = g(Wx + b)$; training follows $-\\nabla J$ one mini-batch at a time. "
    "Learning rate, batch size, regularisation and schedule change the running job (marked on the curves); "
    "other changes rebuild the network."
)

# -- inputs: the link's settings on first load, then the panels ---------------------------------------------
state.load_link_once(PAGE, PlaygroundConfig, controls.load)
views.presets_bar()
panel, live = st.columns([1.15, 2.4], gap="large")
with panel:
    data_tab, features_tab, network_tab, training_tab = st.tabs(["Data", "Features", "Network", "Training"])
    with data_tab:
        values = controls.data_panel()
        views.draw_points(values)
        views.csv_upload()
    with features_tab:
        values |= controls.features_panel()
    with network_tab:
        values |= controls.network_panel()
    with training_tab:
        values |= controls.training_panel(*controls.peek(values))
config, error = controls.read(values)

# -- compute and show: the job runs in the runtime; the live panel follows it ---------------------------------
with live:
    if error:
        st.error(f"These settings cannot be used: {error}")
        st.stop()
    left_out = state.config_to_url(config)
    views.view_options()
    live_panel(LiveJob(PAGE, PlaygroundTrainer, unit="epoch"), config, views.render, views.details)
with panel:
    playground_export.panel(config, left_out)
