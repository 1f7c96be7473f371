"""The Optimizers page's sections beside the race: the learning-rate sweep, schedules, exponentially
weighted averages and a real network's loss landscape. Each function draws one section top to bottom;
figures come from ui.optimizers_figures, numbers from the engine. The sweep is cached (a pure result);
the landscape runs as a job in the runtime and only its progress bar polls, in a fragment.
"""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st

from engine.config import ConfigError
from engine.device import DeviceError
from engine.losses import LABELS as LOSS_LABELS
from engine.optim import ewa as ewa_engine
from engine.optim.landscape import DIRECTION_LABELS, DIRECTIONS, LandscapeConfig, LandscapeTrainer
from engine.optim.race import TOLERANCE, RaceConfig
from engine.optim.surfaces import SURFACES
from engine.optim.sweep import Sweep, log_grid, sweep
from engine.optimizers import LABELS as OPTIMIZER_LABELS
from engine.playground.config import PlaygroundConfig
from engine.playground.trainer import PlaygroundTrainer
from engine.runtime import JobState, Snapshot, UnknownRunError, get_runtime
from engine.schedules import LABELS as SCHEDULE_LABELS
from engine.schedules import SCHEDULES
from ui import optimizers_controls, state
from ui import optimizers_figures as figures
from ui.jobs import ComputeJob, compute_panel
from ui.optimizers_figures import rate_text

PAGE = "optimizers"
DECADES = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)
RESOLUTIONS = tuple(range(11, 102, 2))
DEFAULT_NETWORK = PlaygroundConfig(hidden=(8, 8), activations=("tanh", "tanh"), keep_probs=(1.0, 1.0), batch_norm=(False, False))
CHART = {"displaylogo": False}


_key = functools.partial(state.widget_key, PAGE)  # value widgets: "optimizers.<name>", kept while their tab is closed
_action = functools.partial(state.action_key, PAGE)  # buttons, tables and charts: "optimizers.do.<name>"


# -- A. the learning-rate sweep ----------------------------------------------------------------------
@st.cache_data(show_spinner="Sweeping the learning rates…", max_entries=64)
def _sweep(config_json: str, low: float, high: float, per_decade: int, steps: int) -> Sweep:
    return sweep(RaceConfig.from_json(config_json), log_grid(low, high, per_decade), steps)


def sweep_section(config: RaceConfig) -> None:
    st.subheader("Learning-rate sweep")
    st.markdown("Every optimizer of the race, re-run from the same start at each η of a log grid: one row per optimizer, "
                "one column per η, the colour the loss where it ended.")
    s = st.session_state
    s.setdefault(_key("sweep.low"), 1e-4)
    s.setdefault(_key("sweep.high"), 10.0)
    s.setdefault(_key("sweep.per_decade"), 6)
    race_steps = state.recall(PAGE, "sweep.race_steps")
    if s.get(_key("sweep.steps"), race_steps) == race_steps:  # follows the race's length until set by hand
        s[_key("sweep.steps")] = config.steps
    state.remember(PAGE, "sweep.race_steps", config.steps)
    low_c, high_c, per_c, steps_c = st.columns([1, 1, 1, 0.8])
    low = low_c.select_slider("Lowest η", DECADES, format_func=rate_text, key=_key("sweep.low"))
    high = high_c.select_slider("Highest η", DECADES, format_func=rate_text, key=_key("sweep.high"))
    per_decade = per_c.slider("Points per decade", 4, 12, key=_key("sweep.per_decade"))
    steps = steps_c.number_input("Steps", 1, 5000, step=50, key=_key("sweep.steps"), help="Each run's length (default: the race's).")
    if low >= high:
        st.warning("The lowest η must be below the highest: move one of the two sliders.")
        return
    result = _sweep(config.to_json(), low, high, per_decade, int(steps))
    f_min = SURFACES[config.surface].minimum_value(config.condition)
    edge = 2.0 / config.condition if config.surface == "quadratic" else None
    fig = figures.sweep_heatmap(result, f_min, config.learning_rates, edge)
    st.plotly_chart(fig, key=_action("sweep.chart"), width="stretch", config=CHART)
    _sweep_caption(config, f_min)
    _sweep_table(config, result, f_min)


def _sweep_caption(config: RaceConfig, f_min: float | None) -> None:
    colour = ("Colour: log₁₀(f − f*), the distance above the minimum after the last step; pale is close. "
              f"✓ marks runs that reached f − f* < {rate_text(TOLERANCE)}, × runs that diverged, ◇ each optimizer's η in the race."
              if f_min is not None else
              "This surface has no minimum (it falls without bound), so the colour is the final f itself. "
              "× marks runs that diverged, ◇ each optimizer's η in the race.")
    text = (f"{colour} Read a row from left to right: too small an η hardly moves in the steps given, then comes a stable band, "
            "then a cliff beyond which the run diverges. ")
    if config.surface == "quadratic":
        edge = 2.0 / config.condition
        text += (f"On this quadratic the steepest curvature is κ = {config.condition:g}, so plain gradient descent diverges "
                 f"for η > 2/κ = {edge:.3g} (the dashed line; heavy-ball momentum's edge is 2(1 + β)/κ). ")
    text += ("RMSprop and Adam divide by a running average of the gradient's size, so their step is about η whatever the "
             "curvature; AdaGrad divides by the accumulated sum, so its step shrinks like η/√t. All of them tolerate a much "
             "wider band.")
    if config.schedule != "constant" or config.noise:
        text += f" Every run uses the race's schedule ({SCHEDULE_LABELS[config.schedule]}) and gradient noise (σ = {config.noise:g})."
    st.caption(text)


def _sweep_table(config: RaceConfig, result: Sweep, f_min: float | None) -> None:
    rows, best_rates = [], []
    for i, name in enumerate(figures.racer_names(result.labels)):
        rate, steps = result.best(i)
        best_rates.append(rate)
        if rate != rate:
            there = "diverged at every η"
        elif f_min is None:
            there = "lowest final f (no minimum to reach)"
        elif steps < 0:
            there = f"never reached {rate_text(TOLERANCE)} (lowest final loss)"
        else:
            there = f"reached {rate_text(TOLERANCE)} in {steps:,} steps"
        rows.append({"optimizer": name, "η in the race": f"{config.learning_rates[i]:.3g}", "best η": rate_text(rate),
                     "at the best η": there, "largest stable η": rate_text(result.largest_stable(i))})
    st.dataframe(rows, hide_index=True, width="stretch", key=_action("sweep.table"))
    usable = [float(f"{r:.4g}") if r == r else float("nan") for r in best_rates]
    st.button("Use the best rates in the race", icon=":material/call_made:", key=_action("sweep.use_best"),
              on_click=_use_best, args=(usable,), disabled=all(r != r for r in usable),
              help="Sets each optimizer's η in the race panel to its best η of this sweep (one that diverged everywhere is left as it is).")
    if message := state.recall(PAGE, "sweep.applied"):
        st.success(message, icon=":material/check:")
        state.remember(PAGE, "sweep.applied", None)


def _use_best(rates: list[float]) -> None:
    optimizers_controls.set_learning_rates(rates)
    shown = ", ".join(f"{i + 1}: {rate_text(r)}" for i, r in enumerate(rates) if r == r)
    state.remember(PAGE, "sweep.applied", f"The race now uses the best rates ({shown}).")


# -- B. schedules ------------------------------------------------------------------------------------------
FORMULAS = {"constant": r"\alpha_0", "step": r"\alpha_0\,\gamma^{\lfloor t/s \rfloor}", "exponential": r"\alpha_0\,\gamma^{t}",
            "inverse_time": r"\dfrac{\alpha_0}{1 + \mathrm{decay}\cdot t}",
            "cosine": r"\alpha_{\min} + \tfrac12(\alpha_0 - \alpha_{\min})\big(1 + \cos(\pi \min(t, T)/T)\big)",
            "warmup": r"\alpha_0 \min\big(1,\ (t+1)/w\big)"}


def schedules_section(config: RaceConfig) -> None:
    st.subheader("Schedules")
    st.markdown("A schedule changes the learning rate as training goes on: large steps early to cover ground, "
                "small steps late to settle into the minimum (a warm-up instead starts small and ramps up to α₀). "
                "Here is each one's α_t/α₀ (α is the learning rate, η elsewhere on this page) over the race's "
                f"{config.steps:,} steps; the race uses **{SCHEDULE_LABELS[config.schedule]}** (thick).")
    st.plotly_chart(figures.schedules_figure(config), key=_action("schedules.chart"), width="stretch", config=CHART)
    rows = "".join(f"| {SCHEDULE_LABELS[name]} | ${FORMULAS[name]}$ |\n" for name in SCHEDULES)
    st.markdown("| schedule | $\\alpha_t$ |\n|---|---|\n" + rows)
    st.caption("t counts steps from 0 (step t of the race uses α_t); γ is the decay factor, s the steps between drops, "
               "T the cosine period, w the warm-up length; here α_min = 0. The race's schedule uses its own parameters, "
               "set in the race panel under **Noise, length and schedule**; the other curves use the race's values where "
               "they fit its length, else values that show their shape (given in the legend).")
    columns = st.columns(3)
    for k, name in enumerate(SCHEDULES):
        current = name == config.schedule
        columns[k % 3].button(f"Use {SCHEDULE_LABELS[name]} in the race" if not current else f"The race uses {SCHEDULE_LABELS[name]}",
                              key=_action(f"schedules.use.{name}"), on_click=optimizers_controls.set_schedule, args=(name,),
                              disabled=current, width="stretch")
    st.caption("Linear scaling rule (Goyal et al., 2017): when the mini-batch grows k-fold, scale the rate by k — "
               "new η = base η × new batch / base batch — usually with a warm-up for the first steps.")


# -- C. exponentially weighted averages --------------------------------------------------------------
def ewa_section() -> None:
    st.subheader("Exponentially weighted averages")
    s = st.session_state
    for name, default in (("ewa.beta", 0.9), ("ewa.bias_correction", True), ("ewa.noise", 3.0), ("ewa.seed", 0)):
        s.setdefault(_key(name), default)
    beta_c, noise_c, seed_c, new_c = st.columns([1.4, 1.1, 0.8, 0.7], vertical_alignment="bottom")
    beta = beta_c.slider("β", 0.0, 0.999, step=0.001, format="%.3f", key=_key("ewa.beta"))
    noise = noise_c.slider("Noise σ", 0.0, 10.0, step=0.5, key=_key("ewa.noise"))
    seed = seed_c.number_input("Noise seed", 0, 10**6, key=_key("ewa.seed"))
    new_c.button("New noise", icon=":material/casino:", key=_action("ewa.new_noise"), on_click=_new_noise, width="stretch")
    corrected_on = st.toggle("Bias correction", key=_key("ewa.bias_correction"), help="Also draw v̂_t = v_t / (1 − β^t).")
    series = ewa_engine.noisy_series(200, noise, int(seed))
    raw = ewa_engine.ewa(series.noisy, beta)
    corrected = ewa_engine.ewa(series.noisy, beta, bias_correction=True)
    fig = figures.ewa_figure(series, beta, raw, corrected, corrected_on)
    st.plotly_chart(fig, key=_action("ewa.chart"), width="stretch", config=CHART)
    st.latex(r"v_0 = 0,\qquad v_t = \beta\, v_{t-1} + (1-\beta)\,\theta_t,\qquad \hat v_t = \frac{v_t}{1-\beta^t}")
    st.markdown(f"With β = {beta:g} the average spans about 1/(1 − β) = **{ewa_engine.window(beta):,.0f} points** "
                "(the older ones together weigh about 1/e).")
    left, right = st.columns(2)
    with left:
        st.markdown("**The early dip** (v_0 = 0 pulls the first averages towards 0)\n\n" + _dip_table(raw, corrected))
    with right:
        st.markdown("**The lag**\n\n" + _lag_text(series, corrected if corrected_on else raw, beta, corrected_on))
    st.caption("Momentum's v and Adam's m and v are such averages of the gradients (and of their squares, for Adam's v); "
               "Adam divides them by 1 − β₁^t and 1 − β₂^t, the bias correction above. PyTorch's momentum v ← βv + g "
               "leaves out the (1 − β): the same average, scaled by 1/(1 − β).")


def _new_noise() -> None:
    key = _key("ewa.seed")
    st.session_state[key] = (int(st.session_state.get(key, 0)) + 1) % 10**6


def _dip_table(raw: np.ndarray, corrected: np.ndarray) -> str:
    rows = []
    for t in (1, 5, 10):
        v, v_hat = raw[t - 1], corrected[t - 1]
        below = f"{(v_hat - v) / abs(v_hat):.0%}" if abs(v_hat) > 1e-9 else "—"
        rows.append(f"| {t} | {v:.3g} | {v_hat:.3g} | {below} |")
    return "| t | v_t | v̂_t | v_t is below v̂_t by |\n|---|---|---|---|\n" + "\n".join(rows)


def _best_shift(average: np.ndarray, clean: np.ndarray) -> tuple[int, float]:
    """The shift k that best lines the average's second half up with the clean signal k steps earlier, and the
    mean squared mismatch there relative to the signal's variance."""
    n = len(average)
    half = np.arange(n // 2, n)
    errors = [float(np.mean((average[half] - clean[half - k]) ** 2)) for k in range(n // 2)]
    k = int(np.argmin(errors))
    return k, errors[k] / (float(np.var(clean[half])) or 1.0)


def _lag_text(series: ewa_engine.Series, average: np.ndarray, beta: float, corrected: bool) -> str:
    expected = f"for a slowly changing signal it is ≈ β/(1 − β) = {beta / (1 - beta):,.1f} steps"
    _, mismatch = _best_shift(ewa_engine.ewa(series.clean, beta, corrected), series.clean)  # judged without the noise
    if mismatch > 0.25 and not corrected and _best_shift(ewa_engine.ewa(series.clean, beta, True), series.clean)[1] <= 0.25:
        return (f"Without bias correction v_t is still climbing from v_0 = 0 in the second half (its weights sum to 1 − β^t "
                f"= {1 - beta ** (len(average) // 2):.0%} at t = {len(average) // 2}): turn the correction on to see the lag alone.")
    if mismatch > 0.25:
        return (f"The average does not follow the signal here: it spans ≈ {ewa_engine.window(beta):,.0f} points, too many "
                f"for a signal that turns within {len(average)} ({expected}). A larger β smooths more and lags more.")
    k, _ = _best_shift(average, series.clean)
    steps = "1 step" if k == 1 else f"{k} steps"
    return (f"The average trails the clean signal by **{steps}** (the shift that best lines the two up); {expected}. "
            "An average of the past lags behind; a larger β smooths more and lags more.")


# -- D. a real network's loss landscape -----------------------------------------------------------------
def landscape_section() -> None:
    st.subheader("A real network's landscape")
    st.markdown("Li et al. (2018) draw a network's loss on a plane through its trained weights θ*: L(θ* + α d₁ + β d₂) for two "
                "random directions, each filter (a unit's incoming weights) rescaled to the norm of the same filter of θ*, with "
                "biases and batch-norm parameters set to 0 in the directions. The loss is the training data loss, without the "
                "L1/L2 penalty; the training path θ₀ … θ* is projected onto the same plane.")
    source = _source_network()
    config, problem = _landscape_controls(source)
    if problem:
        st.warning(f"These settings cannot be used: {problem}")
    found = compute_panel(LANDSCAPE, config)
    if found is not None:
        snap, computed = found
        _finished(snap, computed, config)


def _finished(snap: Snapshot, computed: LandscapeConfig, current: LandscapeConfig | None) -> None:
    """A run that ended: its failure, or its figures (noting when the controls have changed since)."""
    if snap.state is JobState.FAILED:
        st.error(f"The landscape could not be computed: {snap.reason} (The network trains with the Playground's settings.)",
                 icon=":material/error:")
    elif not snap.payload or snap.payload.get("stage") != "done":
        st.info(f"This landscape did not finish ({snap.reason or snap.state.value}). Press **Compute landscape** to start again.")
    else:
        if current is not None and computed != current:
            st.caption("These results are for the settings at the last **Compute landscape**; press it again for the current ones.")
        _landscape_result(snap.payload, computed.span)


def _source_network() -> PlaygroundConfig:
    """The network of this tab's Playground run, else a small default; says which."""
    run_id = state.page_run_id("playground")
    config = None
    if run_id:
        try:
            spec = get_runtime().spec(run_id)
            config = spec.config if spec.trainer is PlaygroundTrainer else None
        except (UnknownRunError, DeviceError):
            config = None
    if config is not None:
        st.info(f"The network: **your Playground network** — {_describe(config)}, trained again from its seed.",
                icon=":material/hub:")
        return config
    st.info(f"The network: a default — {_describe(DEFAULT_NETWORK)}.", icon=":material/hub:")
    st.page_link("pages/playground.py", label="Build your own network on the Playground page; this section then maps that one",
                 icon=":material/arrow_forward:")
    return DEFAULT_NETWORK


def _describe(c: PlaygroundConfig) -> str:
    if c.hidden:
        kinds = dict.fromkeys(c.activations)
        net = f"hidden layers [{', '.join(map(str, c.hidden))}] {'/'.join(kinds)}"
    else:
        net = "no hidden layer"
    return (f"{c.dataset} data ({c.n_points} points), {net}, {OPTIMIZER_LABELS[c.optimizer]} η = {c.learning_rate:g}, "
            f"batch {c.batch_size}, {LOSS_LABELS.get(c.loss, c.loss)} loss")


def _landscape_controls(source: PlaygroundConfig) -> tuple[LandscapeConfig | None, str | None]:
    s = st.session_state
    for name, default in (("landscape.epochs", 200), ("landscape.resolution", 41), ("landscape.span", 1.0),
                          ("landscape.directions", "random"), ("landscape.direction_seed", 0)):
        s.setdefault(_key(name), default)
    epochs_c, resolution_c, span_c = st.columns(3)
    epochs = epochs_c.number_input("Training epochs", 1, 5000, step=50, key=_key("landscape.epochs"))
    resolution = resolution_c.select_slider("Resolution (points per axis)", RESOLUTIONS, key=_key("landscape.resolution"))
    span = span_c.number_input("Span ± (α, β)", 0.05, 10.0, step=0.25, format="%g", key=_key("landscape.span"),
                               help="The map covers α, β ∈ [−span, span], widened when the path reaches further.")
    directions_c, seed_c = st.columns([2, 1])
    directions = directions_c.radio("Directions", DIRECTIONS, format_func=DIRECTION_LABELS.get, horizontal=True,
                                    key=_key("landscape.directions"))
    seed = seed_c.number_input("Direction seed", 0, 10**6, key=_key("landscape.direction_seed"), disabled=directions == "pca",
                               help="Which two random directions (PCA directions need none).")
    values = source.to_dict() | {"epochs": int(epochs), "resolution": int(resolution), "span": float(span),
                                 "directions": directions, "direction_seed": int(seed)}
    try:
        return LandscapeConfig.from_dict(values), None
    except ConfigError as exc:
        return None, str(exc)


def _stage_text(p) -> str:
    if p["stage"] == "training":
        return f"training epoch {p['epochs_done']:,} / {p['epochs']:,}"
    if p["rows_done"] == 0:
        return "finding the directions and projecting the path…"
    return f"mapping row {p['rows_done']} / {p['resolution']}"


def _landscape_result(p, span: float) -> None:
    contour, surface = st.tabs(["Contours", "3-D surface"])
    with contour:
        st.plotly_chart(figures.landscape_contour(p), key=_action("landscape.contour"), width="stretch", config=CHART)
    with surface:
        st.plotly_chart(figures.landscape_surface(p), key=_action("landscape.surface"), width="stretch", config=CHART)
    cols = st.columns(4)
    cols[0].metric("Parameters", f"{p['n_parameters']:,}")
    cols[1].metric("Final training loss", f"{p['center_loss']:.4g}")
    accuracy = p.get("train_accuracy")
    cols[2].metric("Training accuracy", f"{accuracy:.1%}" if accuracy is not None and accuracy == accuracy else "—")
    cols[3].metric("Path in the plane", f"{p['explained']:.0%}", help="Mean of ‖projection of θ_t − θ*‖ / ‖θ_t − θ*‖ over the path.")
    if p["alphas"][-1] > span + 1e-9:
        st.caption(f"The map was widened to ±{p['alphas'][-1]:.3g} so that the whole projected path lies on it.")
    if p["directions"] == "pca":
        first, second = (tuple(p["pca_variance"]) + (0.0, 0.0))[:2]
        st.markdown(f"The plane is spanned by the first two principal directions of the path θ₀ − θ*, …: they explain "
                    f"**{first:.1%}** and **{second:.1%}** of its variance, so the plane shows {p['explained']:.0%} of the path. "
                    "The price: these are not random directions, so the map is not a fair sample of the landscape.")
    else:
        st.markdown(f"The plane shows only **{p['explained']:.0%}** of the path: two random directions in a space of "
                    f"{p['n_parameters']:,} dimensions are nearly orthogonal to the path, so most of its movement is invisible "
                    "here (Li et al. make the same point). Choose the PCA directions to see the path itself.")


LANDSCAPE = ComputeJob(PAGE, "landscape", LandscapeTrainer, label="Compute landscape", icon=":material/landscape:",
                       hint="Press **Compute landscape** to train the network and map the loss around its trained weights.",
                       stage=_stage_text)
