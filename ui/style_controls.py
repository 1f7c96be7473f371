"""The style-transfer page's settings: presets that show what each term does, then every field of StyleConfig as a
widget keyed by its field name (α, β, the style layers' weights and total variation on log scales), and the backbone
choice, with VGG-19 shown as unavailable, and why, when torchvision or its cached weights are missing.

`load` puts a config (a link's) into the widgets; `current` reads the widgets back into a validated config.
"""

from __future__ import annotations

import math

import streamlit as st

from engine.config import ConfigError
from engine.device import DeviceError, pick_kind
from engine.style.backbone import SPECS, vgg19_status
from engine.style.transfer import INITS, OPTIMIZERS, StyleConfig, presets, with_backbone
from ui import state
from ui.style_images import Choice

PAGE = "style"
DEFAULT = StyleConfig()
FIELDS = ("size", "alpha", "beta", "content_layer", "tv_weight", "init", "optimizer", "learning_rate", "iterations",
          "preserve_colour", "backbone", "seed")
TERM_WEIGHTS = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)  # α, β
LAYER_WEIGHTS = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)  # w_l
TV_WEIGHTS = (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
LEARNING_RATES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
CPU_SIZES = (128, 160, 192, 224, 256, 320, 384, 448, 512)
GPU_SIZES = (*CPU_SIZES, 640, 768, 896, 1024)
CPU_COMFORT = 256  # above this, a warning on the CPU
INIT_LABELS = {"content": "content", "noise": "noise", "content+noise": "content + noise"}
# EfficientNet-Lite0's stage outputs relative to the input (engine/style/backbone.py)
STRIDES = {"stem": 2, "stage1": 2, "stage2": 4, "stage3": 8, "stage4": 16, "stage5": 16, "stage6": 32, "stage7": 32, "head": 32}
OPTIMIZER_LABELS = {"lbfgs": "L-BFGS", "adam": "Adam"}
PRESET_NOTES = {
    "content only": "β = 0, from noise: the content term alone rebuilds the content image.",
    "style only": "α = 0, from noise: the style's textures and colours with none of the content's layout.",
    "balanced": "from the content, β = 0.3: the content's layout painted with the style's textures.",
    "strong style": "from the content, β = 3: the style takes over more of the image.",
}


def key(name: str) -> str:
    return state.widget_key(PAGE, name)


def accelerated() -> bool:
    """True when the runtime has a GPU (or MPS) worker: larger images are offered."""
    try:
        return pick_kind()[0] != "cpu"
    except DeviceError:
        return False


def sizes() -> tuple[int, ...]:
    return GPU_SIZES if accelerated() else CPU_SIZES


def nearest(value: float, options: tuple[float, ...]) -> float:
    """The option closest to value on a log scale (0 only for 0), so that a link's 0.25 lands on a slider's 0.3."""
    if value <= 0 and 0 in options:
        return 0
    positive = [o for o in options if o > 0]
    return min(positive, key=lambda o: abs(math.log(o) - math.log(max(value, 1e-12))))


# -- config <-> widgets -------------------------------------------------------------------------------------------
def load(config: StyleConfig) -> None:
    """Set every widget to the config's values (a link's, before the widgets are drawn); the images by sample name."""
    s = st.session_state
    for name in FIELDS:
        s[key(name)] = getattr(config, name)
    s[key("size")] = int(nearest(config.size, sizes()))
    for name, options in (("alpha", TERM_WEIGHTS), ("beta", TERM_WEIGHTS), ("tv_weight", TV_WEIGHTS),
                          ("learning_rate", LEARNING_RATES)):
        s[key(name)] = nearest(getattr(config, name), options)
    for i, weight in enumerate(config.style_weights):
        s[key(f"style_weights.{i}")] = nearest(weight, LAYER_WEIGHTS)
    for role in ("content", "style"):
        if getattr(config, role) != "upload":  # an upload never comes from a link
            s[key(f"{role}.image")] = getattr(config, role)


def _defaults() -> None:
    for name in FIELDS:
        st.session_state.setdefault(key(name), getattr(DEFAULT, name))
    for i, weight in enumerate(DEFAULT.style_weights):
        st.session_state.setdefault(key(f"style_weights.{i}"), weight)


def current(content: Choice, style: Choice) -> tuple[StyleConfig | None, str | None]:
    """The config the widgets and the two images say, or None and the reason it cannot be used."""
    s = st.session_state
    values = {name: s.get(key(name), getattr(DEFAULT, name)) for name in FIELDS}
    count = len(SPECS[values["backbone"]].style_layers) if values["backbone"] in SPECS else 0
    values["style_weights"] = tuple(s.get(key(f"style_weights.{i}"), 1.0) for i in range(count))
    try:
        return DEFAULT.replace(content=content.name, content_png=content.png, style=style.name, style_png=style.png,
                               **values), None
    except ConfigError as exc:
        return None, str(exc)


def matching_preset(config: StyleConfig) -> str | None:
    for name, changes in presets().items():
        if all(getattr(config, field) == value for field, value in changes.items()):
            return name
    return None


# -- callbacks (run before the widgets are drawn) ----------------------------------------------------------------------
def _apply_preset(name: str) -> None:
    for field, value in presets()[name].items():
        st.session_state[key(field)] = value


def _backbone_changed() -> None:
    """Another backbone has other layer names: take its default content layer and style weights."""
    config = with_backbone(DEFAULT, st.session_state[key("backbone")])
    st.session_state[key("content_layer")] = config.content_layer
    for i, weight in enumerate(config.style_weights):
        st.session_state[key(f"style_weights.{i}")] = weight


# -- the panel -------------------------------------------------------------------------------------------------------
def presets_row() -> None:
    st.markdown("**Presets** — each shows what one term does (they set α, β and the starting image; press **Run** after):")
    columns = st.columns(len(PRESET_NOTES))
    for column, (name, note) in zip(columns, PRESET_NOTES.items(), strict=True):
        column.button(name.capitalize(), key=state.action_key(PAGE, f"preset.{name}"), on_click=_apply_preset, args=(name,),
                      width="stretch")
        column.caption(note)


def _backbone() -> str:
    available, reason = vgg19_status()
    options = list(SPECS) if available else ["efficientnet"]
    if st.session_state[key("backbone")] not in options:
        st.session_state[key("backbone")] = "efficientnet"
    backbone = st.radio("Backbone", options, key=key("backbone"), format_func=lambda b: SPECS[b].title,
                        on_change=_backbone_changed)
    if not available:
        st.checkbox(SPECS["vgg19"].title, value=False, disabled=True, key=state.action_key(PAGE, "vgg19"),
                    help=f"Unavailable: {reason}.")
        st.caption(f"VGG-19 is unavailable here: {reason}. Nothing is downloaded at run time.")
    return backbone


def settings_panel() -> None:
    """Every setting of the transfer. Hot ones (α, β, w_l, TV, learning rate) change a running job in place."""
    _defaults()
    presets_row()
    a, b, c, d = st.columns(4)
    size = a.select_slider("Image size (longer side, px)", sizes(), key=key("size"))
    b.number_input("Iterations", 1, 5000, step=10, key=key("iterations"), help="Forward and backward passes through the backbone.")
    optimizer = c.radio("Optimizer", OPTIMIZERS, key=key("optimizer"), format_func=OPTIMIZER_LABELS.get, horizontal=True,
                        help="L-BFGS (Gatys et al.) uses curvature and needs no learning rate; Adam takes steps of the chosen size.")
    d.select_slider("Learning rate (Adam)", LEARNING_RATES, key=key("learning_rate"), disabled=optimizer != "adam",
                    help="Pixels are in [0, 1]: 0.02 moves each pixel by about 2 % per iteration.")
    if size > CPU_COMFORT and not accelerated():
        st.warning(f"{size} px on the CPU: each iteration costs about {(size / CPU_COMFORT) ** 2:.1f}× as long as at "
                   f"{CPU_COMFORT} px, so a run takes minutes. Sizes up to 1024 px are offered when a GPU is present.")
    a, b, c, d = st.columns(4)
    a.select_slider("α (content weight)", TERM_WEIGHTS, key=key("alpha"), format_func=lambda v: f"{v:g}")
    b.select_slider("β (style weight)", TERM_WEIGHTS, key=key("beta"), format_func=lambda v: f"{v:g}")
    c.select_slider("λ_TV (total-variation weight)", TV_WEIGHTS, key=key("tv_weight"), format_func=lambda v: f"{v:g}",
                    help="Penalises differences between neighbouring pixels: smooths away pixel noise.")
    d.radio("Initial image G₀", INITS, key=key("init"), format_func=INIT_LABELS.get, horizontal=True)
    with st.container(border=True):
        e, f, g, h = st.columns(4)
        with e:
            backbone = _backbone()
        spec = SPECS[backbone]
        f.selectbox("Content layer l", spec.layers, key=key("content_layer"),
                    format_func=lambda name: f"{name} (1/{STRIDES[name]} of the size)" if name in STRIDES else name,
                    help="Shallow layers keep the content's pixels; deep ones keep only its layout.")
        g.toggle("Preserve colour", key=key("preserve_colour"),
                 help="Luminance-only transfer: the style goes into the brightness only, and the content keeps its own colours.")
        h.number_input("Seed (noise)", 0, 10**6, key=key("seed"))
        st.markdown("**Style-layer weights w_l** — 0 drops a layer; shallow layers carry fine texture, deep ones larger motifs:")
        for column, (i, layer) in zip(st.columns(len(spec.style_layers)), enumerate(spec.style_layers), strict=True):
            column.select_slider(layer, LAYER_WEIGHTS, key=key(f"style_weights.{i}"), format_func=lambda v: f"{v:g}")
