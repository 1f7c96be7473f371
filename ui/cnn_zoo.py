"""The CNN page's architecture zoo: parameters and multiply-adds of classic CNNs, counted by the engine
from the module definitions (engine/cnn/zoo.py walks a forward pass with hooks), per layer and in total."""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from engine.cnn import zoo
from ui import state
from ui.charts import PALETTE

PAGE = "cnn"
LAYOUT = dict(template="plotly_white", margin=dict(l=10, r=10, t=40, b=10))


@st.cache_data(show_spinner="Counting…")
def _profile(name: str) -> list[dict]:
    return [dict(name=c.name, kind=c.kind, output=" × ".join(map(str, c.output_shape)), params=c.params, mult_adds=c.mult_adds)
            for c in zoo.profile_architecture(name)]


def _short(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:,.0f}"


def layer_chart(rows: list[dict], name: str, log: bool) -> go.Figure:
    """Parameters and multiply-adds of each layer that has any, in forward order."""
    shown = [r for r in rows if r["params"] or r["mult_adds"]]
    labels = [f"{i + 1}. {r['name']}" for i, r in enumerate(shown)]
    fig = go.Figure([
        go.Bar(x=labels, y=[r["params"] for r in shown], name="parameters", marker_color=PALETTE[0],
               hovertemplate="%{x}<br>%{y:,} parameters<extra></extra>"),
        go.Bar(x=labels, y=[r["mult_adds"] for r in shown], name="multiply-adds", marker_color=PALETTE[1],
               hovertemplate="%{x}<br>%{y:,} multiply-adds<extra></extra>"),
    ])
    fig.update_layout(height=380, barmode="group", title=f"{name}: per layer",
                      legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"), **LAYOUT)
    fig.update_yaxes(type="log" if log else "linear", title="count")
    fig.update_xaxes(showticklabels=len(shown) <= 40, tickangle=-60)
    return fig


def zoo_section() -> None:
    st.markdown("Parameters and multiply-adds of well-known CNNs, **counted from their module definitions** by one forward "
                "pass with hooks (not typed in). Only convolutions and linear layers are counted as multiply-adds.")
    summary = []
    for name in zoo.ARCHITECTURES:
        rows = _profile(name)
        summary.append({"architecture": name, "input": " × ".join(map(str, zoo.input_shape(name))),
                        "parameters": sum(r["params"] for r in rows), "multiply-adds": sum(r["mult_adds"] for r in rows),
                        "about": zoo.DESCRIPTIONS[name]})
    st.dataframe(summary, hide_index=True, width="stretch", key=state.action_key(PAGE, "zoo.summary"),
                 column_config={"parameters": st.column_config.NumberColumn(format="localized"),
                                "multiply-adds": st.column_config.NumberColumn(format="localized")})
    st.session_state.setdefault(state.widget_key(PAGE, "zoo.architecture"), "VGG-16")
    st.session_state.setdefault(state.widget_key(PAGE, "zoo.log"), True)
    a, b = st.columns([2, 1], vertical_alignment="bottom")
    name = a.selectbox("Architecture", list(zoo.ARCHITECTURES), key=state.widget_key(PAGE, "zoo.architecture"))
    log = b.toggle("Log scale", key=state.widget_key(PAGE, "zoo.log"))
    rows = _profile(name)
    params, macs = sum(r["params"] for r in rows), sum(r["mult_adds"] for r in rows)
    st.markdown(f"**{name}**: {params:,} parameters ({_short(params)}), {macs:,} multiply-adds ({_short(macs)}) per image.")
    st.plotly_chart(layer_chart(rows, name, log), key=state.action_key(PAGE, "zoo.chart"), width="stretch")
    with st.expander("Every layer", expanded=False):
        st.dataframe([{"layer": r["name"], "kind": r["kind"], "output": r["output"], "parameters": r["params"],
                       "multiply-adds": r["mult_adds"]} for r in rows], hide_index=True, width="stretch",
                     key=state.action_key(PAGE, "zoo.layers"))
    if name == "VGG-16":
        st.caption("VGG-16 uses only 3×3 stride-1 convolutions and 2×2 max pooling with **stride 2**; most of its 138 M "
                   "parameters sit in the first fully connected layer (7·7·512 × 4096).")
