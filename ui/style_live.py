"""The style transfer as a live job (ui/live.py): the generated image redrawn as it changes, a progress bar with the
time per iteration, the terms of J(G) now, the history strip; then, redrawn once a second, the loss curves per term and
per style layer, the Gram matrices of a chosen layer and the content layer's feature maps; and the PNG download.

A runtime step runs a few iterations (more for small images), so the live panel counts steps and the views count
iterations. Live images are data URIs and curves Vega-Lite (see ui/charts.py for why not Plotly).
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import streamlit as st
from PIL import Image

from engine.device import DeviceError
from engine.runtime import JobState, Snapshot, UnknownRunError, get_runtime
from engine.style.backbone import SPECS
from engine.style.transfer import StyleConfig, StyleTrainer
from ui import state
from ui import style_views as views
from ui.images import data_uri
from ui.live import LiveJob, live_panel
from ui.style_controls import accelerated, key, load
from ui.style_history import keep

PAGE = "style"
CPU_JOB = LiveJob(PAGE, StyleTrainer, unit="step", device="cpu", snapshot_interval_s=0.25)
GPU_JOB = LiveJob(PAGE, StyleTrainer, unit="step", device="accelerator", snapshot_interval_s=0.25)


def action(name: str) -> str:
    return state.action_key(PAGE, name)


def live_section(config: StyleConfig) -> None:
    """The run controls and the live views of this tab's transfer, which follows `config`."""
    layers = SPECS[config.backbone].style_layers
    if st.session_state.get(key("view.gram_layer")) not in layers:  # first visit, or another backbone's layer names
        st.session_state[key("view.gram_layer")] = config.content_layer if config.content_layer in layers else layers[-1]
    left, right = st.columns([1, 3], vertical_alignment="bottom")
    gram_layer = left.selectbox("Gram matrices of layer", layers, key=key("view.gram_layer"))
    right.caption("A **step** of the run below is a few iterations (more for small images); **Step** runs one. Changes to "
                  "α, β, w_l, the TV weight and Adam's learning rate apply to the running job and are marked on the curves; "
                  "any other change starts it again.")
    live_panel(GPU_JOB if accelerated() else CPU_JOB, config, _render(config), _details(config, gram_layer),
               poll_s=0.25, details_poll_s=1.0)
    _after(config)


def load_link(config: StyleConfig) -> None:
    """A link's settings into the widgets; when the link names a run of this page (a refreshed tab), that run's uploaded
    images come back from the runtime too, as they never travel in the link: the refreshed page re-attaches to the same
    transfer instead of restarting it with the default samples."""
    load(config)
    run_id = state.run_id(PAGE)
    try:
        spec = get_runtime().spec(run_id) if run_id else None
    except (UnknownRunError, DeviceError):  # a run that has gone, or no runtime: the live panel says so
        return
    if spec is None or spec.trainer is not StyleTrainer:
        return
    for role in ("content", "style"):
        if getattr(spec.config, role) == "upload":
            data = base64.b64decode(getattr(spec.config, f"{role}_png"))
            state.remember(PAGE, f"{role}.upload", (f"your {role} upload (kept by the run)", data))  # as pick_image keeps it
            st.session_state[key(f"{role}.image")] = "upload"


# -- the live views ------------------------------------------------------------------------------------------------
def _render(config: StyleConfig) -> Callable[[Snapshot], None]:
    def render(snap: Snapshot) -> None:
        """Progress, the generated image, the terms now and the history strip (fast fragment: data URIs only)."""
        p = snap.payload
        if not p:
            st.info("Loading the backbone and fitting the images…")
            return
        m, done, total = p["metrics"], p["iteration"], p["iterations"]
        text = f"iteration {done:,} of {total:,}"
        if m:
            text += f" · {1000 * m['s_per_iteration']:,.0f} ms per iteration"
            if snap.state is JobState.RUNNING and done < total:
                text += f" · about {m['s_per_iteration'] * (total - done):,.0f} s to go"
        st.progress(min(1.0, done / total), text=text)
        left, right = st.columns([3, 2], gap="medium")
        image = Image.fromarray(p["image"])
        left.image(data_uri(image, photo=True, drawn_at=1), width=max(image.width, 420),
                   caption=f"the generated image G, {image.width} × {image.height} px, after {done:,} iterations")
        with right:
            _terms(config, m)
            st.image(data_uri(views.history_strip(p["history_iterations"], p["history_images"])),
                     caption="History: G at log-spaced iterations.")
    return render


def _terms(config: StyleConfig, m: dict) -> None:
    """The three terms now, unweighted and weighted, as a small table: which one dominates J(G)."""
    if not m:
        st.caption("The terms of J(G) appear after the first step.")
        return
    rows = [("J_content", m["content_loss"], "α", config.alpha), ("J_style", m["style_loss"], "β", config.beta),
            ("TV", m["tv_loss"], "λ_TV", config.tv_weight)]
    lines = ["| term | value | × weight | = |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {value:.4g} | {symbol} {weight:g} | {weight * value:.4g} |" for name, value, symbol, weight in rows]
    lines.append(f"| **J(G)** | | | **{m['loss']:.4g}** |")
    st.markdown("\n".join(lines))


def _details(config: StyleConfig, gram_layer: str) -> Callable[[Snapshot], None]:
    layers = SPECS[config.backbone].style_layers

    def details(snap: Snapshot) -> None:
        """Curves, Gram matrices and feature maps (slow fragment)."""
        p = snap.payload
        left, right = st.columns(2)
        if not snap.step:
            left.caption("The loss curves start with the first step.")
        else:
            left.vega_lite_chart(*views.term_curves(snap), width="stretch", key=action("curves.terms"))
            right.vega_lite_chart(*views.layer_curves(snap, layers), width="stretch", key=action("curves.layers"))
        left, right = st.columns(2, gap="large")
        gram = p["gram"].get(gram_layer)
        if gram is not None:
            left.image(data_uri(views.gram_maps(gram, gram_layer)))
            left.caption(f"Gram matrices at {gram_layer} over its {len(gram['channels'])} most active channels (the style "
                         "image's largest diagonal entries): entry (k, k′) is how strongly channels k and k′ fire together, "
                         "summed over all positions — where a pattern is, is forgotten. Colour ∝ √value, one scale for all three: "
                         "the difference darkens as the generated image takes on the style.")
        features = p["content_features"]
        right.image(data_uri(views.feature_maps(features)))
        right.caption(f"The content layer {p['content_layer']}: its {len(features['channels'])} most active channels for the "
                      "content image C (top) and the generated image G (bottom), each pair on one scale. The content term "
                      "pulls the bottom row towards the top row.")
    return details


# -- after the panel: download and keep -----------------------------------------------------------------------------
def _after(config: StyleConfig) -> None:
    """Download the newest image as PNG (read when the button is pressed, so it works while the job runs), keep it for
    the comparison, and keep every finished run automatically."""
    run_id = state.run_id(PAGE)
    if run_id is None:
        return
    runtime = get_runtime()
    try:
        snap, ran = runtime.snapshot(run_id), runtime.spec(run_id).config
    except UnknownRunError:
        return
    p = snap.payload
    if not p or "image" not in p:
        return
    if snap.state is JobState.DONE:
        keep(ran, p)
    h, w = p["image"].shape[:2]

    def newest_png() -> bytes:
        try:
            return views.png_bytes(runtime.snapshot(run_id).payload["image"])
        except (UnknownRunError, KeyError):
            return views.png_bytes(p["image"])

    a, b, _ = st.columns([1, 1, 2])
    a.download_button(f"Download PNG ({w} × {h})", newest_png, file_name=f"style-{ran.content}-{ran.style}-{ran.size}px.png",
                      mime="image/png", icon=":material/download:", key=action("download"), on_click="ignore", width="stretch")
    b.button("Keep for comparison", icon=":material/bookmark_add:", key=action("keep"), width="stretch",
             on_click=_keep_now, args=(run_id,))


def _keep_now(run_id: str) -> None:
    try:
        runtime = get_runtime()
        keep(runtime.spec(run_id).config, runtime.snapshot(run_id).payload)
    except (UnknownRunError, KeyError):
        state.flash(PAGE, "That run has gone: press Run to start a new one.")
