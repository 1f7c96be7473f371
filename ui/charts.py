"""Live curves, built from engine data as Vega-Lite specs: pure functions, no Streamlit calls.

Why Vega-Lite for views that redraw while a job trains: Streamlit remounts a Plotly chart on
every fragment update (measured: a new plot element each redraw, and the old one lingers while
the new one draws), so a live Plotly chart blinks five times a second; a Vega-Lite chart keeps
its element and only swaps its data. Each function returns `(data, spec)` for
`st.vega_lite_chart(data, spec)`; the spec stays the same between redraws, the data changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from engine.runtime import Snapshot

MAX_POINTS = 600  # per series on screen: a chart redrawn 5×/s need not draw more than its width

PALETTE = ("#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04", "#db2777")
Chart = tuple[dict[str, list], dict]


def _rows() -> dict[str, list]:
    return {"step": [], "value": [], "series": [], "kind": [], "label": []}


def metric_curves(
    snapshot: Snapshot,
    metrics: Sequence[str] = ("loss",),
    *,
    unit: str = "step",
    log_y: bool = False,
    title: str = "",
    height: int = 260,
    marks: Sequence[tuple[float, str]] = (),
) -> Chart:
    """Metrics against the step, with the job's events (hot changes) and extra marks (e.g. the
    best test epoch) as dashed vertical rules labelled with what happened."""
    rows = _rows()
    names = []
    for name in metrics:
        steps, values = snapshot.metric(name)
        if log_y:
            keep = values > 0
            steps, values = steps[keep], values[keep]
        if not len(steps):
            continue
        if len(steps) > MAX_POINTS:  # thin evenly, keep the newest point
            keep = np.unique(np.linspace(0, len(steps) - 1, MAX_POINTS).round().astype(int))
            steps, values = steps[keep], values[keep]
        label = name.replace("_", " ")
        names.append(label)
        rows["step"] += steps.tolist()
        rows["value"] += values.tolist()
        rows["series"] += [label] * len(steps)
        rows["kind"] += ["curve"] * len(steps)
        rows["label"] += [""] * len(steps)
    for step, label in [(e.step, e.label) for e in snapshot.events] + list(marks):
        rows["step"].append(float(step))
        rows["value"].append(None)
        rows["series"].append("")
        rows["kind"].append("mark")
        rows["label"].append(label)
    y_scale = {"type": "log"} if log_y else {"zero": False}
    spec = {
        "height": height,
        "title": title or None,
        "layer": [
            {
                "transform": [{"filter": "datum.kind == 'curve'"}],
                "mark": {"type": "line", "strokeWidth": 1.5, "clip": True},
                "encoding": {
                    "x": {"field": "step", "type": "quantitative", "title": unit},
                    "y": {"field": "value", "type": "quantitative", "scale": y_scale, "title": None},
                    "color": {"field": "series", "type": "nominal", "title": None, "legend": {"orient": "top"},
                              "scale": {"domain": names, "range": list(PALETTE[: max(len(names), 1)])}},
                    "tooltip": [{"field": "series"}, {"field": "step", "title": unit}, {"field": "value", "format": ".4g"}],
                },
            },
            {
                "transform": [{"filter": "datum.kind == 'mark'"}],
                "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#6b7280"},
                "encoding": {"x": {"field": "step", "type": "quantitative"}, "tooltip": [{"field": "label"}]},
            },
            {
                "transform": [{"filter": "datum.kind == 'mark'"}],
                "mark": {"type": "text", "angle": 270, "align": "right", "baseline": "bottom", "dx": -4, "dy": -2,
                         "fontSize": 10, "color": "#6b7280"},
                "encoding": {"x": {"field": "step", "type": "quantitative"}, "y": {"value": 0}, "text": {"field": "label"}},
            },
        ],
    }
    return rows, spec


def curve_fit(payload: Mapping[str, np.ndarray], height: int = 300) -> Chart:
    """Noisy samples and the network's current prediction over the input range."""
    rows = {"x": [], "y": [], "what": []}
    if payload:
        for what, xs, ys in (("samples", payload["x_train"], payload["y_train"]), ("network", payload["x"], payload["prediction"])):
            rows["x"] += np.asarray(xs).tolist()
            rows["y"] += np.asarray(ys).tolist()
            rows["what"] += [what] * len(xs)
    spec = {
        "height": height,
        "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative", "scale": {"zero": False}}},
        "layer": [
            {"transform": [{"filter": "datum.what == 'samples'"}], "mark": {"type": "circle", "size": 18, "color": "#9ca3af"}},
            {"transform": [{"filter": "datum.what == 'network'"}], "mark": {"type": "line", "strokeWidth": 3, "color": PALETTE[0]}},
        ],
    }
    return rows, spec
