"""A lab's settings panel: one widget per `Knob`, chosen by its kind (a toggle, a segmented control or a
select box, a slider; a slider over a 1-2-3-5 grid for log knobs), with buttons back to the defaults and to
the quick settings.

Widget keys are `labs.<lab>.<knob>` (state.widget_key), so each lab keeps its own settings across reruns,
other labs and other pages; the gallery's Run reads the same values. A kept value that the lab no longer
accepts (out of range: an older session, a changed lab) is put back to the default with the lab's own
ConfigError message, before any widget could refuse it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import streamlit as st

from engine.config import ConfigError
from engine.labs.base import Knob, Lab
from ui import state

PAGE = "labs"
SLIDER_INT_SPAN = 200  # an int knob with a wider range gets a number box instead of a slider


def key(lab: Lab, knob: Knob) -> str:
    return state.widget_key(PAGE, f"{lab.key}.{knob.name}")


def kept_values(lab: Lab) -> dict[str, Any]:
    """The lab's settings as the learner left them (defaults for knobs never touched)."""
    return {k.name: st.session_state.get(key(lab, k), k.default) for k in lab.knobs}


def fix_kept(lab: Lab) -> list[str]:
    """Put every kept value that its knob refuses back to the default; returns the knobs' messages."""
    problems = []
    for knob in lab.knobs:
        k = key(lab, knob)
        if k not in st.session_state:
            continue
        try:
            st.session_state[k] = knob.check(st.session_state[k])
        except ConfigError as exc:
            default = f"{knob.default:g}" if knob.kind in ("int", "float") else str(knob.default)
            problems.append(f"{exc} It is back to its default, {default}.")
            st.session_state[k] = knob.default
    return problems


def log_grid(knob: Knob, current: Any = None) -> list:
    """1, 2, 3 and 5 per decade between the knob's bounds, with the bounds, the default and the current value."""
    low, high = float(knob.low), float(knob.high)
    values = {low, high, float(knob.default)}
    if current is not None:
        values.add(float(current))
    for power in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for m in (1, 2, 3, 5):
            v = float(f"{m * 10.0 ** power:.6g}")
            if low <= v <= high:
                values.add(v)
    if knob.kind == "int":
        return sorted({int(round(v)) for v in values})
    return sorted(values)


def _slider_step(low: float, high: float) -> float:
    raw = (high - low) / 100
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def widget(lab: Lab, knob: Knob) -> Any:
    """Draw the knob's widget (its value already in session state) and return its value."""
    k, kind, helptext = key(lab, knob), knob.kind, knob.help or None
    label = knob.label[:1].upper() + knob.label[1:]  # "hidden units" → "Hidden units", as other pages' widgets
    if kind == "bool":
        return st.toggle(label, key=k, help=helptext)
    if kind == "choice":
        if len(knob.choices) <= 4 and sum(len(c) for c in knob.choices) <= 40:
            return st.segmented_control(label, knob.choices, key=k, help=helptext, required=True)
        return st.selectbox(label, knob.choices, key=k, help=helptext)
    bounded = knob.low is not None and knob.high is not None
    if knob.log and bounded and knob.low > 0:
        grid = log_grid(knob, st.session_state.get(k))
        return st.select_slider(label, grid, key=k, help=helptext, format_func=lambda v: f"{v:g}")
    if kind == "int":
        if bounded and knob.high - knob.low <= SLIDER_INT_SPAN:
            return st.slider(label, int(knob.low), int(knob.high), step=1, key=k, help=helptext)
        return st.number_input(label, None if knob.low is None else int(knob.low), None if knob.high is None else int(knob.high),
                               step=1, key=k, help=helptext)
    if bounded:
        step = _slider_step(float(knob.low), float(knob.high))
        decimals = max(0, -math.floor(math.log10(step)))
        return st.slider(label, float(knob.low), float(knob.high), step=step, format=f"%.{decimals}f", key=k, help=helptext)
    return st.number_input(label, knob.low, knob.high, key=k, help=helptext, format="%g")


def load(lab: Lab, values: Mapping[str, Any]) -> None:
    """Set the lab's widgets to these values (from a button's callback, before the widgets are drawn)."""
    for knob in lab.knobs:
        try:
            st.session_state[key(lab, knob)] = knob.check(values.get(knob.name, knob.default))  # 3 → 3.0 for a float knob
        except ConfigError:  # fix_kept reports it when the panel is drawn
            st.session_state[key(lab, knob)] = values.get(knob.name, knob.default)


def panel(lab: Lab) -> dict[str, Any]:
    """The settings panel; returns the values its widgets hold."""
    for problem in fix_kept(lab):
        st.warning(problem, icon=":material/tune:")
    for knob in lab.knobs:
        st.session_state.setdefault(key(lab, knob), knob.default)
    values = {}
    columns = st.columns(3)
    for i, knob in enumerate(lab.knobs):
        with columns[i % 3]:
            values[knob.name] = widget(lab, knob)
    defaults = {k.name: k.default for k in lab.knobs}
    left, right, _ = st.columns([1, 1, 2])
    left.button("Defaults", icon=":material/restart_alt:", key=state.action_key(PAGE, f"{lab.key}.defaults"), on_click=load,
                args=(lab, defaults), disabled=values == defaults, width="stretch",
                help="The settings the lab's claim is tested with.")
    if lab.small:
        right.button("Quick settings", icon=":material/bolt:", key=state.action_key(PAGE, f"{lab.key}.small"), on_click=load,
                     args=(lab, {**defaults, **lab.small}), width="stretch",
                     help="Fewer seeds and steps: a first look in a few seconds. The verdict may differ from the full run's.")
    return values
