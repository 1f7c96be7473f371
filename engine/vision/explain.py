"""Explaining the pretrained EfficientNet-Lite0: what it sees, where it looks, and what a channel wants.

`analyse` runs one forward pass and returns plain data for every view: the top-5 classes, every stage's feature maps
and their channels ranked by mean activation. `saliency` is the gradient of a class's logit with respect to the input
pixels (Simonyan et al. 2014); `grad_cam` weights a stage's channels by the spatial mean of that gradient with respect to
the stage's map (Selvaraju et al. 2017); `overlay` draws either heat map over the image the network saw. Activation
maximisation (`ActivationMaxTrainer`) runs as a one-shot job: gradient ascent on the input image itself, with jitter,
blur and an L2 penalty so the result shows the channel's pattern rather than high-frequency noise. Gradients are always
taken with respect to an input or an activation, never the shared model's weights, which stay frozen.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from engine.config import Config, ConfigError, check_choice, check_range
from engine.vision.efficientnet import MEAN, STAGE_ARGS, STAGES, STD, EfficientNetLite0, load_model, preprocess, top_k
from engine.vision.imagenet import class_name

CHANNELS: dict[str, int] = {"stem": 32, **{f"stage{i + 1}": a[5] for i, a in enumerate(STAGE_ARGS)}, "head": 1280}
SALIENCY_METHODS = ("gradient", "gradient×input")
LOW, HIGH = (0 - MEAN) / STD, (255 - MEAN) / STD  # the valid input range, −127/128 … 128/128
# anchor colours (position, r, g, b) of the heat-map colour scales, interpolated to 256 entries
COLORMAPS = {
    "jet": ((0.0, 0, 0, 128), (0.11, 0, 0, 255), (0.36, 0, 255, 255), (0.64, 255, 255, 0), (0.89, 255, 0, 0), (1.0, 128, 0, 0)),
    "hot": ((0.0, 0, 0, 0), (0.375, 255, 0, 0), (0.75, 255, 255, 0), (1.0, 255, 255, 255)),
}

ImageInput = Image.Image | torch.Tensor  # a PIL image (preprocessed to 224 px) or an already scaled (1, 3, H, W) tensor


@dataclasses.dataclass(frozen=True)
class Analysis:
    """One image through the network, as plain data."""

    probabilities: np.ndarray  # (1000,) float32, softmax of the logits
    top5: tuple[tuple[int, str, float], ...]  # (class index, name, probability), most probable first
    stages: dict[str, np.ndarray]  # stage name → (C, h, w) float32 feature map
    channel_order: dict[str, np.ndarray]  # stage name → (C,) channel indices by mean activation, highest first
    input_image: np.ndarray  # (224, 224, 3) uint8: the centre crop the network saw, for overlays


# -- running the network in pieces -----------------------------------------------------------------------------
def _start_block(model: EfficientNetLite0, stage: str) -> int:
    """Index of the first block after `stage` (stem: 0; head: past the last block)."""
    i = STAGES.index(stage)  # 0 stem, 1..7 stage1..stage7, 8 head
    if stage == "head":
        return len(model._blocks)
    return 0 if stage == "stem" else model.stage_ends[i - 1] + 1


def forward_to(model: EfficientNetLite0, stage: str, x: torch.Tensor, pre_activation: bool = False) -> torch.Tensor:
    """The map of one stage (B, C, h, w) for scaled input x (B, 3, H, W), running only the layers it needs.

    With pre_activation, the stem and head maps are taken before their ReLU6 (the other stages end in a linear
    projection, so they have none): the values activation maximisation can push past 0 and 6."""
    check_choice("stage", stage, STAGES)
    h = model._bn0(model._conv_stem(x))
    if stage == "stem":
        return h if pre_activation else F.relu6(h)
    h = F.relu6(h)
    for block in model._blocks[: _start_block(model, stage)]:
        h = block(h)
    if stage != "head":
        return h
    h = model._bn1(model._conv_head(h))  # (B, 1280, h, w)
    return h if pre_activation else F.relu6(h)


def forward_from(model: EfficientNetLite0, stage: str, activation: torch.Tensor) -> torch.Tensor:
    """Logits (B, 1000) from a stage's map: the remaining blocks, the head, global average pooling and the classifier.
    `forward_from(m, s, m.features(x)[s])` equals `m(x)`."""
    check_choice("stage", stage, STAGES)
    h = activation
    if stage != "head":
        for block in model._blocks[_start_block(model, stage):]:
            h = block(h)
        h = F.relu6(model._bn1(model._conv_head(h)))  # (B, 1280, h, w)
    return model._fc(h.mean(dim=(2, 3)))


def _as_input(image: ImageInput, model: torch.nn.Module) -> torch.Tensor:
    """The network's input (1, 3, H, W) on the model's device and dtype, detached from any graph."""
    x = preprocess(image) if isinstance(image, Image.Image) else image.detach()
    if x.ndim != 4 or x.shape[:2] != (1, 3):
        raise ValueError(f"expected one RGB image of shape (1, 3, H, W), got {tuple(x.shape)}")
    weight = next(model.parameters())
    return x.to(device=weight.device, dtype=weight.dtype).clone()


def _class(logits: torch.Tensor, class_index: int | None) -> int:
    if class_index is None:
        return int(logits[0].argmax())
    if not 0 <= class_index < logits.shape[1]:
        raise ValueError(f"class_index must be between 0 and {logits.shape[1] - 1}, not {class_index}.")
    return int(class_index)


# -- one forward pass for every view ---------------------------------------------------------------------------
def analyse(image: Image.Image, model: EfficientNetLite0 | None = None) -> Analysis:
    """Top-5 classes, every stage's feature maps and their channel ranking for one image (a single forward pass)."""
    model = model or load_model()
    x = _as_input(image, model)
    with torch.inference_mode():
        maps = model.features(x)
        logits = forward_from(model, "head", maps["head"])  # (1, 1000)
    probabilities = torch.softmax(logits[0].float(), dim=0).cpu().numpy()
    stages = {name: m[0].float().cpu().numpy() for name, m in maps.items()}  # (C, h, w) each
    order = {name: np.argsort(-m.mean(axis=(1, 2)), kind="stable") for name, m in stages.items()}
    pixels = np.rint(x[0].permute(1, 2, 0).float().cpu().numpy() * STD + MEAN)  # exact: preprocess scaled uint8 by 1/128
    return Analysis(
        probabilities=probabilities,
        top5=tuple((i, class_name(i), p) for i, p in top_k(logits, k=5)),
        stages=stages,
        channel_order=order,
        input_image=np.clip(pixels, 0, 255).astype(np.uint8),
    )


# -- where the network looks ------------------------------------------------------------------------------------
def _normalise(heat: torch.Tensor, percentile: float | None = None) -> np.ndarray:
    """Non-negative heat (H, W) scaled to [0, 1] by its max (or a high percentile, clipped); all zeros stay zeros."""
    heat = heat.detach().float().cpu()
    top = float(heat.max())
    if percentile is not None:
        top = float(torch.quantile(heat.flatten(), percentile / 100)) or top  # a near-empty map falls back to the max
    if top <= 0:
        return np.zeros(tuple(heat.shape), dtype=np.float32)
    return (heat / top).clamp(0, 1).numpy().astype(np.float32)


def saliency(image: ImageInput, class_index: int | None = None, method: str = "gradient",
             model: torch.nn.Module | None = None) -> np.ndarray:
    """|∂y_c/∂x| (or |x·∂y_c/∂x| for "gradient×input"), max over RGB, scaled to [0, 1] by its 99th percentile: (H, W).

    y_c is the pre-softmax logit of class c (the top class when None). For "gradient×input", x is the scaled input,
    so mid-grey pixels (x ≈ 0) get no credit whatever their gradient."""
    check_choice("method", method, SALIENCY_METHODS)
    model = model or load_model()
    x = _as_input(image, model).requires_grad_(True)  # (1, 3, H, W): the only tensor that gets a gradient
    with torch.enable_grad():
        logits = model(x)  # (1, classes)
        (grad,) = torch.autograd.grad(logits[0, _class(logits, class_index)], x)
    contribution = grad * x.detach() if method == "gradient×input" else grad
    return _normalise(contribution[0].abs().amax(dim=0), percentile=99)  # (H, W)


def grad_cam(image: ImageInput, class_index: int | None = None, stage: str = "head",
             model: EfficientNetLite0 | None = None) -> np.ndarray:
    """Grad-CAM (H, W) in [0, 1]: ReLU(Σ_k α_k A_k), α_k = spatial mean of ∂y_c/∂A_k, A the stage's map (C, h, w).

    Bilinearly upsampled to the input size, then divided by its max (a map with nothing positive stays all zeros)."""
    model = model or load_model()
    x = _as_input(image, model)
    with torch.no_grad():
        activation = forward_to(model, stage, x)  # (1, C, h, w)
    activation.requires_grad_(True)  # gradients flow from the logit back to this map only
    with torch.enable_grad():
        logits = forward_from(model, stage, activation)
        (grad,) = torch.autograd.grad(logits[0, _class(logits, class_index)], activation)
    alpha = grad.mean(dim=(2, 3), keepdim=True)  # (1, C, 1, 1): how much the class logit wants each channel
    cam = F.relu((alpha * activation.detach()).sum(dim=1, keepdim=True))  # (1, 1, h, w)
    cam = F.interpolate(cam, size=tuple(x.shape[-2:]), mode="bilinear", align_corners=False)  # (1, 1, H, W)
    return _normalise(cam[0, 0])


def colorize(heat: np.ndarray, colormap: str = "jet") -> np.ndarray:
    """Heat values in [0, 1] (any shape) as RGB uint8 (…, 3) through a 256-entry table built from the anchor colours."""
    check_choice("colormap", colormap, COLORMAPS)
    anchors = np.array(COLORMAPS[colormap], dtype=np.float64)  # (n, 4): position, r, g, b
    grid = np.linspace(0, 1, 256)
    table = np.stack([np.interp(grid, anchors[:, 0], anchors[:, c]) for c in (1, 2, 3)], axis=1)  # (256, 3)
    index = np.rint(np.clip(np.nan_to_num(heat), 0, 1) * 255).astype(np.intp)
    return np.rint(table[index]).astype(np.uint8)


def overlay(image: np.ndarray, heat: np.ndarray, alpha: float = 0.5, colormap: str = "jet") -> np.ndarray:
    """The image (H, W, 3) uint8 blended with the coloured heat map (H, W): (1 − alpha)·image + alpha·colour, uint8."""
    if image.ndim != 3 or image.shape[2] != 3 or heat.shape != image.shape[:2]:
        raise ValueError(f"overlay needs an (H, W, 3) image and an (H, W) heat map, got {image.shape} and {heat.shape}")
    check_range("alpha", alpha, 0, 1)
    blend = (1 - alpha) * image.astype(np.float32) + alpha * colorize(heat, colormap).astype(np.float32)
    return np.clip(np.rint(blend), 0, 255).astype(np.uint8)


# -- what a channel wants: activation maximisation ----------------------------------------------------------------
ITERATIONS_PER_STEP = 5  # Adam iterations per runtime step: about 0.1–0.3 s at 128 px on one CPU core
NOISE = 0.1  # standard deviation of the starting image in input units (about ±13 grey levels)


@dataclasses.dataclass(frozen=True)
class ActivationMaxConfig(Config):
    stage: str = "stage4"
    channel: int = 0
    size: int = 128  # the image is size × size pixels
    steps: int = 200  # gradient-ascent iterations in all
    learning_rate: float = 0.05  # Adam, in input units (1 ≈ 128 grey levels)
    jitter: int = 8  # each iteration shifts the image by up to ± this many pixels (a random roll)
    blur_every: int = 4  # Gaussian-blur the image every this many iterations (0: never)
    blur_sigma: float = 0.5  # pixels
    decay: float = 1e-4  # weight of the L2 penalty on the image
    seed: int = 0

    HOT = frozenset({"learning_rate", "jitter", "blur_every", "blur_sigma", "decay"})

    def check(self) -> None:
        check_choice("stage", self.stage, STAGES)
        check_range("channel", self.channel, 0, CHANNELS[self.stage] - 1)
        check_range("size", self.size, 64, 224)
        check_range("steps", self.steps, 10, 1000)
        check_range("learning_rate", self.learning_rate, 1e-3, 0.5)
        check_range("jitter", self.jitter, 0, 32)
        if self.jitter >= self.size // 2:
            raise ConfigError(f"jitter ({self.jitter}) must be less than half the image size ({self.size}).")
        check_range("blur_every", self.blur_every, 0, 100)
        check_range("blur_sigma", self.blur_sigma, 0.1, 3)
        check_range("decay", self.decay, 0, 0.1)
        check_range("seed", self.seed, 0, 10**6)


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (B, C, H, W), each channel on its own, reflected at the borders (radius ⌈3σ⌉)."""
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-0.5 * (t / sigma) ** 2)
    kernel = kernel / kernel.sum()  # (2r + 1,)
    c = x.shape[1]
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="reflect"), kernel.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(F.pad(x, (0, 0, radius, radius), mode="reflect"), kernel.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def to_pixels(x: torch.Tensor) -> np.ndarray:
    """A scaled input (1, 3, H, W) as an (H, W, 3) uint8 image: x·128 + 127, clipped."""
    return np.clip(np.rint(x[0].detach().permute(1, 2, 0).float().cpu().numpy() * STD + MEAN), 0, 255).astype(np.uint8)


class ActivationMaxTrainer:
    """Gradient ascent on an image so that one channel of one stage fires as strongly as possible.

    The objective is the channel's mean over its *whole* map (not the centre unit): the canvas fills with the
    pattern the channel responds to, which reads at a glance, and every pixel gets a gradient — with the centre unit of
    an early stage, whose receptive field is a few dozen pixels, the rest of the canvas would stay noise.
    For the stem and the head the activation is the value before their ReLU6.
    Metrics: "loss" (−activation + decay·‖x‖²), "activation", "progress" (0..1). Payload: "image" (size, size, 3)
    uint8, "activation", "iterations", "history" (activation per iteration), "progress"."""

    unit = "step"

    def __init__(self, config: ActivationMaxConfig, device: torch.device | str | None = None) -> None:
        self.config = config
        self.device = torch.device(device or "cpu")
        # the CPU model is the one load_model() shares with analyse/saliency, so it is loaded once per process
        self.model = load_model(None if self.device.type == "cpu" else self.device)
        self.generator = torch.Generator().manual_seed(config.seed)  # the start image and the jitter offsets
        start = NOISE * torch.randn(1, 3, config.size, config.size, generator=self.generator)
        self.image = start.clamp(LOW, HIGH).to(self.device).requires_grad_(True)  # (1, 3, size, size)
        self.optimizer = torch.optim.Adam([self.image], lr=config.learning_rate)
        self.n_parameters = self.image.numel()  # the values optimised; the network itself is frozen
        self.iterations = 0
        self.history: list[float] = []
        with torch.no_grad():
            self.activation = float(self._activation(self.image))

    def _activation(self, x: torch.Tensor) -> torch.Tensor:
        # stem and head end in ReLU6, which is flat below 0 and above 6 (no gradient): ascend the value before it
        return forward_to(self.model, self.config.stage, x, pre_activation=True)[0, self.config.channel].mean()

    def _iterate(self) -> float:
        c = self.config
        dy, dx = (int(v) for v in torch.randint(-c.jitter, c.jitter + 1, (2,), generator=self.generator))
        shifted = torch.roll(self.image, shifts=(dy, dx), dims=(2, 3))  # the gradient is rolled back through the roll
        activation = self._activation(shifted)
        loss = -activation + c.decay * self.image.pow(2).sum()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.iterations += 1
        with torch.no_grad():
            if c.blur_every and self.iterations % c.blur_every == 0:
                self.image.copy_(gaussian_blur(self.image, c.blur_sigma))  # damps the high frequencies ascent loves
            self.image.clamp_(LOW, HIGH)  # stay a real image: 0–255 in every channel
        return activation.item()

    # -- the Trainer protocol -------------------------------------------------------------------------------------
    def step(self) -> dict[str, float]:
        for _ in range(min(ITERATIONS_PER_STEP, self.config.steps - self.iterations)):
            self.activation = self._iterate()
            self.history.append(self.activation)
        penalty = self.config.decay * float(self.image.detach().pow(2).sum())
        return {"loss": -self.activation + penalty, "activation": self.activation, "progress": self.progress}

    @property
    def progress(self) -> float:
        return min(1.0, self.iterations / self.config.steps)

    @property
    def done(self) -> bool:
        return self.iterations >= self.config.steps

    @property
    def done_reason(self) -> str:
        return f"finished: {self.iterations} iterations, activation {self.activation:.3g}."

    def snapshot(self) -> dict:
        return {"image": to_pixels(self.image), "activation": self.activation, "iterations": self.iterations,
                "history": list(self.history), "progress": self.progress}

    def apply(self, config: ActivationMaxConfig, changed: frozenset[str]) -> None:
        self.config = config  # jitter, blur and decay are read at every iteration
        for group in self.optimizer.param_groups:
            group["lr"] = config.learning_rate

    def parameters_finite(self) -> bool:
        return bool(torch.isfinite(self.image).all())

    def divergence_hint(self) -> str:
        return f"The learning rate {self.config.learning_rate:g} is too high: reset and try a smaller one (0.05 works)."
