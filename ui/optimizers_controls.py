"""The optimizer race's control panel: widgets in, a RaceConfig out.

Widget keys are the config's one-racer names (`optimizers.learning_rate.2` is racer 2's η) and
its race fields (`optimizers.surface`). `load(config)` writes every widget's value (a link, a
preset), `current()` reads the config back from session state — also while the race panel is
not drawn, so the other sections of the page (sweep, schedules) always see the race as set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from engine.config import ConfigError
from engine.optim.race import LABELS, MAX_RACERS, NEWTON, RACE_OPTIMIZERS, RACER_DEFAULTS, RACER_FIELDS, RaceConfig
from engine.optim.surfaces import SURFACES
from engine.schedules import LABELS as SCHEDULE_LABELS
from engine.schedules import SCHEDULES
from ui import state

PAGE = "optimizers"
RACE_FIELDS = ("surface", "condition", "start_x", "start_y", "steps", "noise", "seed", "schedule", "schedule_decay", "schedule_steps")
ADAM = ("adam", "adamw")

# one click to a race that tells a story: (label, surface, κ, racers, extra race settings)
PRESETS: dict[str, tuple[str, float, list[dict[str, Any]], dict[str, Any]]] = {
    "SGD, momentum and Adam": ("quadratic", 50.0, [{"optimizer": "sgd", "learning_rate": 0.039},
                                                   {"optimizer": "momentum", "learning_rate": 0.01},
                                                   {"optimizer": "adam", "learning_rate": 1.0}], {}),
    "SGD: η too small, right, too large": ("quadratic", 20.0, [{"learning_rate": 0.01}, {"learning_rate": 0.09},
                                                                {"learning_rate": 0.105}], {"steps": 200}),
    "Every optimizer on Rosenbrock": ("rosenbrock", 20.0, [
        {"optimizer": "sgd", "learning_rate": 0.0007}, {"optimizer": "momentum", "learning_rate": 0.001},
        {"optimizer": "nesterov", "learning_rate": 0.0007}, {"optimizer": "adagrad", "learning_rate": 0.1},
        {"optimizer": "rmsprop", "learning_rate": 0.01}, {"optimizer": "adam", "learning_rate": 0.1},
        {"optimizer": "adamw", "learning_rate": 0.1}], {"steps": 1000}),
    "Adam with and without bias correction": ("quadratic", 20.0, [{"optimizer": "adam", "learning_rate": 0.2},
                                                                  {"optimizer": "adam", "learning_rate": 0.2, "bias_correction": False}],
                                              {"steps": 150}),
    "Newton against gradient descent": ("quadratic", 100.0, [{"optimizer": NEWTON, "learning_rate": 1.0},
                                                             {"optimizer": "sgd", "learning_rate": 0.019},
                                                             {"optimizer": "momentum", "learning_rate": 0.01}], {}),
    "Escaping a saddle point": ("saddle", 20.0, [{"optimizer": "sgd", "learning_rate": 0.02},
                                                 {"optimizer": "momentum", "learning_rate": 0.02},
                                                 {"optimizer": "adam", "learning_rate": 0.02},
                                                 {"optimizer": NEWTON, "learning_rate": 1.0}], {"steps": 200}),
    "Crossing a plateau": ("plateau", 20.0, [{"optimizer": "sgd", "learning_rate": 0.3},
                                             {"optimizer": "momentum", "learning_rate": 0.3},
                                             {"optimizer": "rmsprop", "learning_rate": 0.03},
                                             {"optimizer": "adam", "learning_rate": 0.03}], {}),
    "Noisy gradients (mini-batches)": ("quadratic", 20.0, [{"optimizer": "sgd", "learning_rate": 0.05},
                                                           {"optimizer": "momentum", "learning_rate": 0.01},
                                                           {"optimizer": "adam", "learning_rate": 0.1}], {"noise": 2.0}),
    "A turned valley": ("turned", 50.0, [{"optimizer": "momentum", "learning_rate": 0.01},
                                         {"optimizer": "rmsprop", "learning_rate": 0.05},
                                         {"optimizer": "adam", "learning_rate": 0.3}], {}),
    "Which minimum? (Himmelblau)": ("himmelblau", 20.0, [{"optimizer": "sgd", "learning_rate": 0.005},
                                                         {"optimizer": "momentum", "learning_rate": 0.002},
                                                         {"optimizer": "rmsprop", "learning_rate": 0.05},
                                                         {"optimizer": "adam", "learning_rate": 0.2}], {}),
}


def key(name: str, i: int | None = None) -> str:
    return state.widget_key(PAGE, name if i is None else f"{name}.{i}")


# -- config <-> widgets -------------------------------------------------------------------------------
def load(config: RaceConfig) -> None:
    """Set every widget to the config's values (before the widgets are drawn)."""
    s = st.session_state
    for name in RACE_FIELDS:
        s[key(name)] = getattr(config, name)
    s[key("n_racers")] = config.n_racers
    for i in range(config.n_racers):
        for name, value in config.racer(i).items():
            s[key(name, i)] = value


def current() -> tuple[RaceConfig | None, str | None]:
    """The race as the widgets say (defaults where a widget was never drawn), or what is wrong."""
    s, base = st.session_state, RaceConfig()
    n = s.get(key("n_racers"), base.n_racers)
    racers = [{name: s.get(key(name, i), default) for name, default in _defaults(base, i).items()} for i in range(n)]
    try:
        race = base.replace(**{name: s.get(key(name), getattr(base, name)) for name in RACE_FIELDS})
        return race.with_racers(racers), None
    except ConfigError as exc:
        return None, str(exc)


def _defaults(base: RaceConfig, i: int) -> dict[str, Any]:
    return base.racer(i) if i < base.n_racers else dict(RACER_DEFAULTS)


def set_learning_rates(rates: Sequence[float]) -> None:
    """Give racer i the rate rates[i] (from the sweep's best rates); NaN leaves a racer as it is."""
    for i, rate in enumerate(rates):
        if rate == rate:
            st.session_state[key("learning_rate", i)] = float(rate)


def set_schedule(name: str) -> None:
    st.session_state[key("schedule")] = name


def apply_preset(name: str) -> None:
    surface, kappa, racers, extra = PRESETS[name]
    config = RaceConfig(condition=kappa).on_surface(surface).with_racers(racers).replace(**extra)
    load(config)


# -- the panel -------------------------------------------------------------------------------------------
def panel() -> None:
    """The race's widgets: surface, start, racers, then noise, length and schedule."""
    s = st.session_state
    with st.popover("Presets", icon=":material/auto_awesome:", width="stretch"):
        for name in PRESETS:
            st.button(name, key=state.action_key(PAGE, f"preset.{name}"), on_click=apply_preset, args=(name,), width="stretch")
    surface = st.selectbox("Surface", list(SURFACES), format_func=lambda k: SURFACES[k].label, key=key("surface"),
                           on_change=_surface_changed)
    if surface in ("quadratic", "turned"):
        st.select_slider("Condition number κ", [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0],
                         key=key("condition"), help="The ratio of the largest to the smallest curvature (eigenvalues of the Hessian).")
    x0, x1, y0, y1 = SURFACES[surface].extent
    left, right = st.columns(2)
    left.number_input("Start x", float(x0), float(x1), step=0.1, format="%.2f", key=key("start_x"))
    right.number_input("Start y", float(y0), float(y1), step=0.1, format="%.2f", key=key("start_y"))
    st.caption("Or click on the contour map (below the race) to start there.")
    n = s.setdefault(key("n_racers"), RaceConfig().n_racers)
    for i in range(n):
        _racer(i, n)
    if n < MAX_RACERS:
        st.button("Add an optimizer", icon=":material/add:", key=state.action_key(PAGE, "add"), on_click=_add, width="stretch")
    with st.expander("Noise, length and schedule", icon=":material/tune:", key=state.action_key(PAGE, "more")):
        st.slider("Gradient noise σ", 0.0, 10.0, step=0.1, key=key("noise"),
                  help="Gaussian noise added to every gradient coordinate, the same draws for every optimizer: "
                       "a stand-in for mini-batch gradients.")
        left, right = st.columns(2)
        left.number_input("Steps", 1, 5000, step=50, key=key("steps"), help="Can be raised while the race runs.")
        right.number_input("Noise seed", 0, 10**6, key=key("seed"))
        st.selectbox("Learning-rate schedule", SCHEDULES, format_func=SCHEDULE_LABELS.get, key=key("schedule"),
                     help="Applied to every optimizer's η, step by step (see the Schedules tab).")
        schedule = s.get(key("schedule"), "constant")
        if schedule != "constant":
            left, right = st.columns(2)
            if schedule in ("step", "exponential", "inverse_time"):
                left.number_input("Decay", 0.0001, 100.0, format="%g", key=key("schedule_decay"))
            if schedule in ("step", "cosine", "warmup"):
                right.number_input({"step": "Steps between drops", "cosine": "Period (steps)", "warmup": "Warm-up steps"}[schedule],
                                   1, 100_000, key=key("schedule_steps"))


def _racer(i: int, n: int) -> None:
    s = st.session_state
    for name, value in _defaults(RaceConfig(), i).items():
        s.setdefault(key(name, i), value)
    name = s[key("optimizer", i)]
    title = f"**{i + 1}** · {LABELS[name]} · η = {s[key('learning_rate', i)]:g}"
    with st.expander(title, key=state.action_key(PAGE, f"racer.{i}"), expanded=n <= 3):
        top, lr, remove = st.columns([1.7, 1.0, 0.42], vertical_alignment="bottom")
        top.selectbox("Optimizer", RACE_OPTIMIZERS, format_func=LABELS.get, key=key("optimizer", i))
        lr.number_input("η", 1e-6, 100.0, format="%g", key=key("learning_rate", i),
                        help="Learning rate. For Newton's method, a damping factor: 1 is the full step θ − H⁻¹g.")
        remove.button("", icon=":material/delete:", key=state.action_key(PAGE, f"remove.{i}"), on_click=_remove, args=(i,),
                      disabled=n == 1, help="Remove this optimizer")
        if name in ("momentum", "nesterov"):
            st.slider("β (momentum)", 0.0, 0.999, step=0.01, key=key("momentum", i))
        elif name == "rmsprop":
            a, b = st.columns(2)
            a.slider("ρ", 0.0, 0.9999, step=0.01, key=key("rho", i))
            b.number_input("ε", 1e-12, 1.0, format="%g", key=key("eps", i))
        elif name in ADAM:
            a, b, c = st.columns(3)
            a.number_input("β1", 0.0, 0.999, step=0.05, format="%g", key=key("beta1", i))
            b.number_input("β2", 0.0, 0.99999, step=0.001, format="%g", key=key("beta2", i))
            c.number_input("ε", 1e-12, 1.0, format="%g", key=key("eps", i))
            a, b = st.columns(2, vertical_alignment="bottom")
            a.checkbox("bias corr.", key=key("bias_correction", i), help="Bias correction: divide m by 1 − β1^t and v by 1 − β2^t.")
            if name == "adamw":
                b.number_input("weight decay λ", 0.0, 1.0, step=0.01, format="%g", key=key("weight_decay", i))


# -- callbacks (run before the rerun) ------------------------------------------------------------------
def _surface_changed() -> None:
    x, y = SURFACES[st.session_state[key("surface")]].start
    st.session_state[key("start_x")], st.session_state[key("start_y")] = x, y


def set_start(x: float, y: float) -> None:
    st.session_state[key("start_x")], st.session_state[key("start_y")] = round(x, 2), round(y, 2)


def _add() -> None:
    s = st.session_state
    n = s[key("n_racers")]
    used = {s.get(key("optimizer", i)) for i in range(n)}
    fresh = next((name for name in RACE_OPTIMIZERS if name not in used), "sgd")
    for name, value in (RACER_DEFAULTS | {"optimizer": fresh}).items():
        s[key(name, n)] = value
    s[key("n_racers")] = n + 1


def _remove(i: int) -> None:
    s = st.session_state
    n = s[key("n_racers")]
    for j in range(i, n - 1):
        for name in RACER_FIELDS:
            s[key(name, j)] = s[key(name, j + 1)]
    s[key("n_racers")] = n - 1
