"""Figures of the Attention page: pure functions from engine data to images and Plotly figures.

The attention maps that change while the transformer trains are one PIL image (a big map of the
chosen layer and head with its tokens, and every layer × head as small multiples beside it):
a Plotly chart in a live fragment would remount at each redraw. Everything else on the page is
static between reruns and is Plotly. Token axes are numeric positions labelled with the tokens
(a sentence can hold the same token twice, which a categorical axis would merge).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw
from plotly.subplots import make_subplots

from engine.attention.steps import Steps, score_terms
from ui.charts import PALETTE
from ui.images import SCALE, data_uri, font
from ui.positional_charts import DIVERGING, LAYOUT

WEIGHTS = "Blues"
BLOCKED = "#d1d5db"  # masked cells (−∞ before the softmax) show the plot's background
WHITE, BLUE, INK, MUTED = np.array([255, 255, 255]), np.array([29, 78, 216]), "#111827", "#6b7280"
MAX_TERMS = 4  # dot products longer than this are shortened in the hover text


def shown(token: str) -> str:
    """A token as an axis label: a space becomes ␣ so that it is visible."""
    return "␣" if token.isspace() else token


def _ticks(labels: Sequence[str] | None) -> dict:
    if labels is None:
        return {}
    return dict(tickmode="array", tickvals=list(range(len(labels))), ticktext=[shown(t) for t in labels])


def token_heatmap(m: np.ndarray, rows: Sequence[str] | None, cols: Sequence[str] | None, title: str, x_title: str,
                  y_title: str, *, hover: np.ndarray | None = None, weights: bool = False, highlight_row: int | None = None,
                  dividers: Sequence[float] = (), height: int | None = None, clickable: bool = False) -> go.Figure:
    """A matrix with token labels on its axes. weights: a 0 … 1 blue scale with the values written
    in the cells (small maps); otherwise a diverging scale symmetric about 0. −∞ cells are drawn as
    blocked (grey); `hover` (same shape, strings) replaces the default hover text. clickable: an
    invisible marker on every cell, because Plotly reports clicks on markers, not on heat-map cells."""
    m = np.asarray(m, dtype=float)
    finite = np.where(np.isfinite(m), m, np.nan)
    if weights:
        scale = dict(colorscale=WEIGHTS, zmin=0.0, zmax=1.0)
    else:
        peak = float(np.nanmax(np.abs(finite))) if np.isfinite(finite).any() else 1.0
        scale = dict(colorscale=DIVERGING, reversescale=True, zmin=-(peak or 1.0), zmax=peak or 1.0)
    if hover is None:
        hover = np.where(np.isfinite(m), np.char.mod("%.4f", np.nan_to_num(m)), "blocked: −∞ (weight 0)")
    small = weights and m.shape[0] <= 12 and m.shape[1] <= 12
    fig = go.Figure(go.Heatmap(z=finite.astype(np.float32), **scale, text=hover, colorbar=dict(thickness=10),
                               hovertemplate=f"{y_title} %{{y}}<br>{x_title} %{{x}}<br>%{{text}}<extra></extra>",
                               texttemplate="%{z:.2f}" if small else None, xgap=1 if small else 0, ygap=1 if small else 0))
    if clickable:
        yy, xx = np.mgrid[0 : m.shape[0], 0 : m.shape[1]]
        fig.add_trace(go.Scatter(x=xx.ravel(), y=yy.ravel(), mode="markers", marker=dict(size=14, opacity=0), showlegend=False,
                                 text=np.asarray(hover).ravel(),
                                 hovertemplate=f"{y_title} %{{y}}<br>{x_title} %{{x}}<br>%{{text}}<extra>click: this row</extra>"))
        fig.update_layout(clickmode="event+select", dragmode=False)
    if highlight_row is not None:
        fig.add_shape(type="rect", x0=-0.5, x1=m.shape[1] - 0.5, y0=highlight_row - 0.5, y1=highlight_row + 0.5,
                      line=dict(color="#f97316", width=3))
    for x in dividers:
        fig.add_vline(x=x, line=dict(color=INK, width=2))
    rows_shown = m.shape[0]
    background = BLOCKED if np.isneginf(m).any() else "white"  # only blocked cells show it
    fig.update_layout(height=height or int(min(560, max(240, 26 * rows_shown + 120))), title=title, plot_bgcolor=background,
                      **LAYOUT)
    # explicit ranges: the cells fill the plot area exactly (autorange leaves a margin of background)
    fig.update_xaxes(title=x_title, **_ticks(cols), showgrid=False, zeroline=False, range=[-0.5, m.shape[1] - 0.5])
    fig.update_yaxes(title=y_title, **_ticks(rows), showgrid=False, zeroline=False, range=[m.shape[0] - 0.5, -0.5])
    return fig


def _number(x: float) -> str:
    text = f"{x:.2f}".replace("-", "−")
    return f"({text})" if x < 0 else text


def score_hover(steps: Steps, head: int) -> np.ndarray:
    """(n, n) hover texts: the dot product q_i·k_j behind each score, term by term (shortened when d_k is large)."""
    n, d_k = steps.n, steps.config.d_k
    out = np.empty((n, n), dtype=object)
    for i in range(n):
        for j in range(n):
            t = score_terms(steps, head, i, j)
            terms = [f"{_number(a)}·{_number(b)}" for a, b in zip(t.q, t.k, strict=True)]
            if d_k > MAX_TERMS:
                terms = terms[:3] + [f"… ({d_k - 3} more terms)"]
            out[i, j] = (f"“{shown(steps.tokens[i])}” · “{shown(steps.tokens[j])}”<br>q{i}·k{j} = "
                         + " + ".join(terms) + f" = <b>{t.total:.3f}</b>")
    return out


def weights_bar(row: np.ndarray, tokens: Sequence[str], query: int, height: int = 260) -> go.Figure:
    """One query's weights over the keys (they sum to 1)."""
    colours = [PALETTE[1] if j == int(np.argmax(row)) else PALETTE[0] for j in range(len(row))]
    fig = go.Figure(go.Bar(x=list(range(len(row))), y=row, marker_color=colours,
                           hovertemplate="key %{x}<br>weight %{y:.4f}<extra></extra>"))
    fig.update_layout(height=height, title=f"Where “{shown(tokens[query])}” (query {query}) looks", **LAYOUT)
    fig.update_xaxes(title="key", **_ticks(tokens))
    fig.update_yaxes(title="weight", range=[0, 1.05])
    return fig


def head_weights(weights: np.ndarray, tokens: Sequence[str], height: int = 330) -> go.Figure:
    """(h, n, n) weights: one heat map per head, side by side, one 0 … 1 scale."""
    h = weights.shape[0]
    fig = make_subplots(1, h, subplot_titles=[f"head {i + 1}" for i in range(h)], horizontal_spacing=0.03)
    for i in range(h):
        fig.add_trace(go.Heatmap(z=weights[i].astype(np.float32), colorscale=WEIGHTS, zmin=0, zmax=1, showscale=i == h - 1,
                                 colorbar=dict(thickness=10),
                                 hovertemplate=f"head {i + 1}<br>query %{{y}}<br>key %{{x}}<br>%{{z:.3f}}<extra></extra>"),
                      1, i + 1)
        fig.update_xaxes(**_ticks(tokens), row=1, col=i + 1, showgrid=False)
        fig.update_yaxes(**(_ticks(tokens) if i == 0 else dict(showticklabels=False)), autorange="reversed", row=1, col=i + 1,
                         showgrid=False)
    fig.update_layout(height=height, plot_bgcolor=BLOCKED if (weights == 0).any() else "white", template="plotly_white",
                      margin=dict(l=10, r=10, t=40, b=10))
    return fig


def saturation_figure(s: Mapping, height: int = 320) -> go.Figure:
    """Max softmax weight, entropy and score spread against d, with and without ÷√d."""
    d = np.asarray(s["d"])
    fig = make_subplots(1, 3, subplot_titles=(f"largest of {s['n_keys']} weights", "entropy of the weights (nats)",
                                              "std of the scores"), horizontal_spacing=0.08)
    for kind, colour, label in (("unscaled", PALETTE[3], "q·k"), ("scaled", PALETTE[0], "q·k / √d")):
        for col, stat in ((1, "max_weight"), (2, "entropy"), (3, "std")):
            fig.add_trace(go.Scatter(x=d, y=s[f"{stat}_{kind}"], mode="lines+markers", name=label, legendgroup=kind,
                                     showlegend=col == 1, line=dict(color=colour)), 1, col)
    fig.add_trace(go.Scatter(x=d, y=s["expected_std"], mode="lines", name="√d", line=dict(color=MUTED, dash="dot")), 1, 3)
    fig.add_hline(y=1 / s["n_keys"], line=dict(color=MUTED, dash="dot"), annotation_text="uniform 1/n", row=1, col=1)
    fig.add_hline(y=s["max_entropy"], line=dict(color=MUTED, dash="dot"), annotation_text="log n (uniform)", row=1, col=2)
    fig.update_xaxes(type="log", title="d (query/key width)", dtick=np.log10(2) * 2)
    fig.update_yaxes(type="log", tickvals=[0.5, 1, 2, 4, 8, 16, 32], row=1, col=3)
    fig.update_layout(height=height, legend=dict(orientation="h", y=-0.25), **LAYOUT)
    return fig


def mask_heatmap(blocked: np.ndarray, title: str, height: int = 250) -> go.Figure:
    """A pattern as computed (blue) and skipped (light) query–key pairs."""
    n = blocked.shape[0]
    fig = go.Figure(go.Heatmap(z=(~blocked).astype(np.int8), colorscale=[[0, "#f3f4f6"], [1, "#2563eb"]], zmin=0, zmax=1,
                               showscale=False, xgap=1 if n <= 32 else 0, ygap=1 if n <= 32 else 0,
                               hovertemplate="query %{y}<br>key %{x}<br>%{z}<extra></extra>"))
    fig.update_layout(height=height, title=dict(text=title, font=dict(size=13)), template="plotly_white",
                      margin=dict(l=5, r=5, t=36, b=5))
    fig.update_xaxes(showticklabels=False, showgrid=False, constrain="domain")
    fig.update_yaxes(showticklabels=False, showgrid=False, autorange="reversed", scaleanchor="x")
    return fig


def cost_figure(result: Mapping, slopes: Mapping[str, Mapping[str, float]], height: int = 380) -> go.Figure:
    """Time and memory of full and sliding-window attention against n, log-log, slopes in the legend."""
    n = np.asarray(result["lengths"])
    fig = make_subplots(1, 2, subplot_titles=("time of one forward (ms)", "memory beyond q, k, v (MiB, from shapes)"),
                        horizontal_spacing=0.1)
    for i, (kind, label) in enumerate((("full", "full"), ("window", f"sliding window w = {result['width']}"))):
        colour = PALETTE[3] if kind == "full" else PALETTE[0]
        data = result[kind]
        fig.add_trace(go.Scatter(x=n, y=np.asarray(data["time_s"]) * 1e3, mode="lines+markers", line=dict(color=colour),
                                 name=f"{label}: slope {slopes[kind]['time']:.2f}", legendgroup=kind,
                                 hovertemplate="n %{x}<br>%{y:.3g} ms<extra></extra>"), 1, 1)
        fig.add_trace(go.Scatter(x=n, y=np.asarray(data["memory_bytes"]) / 2**20, mode="lines+markers",
                                 line=dict(color=colour, dash="dash"), name=f"{label} memory: slope {slopes[kind]['memory']:.2f}",
                                 legendgroup=kind, hovertemplate="n %{x}<br>%{y:.3g} MiB<extra></extra>"), 1, 2)
        fig.add_annotation(x=np.log10(n[-1]), y=np.log10(float(data["time_s"][-1]) * 1e3), text=f"slope {slopes[kind]['time']:.2f}",
                           showarrow=True, arrowhead=0, ax=-60, ay=-25 + 50 * i, row=1, col=1, font=dict(color=colour))
        fig.add_annotation(x=np.log10(n[-1]), y=np.log10(float(data["memory_bytes"][-1]) / 2**20),
                           text=f"slope {slopes[kind]['memory']:.2f}", showarrow=True, arrowhead=0, ax=-60, ay=-25 + 50 * i,
                           row=1, col=2, font=dict(color=colour))
    fig.update_xaxes(type="log", title="sequence length n", tickvals=list(n))
    fig.update_yaxes(type="log", dtick=1)
    fig.update_layout(height=height, legend=dict(orientation="h", y=-0.22), **LAYOUT)
    return fig


def attention_maps(attentions: Sequence[np.ndarray], labels: Sequence[str], off: Sequence[Sequence[int]] | None = None) -> go.Figure:
    """Every layer × head of one input as Plotly heat maps (rows layers, columns heads); heads switched off are titled so."""
    layers, heads = len(attentions), attentions[0].shape[0]
    titles = [f"L{l + 1} H{h + 1}" + (" (off)" if off is not None and not off[l][h] else "") for l in range(layers)
              for h in range(heads)]
    fig = make_subplots(layers, heads, subplot_titles=titles, horizontal_spacing=0.02, vertical_spacing=0.12 / max(layers, 1))
    for l in range(layers):
        for h in range(heads):
            fig.add_trace(go.Heatmap(z=np.asarray(attentions[l][h], dtype=np.float32), colorscale=WEIGHTS, zmin=0, zmax=1,
                                     showscale=l == 0 and h == heads - 1, colorbar=dict(thickness=10),
                                     hovertemplate=f"layer {l + 1}, head {h + 1}<br>query %{{y}}<br>key %{{x}}<br>%{{z:.3f}}"
                                                   "<extra></extra>"), l + 1, h + 1)
            fig.update_xaxes(**(_ticks(labels) if l == layers - 1 else dict(showticklabels=False)), row=l + 1, col=h + 1,
                             showgrid=False)
            fig.update_yaxes(**(_ticks(labels) if h == 0 else dict(showticklabels=False)), autorange="reversed",
                             row=l + 1, col=h + 1, showgrid=False)
    side = 260 if heads <= 2 else 200 if heads <= 4 else 150
    fig.update_layout(height=side * layers + 60, template="plotly_white", margin=dict(l=10, r=10, t=30, b=10))
    fig.update_annotations(font_size=11)
    return fig


# -- the live grid (PIL) ------------------------------------------------------------------------------------
def _map(w: np.ndarray, cell: int) -> Image.Image:
    """(P, P) weights in 0 … 1 as white → blue cells of `cell` drawing pixels."""
    rgb = WHITE + (BLUE - WHITE) * np.clip(np.nan_to_num(w), 0, 1)[..., None]
    p = w.shape[0]
    return Image.fromarray(rgb.astype(np.uint8)).resize((p * cell, p * cell), Image.Resampling.NEAREST)


def attention_grid_png(attention: Sequence[np.ndarray], labels: Sequence[str], layer: int, head: int) -> str:
    """The chosen layer and head large, with its tokens on both axes (rows: queries, columns: keys), and
    every layer × head as small multiples to its right, the chosen one outlined."""
    S, layers, heads = SCALE, len(attention), attention[0].shape[0]
    p = attention[0].shape[-1]
    big_cell = max(14, min(30, 360 // p)) * S
    small_cell = max(2, 66 // p) * S
    big, small = big_cell * p, small_cell * p
    left, top, gap = 34 * S, 44 * S, 56 * S
    grid_left, grid_top = left + big + gap + 26 * S, top
    width = grid_left + heads * (small + 10 * S) + 10 * S
    height = max(top + big + 34 * S, grid_top + layers * (small + 22 * S) + 30 * S)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    title, label, tiny = font(13), font(11), font(10)
    draw.text((left, 4 * S), f"layer {layer + 1}, head {head + 1}", fill=INK, font=title)
    image.paste(_map(attention[layer][head], big_cell), (left, top))
    draw.rectangle((left, top, left + big, top + big), outline="#9ca3af", width=S)
    for i, text in enumerate(labels):
        c = i * big_cell + big_cell // 2
        draw.text((left - 5 * S, top + c), shown(text), fill=INK, font=label, anchor="rm")
        draw.text((left + c, top - 5 * S), shown(text), fill=INK, font=label, anchor="ms")
    draw.text((left, top + big + 8 * S), "weight 0", fill=MUTED, font=tiny)
    bar = Image.fromarray(np.linspace(WHITE, BLUE, 120 * S).astype(np.uint8)[None].repeat(8 * S, 0))
    image.paste(bar, (left + 52 * S, top + big + 10 * S))
    draw.text((left + 56 * S + 120 * S, top + big + 8 * S), "1   rows: queries, columns: the keys they read", fill=MUTED, font=tiny)
    draw.text((grid_left, 4 * S), "every layer × head", fill=INK, font=title)
    for h in range(heads):
        draw.text((grid_left + h * (small + 10 * S) + small // 2, grid_top - 6 * S), f"H{h + 1}", fill=MUTED, font=tiny, anchor="ms")
    for l in range(layers):
        y = grid_top + l * (small + 22 * S)
        draw.text((grid_left - 6 * S, y + small // 2), f"L{l + 1}", fill=MUTED, font=tiny, anchor="rm")
        for h in range(heads):
            x = grid_left + h * (small + 10 * S)
            image.paste(_map(attention[l][h], small_cell), (x, y))
            chosen = (l, h) == (layer, head)
            draw.rectangle((x - S, y - S, x + small + S, y + small + S), outline="#f97316" if chosen else "#d1d5db",
                           width=3 * S if chosen else S)
    return data_uri(image)  # full colour: a 64-colour palette bands the blue scale
