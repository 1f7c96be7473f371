"""Optimizers: race update rules on loss surfaces, sweep learning rates, and see a real network's landscape."""

import streamlit as st

from engine.optim.race import RaceConfig, RaceTrainer
from ui import optimizers_controls as controls
from ui import optimizers_sections as sections
from ui import optimizers_views as views
from ui import state
from ui.live import LiveJob, live_panel

PAGE = "optimizers"
# the race animates: 50 steps a second by default, its view published 25 times a second
RACE = LiveJob(PAGE, RaceTrainer, unit="step", default_speed="50/s", snapshot_interval_s=0.04)

# -- purpose -------------------------------------------------------------------------------------------
st.title("Optimizers")
st.markdown(
    "Every optimizer turns the gradient $g = \\nabla f(\\theta)$ into a step. Race them on the same surface from the same start, "
    "each with its own hyper-parameters, and watch the paths: where plain gradient descent zig-zags, where momentum overshoots, "
    "where Adam walks at speed η. Then find each one's stable learning rates, and look at a real network's loss landscape."
)

# -- inputs: the link's race on first load (app.py keeps every widget's value while its section is closed) -----
state.load_link_once(PAGE, RaceConfig, controls.load)
config, error = controls.current()

race, sweep, schedules, averages, landscape = st.tabs(
    ["Race", "Learning-rate sweep", "Schedules", "Averages (EWA)", "A network's landscape"],
    key=state.action_key(PAGE, "section"), on_change="rerun")

# -- compute and show: only the open section is drawn ------------------------------------------------------
if race.open:
    with race:
        panel, live = st.columns([1.25, 2.3], gap="medium")
        with panel:
            controls.panel()
        config, error = controls.current()  # as the panel's widgets now say
        with live:
            if error:
                st.error(f"These settings cannot be used: {error}")
            else:
                state.config_to_url(config)
                live_panel(RACE, config, views.render, views.details, poll_s=0.03)
                views.surface_views(config, views.latest_payload(PAGE))
                views.rules(config)
for tab, draw in ((sweep, sections.sweep_section), (schedules, sections.schedules_section)):
    if tab.open:
        with tab:
            if error:
                st.error(f"The race's settings cannot be used: {error} Fix them in the Race tab.")
            else:
                draw(config)
if averages.open:
    with averages:
        sections.ewa_section()
if landscape.open:
    with landscape:
        sections.landscape_section()
