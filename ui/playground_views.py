"""What the Playground page draws from a live snapshot, and its side panels (presets, compare,
share and export). Figures come from ui.playground_charts; numbers from the engine."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from engine.config import ConfigError
from engine.data2d import EXTENT, REGRESSION, DataError, parse_csv
from engine.features import FEATURE_LABELS
from engine.metrics import predict, report, roc_curve
from engine.playground.config import CUSTOM, PlaygroundConfig
from engine.playground.presets import PRESETS
from engine.playground.trainer import build_data
from engine.runtime import Snapshot
from ui import charts, state
from ui import playground_charts as pc
from ui import playground_controls as controls
from ui.charts import PALETTE

PAGE = "playground"
PINNED = "playground.pinned"


# -- the live view -------------------------------------------------------------------------------
def render(snap: Snapshot) -> None:
    p = snap.payload
    if not p:
        st.info("Building the network…")
        return
    _counters(snap)
    diagram, plane = st.columns([1.25, 1], gap="medium")
    with diagram:
        st.markdown("**Network** · each square shows what a unit computes over the input plane")
        st.image(pc.network_png(p, [FEATURE_LABELS[f] for f in p["features"]]), width="stretch")
    with plane:
        st.markdown("**Output** over the plane · filled dots: training points, outlined: test points")
        show_test = st.session_state.get(f"{PAGE}.show_test", True)
        discrete = st.session_state.get(f"{PAGE}.discretize", False)
        st.image(pc.boundary_png(p, show_test, discrete), width="stretch")


def view_options() -> None:
    """The output view's switches (outside the live view, so its fast redraws carry no widgets)."""
    left, right = st.columns(2)
    st.session_state.setdefault(f"{PAGE}.show_test", True)  # defaults set, not passed: see state.keep_widgets
    st.session_state.setdefault(f"{PAGE}.discretize", False)
    left.toggle("Show test points", key=f"{PAGE}.show_test")
    right.toggle("Discretise output", key=f"{PAGE}.discretize", help="Show the predicted class instead of the probability.")


def details(snap: Snapshot) -> None:
    """Curves, the unit inspector and tabs: redrawn twice a second, apart from the fast view."""
    p = snap.payload
    _unit_inspector(p)
    _curves(snap)
    # only the open tab is computed and sent: the others cost nothing while training
    metrics, health, compare = st.tabs(["Metrics", "Training health", "Compare"], key=f"{PAGE}.do.tab", on_change="rerun")
    if metrics.open:
        with metrics:
            _metrics(p)
    if health.open:
        with health:
            _health(snap)
    if compare.open:
        with compare:
            _compare(snap)


def _counters(snap: Snapshot) -> None:
    p = snap.payload
    cols = st.columns(5)
    cols[0].metric("Epoch", f"{p['epoch']:,}")
    cols[1].metric("Iteration", f"{p['iteration']:,}")
    now = p["now"]
    cols[2].metric("Train loss", f"{now['loss']:.4f}")
    cols[3].metric("Test loss", f"{now['test_loss']:.4f}" if "test_loss" in now else "—")
    cols[4].metric("Learning rate now", f"{p['learning_rate_now']:.3g}")
    if p["epoch"] == 0:
        st.caption("The untrained network: press Run or Step to train it.")
    with st.container():  # a fixed slot for a varying number of notes (see ui/live.py: _status)
        for note in p["diagnosis"]:
            st.warning(note, icon=":material/stethoscope:")


def _unit_names(p: dict) -> list[str]:
    names = [f"input {FEATURE_LABELS[f]}" for f in p["features"]]
    for l, layer in enumerate(p["previews"][1:-1], start=1):
        names += [f"layer {l}, unit {u}" for u in range(1, len(layer) + 1)]
    return names + [f"output {u}" if len(p["previews"][-1]) > 1 else "output" for u in range(1, len(p["previews"][-1]) + 1)]


def _unit_inspector(p: dict) -> None:
    """Pick a unit: its preview, large, with its incoming weights and bias."""
    names = _unit_names(p)
    choice = st.selectbox("Inspect a unit", ["—", *names], key=f"{PAGE}.unit")
    if choice == "—" or choice not in names:
        return
    index, layer = names.index(choice), 0
    while index >= len(p["previews"][layer]):
        index -= len(p["previews"][layer])
        layer += 1
    picture, numbers = st.columns([1, 1.4])
    picture.image(pc.unit_png(p["previews"][layer][index]), caption=choice)
    if layer:
        weights = p["weights"][layer - 1][index]
        sources = ([FEATURE_LABELS[f] for f in p["features"]] if layer == 1
                   else [f"layer {layer - 1}, unit {i}" for i in range(1, len(weights) + 1)])
        numbers.dataframe({"from": sources, "weight": np.round(weights, 4)}, hide_index=True, height=180)
        beta = p["parameters"].get(f"beta.{layer - 1}")
        if beta is not None:  # with batch norm the bias is left out and β shifts the unit instead
            numbers.caption(f"batch norm: β = {beta[index]:.4f}, γ = {p['parameters'][f'gamma.{layer - 1}'][index]:.4f}")
        else:
            numbers.caption(f"bias b = {p['biases'][layer - 1][index]:.4f}")


def _curves(snap: Snapshot) -> None:
    left, right = st.columns(2)
    best = snap.payload["best_test_epoch"]
    marks = [(best, f"best test epoch {best}")] if best else []
    log_y = st.session_state.get(f"{PAGE}.log_y", False)
    left.vega_lite_chart(*charts.metric_curves(snap, ("loss", "test_loss"), unit="epoch", log_y=log_y, title="Loss", marks=marks),
                         key="pg-loss")
    st.session_state.setdefault(f"{PAGE}.log_y", False)
    left.toggle("Log-scale loss", key=f"{PAGE}.log_y")
    if snap.payload["n_classes"]:
        right.vega_lite_chart(*charts.metric_curves(snap, ("accuracy", "test_accuracy"), unit="epoch", title="Accuracy"),
                              key="pg-acc")


def _metrics(p: dict) -> None:
    k = p["n_classes"]
    if k == 0:
        y, yhat = np.asarray(p["test_y"]), np.asarray(p["test_scores"])
        if len(y):
            st.metric("Test mean squared error", f"{float(np.mean((y - yhat) ** 2)):.4f}")
        return
    st.session_state.setdefault(f"{PAGE}.metrics_part", "test")
    part = st.segmented_control("Data", ["test", "train"], key=f"{PAGE}.metrics_part") or "test"
    y, scores = np.asarray(p[f"{part}_y"]), np.asarray(p[f"{part}_scores"])
    if not len(y):
        st.info("No points in this part.")
        return
    threshold = 0.5
    if k == 2:
        st.session_state.setdefault(f"{PAGE}.threshold", 0.5)
        threshold = st.slider("Decision threshold on P(class 1)", 0.0, 1.0, step=0.01, key=f"{PAGE}.threshold")
    rep = report(y, predict(scores, threshold), k)
    names = [f"class {c}" for c in range(k)]
    table, matrix = st.columns([1.3, 1])
    rows = "".join(f"| {n} | {p_:.3f} | {r:.3f} | {f:.3f} | {s} |\n"
                   for n, p_, r, f, s in zip(names, rep.precision, rep.recall, rep.f1, rep.support, strict=True))
    table.markdown("| class | precision | recall | F1 | points |\n|---|---|---|---|---|\n" + rows)
    table.caption(f"Accuracy {rep.accuracy:.3f}. Precision = TP/(TP+FP), recall = TP/(TP+FN), "
                  "F1 = 2PR/(P+R). With imbalanced classes accuracy can look good while the minority's recall is poor.")
    header = "| true ╲ predicted | " + " | ".join(names) + " |\n|---|" + "---|" * k + "\n"
    body = "".join(f"| **{n}** | " + " | ".join(str(v) for v in rep.confusion[c]) + " |\n" for c, n in enumerate(names))
    matrix.markdown("**Confusion matrix**\n\n" + header + body)
    if k == 2:
        fpr, tpr, auc = roc_curve(y, scores)
        negatives, positives = max(int((y == 0).sum()), 1), max(int((y == 1).sum()), 1)
        point = (float(rep.confusion[0, 1]) / negatives, float(rep.confusion[1, 1]) / positives)
        st.vega_lite_chart(*pc.roc(fpr, tpr, auc, point), key="pg-roc")


def _health(snap: Snapshot) -> None:
    p = snap.payload
    names = tuple(f"grad_norm_{l}" for l in range(1, len(p["weights"]) + 1))
    title = "Gradient norm ‖∂L/∂W[l]‖ per layer (last mini-batch of each epoch)"
    st.vega_lite_chart(*charts.metric_curves(snap, names, unit="epoch", log_y=True, title=title), key="pg-gradnorms")
    st.vega_lite_chart(*charts.metric_curves(snap, ("learning_rate",), unit="epoch", title="Learning rate used", height=160),
                       key="pg-lr")
    left, right = st.columns(2)
    left.vega_lite_chart(*pc.weight_histograms(p["weights"]), key="pg-hist")
    dead, saturated = np.asarray(p["dead_percent"]), np.asarray(p["saturated_percent"])
    if np.isfinite(dead).any():
        right.vega_lite_chart(*pc.layer_bars(dead, "Dead ReLU units", "% of units"), key="pg-dead")
    if np.isfinite(saturated).any():
        right.vega_lite_chart(*pc.layer_bars(saturated, "Saturated activations", "% of activations"), key="pg-sat")
    small = sum(int((np.abs(W) < 1e-3).sum()) for W in p["weights"])
    total = sum(W.size for W in p["weights"])
    right.caption(f"{small} of {total} weights are near zero (|w| < 0.001).")


def _compare(snap: Snapshot) -> None:
    pinned: Snapshot | None = st.session_state.get(PINNED)
    if st.button("Pin this run for comparison", icon=":material/push_pin:", key=f"{PAGE}.do.pin"):
        st.session_state[PINNED] = pinned = snap
    if pinned is None:
        st.caption("Pin a run, change the settings (same data and seed), train again, and compare here.")
        return
    left, right = st.columns(2)
    left.markdown(f"**Pinned** · epoch {pinned.payload['epoch']}, test loss {pinned.latest('test_loss'):.4f}")
    left.image(pc.boundary_png(pinned.payload, size=300))
    right.markdown(f"**Current** · epoch {snap.payload['epoch']}, test loss {snap.latest('test_loss'):.4f}")
    right.image(pc.boundary_png(snap.payload, size=300))
    data, spec = charts.metric_curves(snap, ("test_loss",), unit="epoch", title="Test loss: current and pinned")
    steps, values = pinned.metric("test_loss")
    data["step"] += steps.tolist()
    data["value"] += values.tolist()
    data["series"] += ["pinned test loss"] * len(steps)
    data["kind"] += ["curve"] * len(steps)
    data["label"] += [""] * len(steps)
    spec["layer"][0]["encoding"]["color"]["scale"] = {"domain": ["test loss", "pinned test loss"], "range": [PALETTE[1], "#6b7280"]}
    st.vega_lite_chart(data, spec, key="pg-compare")


# -- side panels ---------------------------------------------------------------------------------------
def presets_bar() -> None:
    choice, button = st.columns([3, 1], vertical_alignment="bottom")
    name = choice.selectbox("Teaching scenario", list(PRESETS), format_func=lambda k: PRESETS[k].title, key=f"{PAGE}.preset")
    button.button("Load scenario", on_click=lambda: controls.load(PRESETS[st.session_state[f"{PAGE}.preset"]].config()),
                  width="stretch", key=f"{PAGE}.do.load_preset")
    st.caption(PRESETS[name].story)


def _apply_csv() -> None:
    """on_change of the CSV uploader: runs before the widgets are drawn, so it may set them."""
    upload = st.session_state.get(f"{PAGE}.do.csv")
    if upload is None:
        return
    try:
        data = parse_csv(upload.getvalue())
    except DataError as exc:
        state.flash(PAGE, f"This file could not be used: {exc}", "error")
        return
    st.session_state[controls.key("points")] = tuple(float(v) for v in np.column_stack([data.x, data.y]).ravel())
    st.session_state[controls.key("dataset")] = CUSTOM
    state.flash(PAGE, f"Loaded {len(data.y)} points from {upload.name}.", "success")


def _apply_config() -> None:
    upload = st.session_state.get(f"{PAGE}.do.json")
    if upload is None:
        return
    try:
        config = PlaygroundConfig.from_json(upload.getvalue())
    except ConfigError as exc:
        state.flash(PAGE, f"This config could not be loaded: {exc}", "error")
        return
    controls.load(config)
    state.flash(PAGE, f"Loaded the settings from {upload.name}.", "success")


def csv_upload() -> None:
    st.file_uploader("Your own data (CSV: x1, x2, label)", type=["csv", "txt"], key=f"{PAGE}.do.csv", on_change=_apply_csv,
                     help="Two feature columns and a label column; a header row is optional. At most 5000 rows.")


def config_upload() -> None:
    st.file_uploader("Load a config (JSON)", type=["json"], key=f"{PAGE}.do.json", on_change=_apply_config)


# -- drawing your own points ------------------------------------------------------------------------
DRAW_GRID = np.linspace(-EXTENT, EXTENT, 49)  # clickable positions: every 0.25 across the plane


def _current_points(values: dict) -> tuple[float, ...]:
    """The points on screen as (x1, x2, label) triples: the learner's own, or the generated set."""
    if values.get("dataset") == CUSTOM:
        return tuple(values.get("points", ()))
    try:
        train, test = build_data(PlaygroundConfig().replace(**values))
    except (ConfigError, DataError):
        return ()
    rows = np.column_stack([np.concatenate([train.x, test.x]), np.concatenate([train.y, test.y])])
    return tuple(float(v) for v in rows.round(4).ravel())


def _add_clicked_point(values: dict) -> None:
    """on_select of the drawing board: add the clicked position with the chosen label."""
    event = st.session_state.get(f"{PAGE}.do.board")
    points = (event or {}).get("selection", {}).get("points", [])
    if not points:
        return
    x1, x2 = float(points[0]["x"]), float(points[0]["y"])
    label = st.session_state.get(f"{PAGE}.draw_label")
    label = float(label if label is not None else 0)  # a deselected class picker means class 0
    st.session_state[controls.key("points")] = _current_points(values) + (round(x1, 3), round(x2, 3), label)
    st.session_state[controls.key("dataset")] = CUSTOM


def draw_points(values: dict) -> None:
    """A board to click points onto (static between clicks, so a Plotly chart is fine here)."""
    with st.expander("Draw your own points", icon=":material/draw:", key=f"{PAGE}.do.drawing", on_change="ignore"):
        task, classes = _task_of(values)
        label = st.session_state.get(f"{PAGE}.draw_label")
        if task == "regression":
            if not isinstance(label, float):
                st.session_state[f"{PAGE}.draw_label"] = 0.5
            st.number_input("Value of new points", -1.0, 1.0, step=0.1, key=f"{PAGE}.draw_label")
        else:
            if not (isinstance(label, int) and 0 <= label < classes):
                st.session_state[f"{PAGE}.draw_label"] = 0
            st.segmented_control("Class of new points", list(range(classes)), key=f"{PAGE}.draw_label",
                                 format_func=lambda c: f"class {c}")
        rows = np.asarray(_current_points(values), dtype=float).reshape(-1, 3)
        gx, gy = np.meshgrid(DRAW_GRID, DRAW_GRID)
        fig = go.Figure([
            go.Scatter(x=gx.ravel(), y=gy.ravel(), mode="markers", marker=dict(size=9, opacity=0), hoverinfo="x+y", showlegend=False),
            go.Scatter(x=rows[:, 0], y=rows[:, 1], mode="markers", hoverinfo="skip", showlegend=False,
                       marker=dict(size=6, color=rows[:, 2], colorscale=[[0, "#f59322"], [1, "#0877bd"]],
                                   line=dict(color="white", width=1))),
        ])
        fig.update_layout(height=300, margin=dict(l=0, r=0, t=0, b=0), dragmode=False, clickmode="event+select")
        fig.update_xaxes(range=[-EXTENT, EXTENT], showgrid=False)
        fig.update_yaxes(range=[-EXTENT, EXTENT], scaleanchor="x", showgrid=False)
        st.plotly_chart(fig, key=f"{PAGE}.do.board", on_select=lambda: _add_clicked_point(values), selection_mode="points",
                        config={"displayModeBar": False})
        st.caption(f"{len(rows)} points. Click to add one; the network is rebuilt on your own data.")
        if values.get("dataset") == CUSTOM:
            st.button("Clear my points", key=f"{PAGE}.do.clear_points", on_click=_clear_points)


def _clear_points() -> None:
    st.session_state[controls.key("points")] = ()
    st.session_state[controls.key("dataset")] = "spiral"


def _task_of(values: dict) -> tuple[str, int]:
    """The task of the data on the board, and how many classes the picker offers (one more than
    the learner's own points use, up to 5, so a new class can be started)."""
    if values.get("dataset") == CUSTOM:
        points = tuple(values.get("points", ()))
        labels = points[2::3]
        if labels and not all(float(v).is_integer() and 0 <= v <= 4 for v in labels):
            return "regression", 0
        return "classification", min(5, int(max(labels, default=1)) + 2)
    if values.get("dataset") in REGRESSION:
        return "regression", 0
    return "classification", values.get("n_classes", 2)
