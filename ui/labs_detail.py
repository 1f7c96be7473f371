"""One lab on its own: the claim, the setup and the rule, the settings panel, Run (with progress and
Cancel) and the outcome of its last run: verdict, evidence, figures, downloads and the link to its page.

The lab and its settings are the page's link (`?lab=zero_init&values={"epochs": 50}`, a LabConfig), so a lab
set up for a class is one URL; the gallery has no link of its own."""

from __future__ import annotations

import json

import streamlit as st

from engine.config import ConfigError
from engine.labs.base import Lab, LabConfig
from engine.labs.registry import LABS, TOPICS
from ui import labs_knobs, labs_result, labs_run, state
from ui.labs_gallery import choose
from ui.labs_result import plain

PAGE = "labs"


def open_from_link() -> None:
    """On the page's first visit in this tab with a lab in its link: open that lab with the link's settings
    (a link the lab refuses: its message, and the gallery)."""
    if not state.first_visit(PAGE) or not state.in_link("lab"):  # first_visit first: it marks the visit either way
        return
    try:
        config, problem = state.config_from_url(LabConfig)
    except ConfigError as exc:  # the defaults name a lab that is not registered
        config, problem = None, f"The link's settings were not valid ({exc})."
    if problem:
        st.warning(problem.replace("showing the defaults instead", "showing all labs instead"), icon=":material/link_off:")
        return
    lab = LABS[config.lab]
    labs_knobs.load(lab, json.loads(config.values))
    choose(lab.key)


def lab_view(lab: Lab) -> None:
    st.button("All labs", icon=":material/arrow_back:", type="tertiary", key=state.action_key(PAGE, "back"), on_click=choose,
              args=(None,))
    st.caption(TOPICS.get(lab.topic, lab.topic))
    st.header(lab.title, anchor=False)
    st.markdown(f"**Claim.** {plain(lab.claim)}")
    st.markdown(f"**Setup.** {plain(lab.setup)}")
    st.markdown(f"**Verdict rule.** {plain(lab.rule)}")

    with st.container(border=True):
        st.markdown("**Settings**")
        values = labs_knobs.panel(lab)
        config, problem = labs_run.lab_config(lab, values)
        if config is not None:
            state.config_to_url(config)
            labs_result.link(lab, config.params)
    if problem:
        st.error(f"These settings cannot be used: {plain(problem)}", icon=":material/tune:")
    labs_run.run_panel(lab, config, hint="Press **Run** to test the claim with these settings; the verdict follows from the figures.")
    outcome = labs_run.outcome(lab)
    if outcome is not None:
        current = config.params if config is not None else None
        labs_result.show(lab, outcome, current)
