"""The live CNN: its config, the network built from it, and the views a page computes on a trained copy.

A `CNNConfig` describes conv blocks — conv ("same" padding, p = ⌊f/2⌋, so only the stride
shrinks it: ⌊(n + 2p − f)/s⌋ + 1), optional batch norm, an activation and optional 2×2 pooling with
stride 2 — and a classifier head (flatten, an optional hidden layer, the logits over the shape
classes). `ShapesCNN` keeps its layers in one ordered table of named modules (conv1, bn1, act1,
pool1, …, flatten, hidden, act_hidden, logits); `forward` runs them in turn and `trace` runs the same
loop recording each layer's output, so the model never stores activations on itself. The functions
below — feature maps, first-layer filters, class probabilities, top-activating examples — take a
model as an argument and return numpy arrays: a page calls them on the model `restore` rebuilt from a
snapshot's weights, in its own process.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Mapping

import numpy as np
import torch
from torch import nn

from engine.cnn.shapes import CLASSES
from engine.config import Config, ConfigError, check_choice, check_range

ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "gelu")
POOLS = ("max", "avg", "none")
OPTIMIZERS = ("adam", "sgd", "sgd_momentum")
MAX_BLOCKS = 4
EVAL_BATCH = 500  # images per forward pass in the view functions: bounds their memory


@dataclasses.dataclass(frozen=True)
class CNNConfig(Config):
    image_size: int = 32  # images are image_size × image_size, 3 channels
    noise: float = 0.1  # std of the Gaussian pixel noise in the data set
    train_size: int = 4000
    # four blocks take the 32 × 32 image to 2 × 2 maps, so conv4 sees 38 × 38 px: the whole of any shape
    filters: tuple[int, ...] = (8, 16, 32, 32)  # c_out of each conv block
    kernels: tuple[int, ...] = (3, 3, 3, 3)  # f of each block's f × f conv (odd)
    strides: tuple[int, ...] = (1, 1, 1, 1)
    pools: tuple[str, ...] = ("max", "max", "max", "max")  # after each block: 2 × 2 pooling with stride 2, or none
    batch_norm: bool = True
    activation: str = "relu"
    hidden: int = 32  # units of the hidden layer before the logits; 0: none
    optimizer: str = "adam"
    learning_rate: float = 3e-3
    batch_size: int = 64
    seed: int = 0

    HOT = frozenset({"learning_rate", "batch_size"})

    def check(self) -> None:
        check_range("image_size", self.image_size, 28, 64)
        check_range("noise", self.noise, 0.0, 0.5)
        check_range("train_size", self.train_size, 300, 20_000)
        self._check_blocks()
        check_choice("activation", self.activation, ACTIVATIONS)
        check_range("hidden", self.hidden, 0, 256)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_range("learning_rate", self.learning_rate, 1e-5, 10.0)
        check_range("batch_size", self.batch_size, 8, 512)
        check_range("seed", self.seed, 0, 10**6)

    def _check_blocks(self) -> None:
        n = len(self.filters)
        check_range("the number of conv blocks (entries in filters)", n, 1, MAX_BLOCKS)
        lengths = {"kernels": len(self.kernels), "strides": len(self.strides), "pools": len(self.pools)}
        if any(length != n for length in lengths.values()):
            given = ", ".join(f"{name} {length}" for name, length in lengths.items())
            raise ConfigError(f"filters, kernels, strides and pools need one entry per conv block: filters has {n}, {given}.")
        for i, (c, f, s, pool) in enumerate(zip(self.filters, self.kernels, self.strides, self.pools, strict=True), 1):
            check_range(f"filters of block {i}", c, 1, 64)
            check_range(f"kernel of block {i}", f, 1, 7)
            if f % 2 == 0:
                raise ConfigError(f"the kernel of block {i} must be odd (1, 3, 5 or 7) so that 'same' padding keeps it centred, "
                                  f"not {f}.")
            check_range(f"stride of block {i}", s, 1, 2)
            check_choice(f"pool of block {i}", pool, POOLS)
        self.feature_sizes()

    def feature_sizes(self) -> tuple[int, ...]:
        """The side of the feature map after each block; a ConfigError says where it would vanish."""
        side, sides = self.image_size, []
        for i, (s, pool) in enumerate(zip(self.strides, self.pools, strict=True), 1):
            before = side
            side = (side - 1) // s + 1  # "same" padding: ⌊(n + 2p − f)/s⌋ + 1 with p = (f − 1)/2
            if pool != "none":
                side //= 2
            if side < 1:
                raise ConfigError(f"the {self.image_size}×{self.image_size} image shrinks to nothing: block {i} would turn its "
                                  f"{before}×{before} input into a feature map smaller than 1×1. Use fewer pooling layers "
                                  "(pool 'none') or stride 1.")
            sides.append(side)
        return tuple(sides)


def _activation(name: str) -> nn.Module:
    return {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU, "gelu": nn.GELU}[name]()


class ShapesCNN(nn.Module):
    """Conv blocks then a classifier head, as one ordered table `layers` of named modules."""

    def __init__(self, config: CNNConfig, n_classes: int = len(CLASSES)) -> None:
        super().__init__()
        layers: dict[str, nn.Module] = {}
        c_in = 3
        for i, (c, f, s, pool) in enumerate(zip(config.filters, config.kernels, config.strides, config.pools, strict=True), 1):
            layers[f"conv{i}"] = nn.Conv2d(c_in, c, f, stride=s, padding=f // 2)  # (B, c_in, n, n) → (B, c, n', n')
            if config.batch_norm:
                layers[f"bn{i}"] = nn.BatchNorm2d(c)
            layers[f"act{i}"] = _activation(config.activation)
            if pool != "none":
                layers[f"pool{i}"] = nn.MaxPool2d(2) if pool == "max" else nn.AvgPool2d(2)  # halves the side (floor)
            c_in = c
        layers["flatten"] = nn.Flatten()  # (B, c, n', n') → (B, c·n'·n')
        width = c_in * config.feature_sizes()[-1] ** 2
        if config.hidden:
            layers["hidden"] = nn.Linear(width, config.hidden)
            layers["act_hidden"] = _activation(config.activation)
            width = config.hidden
        layers["logits"] = nn.Linear(width, n_classes)
        self.layers = nn.ModuleDict(layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) images → (B, classes) logits."""
        x = x.contiguous(memory_format=torch.channels_last)  # NHWC: convs and pooling run 1.5–4× faster on CPU
        for layer in self.layers.values():
            x = layer(x)
        return x

    def trace(self, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
        """Every layer's output in order, as (name, tensor); the last is the logits."""
        outputs = []
        x = x.contiguous(memory_format=torch.channels_last)  # as in forward, so both give the same numbers
        for name, layer in self.layers.items():
            x = layer(x)
            outputs.append((name, x))
        return outputs

    @property
    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def build(config: CNNConfig, device: torch.device | str | None = None) -> ShapesCNN:
    """A ShapesCNN whose initial weights depend only on config.seed (the global RNG is left as it was)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = ShapesCNN(config)
    return model.to(device)


def restore(config: CNNConfig, weights: Mapping[str, np.ndarray], device: torch.device | str | None = None) -> ShapesCNN:
    """A model with the weights (and batch-norm statistics) from a snapshot's payload["weights"], in eval mode."""
    model = build(config, device)
    state = {k: torch.from_numpy(np.array(v)) for k, v in weights.items()}
    for name, tensor in model.state_dict().items():  # num_batches_tracked travels as float32: give it its own dtype back
        if name in state:
            state[name] = state[name].to(tensor.dtype)
    model.load_state_dict(state)
    return model.eval()


# -- views on a model: numpy in, numpy out --------------------------------------------------------------------
@contextlib.contextmanager
def _evaluating(model: ShapesCNN) -> Iterator[torch.device]:
    """Eval mode (batch norm on its running statistics) and no gradients inside; the model's mode is restored after."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield next(model.parameters()).device
    finally:
        model.train(was_training)


def _batches(images: np.ndarray | torch.Tensor, device: torch.device) -> Iterator[torch.Tensor]:
    images = torch.as_tensor(images, dtype=torch.float32)
    for start in range(0, len(images), EVAL_BATCH):
        yield images[start:start + EVAL_BATCH].to(device)


def feature_maps(model: ShapesCNN, image: np.ndarray | torch.Tensor) -> list[tuple[str, np.ndarray]]:
    """For one (3, H, W) image: each conv block's maps after the activation and after pooling, as
    (name, (C, H', W') float32 array), in order (act1, pool1, act2, …)."""
    with _evaluating(model) as device:
        x = torch.as_tensor(image, dtype=torch.float32, device=device)[None]  # (1, 3, H, W)
        return [(name, np.ascontiguousarray(out[0].cpu().numpy())) for name, out in model.trace(x)
                if out.dim() == 4 and name.startswith(("act", "pool"))]


def first_layer_filters(model: ShapesCNN) -> np.ndarray:
    """(c_out, 3, f, f) float32: the learned kernels of conv1."""
    return model.layers["conv1"].weight.detach().cpu().float().numpy().copy()


def probabilities(model: ShapesCNN, images: np.ndarray | torch.Tensor) -> np.ndarray:
    """(n, classes) float32: softmax of the logits for (n, 3, H, W) images."""
    with _evaluating(model) as device:
        return torch.cat([model(x).softmax(-1).cpu() for x in _batches(images, device)]).numpy()


def channel_means(model: ShapesCNN, images: np.ndarray | torch.Tensor, layer_name: str) -> np.ndarray:
    """(n, C) float32: each image's mean activation per channel at a conv-block layer."""
    names = list(model.layers)
    if layer_name not in names:
        raise KeyError(f"no layer {layer_name!r}; the layers are {', '.join(names)}")
    last = names.index(layer_name)
    means = []
    with _evaluating(model) as device:
        for x in _batches(images, device):
            x = x.contiguous(memory_format=torch.channels_last)
            for layer in list(model.layers.values())[:last + 1]:  # stop at the layer asked for
                x = layer(x)
            if x.dim() != 4:
                raise ValueError(f"{layer_name} is not a conv-block layer: it has no channels of feature maps")
            means.append(x.mean(dim=(2, 3)).cpu())
    return torch.cat(means).numpy()


def top_activating(model: ShapesCNN, images: np.ndarray | torch.Tensor, layer_name: str, channel: int, k: int = 8) -> np.ndarray:
    """(≤ k,) int64: the indices of the images whose mean activation of `channel` at `layer_name` is largest, largest first."""
    score = channel_means(model, images, layer_name)[:, channel]
    order = np.argsort(-score, kind="stable")
    return order[:k].astype(np.int64)
