"""Figures built from engine data: pure functions, no Streamlit calls, unit-testable.

`metric_curves` draws any metrics of a snapshot against the step, with the job's events (hot
changes) as dotted vertical lines labelled with what changed, so a learner sees where the
learning rate went up and what the loss did next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from engine.runtime import Snapshot

PALETTE = ("#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2")
_LAYOUT = dict(margin=dict(l=10, r=10, t=30, b=10), template="plotly_white", legend=dict(orientation="h", y=1.12))


def metric_curves(
    snapshot: Snapshot,
    metrics: Sequence[str] = ("loss",),
    *,
    unit: str = "step",
    log_y: bool = False,
    title: str = "",
    height: int = 300,
) -> go.Figure:
    fig = go.Figure()
    for i, name in enumerate(metrics):
        color = PALETTE[i % len(PALETTE)]
        steps, values = snapshot.metric(name)
        if len(steps):
            fig.add_trace(go.Scatter(x=steps, y=values, mode="lines", name=name.replace("_", " "), line=dict(color=color)))
    for event in snapshot.events:
        fig.add_vline(x=event.step, line=dict(color="#6b7280", dash="dot", width=1))
        fig.add_annotation(x=event.step, y=1, yref="paper", text=event.label, showarrow=False,
                           textangle=-90, xanchor="right", yanchor="top", font=dict(size=10, color="#6b7280"))
    fig.update_layout(title=title or None, height=height, xaxis_title=unit, **_LAYOUT)
    fig.update_yaxes(type="log" if log_y else "linear")
    return fig


def curve_fit(payload: Mapping[str, np.ndarray], height: int = 300) -> go.Figure:
    """Noisy samples and the network's current prediction over the input range."""
    fig = go.Figure()
    if payload:
        fig.add_trace(go.Scatter(x=payload["x_train"], y=payload["y_train"], mode="markers", name="samples",
                                 marker=dict(size=5, color="#9ca3af")))
        fig.add_trace(go.Scatter(x=payload["x"], y=payload["prediction"], mode="lines", name="network",
                                 line=dict(color=PALETTE[0], width=3)))
    fig.update_layout(height=height, xaxis_title="x", yaxis_title="y", **_LAYOUT)
    return fig
