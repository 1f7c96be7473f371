"""Teaching scenarios: one click sets the whole Playground to a configuration that makes a point.

Each preset is a story (what to try and what to look for) and the settings that differ from
the defaults. The claims are demonstrated live by the learner; the Labs page checks them with
several seeds and a computed verdict.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from engine.playground.config import PlaygroundConfig


@dataclasses.dataclass(frozen=True)
class Preset:
    title: str
    story: str
    changes: dict[str, Any]

    def config(self) -> PlaygroundConfig:
        return PlaygroundConfig().replace(**self.changes)


def _layers(n: int, width: int, activation: str, **per_layer: Any) -> dict[str, Any]:
    return {"hidden": (width,) * n, "activations": (activation,) * n, "keep_probs": (per_layer.get("keep", 1.0),) * n,
            "batch_norm": (per_layer.get("bn", False),) * n}


PRESETS: dict[str, Preset] = {
    "xor_no_hidden": Preset(
        "XOR needs a hidden layer",
        "With no hidden layer the network can only draw a straight line, and no line separates XOR. "
        "Run it, then add a hidden layer of 4 tanh units and run again.",
        {"dataset": "xor", "noise": 0.1, **_layers(0, 1, "tanh"), "learning_rate": 0.03, "loss": "bce"},
    ),
    "spiral_relu": Preset(
        "Spiral with ReLU (then tanh)",
        "Three layers of 8 ReLU units carve the spiral out of straight pieces; switch the activation to tanh "
        "and compare how smooth the boundary becomes and how fast it learns.",
        {"dataset": "spiral", "noise": 0.1, **_layers(3, 8, "relu"), "optimizer": "adam", "learning_rate": 0.01, "loss": "bce"},
    ),
    "zero_init": Preset(
        "Zero initialisation never breaks symmetry",
        "Every unit starts equal, gets the same gradient and stays equal: watch the neuron previews in each "
        "layer stay identical. Switch the initialisation to Xavier to break the symmetry.",
        {"dataset": "circle", **_layers(2, 4, "tanh"), "init": "zeros", "learning_rate": 0.1},
    ),
    "linear_collapse": Preset(
        "Linear activations collapse depth",
        "Four layers of linear units are still one linear map: the boundary stays a straight line, however "
        "long it trains.",
        {"dataset": "circle", **_layers(4, 8, "linear"), "learning_rate": 0.01},
    ),
    "feature_engineering": Preset(
        "The right features need no hidden layer",
        "With x₁² and x₂² as inputs, a circle is a linear problem: no hidden layer is needed.",
        {"dataset": "circle", "features": ("x1_sq", "x2_sq"), **_layers(0, 1, "tanh"), "loss": "bce", "learning_rate": 0.03},
    ),
    "focal_imbalance": Preset(
        "Focal loss on 1:20 imbalance",
        "One class has 20 times fewer points. Compare minority-class recall (Metrics tab) with focal loss and "
        "then with plain cross-entropy.",
        {"dataset": "gaussian", "noise": 0.5, "imbalance": 20.0, "n_points": 630, **_layers(1, 8, "relu"),
         "loss": "focal", "optimizer": "adam", "learning_rate": 0.01},
    ),
    "too_high_lr": Preset(
        "A learning rate that is too high",
        "Regression on a plane at learning rate 3: the loss blows up within a few dozen epochs and training "
        "stops with a reason. Lower the learning rate and press Run again.",
        {"dataset": "plane", **_layers(2, 8, "relu"), "learning_rate": 3.0},
    ),
    "overfitting": Preset(
        "Overfitting on small noisy data",
        "60 noisy points and a big network: train loss keeps falling while test loss turns up. Add L2 or "
        "dropout and watch the gap shrink; the marker shows where early stopping would stop.",
        {"dataset": "circle", "n_points": 60, "noise": 0.5, **_layers(3, 16, "relu"), "optimizer": "adam",
         "learning_rate": 0.01, "loss": "bce"},
    ),
    "vanishing": Preset(
        "Deep sigmoid networks: vanishing gradients",
        "Six sigmoid layers with small initial weights: the first layers' gradient norms (Health tab) are "
        "orders of magnitude below the last. Try ReLU with He initialisation, or batch norm.",
        {"dataset": "circle", **_layers(6, 8, "sigmoid"), "init": "xavier", "learning_rate": 0.1},
    ),
    "batch_norm": Preset(
        "Batch norm allows a larger learning rate",
        "The same deep ReLU network at learning rate 1 diverges without batch norm and trains with it: "
        "toggle batch norm on every layer and compare.",
        {"dataset": "spiral", **_layers(4, 16, "relu", bn=True), "learning_rate": 1.0, "loss": "bce", "batch_size": 25},
    ),
    "multiclass": Preset(
        "Five classes",
        "Five interleaved spiral arms, softmax output and cross-entropy.",
        {"dataset": "spiral", "n_classes": 5, "n_points": 1000, **_layers(3, 16, "relu"), "optimizer": "adam",
         "learning_rate": 0.01, "loss": "cross_entropy"},
    ),
}
