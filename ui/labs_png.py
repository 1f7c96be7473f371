"""A lab's evidence as a PNG chart drawn with PIL, for the Labs page's "PNG of the figure" download.

Plotly's own image export needs kaleido and a browser, which the server does not have, so the same
series are drawn here: lines (breaks at missing values) or grouped bars, ± error bars with caps, linear or
log axes with round ticks, a light grid, axis labels, a legend and a title. Pure functions from an
`Evidence` to bytes; drawn at SCALE× and reduced like ui/images.py, so lines come out smooth.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from PIL import Image, ImageDraw

from engine.labs.base import Evidence
from ui.charts import PALETTE
from ui.images import SCALE, font

INK, MUTED, GRID, FRAME = (31, 41, 55), (107, 114, 128), (229, 231, 235), (156, 163, 175)
MAX_LOG_TICKS = 10
LEFT, RIGHT, BOTTOM = 84, 24, 62  # margins in display pixels around the plot area (the top one depends on the legend)


# -- numbers on axes ----------------------------------------------------------------------------------------
def tick_text(value: float) -> str:
    """Short tick labels: 0.001, 0.5, 20, 1e+05 → 1e5; a true minus sign."""
    if value == 0:
        return "0"
    text = f"{value:.3g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", "−")


def linear_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round ticks (1, 2 or 5 × 10^k apart) covering [low, high]."""
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step + 1e-9) * step
    ticks, t = [], first
    while t <= high + step * 1e-6:
        ticks.append(round(t, 12) + 0.0)
        t += step
    if ticks[-1] < high - step * 1e-6:
        ticks.append(ticks[-1] + step)
    return ticks


def log_ticks(low: float, high: float) -> list[float]:
    """Powers of ten inside [low, high] (both > 0), at most MAX_LOG_TICKS of them; 1, 2 and 5 per decade when
    fewer than three powers fit."""
    a, b = math.ceil(math.log10(low) - 1e-9), math.floor(math.log10(high) + 1e-9)
    every = max(1, math.ceil((b - a + 1) / MAX_LOG_TICKS))  # every 2nd or 3rd power over many decades
    ticks = [10.0 ** k for k in range(a, b + 1) if k % every == 0]
    if len(ticks) < 3:
        ticks = [m * 10.0 ** k for k in range(a - 1, b + 1) for m in (1, 2, 5)]
        ticks = [t for t in ticks if low * (1 - 1e-9) <= t <= high * (1 + 1e-9)]
    return ticks


class Axis:
    """Maps data values to pixels along one axis, linear or log; `ticks` are the labelled values."""

    def __init__(self, values: Sequence[float], start: float, end: float, log: bool, include_zero: bool = False) -> None:
        finite = [v for v in values if math.isfinite(v) and (v > 0 or not log)]
        self.log = log
        if log:
            low, high = (min(finite), max(finite)) if finite else (1.0, 10.0)
            if high <= low:
                low, high = low / 2, high * 2
            pad = (high / low) ** 0.05  # 5 % of the range on each side, in log space
            self.low, self.high = low / pad, high * pad
            self.ticks = log_ticks(self.low, self.high)
        else:
            low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
            if include_zero:
                low, high = min(low, 0.0), max(high, 0.0)
            self.ticks = linear_ticks(low, high)
            self.low, self.high = self.ticks[0], self.ticks[-1]
        self.start, self.end = start, end

    def _t(self, value: float) -> float:
        return math.log10(value) if self.log else value

    def __call__(self, value: float) -> float | None:
        """Pixel position of value, or None for a value the axis cannot show (missing, ≤ 0 on a log axis)."""
        if not math.isfinite(value) or (self.log and value <= 0):
            return None
        lo, hi = self._t(self.low), self._t(self.high)
        return self.start + (self._t(value) - lo) / (hi - lo) * (self.end - self.start)


# -- the chart ------------------------------------------------------------------------------------------------
def _numbers(values: Sequence) -> list[float]:
    out = []
    for v in values:
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            out.append(math.nan)
    return out


def _categorical(ev: Evidence) -> bool:
    return ev.kind == "bar" or any(isinstance(x, str) for s in ev.series for x in s.x)


def _categories(ev: Evidence) -> list:
    seen: list = []
    for s in ev.series:
        for x in s.x:
            if x not in seen:
                seen.append(x)
    return seen


def _legend_rows(names: Sequence[str], width: int) -> list[list[tuple[int, str]]]:
    """Legend entries (index, name) wrapped into rows that fit the width."""
    rows, row, used = [], [], 0
    for i, name in enumerate(names):
        w = 28 + _text_width(name, 12) + 18
        if row and used + w > width:
            rows.append(row)
            row, used = [], 0
        row.append((i, name))
        used += w
    if row:
        rows.append(row)
    return rows


def _text_width(text: str, size: int) -> float:
    return font(size).getlength(text) / SCALE


def evidence_png(ev: Evidence, title: str = "", subtitle: str = "", width: int = 900, height: int = 540) -> bytes:
    """The evidence as a PNG of width × height display pixels (drawn at SCALE×)."""
    names = [s.name for s in ev.series]
    legend = _legend_rows(names, width - LEFT - RIGHT) if len(names) > 1 else []
    top = 14 + (26 if title else 0) + (20 if subtitle else 0) + 22 * len(legend) + 10
    image = Image.new("RGB", (width * SCALE, height * SCALE), "white")
    draw = ImageDraw.Draw(image)
    S = SCALE

    def px(x: float, y: float) -> tuple[float, float]:
        return x * S, y * S

    y_text = 12
    if title:
        draw.text(px(LEFT, y_text), title, fill=INK, font=font(16))
        y_text += 26
    if subtitle:
        draw.text(px(LEFT, y_text), subtitle, fill=MUTED, font=font(12))
        y_text += 20
    for row in legend:
        x = LEFT
        for i, name in row:
            colour = PALETTE[i % len(PALETTE)]
            if ev.kind == "bar":
                draw.rectangle([*px(x, y_text + 3), *px(x + 18, y_text + 15)], fill=colour)
            else:
                draw.line([px(x, y_text + 9), px(x + 20, y_text + 9)], fill=colour, width=2 * S)
                draw.ellipse([*px(x + 7, y_text + 6), *px(x + 13, y_text + 12)], fill=colour)
            draw.text(px(x + 28, y_text + 9), name, fill=INK, font=font(12), anchor="lm")
            x += 28 + _text_width(name, 12) + 18
        y_text += 22

    x0, x1, y0, y1 = LEFT, width - RIGHT, top, height - BOTTOM  # plot area; y grows downwards
    ys = [v for s in ev.series for y, e in zip(_numbers(s.y), _numbers(s.err) or [0.0] * len(s.y), strict=False)
          for v in (y - e, y + e) if math.isfinite(e)] + [v for s in ev.series for v in _numbers(s.y)]
    y_axis = Axis(ys, y1, y0, ev.log_y, include_zero=ev.kind == "bar" and not ev.log_y)
    categorical = _categorical(ev)
    categories = _categories(ev) if categorical else []
    x_axis = None if categorical else Axis([v for s in ev.series for v in _numbers(s.x)], x0 + 8, x1 - 8, ev.log_x)

    # grid and tick labels
    for t in y_axis.ticks:
        y = y_axis(t)
        draw.line([px(x0, y), px(x1, y)], fill=GRID, width=S)
        draw.text(px(x0 - 8, y), tick_text(t), fill=MUTED, font=font(11), anchor="rm")
    band = (x1 - x0) / max(len(categories), 1)
    if categorical:
        for j, c in enumerate(categories):
            draw.text(px(x0 + band * (j + 0.5), y1 + 8), _shorten(str(c), band), fill=MUTED, font=font(11), anchor="ma")
    else:
        for t in x_axis.ticks:
            x = x_axis(t)
            draw.line([px(x, y0), px(x, y1)], fill=GRID, width=S)
            draw.text(px(x, y1 + 8), tick_text(t), fill=MUTED, font=font(11), anchor="ma")
    draw.rectangle([*px(x0, y0), *px(x1, y1)], outline=FRAME, width=S)

    # axis titles: x centred below, y rotated along the left edge
    draw.text(px((x0 + x1) / 2, height - 22), ev.x_label, fill=INK, font=font(13), anchor="mm")
    label = Image.new("RGBA", (int(_text_width(ev.y_label, 13) * S) + 4 * S, 22 * S), (255, 255, 255, 0))
    ImageDraw.Draw(label).text((2 * S, 11 * S), ev.y_label, fill=INK, font=font(13), anchor="lm")
    label = label.rotate(90, expand=True)
    image.paste(label, (int(10 * S), int(((y0 + y1) / 2) * S - label.height / 2)), label)

    n = max(len(ev.series), 1)
    for i, s in enumerate(ev.series):
        colour = PALETTE[i % len(PALETTE)]
        yv, ev_err = _numbers(s.y), _numbers(s.err)
        if categorical:
            slot = band * 0.8 / n if ev.kind == "bar" else 0.0
            xs = [x0 + band * (categories.index(x) + 0.5) + (slot * (i - (n - 1) / 2)) for x in s.x]
        else:
            xs = [x_axis(v) for v in _numbers(s.x)]
        points = [(x, y_axis(y)) if x is not None else (None, None) for x, y in zip(xs, yv, strict=False)]
        if ev.kind == "bar":
            base = y_axis(y_axis.low) if ev.log_y else y_axis(0.0)
            for x, y in points:
                if x is not None and y is not None:
                    draw.rectangle([*px(x - slot * 0.45, min(y, base)), *px(x + slot * 0.45, max(y, base))], fill=colour)
        else:
            run: list[tuple[float, float]] = []
            for x, y in [*points, (None, None)]:
                if x is None or y is None:
                    if len(run) > 1:
                        draw.line([px(*p) for p in run], fill=colour, width=2 * S, joint="curve")
                    run = []
                else:
                    run.append((x, y))
            for x, y in points:
                if x is not None and y is not None:
                    draw.ellipse([*px(x - 3.5, y - 3.5), *px(x + 3.5, y + 3.5)], fill=colour)
        for (x, _), y, e in zip(points, yv, ev_err, strict=False):
            if x is None or not (math.isfinite(y) and math.isfinite(e)) or e <= 0:
                continue
            lo, hi = y_axis(y - e) if not ev.log_y or y - e > 0 else y1, y_axis(y + e)
            if lo is None or hi is None:
                continue
            ink = INK if ev.kind == "bar" else colour
            draw.line([px(x, lo), px(x, hi)], fill=ink, width=S + 1)
            for end in (lo, hi):
                draw.line([px(x - 5, end), px(x + 5, end)], fill=ink, width=S + 1)
    if not any(p for s in ev.series for p in _numbers(s.y) if math.isfinite(p)):
        draw.text(px((x0 + x1) / 2, (y0 + y1) / 2), "no values to plot", fill=MUTED, font=font(14), anchor="mm")

    buffer = io.BytesIO()
    image.reduce(SCALE).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _shorten(text: str, room: float) -> str:
    """A category label cut with an ellipsis to fit its band."""
    if _text_width(text, 11) <= room - 4:
        return text
    while text and _text_width(text + "…", 11) > room - 4:
        text = text[:-1]
    return text + "…"
