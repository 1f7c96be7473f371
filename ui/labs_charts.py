"""The Labs page's evidence plot: a pure function from a lab's `Evidence` to a Plotly figure.

A finished lab does not change while it is shown, so Plotly serves it (hover values, zoom). Lines or grouped
bars, ± one standard error as error bars where the lab measured one, log axes where the evidence asks.
"""

from __future__ import annotations

import plotly.graph_objects as go

from engine.labs.base import Evidence
from ui.charts import PALETTE

LAYOUT = dict(template="plotly_white", margin=dict(l=10, r=10, t=40, b=10))


def evidence_figure(ev: Evidence, title: str = "", height: int = 400) -> go.Figure:
    fig = go.Figure()
    for i, s in enumerate(ev.series):
        colour = PALETTE[i % len(PALETTE)]
        err = dict(type="data", array=list(s.err), visible=True, thickness=1.3, width=5) if s.err else None
        hover = f"{s.name}<br>{ev.x_label}: %{{x}}<br>{ev.y_label}: %{{y:.4g}}" + (" ± %{error_y.array:.2g}" if s.err else "")
        if ev.kind == "bar":
            fig.add_trace(go.Bar(name=s.name, x=list(s.x), y=list(s.y), error_y=err, marker_color=colour,
                                 hovertemplate=hover + "<extra></extra>"))
        else:
            fig.add_trace(go.Scatter(name=s.name, x=list(s.x), y=list(s.y), error_y=err, mode="lines+markers",
                                     line=dict(color=colour, width=2), marker=dict(size=7), hovertemplate=hover + "<extra></extra>"))
    fig.update_layout(height=height, title=title or None, barmode="group", showlegend=len(ev.series) > 1,
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), **LAYOUT)
    fig.update_xaxes(title=ev.x_label, type="log" if ev.log_x else None, exponentformat="power")  # 10⁻⁶, not 1µ
    fig.update_yaxes(title=ev.y_label, type="log" if ev.log_y else None, exponentformat="power")
    return fig
