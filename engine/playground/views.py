"""What the Playground page shows, computed from a trainer as plain data.

- the decision boundary (or regression surface) over the input plane, 100 × 100;
- each neuron's preview: what it computes over the plane (TensorFlow Playground's thumbnails);
- training health: dead ReLU units, saturated sigmoid/tanh units, identical units (symmetry);
- a plain-language diagnosis from the curves and the health figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from engine.data2d import grid
from engine.features import Standardizer, feature_matrix
from engine.losses import probabilities

if TYPE_CHECKING:
    from engine.playground.trainer import PlaygroundTrainer

BOUNDARY_RESOLUTION = 100
PREVIEW_RESOLUTION = 24
SATURATED = {"tanh": 0.97, "sigmoid": 0.47}  # |a| or |a − ½| beyond which g'(z) is tiny
RELU_LIKE = ("relu",)


class Grid:
    """The input plane at two resolutions, already turned into the network's input features."""

    def __init__(self, features: tuple[str, ...], scaler: Standardizer) -> None:
        self.xs, points = grid(BOUNDARY_RESOLUTION)
        self.boundary = scaler(feature_matrix(points, features))
        self.preview_xs, small = grid(PREVIEW_RESOLUTION)
        self.preview = scaler(feature_matrix(small, features))


def payload(trainer: PlaygroundTrainer) -> dict:
    net, spec, k, g = trainer.net, trainer.loss_spec, trainer.k, trainer.grid
    r = BOUNDARY_RESOLUTION
    z, _ = net.forward(g.boundary)
    surface = probabilities(spec, z, k)
    out: dict = {
        "task": trainer.config.task,
        "n_classes": k,
        "features": trainer.config.features,
        "epoch": trainer.epoch,
        "iteration": trainer.iteration,
        "learning_rate_now": trainer.learning_rate_now,
        "grid_xs": g.xs,
        "train_x": trainer.train.x, "train_y": trainer.train.y,
        "test_x": trainer.test.x, "test_y": trainer.test.y,
        "weights": [W.copy() for W in net.W],
        "biases": [b.copy() for b in net.b],
        "grad_norms": net.layer_grad_norms(),
        "best_test_epoch": trainer.best[1],
        "parameters": parameters(trainer),
        "now": trainer.evaluate(),  # loss and accuracy as the network is now (also before epoch 1)
    }
    if k > 2:
        out["boundary_class"] = surface.argmax(axis=1).reshape(r, r)
        out["boundary"] = surface.max(axis=1).reshape(r, r)  # confidence of the winning class
    else:
        out["boundary"] = surface.reshape(r, r)
    for prefix, x in (("train", trainer.x_train), ("test", trainer.x_test)):
        out[f"{prefix}_scores"] = probabilities(spec, net.forward(x)[0], k) if len(x) else np.empty(0)
    out["previews"] = previews(trainer)
    out["preview_xs"] = g.preview_xs
    out.update(health(trainer))
    out["diagnosis"] = diagnose(trainer, out)
    return out


def parameters(trainer: PlaygroundTrainer) -> dict[str, np.ndarray]:
    """Every trained array by name ("W.0", "b.0", "gamma.1", "running_mean.1", ...), for export."""
    net = trainer.net
    out = {f"{name}.{l}": value.copy() for (name, l), value in net.params.items()}
    for l, bn in enumerate(net.arch.batch_norm):
        if bn:
            out[f"running_mean.{l}"], out[f"running_var.{l}"] = net.running_mean[l].copy(), net.running_var[l].copy()
    return out


def previews(trainer: PlaygroundTrainer) -> list[np.ndarray]:
    """Per layer (inputs, hidden..., output): (units, r, r) arrays of each unit over the plane."""
    net, g, r = trainer.net, trainer.grid, PREVIEW_RESOLUTION
    z, cache = net.forward(g.preview)
    layers = [g.preview.T.reshape(-1, r, r)]
    layers += [a.T.reshape(-1, r, r) for a in cache.inputs[1:]]
    head = probabilities(trainer.loss_spec, z, trainer.k)
    layers.append((head if head.ndim == 2 else head[:, None]).T.reshape(-1, r, r))
    return [layer.astype(np.float32) for layer in layers]


def health(trainer: PlaygroundTrainer) -> dict[str, np.ndarray]:
    """Per hidden layer: % dead units (ReLU output 0 for every training point), % saturated
    activations (sigmoid/tanh in their flat tails), and whether all units are identical."""
    net, arch = trainer.net, trainer.net.arch
    _, cache = net.forward(trainer.x_train)
    dead, saturated, identical = [], [], []
    for l, act in enumerate(arch.activations):
        a = cache.a[l]
        dead.append(100.0 * float((a <= 0).all(axis=0).mean()) if act in RELU_LIKE else np.nan)
        if act in SATURATED:
            centred = np.abs(a - (0.5 if act == "sigmoid" else 0.0))
            saturated.append(100.0 * float((centred > SATURATED[act]).mean()))
        else:
            saturated.append(np.nan)
        W = net.W[l]
        identical.append(bool(W.shape[0] > 1 and np.ptp(W, axis=0).max() < 1e-12 and np.ptp(net.b[l]) < 1e-12))
    return {"dead_percent": np.array(dead), "saturated_percent": np.array(saturated), "identical_units": np.array(identical)}


def diagnose(trainer: PlaygroundTrainer, view: dict) -> list[str]:
    """Plain-language findings, most urgent first; empty when nothing stands out."""
    notes = []
    recent = np.array(trainer.recent) if trainer.recent else np.empty((0, 2))
    arch = trainer.net.arch
    if len(recent) >= 20:
        train = recent[:, 0]
        if train[-1] > 2 * train.min() and train[-1] > train[-10]:
            notes.append("The loss is rising: the learning rate is probably too high.")
    norms = view["grad_norms"]
    # an exact 0 is a mini-batch where dropout or a one-point batch silenced the layer, not vanishing
    no_dropout = all(k == 1.0 for k in arch.keep_probs)
    if len(norms) > 1 and no_dropout and norms[-1] > 1e-8 and 0 < norms[0] < 1e-3 * norms[-1]:
        remedies = "ReLU, He initialisation, " + ("residual connections" if any(arch.batch_norm) else "batch norm or residual connections")
        notes.append(f"Gradients vanish: the first layer's gradient is {norms[0] / norms[-1]:.0e} × the output layer's. Try {remedies}.")
    if norms.max(initial=0.0) > 1e3:
        notes.append("Gradients are exploding (a layer's gradient norm is above 1000): lower the learning rate.")
    for l, same in enumerate(view["identical_units"], start=1):
        if same:
            notes.append(f"All units of layer {l} are identical: with zero initialisation every unit gets the same "
                         "gradient, so symmetry never breaks.")
    for l, pct in enumerate(view["dead_percent"], start=1):
        if pct >= 50:
            notes.append(f"{pct:.0f}% of layer {l}'s ReLU units are dead (0 for every input): lower the learning rate "
                         "or try Leaky ReLU.")
    for l, pct in enumerate(view["saturated_percent"], start=1):
        if pct >= 50:
            notes.append(f"Layer {l} is saturated ({pct:.0f}% of activations in the flat tails): gradients through it are tiny.")
    best_loss, best_epoch = trainer.best
    if len(recent) >= 20 and trainer.epoch > best_epoch + 50 and recent[-1, 1] > 1.2 * best_loss and recent[-1, 0] < recent[-1, 1]:
        notes.append(f"Train and test loss separate: overfitting. The test loss was lowest at epoch {best_epoch} "
                     "(early stopping would stop there); try L2, dropout or more data.")
    linear = arch.n_hidden == 0 or all(a == "linear" for a in arch.activations)
    if linear and trainer.k == 2 and set(trainer.config.features) <= {"x1", "x2"}:
        notes.append("Every layer is linear, so the whole network is one linear function: the boundary is a straight line.")
    return notes
