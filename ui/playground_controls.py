"""The Playground's control panels: widgets in, a PlaygroundConfig out.

Widget keys are the config's field names (`playground.learning_rate`), per-layer widgets add
the layer index (`playground.activations.2`). `load(config)` writes every widget's value, so a
link, a preset or an uploaded JSON sets the whole panel; `read()` builds the config back.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from engine.activations import FUNCTIONS
from engine.activations import LABELS as ACTIVATION_LABELS
from engine.config import ConfigError
from engine.data2d import CLASSIFICATION, DATASETS, MULTICLASS
from engine.features import FEATURE_LABELS, FEATURES
from engine.losses import LABELS as LOSS_LABELS
from engine.losses import LOSSES, REGRESSION_LOSSES
from engine.mlp import INIT_LABELS, INITS
from engine.optimizers import LABELS as OPTIMIZER_LABELS
from engine.optimizers import OPTIMIZERS
from engine.playground.config import CUSTOM, MAX_LAYERS, MAX_WIDTH, REGULARIZATIONS, PlaygroundConfig
from engine.schedules import LABELS as SCHEDULE_LABELS
from engine.schedules import SCHEDULES

PAGE = "playground"
LEARNING_RATES = (1e-5, 1e-4, 3e-4, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
RATES = (0.0, 1e-4, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
DATASET_LABELS = {"circle": "circle", "xor": "XOR", "gaussian": "gaussian", "spiral": "spiral", "moons": "moons",
                  "blobs": "blobs", "plane": "plane (regression)", "multi_gaussian": "multi-gaussian (regression)",
                  CUSTOM: "your own points"}


def key(name: str, layer: int | None = None) -> str:
    return f"{PAGE}.{name}" if layer is None else f"{PAGE}.{name}.{layer}"


def load(config: PlaygroundConfig) -> None:
    """Set every widget to the config's values (before the widgets are drawn)."""
    values = config.to_dict()
    for name, value in values.items():
        if name in ("hidden", "activations", "keep_probs", "batch_norm", "features", "points"):
            continue
        st.session_state[key(name)] = value
    st.session_state[key("n_layers")] = len(config.hidden)
    for i in range(MAX_LAYERS):
        if i < len(config.hidden):
            st.session_state[key("hidden", i)] = config.hidden[i]
            st.session_state[key("activations", i)] = config.activations[i]
            st.session_state[key("keep_probs", i)] = config.keep_probs[i]
            st.session_state[key("batch_norm", i)] = config.batch_norm[i]
    for name in FEATURES:
        st.session_state[key("features", name)] = name in config.features
    st.session_state[key("points")] = config.points


def _options(values: tuple[float, ...], current: float) -> list[float]:
    return sorted({*values, current})


def data_panel() -> dict[str, Any]:
    s = st.session_state
    names = [*DATASETS, CUSTOM] if s.get(key("points")) else list(DATASETS)
    dataset = st.selectbox("Data set", names, format_func=DATASET_LABELS.get, key=key("dataset"))
    out: dict[str, Any] = {"dataset": dataset, "points": s.get(key("points"), ())}
    if dataset != CUSTOM:
        left, right = st.columns(2, vertical_alignment="bottom")
        out["n_points"] = left.number_input("Points", 10, 2000, step=50, key=key("n_points"))
        right.button("New data", icon=":material/casino:", key=key("do.regenerate"), on_click=_new_data, width="stretch",
                     help="Draw a new sample of the same data set (the data seed goes up by one).")
        out["data_seed"] = st.session_state.get(key("data_seed"), 0)
        out["noise"] = st.slider("Noise", 0.0, 1.0, step=0.05, key=key("noise"))
        if dataset in CLASSIFICATION:
            out["imbalance"] = st.select_slider("Class imbalance (majority : minority)", _options((1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0),
                                                s.get(key("imbalance"), 1.0)), format_func=lambda v: f"{v:g} : 1", key=key("imbalance"))
        if dataset in MULTICLASS:
            out["n_classes"] = st.slider("Classes", 2, 5, key=key("n_classes"))
        else:
            out["n_classes"] = 2
    out["train_ratio"] = st.slider("Training share", 0.1, 0.9, step=0.05, key=key("train_ratio"),
                                   help="The rest is the test set, never trained on.")
    return out


def _new_data() -> None:
    st.session_state[key("data_seed")] = st.session_state.get(key("data_seed"), 0) + 1


def features_panel() -> dict[str, Any]:
    columns = st.columns(4)
    chosen = tuple(name for i, name in enumerate(FEATURES)
                   if columns[i % 4].checkbox(FEATURE_LABELS[name], key=key("features", name)))
    standardize = st.toggle("Standardise inputs", key=key("standardize"),
                            help="(x − mean) / standard deviation, both measured on the training set.")
    return {"features": chosen, "standardize": standardize}


def network_panel() -> dict[str, Any]:
    n = st.number_input("Hidden layers", 0, MAX_LAYERS, key=key("n_layers"))
    hidden, activations, keeps, norms = [], [], [], []
    for i in range(n):
        st.session_state.setdefault(key("hidden", i), 4)
        st.session_state.setdefault(key("activations", i), "tanh")
        st.session_state.setdefault(key("keep_probs", i), 1.0)
        st.session_state.setdefault(key("batch_norm", i), False)
        st.markdown(f"**Layer {i + 1}**")
        width, act = st.columns([1, 1.3])
        hidden.append(width.number_input("neurons", 1, MAX_WIDTH, key=key("hidden", i)))
        activations.append(act.selectbox("activation", list(FUNCTIONS), format_func=ACTIVATION_LABELS.get, key=key("activations", i)))
        keep, bn = st.columns([1.3, 1], vertical_alignment="bottom")
        keeps.append(keep.selectbox("dropout", _options((0.5, 0.6, 0.7, 0.8, 0.9, 1.0), st.session_state[key("keep_probs", i)]),
                                    key=key("keep_probs", i), label_visibility="collapsed",
                                    format_func=lambda v: "no dropout" if v == 1.0 else f"dropout: keep {v:g}"))
        norms.append(bn.checkbox("batch norm", key=key("batch_norm", i), help="Batch normalisation before the activation"))
    left, right = st.columns(2)
    init = left.selectbox("Initialisation", INITS, format_func=INIT_LABELS.get, key=key("init"))
    residual = right.toggle("Residual", key=key("residual"), help="Add each layer's input to its output when the widths match.")
    return {"hidden": tuple(hidden), "activations": tuple(activations), "keep_probs": tuple(keeps),
            "batch_norm": tuple(norms), "init": init, "residual": residual}


def training_panel(regression: bool, n_train: int) -> dict[str, Any]:
    s = st.session_state
    losses = REGRESSION_LOSSES if regression else LOSSES
    if s.get(key("loss")) not in losses:
        s[key("loss")] = "mse"
    out: dict[str, Any] = {"loss": st.selectbox("Loss", losses, format_func=LOSS_LABELS.get, key=key("loss"))}
    if out["loss"] == "huber":
        out["huber_delta"] = st.number_input("Huber δ", 0.001, 100.0, key=key("huber_delta"))
    if out["loss"] == "focal":
        g, a, b = st.columns(3, vertical_alignment="bottom")
        out["focal_gamma"] = g.number_input("γ", 0.0, 10.0, step=0.5, key=key("focal_gamma"))
        out["focal_alpha"] = a.number_input("α", 0.0, 1.0, step=0.05, key=key("focal_alpha"))
        out["focal_balance"] = b.checkbox("α-balance", key=key("focal_balance"))
    out["optimizer"] = st.selectbox("Optimizer", OPTIMIZERS, format_func=OPTIMIZER_LABELS.get, key=key("optimizer"))
    if out["optimizer"] in ("momentum", "nesterov"):
        out["momentum"] = st.slider("Momentum β", 0.0, 0.99, step=0.01, key=key("momentum"))
    if out["optimizer"] == "adamw":
        out["weight_decay"] = st.number_input("Weight decay λ", 0.0, 1.0, step=0.01, key=key("weight_decay"))
    out["learning_rate"] = st.select_slider("Learning rate", _options(LEARNING_RATES, s.get(key("learning_rate"), 0.03)),
                                            key=key("learning_rate"), help="Applies to the running job; marked on the curves.")
    s[key("batch_size")] = min(s.get(key("batch_size"), 10), n_train)
    out["batch_size"] = st.slider("Batch size", 1, max(n_train, 2), key=key("batch_size"),
                                  help=f"{n_train} training points: {-(-n_train // max(s[key('batch_size')], 1))} iterations per epoch.")
    reg, rate = st.columns(2)
    out["regularization"] = reg.selectbox("Regularisation", REGULARIZATIONS, format_func=str.upper, key=key("regularization"))
    out["regularization_rate"] = rate.select_slider("Rate λ", _options(RATES, s.get(key("regularization_rate"), 0.0)),
                                                    key=key("regularization_rate"))
    out["schedule"] = st.selectbox("Learning-rate schedule", SCHEDULES, format_func=SCHEDULE_LABELS.get, key=key("schedule"))
    if out["schedule"] != "constant":
        d, e = st.columns(2)
        if out["schedule"] in ("step", "exponential", "inverse_time"):
            out["schedule_decay"] = d.number_input("Decay", 0.0001, 100.0, format="%g", key=key("schedule_decay"))
        if out["schedule"] in ("step", "cosine", "warmup"):
            out["schedule_epochs"] = e.number_input("Epochs", 1, 100_000, key=key("schedule_epochs"))
    out["seed"] = st.number_input("Model seed", 0, 10**6, key=key("seed"))
    return out


def peek(values: dict[str, Any]) -> tuple[bool, int]:
    """(regression?, training points) from the data panel's values, before the config is complete."""
    try:
        config = PlaygroundConfig().replace(**values)
    except ConfigError:
        return False, 250
    return config.task == "regression", config.n_train


def read(values: dict[str, Any]) -> tuple[PlaygroundConfig | None, str | None]:
    """The config from the panels' values, or a message saying what is wrong."""
    try:
        return PlaygroundConfig().replace(**values), None
    except ConfigError as exc:
        return None, str(exc)
