"""Labs on activations and depth: XOR needs a hidden layer; linear activations collapse depth; saturating
activations make gradients vanish with depth while ReLU with He initialisation, batch norm or residual
connections keep them.

The first two train Playground networks (engine/playground) and compare test accuracies over seeds. The third
measures ‖∂L/∂W[l]‖ layer by layer at initialisation on the NumPy MLP directly (engine/mlp.py), because it needs
deeper networks than the Playground's eight layers.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping

import numpy as np

from engine.data2d import grid, make_dataset
from engine.labs.base import Evidence, Knob, Lab, Measured, Params, Progress, Series, Verdict
from engine.labs.playground_runs import Meter, curve, layers, mean_se, seeded
from engine.losses import LossSpec, loss_and_grad
from engine.mlp import MLP, Architecture
from engine.playground.config import MAX_LAYERS, MAX_WIDTH, PlaygroundConfig
from engine.playground.trainer import PlaygroundTrainer


def _accuracies(variants: Mapping[str, PlaygroundConfig], params: Params
                ) -> Generator[Progress, None, tuple[dict[str, list[list[float]]], dict[str, list[PlaygroundTrainer]]]]:
    """Each named config trained on every seed: by name, the test-accuracy curves and the trained trainers (one per seed)."""
    seeds, epochs = params["seeds"], params["epochs"]
    meter = Meter(len(variants) * seeds * epochs)
    curves: dict[str, list[list[float]]] = {name: [] for name in variants}
    trainers: dict[str, list[PlaygroundTrainer]] = {name: [] for name in variants}
    for seed in range(seeds):
        for name, config in variants.items():
            trainer, history = yield from meter.train(seeded(config, seed), epochs, f"{name}, seed {seed + 1} of {seeds}")
            curves[name].append([m["test_accuracy"] for m in history])
            trainers[name].append(trainer)
    return curves, trainers


def _final(curves: Mapping[str, list[list[float]]], name: str) -> tuple[float, float]:
    """(mean, standard error) of the final test accuracy of one network over seeds."""
    return mean_se([run[-1] for run in curves[name]])


def _accuracy_table(curves: Mapping[str, list[list[float]]]) -> tuple[dict, ...]:
    return tuple({"network": name, "test accuracy": _final(curves, name)[0], "± s.e.": _final(curves, name)[1]} for name in curves)


def _three_way(holds: list[bool]) -> str:
    return "supported" if all(holds) else "not supported" if not any(holds) else "mixed"


# -- XOR needs a hidden layer ----------------------------------------------------------------------------
def _xor_variants(params: Params) -> dict[str, PlaygroundConfig]:
    base = PlaygroundConfig(dataset="xor", n_points=200, loss="bce", optimizer="adam", learning_rate=0.03, **layers(0, 1, "tanh"))
    return {"no hidden layer": base, "one hidden layer": base.replace(**layers(1, params["width"], params["activation"]))}


def _xor_run(params: Params) -> Generator[Progress, None, Measured]:
    curves, _ = yield from _accuracies(_xor_variants(params), params)
    figures = {"accuracy_perceptron": _final(curves, "no hidden layer")[0], "accuracy_hidden": _final(curves, "one hidden layer")[0]}
    epochs = range(1, params["epochs"] + 1)
    evidence = Evidence("line", "epoch", "test accuracy", tuple(curve(name, epochs, runs) for name, runs in curves.items()),
                        note="A straight line can classify at most about three of XOR's four quadrants.")
    return Measured(figures, _accuracy_table(curves), evidence)


XOR_LINE, XOR_SOLVED = 0.75, 0.90


def _xor_judge(figures: Mapping[str, float], params: Params) -> Verdict:
    flat, hidden = figures["accuracy_perceptron"], figures["accuracy_hidden"]
    holds = [flat < XOR_LINE, hidden > XOR_SOLVED]
    return Verdict(_three_way(holds), f"no hidden layer: mean test accuracy {flat:.1%} ({'below' if holds[0] else 'not below'} "
                                      f"{XOR_LINE:.0%}); one hidden layer: {hidden:.1%} "
                                      f"({'above' if holds[1] else 'not above'} {XOR_SOLVED:.0%}).")


XOR = Lab(
    key="xor",
    topic="depth",
    title="XOR needs a hidden layer",
    claim="A perceptron (no hidden layer) cannot solve XOR; one hidden layer can.",
    setup="XOR data (200 points, half for testing), binary cross-entropy, Adam at learning rate 0.03, batch 10. "
          "The same data for a network without a hidden layer (a logistic-regression perceptron) and with one hidden layer, "
          "on every seed (new data and new initial weights).",
    rule=f"Supported if the perceptron's mean test accuracy is below {XOR_LINE:.0%} and the one-hidden-layer network's is "
         f"above {XOR_SOLVED:.0%}; mixed if only one holds; not supported if neither.",
    knobs=(Knob("width", "hidden units", 8, 2, 32), Knob("activation", "hidden activation", "tanh", choices=("tanh", "relu", "sigmoid")),
           Knob("epochs", "epochs", 200, 10, 2000, log=True), Knob("seeds", "seeds", 4, 1, 10)),
    run=_xor_run,
    judge=_xor_judge,
    small={"epochs": 20, "seeds": 2},
    link=lambda params: ("playground", _xor_variants(params)["one hidden layer"]),
)


# -- linear activations collapse depth -------------------------------------------------------------------
def _collapse_variants(params: Params) -> dict[str, PlaygroundConfig]:
    base = PlaygroundConfig(dataset="circle", n_points=200, loss="bce", optimizer="adam", learning_rate=0.01, **layers(0, 1, "tanh"))
    deep = params["depth"], params["width"]
    return {"no hidden layer": base, "deep linear": base.replace(**layers(*deep, "linear")),
            "deep tanh": base.replace(**layers(*deep, "tanh"))}


def plane_distance(trainer: PlaygroundTrainer) -> float:
    """How far the network's output z(x1, x2) is from a plane over the input square: the largest residual of a
    least-squares fit z ≈ a + b·x1 + c·x2 on a grid, relative to the spread (standard deviation) of z."""
    _, points = grid(41)
    z = trainer.net.forward(trainer.scaler(points))[0][:, 0]  # features are x1, x2
    design = np.hstack([np.ones((len(points), 1)), points])
    coef, *_ = np.linalg.lstsq(design, z, rcond=None)
    return float(np.abs(design @ coef - z).max() / max(z.std(), 1e-300))


def _collapse_run(params: Params) -> Generator[Progress, None, Measured]:
    curves, trainers = yield from _accuracies(_collapse_variants(params), params)
    distance = {name: [plane_distance(t) for t in runs] for name, runs in trainers.items()}
    figures = {"accuracy_perceptron": _final(curves, "no hidden layer")[0], "accuracy_linear": _final(curves, "deep linear")[0],
               "accuracy_tanh": _final(curves, "deep tanh")[0], "plane_distance_linear": max(distance["deep linear"]),
               "plane_distance_tanh": min(distance["deep tanh"])}
    table = tuple(row | {"largest distance from a plane": max(distance[row["network"]])} for row in _accuracy_table(curves))
    evidence = Evidence("bar", "network", "test accuracy", (Series("final test accuracy", tuple(curves),
                        tuple(_final(curves, n)[0] for n in curves), tuple(_final(curves, n)[1] for n in curves)),),
                        note="Stacked linear layers compose to one linear map: compare the deep linear bar with no hidden layer.")
    return Measured(figures, table, evidence)


PLANE, GAIN = 1e-6, 0.20


def _collapse_judge(figures: Mapping[str, float], params: Params) -> Verdict:
    linear, tanh, curved = figures["accuracy_linear"], figures["accuracy_tanh"], figures["plane_distance_linear"]
    plane, beaten = curved < PLANE, tanh >= linear + GAIN
    outcome = "supported" if plane and beaten else "mixed" if plane else "not supported"
    because = (f"the deep linear network's output is at most {curved:.1g} of its spread from a plane ({'below' if plane else 'not below'} "
               f"{PLANE:g}); the deep tanh network's mean test accuracy {tanh:.1%} is {tanh - linear:+.1%} from the deep linear "
               f"network's {linear:.1%} ({'at least' if beaten else 'less than'} {GAIN:.0%} higher).")
    return Verdict(outcome, because)


COLLAPSE = Lab(
    key="linear_collapse",
    topic="depth",
    title="Linear activations collapse depth",
    claim="However deep, a network with linear activations computes a linear function: its boundary is a straight line.",
    setup="Circle data (200 points, half for testing; no straight line separates it), binary cross-entropy, Adam at learning "
          "rate 0.01, batch 10. Three networks on every seed: no hidden layer, a deep stack of linear layers and the same stack "
          "with tanh. Distance from a plane: the largest residual of a least-squares plane fitted to the output over the input "
          "square, relative to the output's spread, on every seed. The perceptron is shown for comparison.",
    rule=f"Supported if the deep linear network's output is within {PLANE:g} of a plane on every seed and the deep tanh network's "
         f"mean test accuracy is at least {GAIN:.0%} higher than the deep linear one's; not supported if the output is not a "
         "plane; mixed otherwise.",
    knobs=(Knob("depth", "hidden layers", 4, 1, MAX_LAYERS), Knob("width", "units per layer", 8, 2, 32),
           Knob("epochs", "epochs", 200, 10, 2000, log=True), Knob("seeds", "seeds", 3, 1, 10)),
    run=_collapse_run,
    judge=_collapse_judge,
    small={"depth": 2, "epochs": 20, "seeds": 2},
    link=lambda params: ("playground", _collapse_variants(params)["deep linear"]),
)


# -- vanishing gradients -----------------------------------------------------------------------------------
# name → (activation, initialisation, batch norm, residual); None: the init knob (for the saturating nets)
GRADIENT_NETS: dict[str, tuple[str, str | None, bool, bool]] = {
    "sigmoid": ("sigmoid", None, False, False),
    "tanh": ("tanh", None, False, False),
    "ReLU + He": ("relu", "he", False, False),
    "sigmoid + batch norm": ("sigmoid", None, True, False),
    "tanh + residual": ("tanh", None, False, True),
}
SATURATING, FIXES = ("sigmoid", "tanh"), ("ReLU + He", "sigmoid + batch norm", "tanh + residual")
VANISHED, KEPT = 1e-2, (1e-1, 10.0)


def gradient_norms(name: str, params: Params, seed: int, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """‖∂L/∂W[l]‖ for l = 1 … L+1 (the output layer last) of one freshly initialised network, on the full batch."""
    activation, init, batch_norm, residual = GRADIENT_NETS[name]
    depth, width = params["depth"], params["width"]
    arch = Architecture((2, *(width,) * depth, 1), (activation,) * depth, (batch_norm,) * depth, (1.0,) * depth, residual)
    net = MLP(arch, init or params["init"], np.random.default_rng(seed))
    z, cache = net.forward(x, train=True)
    _, dz = loss_and_grad(LossSpec("bce"), z, y, 2)
    net.backward(cache, dz)
    return net.layer_grad_norms()


def _gradients_run(params: Params) -> Generator[Progress, None, Measured]:
    data = make_dataset("circle", 200, 0.0, 0)
    networks = params["networks"]
    meter = Meter(len(GRADIENT_NETS) * networks)
    norms: dict[str, np.ndarray] = {}  # name → geometric mean over networks, per layer
    for name in GRADIENT_NETS:
        logs = []
        for seed in range(networks):
            logs.append(np.log(gradient_norms(name, params, seed, data.x, data.y) + 1e-300))
            yield from meter.advance(1, f"{name}, network {seed + 1} of {networks}")
        norms[name] = np.exp(np.mean(logs, axis=0))
    ratios = {name: float(n[0] / n[-1]) for name, n in norms.items()}
    figures = {_figure(name): r for name, r in ratios.items()}
    table = tuple({"network": name, "‖∂L/∂W[1]‖": float(n[0]), "‖∂L/∂W[L]‖ (output)": float(n[-1]), "first / last": ratios[name]}
                  for name, n in norms.items())
    layers_x = tuple(range(1, params["depth"] + 2))
    evidence = Evidence("line", "layer (1 = nearest the input)", "gradient norm ‖∂L/∂W[l]‖",
                        tuple(Series(name, layers_x, tuple(float(v) for v in n)) for name, n in norms.items()), log_y=True,
                        note="Geometric mean over the networks. A line falling towards layer 1 is a vanishing gradient.")
    return Measured(figures, table, evidence)


def _figure(name: str) -> str:
    return "ratio_" + name.lower().replace(" + ", "_").replace(" ", "_")


def _gradients_judge(figures: Mapping[str, float], params: Params) -> Verdict:
    vanish = [n for n in SATURATING if figures[_figure(n)] < VANISHED]
    kept = [n for n in FIXES if KEPT[0] <= figures[_figure(n)] <= KEPT[1]]
    outcome = "supported" if len(vanish) == len(SATURATING) and len(kept) == len(FIXES) else (
        "not supported" if not vanish or not kept else "mixed")
    ratios = ", ".join(f"{n} {figures[_figure(n)]:.1e}" for n in GRADIENT_NETS)
    return Verdict(outcome, f"first/last gradient ratios: {ratios}. Vanished (below {VANISHED:g}): {', '.join(vanish) or 'none'}; "
                            f"kept within [{KEPT[0]:g}, {KEPT[1]:g}]: {', '.join(kept) or 'none'}.")


def _gradients_link(params: Params) -> tuple[str, PlaygroundConfig]:
    depth, width = min(params["depth"], MAX_LAYERS), min(params["width"], MAX_WIDTH)
    config = PlaygroundConfig(dataset="circle", n_points=200, loss="bce", init=params["init"], **layers(depth, width, "sigmoid"))
    return "playground", config


GRADIENTS = Lab(
    key="vanishing_gradients",
    topic="depth",
    title="Gradients vanish in deep sigmoid and tanh networks",
    claim="In deep sigmoid or tanh networks the gradients shrink layer by layer towards the input; ReLU with He "
          "initialisation, batch norm or residual connections keep them.",
    setup="Circle data (200 points, one full batch), binary cross-entropy, gradients at initialisation (before any step). "
          "Five kinds of deep network of equal width: sigmoid, tanh, ReLU with He init, sigmoid with batch norm, tanh with "
          "residual connections; sigmoid and tanh start from the chosen initialisation. Each is averaged (geometric mean) over "
          "several random networks. The figure per network is ‖∂L/∂W[1]‖ / ‖∂L/∂W[L]‖, first layer over output layer. "
          f"Open in Playground shows the sigmoid network, at most {MAX_LAYERS} layers there.",
    rule=f"A network's gradient has vanished when its ratio is below {VANISHED:g}, and is kept when it lies in "
         f"[{KEPT[0]:g}, {KEPT[1]:g}]. Supported if sigmoid and tanh both vanish and all three fixes keep it; not supported "
         "if neither vanishes or no fix keeps it; mixed otherwise.",
    knobs=(Knob("depth", "hidden layers", 12, 2, 20), Knob("width", "units per layer", 16, 4, 32),
           Knob("init", "initialisation of sigmoid and tanh", "xavier", choices=("xavier", "small", "large")),
           Knob("networks", "random networks", 5, 1, 20)),
    run=_gradients_run,
    judge=_gradients_judge,
    small={"depth": 6, "networks": 2},
    link=_gradients_link,
)

LABS: tuple[Lab, ...] = (XOR, COLLAPSE, GRADIENTS)
