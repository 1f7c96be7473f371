"""The last few style-transfer results side by side, each with the settings that made it, kept for this browser tab
(state.remember: they survive reruns and page switches, not a new tab). A finished run is kept automatically; the
live section's "Keep for comparison" keeps the image of the moment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np
import streamlit as st
from PIL import Image

from engine.style.backbone import SPECS
from engine.style.images import thumbnail
from engine.style.transfer import StyleConfig
from engine.vision.samples import SAMPLES
from ui import state
from ui.images import data_uri

PAGE = "style"
KEPT = 4  # results shown side by side
SIDE = 320  # px, longer side of a kept image


def _name(config: StyleConfig, role: str) -> str:
    name = getattr(config, role)
    return "your upload" if name == "upload" else SAMPLES[name].title


def settings(config: StyleConfig) -> str:
    """The settings that made a result, in one short paragraph."""
    layers = SPECS[config.backbone].style_layers
    weights = ", ".join(f"{layer} {w:g}" for layer, w in zip(layers, config.style_weights, strict=True))
    optimizer = "L-BFGS" if config.optimizer == "lbfgs" else f"Adam (learning rate {config.learning_rate:g})"
    return (f"{_name(config, 'content')} in the style of {_name(config, 'style')} · {config.size} px · α {config.alpha:g}, "
            f"β {config.beta:g}, TV {config.tv_weight:g} · w: {weights} · content layer {config.content_layer} · "
            f"from {config.init} · {optimizer} · {SPECS[config.backbone].title}"
            + (" · colour preserved" if config.preserve_colour else ""))


def keep(config: StyleConfig, payload: Mapping) -> None:
    """Add a result, newest first, once: by the image itself, so that settings edited after a run finished (the job then
    holds the new ones) do not add the same picture again under them."""
    image = np.ascontiguousarray(payload["image"])
    fingerprint = hashlib.sha1(image.tobytes() + str(image.shape).encode()).hexdigest()
    results = list(state.recall(PAGE, "results", []))
    if any(r["key"] == fingerprint for r in results):
        return
    metrics = payload.get("metrics") or {}
    results.insert(0, {"key": fingerprint, "image": thumbnail(image, SIDE), "settings": settings(config),
                       "iteration": int(payload["iteration"]), "loss": metrics.get("loss"),
                       "content_loss": metrics.get("content_loss"), "style_loss": metrics.get("style_loss")})
    state.remember(PAGE, "results", results[:KEPT])


def _clear() -> None:
    state.remember(PAGE, "results", [])


def comparison_section() -> None:
    st.subheader("Compare results")
    results = state.recall(PAGE, "results", [])
    if not results:
        st.caption(f"Finished runs appear here side by side with their settings (the last {KEPT}); **Keep for comparison** "
                   "adds the image of the moment. Try the presets one after another.")
        return
    for column, result in zip(st.columns(KEPT), results, strict=False):
        column.image(data_uri(Image.fromarray(result["image"]), photo=True, drawn_at=1), width="stretch",
                     caption=f"after {result['iteration']:,} iterations")
        if result["loss"] is not None:
            column.markdown(f"J(G) **{result['loss']:.4g}** · content {result['content_loss']:.3g} · "
                            f"style {result['style_loss']:.3g}")
        column.caption(result["settings"])
    st.button("Clear the comparison", icon=":material/delete:", key=state.action_key(PAGE, "clear"), on_click=_clear)
