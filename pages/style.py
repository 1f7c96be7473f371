"""Style transfer (Gatys et al.): paint a content image in the style of another by optimising the pixels of a new
image against a pretrained CNN's features, live, with every term of the objective on show."""

import streamlit as st

from engine.style.transfer import StyleConfig
from ui import state
from ui import style_controls as controls
from ui import style_history as history
from ui import style_images as images
from ui import style_live as live
from ui import style_method as method

PAGE = "style"

# -- purpose ------------------------------------------------------------------------------------------------------
st.title("Style transfer")
st.markdown(
    "Take the *layout* of one image and the *textures and colours* of another. A pretrained CNN describes both: its "
    "activations at a mid-level layer say what is where (content), and the correlations between its channels — Gram "
    "matrices, which forget where — describe style. Starting from the content image (or noise), the pixels of a new image "
    "G are changed step by step to lower one objective:")
method.objective()

# -- inputs: the link's settings on first load, the two images, the settings ---------------------------------------
state.load_link_once(PAGE, StyleConfig, live.load_link)
content, style = images.images_section()
controls.settings_panel()

config, problem = None, None
if content is not None and style is not None:  # else the picker has said what is missing
    config, problem = controls.current(content, style)
if config is not None:
    state.remember(PAGE, "config", config)
    # the link carries every setting but never an upload: an uploaded image is neither a sample name nor link-sized
    uploads = tuple(role for role in ("content", "style") if getattr(config, role) == "upload")
    state.config_to_url(config, exclude=("content_png", "style_png", *uploads))
    if preset := controls.matching_preset(config):
        st.caption(f"These settings match the **{preset}** preset.")
else:
    if problem:
        st.error(f"These settings cannot be used: {problem}", icon=":material/error:")
    config = state.recall(PAGE, "config")  # the last good settings: a running job goes on, nothing is lost
    if config is not None:
        st.caption("The run below keeps its last valid settings until these are fixed.")

# -- compute and show: the job runs in the runtime; the live panel follows it ---------------------------------------
st.subheader("Run")
if config is not None:
    live.live_section(config)
history.comparison_section()
method.method_section()
