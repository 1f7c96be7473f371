"""Labs: the claims of deep-learning courses as experiments, each with a verdict computed from its figures."""

import streamlit as st

from engine.labs.registry import LABS
from ui import labs_detail, labs_gallery, labs_run, state

PAGE = "labs"

# -- purpose -------------------------------------------------------------------------------------------
st.title("Labs")
st.markdown(
    "Courses make claims: *zero initialisation never breaks symmetry*, *batch norm allows a larger learning rate*, "
    "*focal loss helps the minority class*. Each lab here states one, runs the experiment on the engine with fixed "
    "seeds, and shows the evidence next to a verdict — **supported**, **not supported** or **mixed** — computed from "
    "the measured figures by the rule on its card, never written in advance. Change the settings and the verdict "
    "may change: that is part of the lesson."
)
if not LABS:
    st.info("No labs are registered yet.", icon=":material/science:")
    st.stop()

# -- inputs, compute and show: the gallery, or one lab on its own -----------------------------------------------
labs_detail.open_from_link()
labs_run.advance_queue()
chosen = labs_gallery.chosen()
if chosen in LABS:
    labs_detail.lab_view(LABS[chosen])
else:
    state.drop_from_url("lab", "values")
    st.caption(labs_gallery.summary(list(LABS.values())))
    labs_gallery.gallery()
