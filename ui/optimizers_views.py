"""What the race section draws: the live map and curves, the update rules with their numbers,
and the clickable contour map and 3-D view of the surface."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import streamlit as st

from engine.optim.race import NEWTON, TOLERANCE, RaceConfig
from engine.optim.surfaces import SURFACES
from engine.runtime import Snapshot, UnknownRunError, get_runtime
from ui import optimizers_charts as charts
from ui import optimizers_controls as controls
from ui import state

PAGE = "optimizers"


# -- the live view ----------------------------------------------------------------------------------------
def render(snap: Snapshot) -> None:
    """The map with every path (fast fragment: redrawn as the race runs)."""
    if not snap.payload:
        st.info("Lining up the optimizers…")
        return
    st.image(charts.race_png(snap.payload), width="stretch")


def details(snap: Snapshot) -> None:
    """Loss curves and the standings (twice a second)."""
    p = snap.payload
    data, spec = charts.race_losses(snap)
    st.vega_lite_chart(data, spec, width="stretch", key=state.action_key(PAGE, "losses"))
    st.dataframe(_standings(p), hide_index=True, width="stretch")


def _standings(p: Mapping) -> dict[str, list]:
    surface = SURFACES[p["surface"]]
    reached = f"reached {TOLERANCE:g} at step"
    diverged = "diverged at step" if surface.bounded_below else "escaped to −∞ at step"
    rows: dict[str, list] = {"optimizer": [], "η now": [], "f now": [], reached: [], diverged: []}
    several = len(surface.minima) > 1
    if several:
        rows["nearest minimum"] = []
    for i, label in enumerate(p["labels"]):
        rows["optimizer"].append(f"{i + 1} {label}")
        rows["η now"].append(f"{p['learning_rates_now'][i]:.3g}")
        rows["f now"].append(f"{p['losses'][i]:.4g}")
        rows[reached].append(str(p["reached_at"][i]) if p["reached_at"][i] >= 0 else "—")
        rows[diverged].append(str(p["diverged_at"][i]) if p["diverged_at"][i] >= 0 else "—")
        if several:
            m = np.array(surface.minima)
            nearest = m[np.argmin(np.linalg.norm(m - p["positions"][i], axis=1))]
            rows["nearest minimum"].append(f"({nearest[0]:.2f}, {nearest[1]:.2f})")
    return rows


def _tex(x: float) -> str:
    """A number for LaTeX: 1e-08 as 10^{-8}, others in their shortest form."""
    text = f"{x:g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        power = f"10^{{{int(exponent)}}}"
        return power if mantissa == "1" else rf"{mantissa}\cdot {power}"
    return text


# -- the update rules, with each racer's numbers ------------------------------------------------------------
def rule(config: RaceConfig, i: int) -> str:
    """Racer i's update rule in LaTeX with its hyper-parameters filled in."""
    r, name = config.racer(i), config.optimizers[i]
    eta = f"{r['learning_rate']:g}"
    if name == "sgd":
        return rf"\theta \leftarrow \theta - {eta}\, g"
    if name == "momentum":
        return rf"v \leftarrow {r['momentum']:g}\, v + g,\quad \theta \leftarrow \theta - {eta}\, v"
    if name == "nesterov":
        return rf"v \leftarrow {r['momentum']:g}\, v + g,\quad \theta \leftarrow \theta - {eta}\,(g + {r['momentum']:g}\, v)"
    if name == "adagrad":
        return rf"G \leftarrow G + g^2,\quad \theta \leftarrow \theta - {eta}\, \frac{{g}}{{\sqrt{{G}} + 10^{{-10}}}}"
    if name == "rmsprop":
        rho = r["rho"]
        return (rf"s \leftarrow {rho:g}\, s + {1 - rho:.4g}\, g^2,\quad "
                rf"\theta \leftarrow \theta - {eta}\, \frac{{g}}{{\sqrt{{s}} + {_tex(r['eps'])}}}")
    if name == NEWTON:
        return rf"\theta \leftarrow \theta - {eta}\, H^{{-1}} g"
    b1, b2 = r["beta1"], r["beta2"]
    moments = rf"m \leftarrow {b1:g}\, m + {1 - b1:.4g}\, g,\quad v \leftarrow {b2:g}\, v + {1 - b2:.4g}\, g^2 \\ "
    if r["bias_correction"]:
        step = (rf"\hat m = \frac{{m}}{{1 - {b1:g}^t}},\ \hat v = \frac{{v}}{{1 - {b2:g}^t}},\quad "
                rf"\theta \leftarrow \theta - {eta}\, \frac{{\hat m}}{{\sqrt{{\hat v}} + {_tex(r['eps'])}}}")
    else:
        step = rf"\theta \leftarrow \theta - {eta}\, \frac{{m}}{{\sqrt{{v}} + {_tex(r['eps'])}}}"
    decay = rf"\theta \leftarrow (1 - {eta}\cdot{r['weight_decay']:g})\,\theta,\quad " if name == "adamw" else ""
    return r"\begin{gathered}" + decay + moments + step + r"\end{gathered}"


def rules(config: RaceConfig) -> None:
    with st.expander("The update rules of this race", icon=":material/function:", expanded=True,
                     key=state.action_key(PAGE, "rules")):
        for i in range(config.n_racers):
            st.markdown(f"**{i + 1} {config.label(i)}**")
            st.latex(rule(config, i))
        st.caption(
            "g is the gradient ∇f(θ) (plus noise when gradient noise is on), t counts steps from 1. PyTorch's conventions: "
            "ε outside the square root; momentum as v ← βv + g, θ ← θ − ηv — the course form v ← βv + (1 − β)g, run with "
            "η/(1 − β), follows the same path as this form with η. Nesterov in PyTorch's form, equivalent to taking the "
            f"gradient at the look-ahead point θ − ηβv. “Reached” means f − f* < {TOLERANCE:g}.")


def latest_payload(page: str) -> Mapping | None:
    """The race's newest view, for the figures the script draws (None before the first race)."""
    run_id = state.run_id(page)
    if run_id is None:
        return None
    try:
        return get_runtime().snapshot(run_id).payload or None
    except UnknownRunError:
        return None


# -- the surface: clickable contour and 3-D ---------------------------------------------------------------
def surface_views(config: RaceConfig, payload: Mapping | None) -> None:
    surface = SURFACES[config.surface]
    st.markdown(f"**{surface.label}** $\\;f(x, y) = {surface.formula}$" + (f" with κ = {config.condition:g}"
                                                                         if config.surface in ("quadratic", "turned") else ""))
    st.caption(surface.lesson)
    contour, solid = st.tabs(["Contour map — click to start there", "3-D surface"], key=state.action_key(PAGE, "surface_tab"),
                             on_change="rerun")
    if contour.open:
        with contour:
            st.plotly_chart(charts.contour_figure(config, payload), key=state.action_key(PAGE, "start_map"), on_select=_clicked,
                            selection_mode="points", config={"displayModeBar": False}, width="stretch")
            st.caption("Paths as they stood when the page last redrew; the live map above follows the race.")
    if solid.open:
        with solid:
            st.plotly_chart(charts.surface_figure(config, payload), key=state.action_key(PAGE, "surface3d"), width="stretch")


def _clicked() -> None:
    selection = st.session_state.get(state.action_key(PAGE, "start_map"))
    points = (selection or {}).get("selection", {}).get("points", [])
    if points:
        controls.set_start(float(points[0]["x"]), float(points[0]["y"]))
