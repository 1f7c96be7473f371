"""Inside the CNN being trained: for a test image or the learner's own drawing, the class probabilities and the
feature maps of every layer; and, for any channel, the test images that excite it most.

Runs the newest weights of this tab's training job in the page's own process (`restore`), like the Attention
page's inference box; the drawing comes from a canvas component (streamlit-drawable-canvas, pinned).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from PIL import Image

from engine.cnn.model import CNNConfig, feature_maps, probabilities, restore, top_activating
from engine.cnn.shapes import CLASSES
from engine.cnn.trainer import test_set
from engine.runtime import UnknownRunError, get_runtime
from ui import image_grids as grids
from ui import state
from ui.charts import PALETTE
from ui.images import SCALE

PAGE = "cnn"
CANVAS_PX = 224
LAYOUT = dict(template="plotly_white", margin=dict(l=10, r=10, t=40, b=10))


def key(name: str) -> str:
    return state.widget_key(PAGE, f"inside.{name}")


@st.cache_data(show_spinner=False, max_entries=4)
def test_images(image_size: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The trainer's test set (the same seed, so the same images), regenerated in the page's process."""
    return test_set(CNNConfig().replace(image_size=image_size, noise=noise, seed=seed))


def test_data(config: CNNConfig) -> tuple[np.ndarray, np.ndarray]:
    return test_images(config.image_size, config.noise, config.seed)


def to_uint8(images: np.ndarray) -> np.ndarray:
    """(n, 3, H, W) floats in [0, 1] → (n, H, W, 3) uint8."""
    return np.clip(np.rint(np.asarray(images).transpose(0, 2, 3, 1) * 255), 0, 255).astype(np.uint8)


def latest_weights() -> tuple[dict | None, int]:
    run_id = state.run_id(PAGE)
    if run_id is None:
        return None, 0
    try:
        snap = get_runtime().snapshot(run_id)
    except UnknownRunError:
        return None, 0
    return (snap.payload or {}).get("weights"), snap.step


def _drawing(config: CNNConfig) -> np.ndarray | None:
    """The canvas as a (3, H, W) image in [0, 1] at the model's size, or None before anything is drawn."""
    try:
        from streamlit_drawable_canvas import st_canvas
    except Exception as exc:  # noqa: BLE001 - a component that cannot load must not take the page down
        st.info(f"The drawing canvas is not available here ({type(exc).__name__}); pick a test image instead.")
        return None
    for name, value in (("background", "#1e293b"), ("ink", "#facc15"), ("brush", 18)):
        st.session_state.setdefault(key(name), value)
    a, b, c = st.columns(3)
    background = a.color_picker("Background", key=key("background"))
    ink = b.color_picker("Ink", key=key("ink"))
    brush = c.slider("Brush", 4, 40, key=key("brush"))
    result = st_canvas(stroke_width=int(brush), stroke_color=ink, background_color=background, height=CANVAS_PX, width=CANVAS_PX,
                       return_image_data=True, key=state.action_key(PAGE, f"inside.canvas.{background}"))
    rgba = result.image_data if result is not None else None
    if rgba is None or rgba[..., 3].max() == 0:
        st.caption("Draw a shape with the mouse (a circle, a cross, stripes…).")
        return None
    ground = Image.new("RGBA", (rgba.shape[1], rgba.shape[0]), background)
    picture = Image.alpha_composite(ground, Image.fromarray(rgba.astype(np.uint8), "RGBA")).convert("RGB")
    picture = picture.resize((config.image_size, config.image_size), Image.Resampling.BOX)
    return np.asarray(picture, np.float32).transpose(2, 0, 1) / 255.0


def _probability_chart(probs: np.ndarray) -> go.Figure:
    order = np.argsort(probs)
    fig = go.Figure(go.Bar(x=probs[order], y=[CLASSES[i] for i in order], orientation="h", marker_color=PALETTE[0],
                           text=[f"{p:.1%}" for p in probs[order]], textposition="auto"))
    fig.update_layout(height=260, title="class probabilities (softmax)", **LAYOUT)
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    return fig


def _feature_maps(model, image: np.ndarray) -> None:
    for name, maps in feature_maps(model, image):
        count = min(len(maps), 16)
        pictures = grids.colourise(maps[:count])
        st.markdown(f"**{name}** · {maps.shape[0]} maps of {maps.shape[1]} × {maps.shape[2]}" +
                    (f" (the first {count})" if count < len(maps) else ""))
        st.image(grids.tile(list(pictures), [str(i + 1) for i in range(count)], columns=16, cell=48, label_size=9).reduce(SCALE))


def inside_section(config: CNNConfig) -> None:
    st.subheader("Look inside")
    weights, step = latest_weights()
    if weights is None:
        st.info("Start the job (Run or Step) to look inside the CNN.")
        return
    try:
        model = restore(config, weights)
    except (RuntimeError, KeyError):
        st.info("The CNN is being rebuilt for the new settings; look again in a moment.")
        return
    x, y = test_data(config)
    st.session_state.setdefault(key("source"), "a test image")
    st.session_state.setdefault(key("index"), 0)
    source = st.radio("Input", ["a test image", "my drawing"], key=key("source"), horizontal=True)
    left, right = st.columns([1, 2], gap="large")
    with left:
        if source == "a test image":
            index = st.number_input(f"Test image (0–{len(x) - 1})", 0, len(x) - 1, key=key("index"))
            image = x[int(index)]
            st.image(to_uint8(image[None])[0], caption=f"true class: {CLASSES[int(y[int(index)])]}", width=CANVAS_PX)
        else:
            image = _drawing(config)
    if image is None:
        return
    probs = probabilities(model, image[None])[0]
    right.plotly_chart(_probability_chart(probs), key=state.action_key(PAGE, "inside.probs"), width="stretch")
    right.caption(f"The model as it was at step {step:,} when the page last redrew.")
    _feature_maps(model, image)
    st.caption("Each map is one channel, scaled to its own range (dark = low, yellow = high). After each block's activation "
               "comes its pooled map (half the size, rounded down) when that block pools.")
    top_examples(model, x, config)


def top_examples(model, x: np.ndarray, config: CNNConfig) -> None:
    st.markdown("**Which test images excite a channel most?**")
    layers = [name for name, _ in feature_maps(model, x[0]) if name.startswith("act")]
    st.session_state.setdefault(key("top_layer"), layers[0])
    st.session_state.setdefault(key("top_channel"), 0)
    if st.session_state[key("top_layer")] not in layers:
        st.session_state[key("top_layer")] = layers[0]
    a, b = st.columns(2)
    layer = a.selectbox("Layer", layers, key=key("top_layer"))
    channels = config.filters[int(layer.removeprefix("act")) - 1]
    st.session_state[key("top_channel")] = min(int(st.session_state[key("top_channel")]), channels - 1)
    channel = b.number_input(f"Channel (0–{channels - 1})", 0, channels - 1, key=key("top_channel"))
    best = top_activating(model, x, layer, int(channel), k=12)
    st.image(grids.tile(list(to_uint8(x[best])), [f"#{i}" for i in best], columns=12, cell=56, label_size=9).reduce(SCALE))
    st.caption("The 12 test images with the highest mean activation of this channel: what they share is what it detects.")
