"""The CNN page's training section: a CNN built from blocks (filters, kernel, stride, pooling; batch norm and
activation for all) learns to tell generated shapes apart, live, with its curves, confusion matrix and the
test images it gets wrong; then a look inside (ui/cnn_inside.py) on any test image or a drawing."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

from engine.cnn.model import ACTIVATIONS, MAX_BLOCKS, OPTIMIZERS, POOLS, CNNConfig
from engine.cnn.shapes import CLASSES, class_examples
from engine.cnn.trainer import CNNTrainer
from engine.config import ConfigError
from engine.runtime import Snapshot
from ui import cnn_drawings as draw
from ui import cnn_inside, state
from ui import image_grids as grids
from ui.charts import metric_curves
from ui.cnn_inside import test_data, to_uint8
from ui.images import SCALE, data_uri, font
from ui.live import LiveJob, live_panel

PAGE = "cnn"
JOB = LiveJob(PAGE, CNNTrainer, unit="step", default_speed="max")
DEFAULT = CNNConfig()
SCALAR = ("image_size", "noise", "train_size", "batch_norm", "activation", "hidden", "optimizer", "learning_rate", "batch_size",
          "seed")
BLOCK = ("filters", "kernels", "strides", "pools")  # tuple fields: one widget per block
RIGHT, WRONG = (22, 163, 74), (220, 38, 38)


def key(name: str) -> str:
    return state.widget_key(PAGE, f"train.{name}")


# -- config <-> widgets --------------------------------------------------------------------------------------------
def load(config: CNNConfig) -> None:
    """Set every widget to the config's values (a link, before the widgets are drawn)."""
    for name in SCALAR:
        st.session_state[key(name)] = getattr(config, name)
    st.session_state[key("blocks")] = len(config.filters)
    for name in BLOCK:
        for i, value in enumerate(getattr(config, name)):
            st.session_state[key(f"{name}.{i}")] = value


def _block_default(name: str, i: int):
    values = getattr(DEFAULT, name)
    return values[i] if i < len(values) else {"filters": 16, "kernels": 3, "strides": 1, "pools": "none"}[name]


def current() -> tuple[CNNConfig | None, str | None]:
    s = st.session_state
    blocks = int(s.get(key("blocks"), len(DEFAULT.filters)))
    values = {name: s.get(key(name), getattr(DEFAULT, name)) for name in SCALAR}
    for name in BLOCK:
        values[name] = tuple(s.get(key(f"{name}.{i}"), _block_default(name, i)) for i in range(blocks))
    try:
        return DEFAULT.replace(**values), None
    except ConfigError as exc:
        return None, str(exc)


def _panel() -> None:
    s = st.session_state
    for name in SCALAR:
        s.setdefault(key(name), getattr(DEFAULT, name))
    s.setdefault(key("blocks"), len(DEFAULT.filters))
    for i in range(MAX_BLOCKS):
        for name in BLOCK:
            s.setdefault(key(f"{name}.{i}"), _block_default(name, i))
    a, b, c, d = st.columns(4)
    a.select_slider("Image size", [28, 32, 40, 48, 64], key=key("image_size"))
    b.slider("Pixel noise (std)", 0.0, 0.5, step=0.05, key=key("noise"))
    c.select_slider("Training images", [300, 1000, 2000, 4000, 8000, 20000], key=key("train_size"))
    blocks = d.slider("Conv blocks", 1, MAX_BLOCKS, key=key("blocks"))
    for i in range(blocks):
        a, b, c, e = st.columns(4)
        a.number_input(f"Block {i + 1}: filters", 1, 64, key=key(f"filters.{i}"))
        b.selectbox(f"Block {i + 1}: kernel", [1, 3, 5, 7], key=key(f"kernels.{i}"), format_func=lambda f: f"{f}×{f}")
        c.selectbox(f"Block {i + 1}: stride", [1, 2], key=key(f"strides.{i}"))
        e.selectbox(f"Block {i + 1}: then pool", POOLS, key=key(f"pools.{i}"), format_func=lambda p: {"max": "max 2×2",
                                                                                                      "avg": "average 2×2"}.get(p, p))
    a, b, c, d = st.columns(4)
    a.selectbox("Activation", ACTIVATIONS, key=key("activation"))
    b.toggle("Batch norm", key=key("batch_norm"), help="After each convolution, before the activation.")
    c.number_input("Hidden units (0: none)", 0, 256, step=8, key=key("hidden"), help="A fully connected layer before the output.")
    d.selectbox("Optimizer", OPTIMIZERS, key=key("optimizer"), format_func=lambda o: o.replace("_", " + "))
    a, b, c, _ = st.columns(4)
    a.number_input("Learning rate", 1e-5, 10.0, step=1e-3, format="%g", key=key("learning_rate"),
                   help="Applied to the running job without restarting it.")
    b.number_input("Batch size", 8, 512, step=16, key=key("batch_size"), help="Applied to the running job.")
    c.number_input("Seed", 0, 10**6, step=1, key=key("seed"))


def train_section() -> None:
    st.markdown(f"A CNN learns to tell {len(CLASSES)} kinds of generated shape apart — " + ", ".join(CLASSES) +
                " — drawn at random sizes, positions, rotations and colours, with pixel noise. Nothing is downloaded: "
                "every image is generated from the seed.")
    examples = to_uint8(class_examples(DEFAULT.image_size, seed=3))
    st.image(grids.tile(list(examples), list(CLASSES), columns=len(CLASSES), cell=56).reduce(SCALE))
    _panel()
    config, error = current()
    if error:
        st.error(f"These settings cannot be used: {error}")
        return
    state.config_to_url(config)
    sizes = " → ".join(f"{s}×{s}×{c}" for s, c in zip(config.feature_sizes(), config.filters, strict=True))
    st.caption(f"Feature maps: {config.image_size}×{config.image_size}×3 → {sizes} → " +
               (f"{config.hidden} hidden → " if config.hidden else "") + f"{len(CLASSES)} classes.")
    live_panel(JOB, config, _render(config), _details(config))
    cnn_inside.inside_section(config)


# -- the live views --------------------------------------------------------------------------------------------------
def _render(config: CNNConfig) -> Callable[[Snapshot], None]:
    def render(snap: Snapshot) -> None:
        """The test accuracy, the confusion matrix and the mistakes (fast fragment: PIL images only)."""
        p = snap.payload
        if not p:
            st.info("Building the CNN…")
            return
        st.markdown(f"Test accuracy **{p['test_accuracy']:.1%}** on {p['test_size']:,} held-out images (chance "
                    f"{p['chance']:.0%}), scored at step {p['evaluated_step']:,} · epoch {p['epoch']:.1f} · "
                    f"{p['n_parameters']:,} parameters")
        left, right = st.columns([2, 3])
        left.image(data_uri(confusion_image(np.asarray(p["confusion"]), p["classes"])))
        x, _ = test_data(config)
        wrong = p["misclassified"][:12]
        if wrong:
            pictures = to_uint8(x[[w["index"] for w in wrong]])
            labels = [f"{p['classes'][w['predicted']]} {w['confidence']:.0%}" for w in wrong]
            right.image(data_uri(grids.tile(list(pictures), labels, columns=6, cell=60, label_size=9, borders=[WRONG] * len(wrong))))
            right.caption("Test images it gets wrong, most confident first, labelled with its guess.")
        else:
            right.success("No test image is misclassified.")
    return render


def confusion_image(confusion: np.ndarray, classes) -> object:
    """Counts in a grid, rows = true class, columns = predicted; the diagonal green, errors red, by share of the row."""
    k, cell = len(classes), 40
    image, d = draw.canvas(70 + k * cell + 10, 40 + k * cell + 70)
    share = confusion / np.maximum(confusion.sum(1, keepdims=True), 1)
    fills = {}
    for i in range(k):
        for j in range(k):
            t = float(share[i, j]) if i == j else min(1.0, 1.6 * float(share[i, j]))  # errors show up even when rare
            base = RIGHT if i == j else WRONG
            fills[(i, j)] = tuple(round(255 - t * (255 - c)) for c in base) if confusion[i, j] else (255, 255, 255)
    draw.number_grid(d, (70, 40), confusion.astype(float), cell, "", fills)
    f = font(10)
    for i, name in enumerate(classes):
        d.text((66 * SCALE, (40 + i * cell + cell / 2) * SCALE), name, fill=draw.INK, font=f, anchor="rm")
        d.text(((70 + i * cell + cell / 2) * SCALE, (44 + k * cell) * SCALE), name[:6], fill=draw.INK, font=f, anchor="ma")
    d.text((70 * SCALE, 8 * SCALE), "confusion: rows true, columns predicted", fill=draw.INK, font=font(11))
    return image


def _details(config: CNNConfig) -> Callable[[Snapshot], None]:
    def details(snap: Snapshot) -> None:
        """Curves, per-class accuracy and the first layer's filters (slow fragment)."""
        p = snap.payload
        if not p:
            return
        left, right = st.columns(2)
        if not snap.step:
            left.caption("The loss and accuracy curves start with the first step.")
        else:
            data, spec = metric_curves(snap, ("loss", "test_loss"), log_y=True, title="loss (cross-entropy)")
            left.vega_lite_chart(data, spec, width="stretch", key=state.action_key(PAGE, "train.loss"))
            data, spec = metric_curves(snap, ("train_accuracy", "test_accuracy"), title="accuracy")
            right.vega_lite_chart(data, spec, width="stretch", key=state.action_key(PAGE, "train.accuracy"))
        left, right = st.columns(2)
        left.dataframe({"class": list(p["classes"]), "test accuracy": [f"{a:.1%}" for a in p["per_class_accuracy"]]},
                       hide_index=True, key=state.action_key(PAGE, "train.per_class"))
        filters = draw.filters_rgb(p["first_filters"])
        right.image(data_uri(grids.tile(filters, [str(i + 1) for i in range(len(filters))], columns=8, cell=40, label_size=9)))
        right.caption("The first layer's learned filters as RGB (grey = 0): many look for a colour edge or blob.")
    return details
