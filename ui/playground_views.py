"""What the Playground page draws from a live snapshot, and its side panels (presets, compare,
share and export). Figures come from ui.playground_charts; numbers from the engine."""

from __future__ import annotations

import numpy as np
import streamlit as st

from engine.data2d import DataError, parse_csv
from engine.features import FEATURE_LABELS
from engine.metrics import predict, report, roc_curve
from engine.playground.config import CUSTOM, PlaygroundConfig
from engine.playground.presets import PRESETS
from engine.runtime import Snapshot
from ui import charts
from ui import playground_charts as pc
from ui import playground_controls as controls

PAGE = "playground"
PINNED = "playground.pinned"


# -- the live view -------------------------------------------------------------------------------
def render(snap: Snapshot) -> None:
    p = snap.payload
    if not p:
        st.info("Building the network…")
        return
    _counters(snap)
    diagram, plane = st.columns([1.2, 1], gap="medium")
    with diagram:
        st.markdown("**Network** · each square shows what a unit computes over the input plane")
        labels = [FEATURE_LABELS[f] for f in p["features"]]
        event = st.plotly_chart(pc.network(p, labels), key="pg-network", on_select="rerun", selection_mode="points",
                                config={"displayModeBar": False})
        _selected_unit(p, event)
    with plane:
        show_test = st.toggle("Show test points", value=True, key=f"{PAGE}.show_test")
        discrete = st.toggle("Discretise output", value=False, key=f"{PAGE}.discretize", disabled=p["n_classes"] == 0)
        st.plotly_chart(pc.boundary(p, show_test, discrete), key="pg-boundary", config={"displayModeBar": False})
    _curves(snap)
    metrics, health, compare = st.tabs(["Metrics", "Training health", "Compare"])
    with metrics:
        _metrics(p)
    with health:
        _health(snap)
    with compare:
        _compare(snap)


def _counters(snap: Snapshot) -> None:
    p = snap.payload
    cols = st.columns(5)
    cols[0].metric("Epoch", f"{p['epoch']:,}")
    cols[1].metric("Iteration", f"{p['iteration']:,}")
    cols[2].metric("Train loss", f"{snap.latest('loss'):.4f}")
    cols[3].metric("Test loss", f"{snap.latest('test_loss'):.4f}")
    cols[4].metric("Learning rate now", f"{p['learning_rate_now']:.3g}")
    for note in p["diagnosis"]:
        st.warning(note, icon=":material/stethoscope:")


def _selected_unit(p: dict, event) -> None:
    points = event.get("selection", {}).get("points", []) if event else []
    ids = [pt["customdata"] for pt in points if isinstance(pt.get("customdata"), str)]
    if not ids:
        st.caption("Hover a unit for its weights and bias; click it for a large preview.")
        return
    layer, unit = (int(v) for v in ids[0].split(":"))
    title = "input" if layer == 0 else ("output" if layer == len(p["previews"]) - 1 else f"layer {layer}, unit {unit + 1}")
    st.plotly_chart(pc.large_preview(p["previews"][layer][unit], title), key="pg-unit")


def _curves(snap: Snapshot) -> None:
    left, right = st.columns(2)
    log_y = left.toggle("Log-scale loss", value=False, key=f"{PAGE}.log_y")
    fig = charts.metric_curves(snap, ("loss", "test_loss"), unit="epoch", log_y=log_y, title="Loss")
    best = snap.payload["best_test_epoch"]
    if best:
        fig.add_vline(x=best, line=dict(color="#16a34a", dash="dash", width=1),
                      annotation_text=f"best test epoch {best}", annotation_position="top left")
    left.plotly_chart(fig, key="pg-loss")
    if snap.payload["n_classes"]:
        right.plotly_chart(charts.metric_curves(snap, ("accuracy", "test_accuracy"), unit="epoch", title="Accuracy"), key="pg-acc")


def _metrics(p: dict) -> None:
    k = p["n_classes"]
    if k == 0:
        y, yhat = np.asarray(p["test_y"]), np.asarray(p["test_scores"])
        if len(y):
            st.metric("Test mean squared error", f"{float(np.mean((y - yhat) ** 2)):.4f}")
        return
    part = st.segmented_control("Data", ["test", "train"], default="test", key=f"{PAGE}.metrics_part") or "test"
    y, scores = np.asarray(p[f"{part}_y"]), np.asarray(p[f"{part}_scores"])
    if not len(y):
        st.info("No points in this part.")
        return
    threshold = 0.5
    if k == 2:
        threshold = st.slider("Decision threshold on P(class 1)", 0.0, 1.0, 0.5, 0.01, key=f"{PAGE}.threshold")
    rep = report(y, predict(scores, threshold), k)
    names = [f"class {c}" for c in range(k)]
    table, matrix = st.columns([1.3, 1])
    table.dataframe({"class": names, "precision": rep.precision.round(3), "recall": rep.recall.round(3),
                     "F1": rep.f1.round(3), "points": rep.support}, hide_index=True)
    table.caption(f"Accuracy {rep.accuracy:.3f}. Precision = TP/(TP+FP), recall = TP/(TP+FN), "
                  "F1 = 2PR/(P+R). With imbalanced classes accuracy can look good while the minority's recall is poor.")
    matrix.plotly_chart(pc.confusion(rep, names), key="pg-confusion")
    if k == 2:
        fpr, tpr, auc = roc_curve(y, scores)
        negatives, positives = max(int((y == 0).sum()), 1), max(int((y == 1).sum()), 1)
        point = (float(rep.confusion[0, 1]) / negatives, float(rep.confusion[1, 1]) / positives)
        st.plotly_chart(pc.roc(fpr, tpr, auc, point), key="pg-roc")


def _health(snap: Snapshot) -> None:
    p = snap.payload
    layers = len(p["weights"])
    names = tuple(f"grad_norm_{l}" for l in range(1, layers + 1))
    st.plotly_chart(charts.metric_curves(snap, names, unit="epoch", log_y=True, title="Gradient norm ‖∂L/∂W[l]‖ per layer"),
                    key="pg-gradnorms")
    left, right = st.columns(2)
    left.plotly_chart(pc.weight_histograms(p["weights"]), key="pg-hist")
    dead, saturated = np.asarray(p["dead_percent"]), np.asarray(p["saturated_percent"])
    if np.isfinite(dead).any():
        right.plotly_chart(pc.layer_bars(np.nan_to_num(dead), "Dead ReLU units", "% of units"), key="pg-dead")
    if np.isfinite(saturated).any():
        right.plotly_chart(pc.layer_bars(np.nan_to_num(saturated), "Saturated activations", "% of activations"), key="pg-sat")
    small = sum(int((np.abs(W) < 1e-3).sum()) for W in p["weights"])
    total = sum(W.size for W in p["weights"])
    right.caption(f"{small} of {total} weights are near zero (|w| < 0.001).")


def _compare(snap: Snapshot) -> None:
    pinned: Snapshot | None = st.session_state.get(PINNED)
    if st.button("Pin this run for comparison", icon=":material/push_pin:", key=f"{PAGE}.pin"):
        st.session_state[PINNED] = pinned = snap
    if pinned is None:
        st.caption("Pin a run, change the settings (same data and seed), train again, and compare here.")
        return
    left, right = st.columns(2)
    left.markdown(f"**Pinned** · epoch {pinned.payload['epoch']}, test loss {pinned.latest('test_loss'):.4f}")
    left.plotly_chart(pc.boundary(pinned.payload, height=320), key="pg-pinned")
    right.markdown(f"**Current** · epoch {snap.payload['epoch']}, test loss {snap.latest('test_loss'):.4f}")
    right.plotly_chart(pc.boundary(snap.payload, height=320), key="pg-current")
    fig = charts.metric_curves(snap, ("test_loss",), unit="epoch", title="Test loss: current (solid) vs pinned (dotted)")
    steps, values = pinned.metric("test_loss")
    fig.add_scatter(x=steps, y=values, mode="lines", name="pinned test loss", line=dict(dash="dot", color="#6b7280"))
    st.plotly_chart(fig, key="pg-compare")


# -- side panels ---------------------------------------------------------------------------------------
def presets_bar() -> None:
    choice, button = st.columns([3, 1], vertical_alignment="bottom")
    name = choice.selectbox("Teaching scenario", list(PRESETS), format_func=lambda k: PRESETS[k].title, key=f"{PAGE}.preset")
    button.button("Load scenario", on_click=lambda: controls.load(PRESETS[st.session_state[f"{PAGE}.preset"]].config()),
                  width="stretch", key=f"{PAGE}.load_preset")
    st.caption(PRESETS[name].story)


def csv_upload() -> None:
    upload = st.file_uploader("Your own data (CSV: x1, x2, label)", type=["csv", "txt"], key=f"{PAGE}.csv")
    if upload is None or st.session_state.get(f"{PAGE}.csv_done") == upload.file_id:
        return
    try:
        data = parse_csv(upload.getvalue())
    except DataError as exc:
        st.error(f"This file could not be used: {exc}")
        return
    st.session_state[f"{PAGE}.csv_done"] = upload.file_id
    rows = np.column_stack([data.x, data.y]).ravel()
    st.session_state[controls.key("points")] = tuple(float(v) for v in rows)
    st.session_state[controls.key("dataset")] = CUSTOM
    st.rerun()


def config_upload() -> None:
    upload = st.file_uploader("Load a config (JSON)", type=["json"], key=f"{PAGE}.json")
    if upload is None or st.session_state.get(f"{PAGE}.json_done") == upload.file_id:
        return
    try:
        config = PlaygroundConfig.from_json(upload.getvalue())
    except Exception as exc:  # ConfigError, or anything odd in a hand-edited file
        st.error(f"This config could not be loaded: {exc}")
        return
    st.session_state[f"{PAGE}.json_done"] = upload.file_id
    controls.load(config)
    st.rerun()
