"""One lab on its own: the claim, the setup and the rule, the settings panel, Run (with progress and
Cancel) and the outcome of its last run: verdict, evidence, figures, downloads and the link to its page."""

from __future__ import annotations

import streamlit as st

from engine.labs.base import Lab
from engine.labs.registry import TOPICS
from ui import labs_knobs, labs_result, labs_run, state
from ui.labs_gallery import choose

PAGE = "labs"


def lab_view(lab: Lab) -> None:
    st.button("All labs", icon=":material/arrow_back:", type="tertiary", key=state.action_key(PAGE, "back"), on_click=choose,
              args=(None,))
    st.caption(TOPICS.get(lab.topic, lab.topic))
    st.header(lab.title, anchor=False)
    st.markdown(f"**Claim.** {lab.claim}")
    st.markdown(f"**Setup.** {lab.setup}")
    st.markdown(f"**Verdict rule.** {lab.rule}")

    with st.container(border=True):
        st.markdown("**Settings**")
        values = labs_knobs.panel(lab)
        config, problem = labs_run.lab_config(lab, values)
        if config is not None:
            labs_result.link(lab, config.params)
    if problem:
        st.error(f"These settings cannot be used: {problem}", icon=":material/tune:")
    labs_run.run_panel(lab, config, hint="Press **Run** to test the claim with these settings; the verdict follows from the figures.")
    outcome = labs_run.outcome(lab)
    if outcome is not None:
        current = config.params if config is not None else None
        labs_result.show(lab, outcome, current)
