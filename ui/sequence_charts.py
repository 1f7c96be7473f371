"""Figures of the Sequence page: pure functions from engine data to Plotly figures, a PIL drawing of the
unrolled cell, and the beam tree as Graphviz DOT text. Everything here is static between reruns (the live
curves are Vega-Lite, in ui/charts.py), so Plotly serves the heat maps and experiment plots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw

from ui.charts import PALETTE
from ui.images import SCALE, font

LAYOUT = dict(template="plotly_white", margin=dict(l=10, r=10, t=40, b=10))
CELL_COLOURS = {"rnn": PALETTE[3], "gru": PALETTE[0], "lstm": PALETTE[2], "transformer": PALETTE[4]}
CELL_NAMES = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM", "transformer": "transformer"}
INK, GREY, LINE = (17, 24, 39), (107, 114, 128), (148, 163, 184)


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def sci(value: float) -> str:
    """1.5e+08 as "1.5 × 10⁸" (plain below 10,000)."""
    if abs(value) < 1e4 and (value == 0 or abs(value) >= 1e-3):
        return f"{value:.3g}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(SUPERSCRIPT)}"


def shown(c: str) -> str:
    """A character as a label: the newline and the space made visible."""
    return {"\n": "⏎", " ": "␣"}.get(c, c)


# -- inside the cell ----------------------------------------------------------------------------------------------
def time_heatmap(values: np.ndarray, chars: Sequence[str], units: Sequence[int], title: str, gate: bool,
                 height: int = 300) -> go.Figure:
    """values (T, units) over time: units as rows, the input characters as columns. Gates 0 … 1 (Viridis);
    states and candidates −1 … 1 (blue … red), the LSTM cell state symmetric around 0 at its own range."""
    z = np.asarray(values, dtype=np.float32).T  # (units, T)
    if gate:
        scale, low, high = "Viridis", 0.0, 1.0
    else:
        top = max(1.0, float(np.abs(z).max()) if z.size else 1.0)
        scale, low, high = "RdBu", -top, top
    T = z.shape[1]
    fig = go.Figure(go.Heatmap(z=z, x=list(range(T)), y=[str(u) for u in units], colorscale=scale, zmin=low, zmax=high,
                               reversescale=not gate, colorbar=dict(thickness=10),
                               customdata=np.array([[shown(c) for c in chars]] * len(units)),
                               hovertemplate="after “%{customdata}” (t = %{x})<br>unit %{y}<br>%{z:.3f}<extra></extra>"))
    fig.update_layout(height=height, title=title, **LAYOUT)
    fig.update_xaxes(tickvals=list(range(T)), ticktext=[shown(c) for c in chars], title="input character x_t", tickangle=0)
    fig.update_yaxes(title="unit", type="category", autorange="reversed")
    return fig


def _colour(value: float, gate: bool) -> tuple[int, int, int]:
    """Gate 0 … 1 white → blue; a state −1 … 1 blue → white → red."""
    if gate:
        t = min(max(value, 0.0), 1.0)
        return tuple(round(255 - t * (255 - c)) for c in (37, 99, 235))
    t = min(max(value, -1.0), 1.0)
    end = (220, 38, 38) if t > 0 else (37, 99, 235)
    return tuple(round(255 - abs(t) * (255 - c)) for c in end)


def unrolled(chars: Sequence[str], hidden: np.ndarray, gates: Mapping[str, np.ndarray], predictions: Sequence[tuple[str, float]],
             cell: str, chosen: int) -> Image.Image:
    """The cell unrolled over time: per step the input character below, a box with its gates' mean values, the hidden
    state as a strip of coloured units (the units of `hidden`, (T, units)) and the predicted next character above."""
    T, box_w, gap = len(chars), 92, 26
    width, height = 20 + T * (box_w + gap), 250
    image = Image.new("RGB", (width * SCALE, height * SCALE), "white")
    d = ImageDraw.Draw(image)
    f, small = font(12), font(10)
    names = {"gru": ("z", "r"), "lstm": ("f", "i", "o")}.get(cell, ())
    for t in range(T):
        x0 = 20 + t * (box_w + gap)
        top, bottom = 70, 170
        outline = (234, 88, 12) if t == chosen else INK
        d.rounded_rectangle([x0 * SCALE, top * SCALE, (x0 + box_w) * SCALE, bottom * SCALE], radius=8 * SCALE, outline=outline,
                            width=(3 if t == chosen else 1) * SCALE, fill=(248, 250, 252))
        d.text(((x0 + box_w / 2) * SCALE, (top + 6) * SCALE), f"{cell.upper()} t={t}", fill=GREY, font=small, anchor="ma")
        for g, name in enumerate(names):
            mean = float(np.mean(gates[name][t]))
            y = top + 24 + g * 16
            d.rectangle([(x0 + 8) * SCALE, y * SCALE, (x0 + 20) * SCALE, (y + 12) * SCALE], fill=_colour(mean, True), outline=LINE)
            d.text(((x0 + 24) * SCALE, y * SCALE), f"{name}̄ {mean:.2f}", fill=INK, font=small)
        units = hidden[t]
        cell_w = (box_w - 12) / max(len(units), 1)
        for u, value in enumerate(units):
            ux = x0 + 6 + u * cell_w
            d.rectangle([ux * SCALE, (bottom - 22) * SCALE, (ux + cell_w) * SCALE, (bottom - 8) * SCALE], fill=_colour(float(value), False))
        d.text(((x0 + box_w / 2) * SCALE, (bottom - 36) * SCALE), "h_t", fill=GREY, font=small, anchor="ma")
        # input below, prediction above
        d.line([((x0 + box_w / 2) * SCALE, (bottom + 22) * SCALE), ((x0 + box_w / 2) * SCALE, bottom * SCALE)], fill=LINE, width=SCALE)
        d.text(((x0 + box_w / 2) * SCALE, (bottom + 26) * SCALE), f"x = “{shown(chars[t])}”", fill=INK, font=f, anchor="ma")
        char, p = predictions[t]
        d.line([((x0 + box_w / 2) * SCALE, top * SCALE), ((x0 + box_w / 2) * SCALE, (top - 18) * SCALE)], fill=LINE, width=SCALE)
        d.text(((x0 + box_w / 2) * SCALE, (top - 40) * SCALE), f"“{shown(char)}” {p:.0%}", fill=INK, font=f, anchor="ma")
        if t + 1 < T:  # the recurrent arrow h_t → next step
            y = (top + bottom) / 2
            d.line([((x0 + box_w) * SCALE, y * SCALE), ((x0 + box_w + gap - 4) * SCALE, y * SCALE)], fill=INK, width=SCALE)
            tip = (x0 + box_w + gap - 2) * SCALE
            d.polygon([(tip, y * SCALE), (tip - 7 * SCALE, (y - 4) * SCALE), (tip - 7 * SCALE, (y + 4) * SCALE)], fill=INK)
            label = "h, c" if cell == "lstm" else "h"
            d.text(((x0 + box_w + gap / 2) * SCALE, (y - 16) * SCALE), label, fill=GREY, font=small, anchor="ma")
    d.text((20 * SCALE, (height - 24) * SCALE), "above each step: the most likely next character and its probability; "
           "in the box: the gates' mean over units and h_t's units (blue −1 … red +1)", fill=GREY, font=small)
    return image


# -- gradients through time ----------------------------------------------------------------------------------------
def gradient_plot(curves: Mapping[str, np.ndarray], height: int = 380) -> go.Figure:
    """‖∂L_T/∂h_t‖ against t on a log scale; keys "rnn" (at init) or "rnn · trained" (dashed vs solid)."""
    fig = go.Figure()
    for label, norms in curves.items():
        cell, _, when = label.partition(" · ")
        norms = np.asarray(norms, dtype=float)
        keep = norms > 0
        fig.add_trace(go.Scatter(x=np.arange(len(norms))[keep], y=norms[keep], mode="lines",
                                 name=f"{CELL_NAMES[cell]} {when or 'at initialisation'}",
                                 line=dict(color=CELL_COLOURS[cell], dash="solid" if when else "dot", width=2),
                                 hovertemplate="t = %{x}<br>‖∂L/∂h_t‖ = %{y:.3g}<extra></extra>"))
    fig.update_layout(height=height, title="‖∂L_T / ∂h_t‖: how much the last step's loss reaches back to step t", **LAYOUT)
    fig.update_xaxes(title="step t (the loss is at the last step)")
    fig.update_yaxes(title="gradient norm (log scale)", type="log", exponentformat="power")
    return fig


def exploding_plots(runs: Mapping[str, Mapping], height: int = 320) -> tuple[go.Figure, go.Figure]:
    """Loss and gradient norm per update for the unclipped and clipped runs."""
    figures = []
    for metric, title, log in (("loss", "training loss per update", False), ("grad_norm", "gradient norm before clipping", True)):
        fig = go.Figure()
        for n, (name, run) in enumerate(runs.items()):
            values = np.asarray(run[metric], dtype=float)
            finite = np.isfinite(values)
            fig.add_trace(go.Scatter(x=np.arange(1, len(values) + 1)[finite], y=values[finite], mode="lines+markers", name=name,
                                     line=dict(color=PALETTE[3] if n == 0 else PALETTE[0]), marker=dict(size=5)))
        fig.update_layout(height=height, title=title, **LAYOUT)
        fig.update_xaxes(title="update")
        fig.update_yaxes(type="log" if log else "linear", exponentformat="power" if log else None)
        figures.append(fig)
    return figures[0], figures[1]


# -- memory range ----------------------------------------------------------------------------------------------------
def recall_plot(payload: Mapping, height: int = 380) -> go.Figure:
    fig = go.Figure()
    lengths = np.asarray(payload["lengths"])
    for n, model in enumerate(payload["models"]):
        acc = np.asarray(payload["accuracy"][n], dtype=float)
        fig.add_trace(go.Scatter(x=lengths, y=acc, mode="lines+markers", name=CELL_NAMES[model], line=dict(color=CELL_COLOURS[model]),
                                 hovertemplate="L = %{x}<br>accuracy %{y:.1%}<extra>" + CELL_NAMES[model] + "</extra>"))
    fig.add_hline(y=payload["chance"], line=dict(dash="dot", color="#9ca3af"), annotation_text="chance")
    fig.update_layout(height=height, title="Delayed recall: test accuracy against the delay L", **LAYOUT)
    fig.update_xaxes(title="delay L (distractors between the symbol and the query)", tickvals=lengths)
    fig.update_yaxes(title="accuracy", range=[0, 1.05], tickformat=".0%")
    return fig


# -- decoding --------------------------------------------------------------------------------------------------------
def beam_tree(tree: Sequence[Mapping], show_pruned: bool = True) -> go.Figure:
    """The beam as a trellis: one column per step, the extensions considered at that step ranked by cumulative log P
    from the top (the kept ones first, in blue; pruned ones grey), each joined to the hypothesis it extends. A finished
    string (the end symbol ⏎) is a square. Hover a node for its whole text and log P."""
    rank: dict[int, int] = {}
    by_step: dict[int, list[Mapping]] = {}
    for node in tree:
        if node["parent"] >= 0 and (show_pruned or node["kept"]):
            by_step.setdefault(node["step"], []).append(node)
    rank[0] = 0
    for step_nodes in by_step.values():
        for r, node in enumerate(sorted(step_nodes, key=lambda n: (not n["kept"], -n["logp"]))):
            rank[node["id"]] = r
    nodes = [n for n in tree if n["id"] in rank]
    parent_step = {n["id"]: n["step"] for n in tree}
    fig = go.Figure()
    for kept, colour, width in ((False, "#cbd5e1", 1), (True, "#2563eb", 2)):
        xs, ys = [], []
        for n in nodes:
            if n["parent"] >= 0 and n["kept"] == kept:
                xs += [parent_step[n["parent"]], n["step"], None]
                ys += [rank[n["parent"]], rank[n["id"]], None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=colour, width=width), hoverinfo="skip", showlegend=False))
    for kept in (False, True):
        group = [n for n in nodes if n["parent"] >= 0 and n["kept"] == kept]
        fig.add_trace(go.Scatter(
            x=[n["step"] for n in group], y=[rank[n["id"]] for n in group], mode="markers+text",
            text=[shown(n["token"]) for n in group], textfont=dict(color="white" if kept else "#64748b", size=12 if kept else 10),
            marker=dict(size=22 if kept else 16, color="#2563eb" if kept else "#f1f5f9", line=dict(color="#1d4ed8" if kept else "#cbd5e1"),
                        symbol=["square" if n["finished"] else "circle" for n in group]),
            customdata=[[shown(n["text"]) if n["text"] else "", n["logp"]] for n in group],
            name="kept" if kept else "pruned",
            hovertemplate="“%{customdata[0]}”<br>log P = %{customdata[1]:.3f}<extra>%{fullData.name}</extra>"))
    labelled = [n for n in nodes if n["parent"] >= 0 and n["kept"]]
    fig.add_trace(go.Scatter(x=[n["step"] for n in labelled], y=[rank[n["id"]] + 0.44 for n in labelled], mode="text",
                             text=[f"{n['logp']:.1f}".replace("-", "−") for n in labelled], textfont=dict(size=9, color="#475569"),
                             hoverinfo="skip", showlegend=False))
    root = next(n for n in tree if n["parent"] < 0)
    after = f" after “{root['token']}”" if root["token"] else ""
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers+text", text=["start"], textposition="middle left", showlegend=False,
                             marker=dict(size=12, color="#111827"), hovertemplate=f"start{after}<extra></extra>"))
    rows = max(rank.values()) + 1
    fig.update_layout(height=110 + 44 * rows, title="The beam tree: each column a step, ranked by cumulative log P",
                      legend=dict(orientation="h", y=1.02, x=1, xanchor="right", yanchor="bottom"), **LAYOUT)
    fig.update_xaxes(title="step (characters generated)", dtick=1, range=[-1, max(parent_step.values()) + 0.6])
    fig.update_yaxes(title="rank at that step", autorange="reversed", showticklabels=False, zeroline=False)
    return fig
