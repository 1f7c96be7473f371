"""The Playground's share-and-export panel: the link, the config as JSON (down and up), a
runnable plain-PyTorch script, and the trained weights as a state dict for that script."""

from __future__ import annotations

import io

import streamlit as st
import torch

from engine.playground import export
from engine.playground.config import PlaygroundConfig
from engine.runtime import UnknownRunError, get_runtime
from ui import playground_views as views
from ui import state

PAGE = "playground"


def _weights(config: PlaygroundConfig) -> bytes:
    run_id = state.run_id(PAGE)
    buffer = io.BytesIO()
    try:
        parameters = get_runtime().snapshot(run_id).payload.get("parameters") if run_id else None
    except UnknownRunError:
        parameters = None
    if parameters:
        torch.save(export.state_dict_from_parameters(config, parameters), buffer)
    return buffer.getvalue()


def panel(config: PlaygroundConfig, left_out_of_link: list[str]) -> None:
    with st.expander("Share and export", icon=":material/share:"):
        st.markdown("The address bar holds the whole experiment: copy the link to share it or reopen it later.")
        if "points" in left_out_of_link:
            st.caption("Your uploaded points are too many for a link: share the JSON config instead.")
        st.download_button("Config (JSON)", config.to_json(), "playground-config.json", "application/json",
                           icon=":material/download:", key=f"{PAGE}.do.dl_json", on_click="ignore")
        st.download_button("PyTorch script", lambda: export.pytorch_script(config), "playground_experiment.py", "text/x-python",
                           icon=":material/code:", key=f"{PAGE}.do.dl_script", on_click="ignore",
                           help="A standalone script: the same data, network, loss, optimizer and schedule in plain PyTorch.")
        st.download_button("Trained weights (state dict)", lambda: _weights(config), "playground_weights.pt",
                           "application/octet-stream", icon=":material/download:", key=f"{PAGE}.do.dl_weights",
                           on_click="ignore", disabled=state.run_id(PAGE) is None,
                           help="Load into the script's model: python playground_experiment.py --weights playground_weights.pt --epochs 0")
        views.config_upload()
