"""StyleTrainer: neural style transfer (Gatys et al.) as a live job, optimising the pixels of one image.

The generated image G (pixels in [0, 1]) starts from the content image, from noise, or from a blend of both,
and is optimised by L-BFGS or Adam to lower J(G) = α J_content + β J_style + tv_weight · TV (gram.py defines
each term). A runtime step runs a few *iterations*, each one forward and backward pass through the frozen
backbone (for L-BFGS an iteration is one function evaluation, so both optimizers are timed in the same unit).
With `preserve_colour` the transfer is luminance-only (Gatys et al., 2016, "Preserving color in neural artistic
style transfer"): content and style are reduced to their luma Y, the style's Y matched to the content's mean
and spread, a one-channel Y image is optimised (the network sees it as grey RGB), and the result is that Y
with the content's own chroma Cb, Cr. The config names its images and never holds arrays: samples by name,
uploads as base64 PNG text in `content_png` / `style_png` (images.py), which the page keeps out of the link.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import torch

from engine.config import Config, ConfigError, check_choice, check_range
from engine.style import images
from engine.style.backbone import SPECS, Backbone, load_backbone, vgg19_status
from engine.style.gram import content_loss, gram, style_loss, total_variation
from engine.vision.samples import SAMPLES, load_sample

INITS = ("content", "noise", "content+noise")
OPTIMIZERS = ("lbfgs", "adam")
NOISE_SHARE = 0.5  # "content+noise" = (1 − share) · content + share · uniform noise
MAX_PNG_CHARS = 12_000_000  # base64 text of an upload: about 9 MB of PNG
PIXELS_PER_STEP = 5 * 256 * 256  # iterations per runtime step ≈ this / pixels: 5 at 256 px, about 0.3 s on one core
MAX_ITERATIONS_PER_STEP = 10
LBFGS_HISTORY = 20  # curvature pairs kept: 2 × 20 image-sized vectors (up to 0.5 GB at 1024 px; torch's default 100 is 5×)
HISTORY_IMAGES = 8  # thumbnails in the history strip, at log-spaced iterations
THUMBNAIL_SIDE = 96
GRAM_CHANNELS = 64  # Gram heat maps show at most this many channels: the style image's most active ones
FEATURE_MAPS = 6  # content-layer feature maps shown: the content image's most active channels


@dataclasses.dataclass(frozen=True)
class StyleConfig(Config):
    content: str = "dog"  # a sample name (engine.vision.samples) or "upload"
    style: str = "style-starry-night"
    content_png: str = ""  # base64 PNG of an upload (encode_png); kept out of the URL by the page
    style_png: str = ""
    size: int = 256  # longer side of the generated image, px
    alpha: float = 1.0  # content weight α
    beta: float = 0.3  # style weight β
    style_weights: tuple[float, ...] = SPECS["efficientnet"].default_style_weights  # w_l per style layer
    content_layer: str = SPECS["efficientnet"].default_content_layer
    tv_weight: float = 10.0
    init: str = "content"
    optimizer: str = "lbfgs"
    learning_rate: float = 0.02  # Adam only; L-BFGS takes full quasi-Newton steps (lr = 1)
    iterations: int = 200  # forward + backward passes
    preserve_colour: bool = False
    backbone: str = "efficientnet"
    seed: int = 0

    HOT = frozenset({"alpha", "beta", "style_weights", "tv_weight", "learning_rate"})

    def check(self) -> None:
        for role in ("content", "style"):
            name, png = getattr(self, role), getattr(self, f"{role}_png")
            check_choice(role, name, (*SAMPLES, "upload"))
            if name == "upload" and not png:
                raise ConfigError(f"{role} is 'upload' but no image was uploaded: upload one or choose a sample.")
            if len(png) > MAX_PNG_CHARS:
                raise ConfigError(f"the uploaded {role} image is too large: use encode_png, which shrinks it first.")
        check_range("size", self.size, 64, 1024)
        check_range("alpha", self.alpha, 0.0, 1e6)
        check_range("beta", self.beta, 0.0, 1e6)
        check_choice("backbone", self.backbone, tuple(SPECS))
        if self.backbone == "vgg19":
            available, reason = vgg19_status()
            if not available:
                raise ConfigError(f"VGG-19 is unavailable here: {reason}. Use EfficientNet-Lite0.")
        spec = SPECS[self.backbone]
        if len(self.style_weights) != len(spec.style_layers):
            raise ConfigError(f"style_weights needs one weight per style layer of {spec.title} "
                              f"({', '.join(spec.style_layers)}): {len(spec.style_layers)} numbers, not {len(self.style_weights)}.")
        for layer, w in zip(spec.style_layers, self.style_weights, strict=True):
            check_range(f"the style weight of {layer}", w, 0.0, 100.0)
        no_style = self.beta == 0 or not any(self.style_weights)
        if self.alpha == 0 and no_style:
            raise ConfigError("both weights are zero: nothing to optimise. Raise α to keep the content, "
                              "β (and at least one style-layer weight) to take on the style, or both.")
        check_choice("content_layer", self.content_layer, spec.layers)
        check_range("tv_weight", self.tv_weight, 0.0, 1e4)
        check_choice("init", self.init, INITS)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_range("learning_rate", self.learning_rate, 1e-4, 1.0)
        check_range("iterations", self.iterations, 1, 5000)
        check_range("seed", self.seed, 0, 10**6)


def with_backbone(config: StyleConfig, backbone: str) -> StyleConfig:
    """config on another backbone, with that backbone's default content layer and style weights."""
    spec = SPECS[backbone]
    return config.replace(backbone=backbone, content_layer=spec.default_content_layer, style_weights=spec.default_style_weights)


def presets() -> dict[str, dict]:
    """Named settings for the page (fields to replace in a StyleConfig), each demonstrating one claim."""
    return {
        "content only": {"alpha": 1.0, "beta": 0.0, "init": "noise"},  # β = 0 reproduces the content
        "style only": {"alpha": 0.0, "beta": 1.0, "init": "noise"},  # α = 0: texture without layout
        "balanced": {"alpha": 1.0, "beta": 0.3, "init": "content"},
        "strong style": {"alpha": 1.0, "beta": 3.0, "init": "content"},
    }


def source_images(config: StyleConfig) -> tuple[np.ndarray, np.ndarray]:
    """The content and style images at their own sizes, uint8 (H, W, 3): samples by name, uploads decoded."""
    def load(role: str) -> np.ndarray:
        name = getattr(config, role)
        return images.decode_png(getattr(config, f"{role}_png"), role) if name == "upload" else np.asarray(load_sample(name))
    return load("content"), load("style")


class StyleTrainer:
    """The transfer as a runtime job. Metrics per step: "loss" (α J_content + β J_style + tv_weight · TV),
    "content_loss", "style_loss" and "tv_loss" (the unweighted terms; J_style includes the w_l), "style_loss.<layer>"
    (w_l ‖ΔGram‖², summing to style_loss), "iteration", "progress" (0..1) and "s_per_iteration", all from the last
    evaluation of the step. Payload: see `snapshot`. `sources` = (content, style) uint8 arrays replaces loading
    the config's samples or uploads (tests, notebooks)."""

    unit = "iteration"

    def __init__(self, config: StyleConfig, device: torch.device | str | None = None,
                 sources: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.config = config
        self.device = torch.device(device or "cpu")
        self.backbone: Backbone = load_backbone(config.backbone, self.device)
        self.style_layers = SPECS[config.backbone].style_layers
        self.layers = tuple(dict.fromkeys((*self.style_layers, config.content_layer)))
        content, style = images.fit(*(sources or source_images(config)), config.size)
        content_x, style_x = self.backbone.to_input(content), self.backbone.to_input(style)  # (1, 3, H, W) in [0, 1]
        self.chroma = None
        if config.preserve_colour:  # luminance-only: optimise Y alone, keep the content's Cb, Cr
            content_ycc = images.to_ycbcr(content_x)
            self.chroma = content_ycc[:, 1:]  # (1, 2, H, W)
            content_x = content_ycc[:, :1]  # (1, 1, H, W)
            style_x = images.match_luma(images.to_ycbcr(style_x)[:, :1], content_x)
        with torch.no_grad():
            self.content_target = self._features(content_x, (config.content_layer,))[config.content_layer]
            style_features = self._features(style_x, self.style_layers)
            self.style_grams = {l: gram(style_features[l]) for l in self.style_layers}  # (1, C, C), shallow to deep
        self.gram_channels = {l: _most_active(torch.diagonal(g[0]), GRAM_CHANNELS) for l, g in self.style_grams.items()}
        self.feature_channels = _most_active(self.content_target[0].square().mean((1, 2)), FEATURE_MAPS)
        self.pixels = self._initial(content_x).requires_grad_(True)  # (1, 3 or 1, H, W): what is optimised
        self.n_parameters = self.pixels.numel()
        self.optimizer = self._make_optimizer()
        h, w = content.shape[:2]
        self.per_step = max(1, min(MAX_ITERATIONS_PER_STEP, round(PIXELS_PER_STEP / (h * w))))
        self.iteration, self.metrics, self.terms = 0, {}, {}
        self._generated: dict[str, torch.Tensor] = {}  # the last evaluation's Grams and content-layer features
        with torch.no_grad():  # so that the first snapshot already has them, for the starting image
            self._remember(self._features(self.pixels, self.layers))
        self._targets = sorted({0, *np.round(np.geomspace(1, config.iterations, HISTORY_IMAGES - 1)).astype(int).tolist()})
        self.history: list[tuple[int, np.ndarray]] = []
        self._record_history()

    def _features(self, x: torch.Tensor, layers: tuple[str, ...]) -> dict[str, torch.Tensor]:
        return self.backbone.features(x.expand(-1, 3, -1, -1), layers)  # a luma image is seen as grey RGB

    def _initial(self, content: torch.Tensor) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.config.seed)
        noise = torch.rand(content.shape, generator=generator).to(self.device)
        if self.config.init == "noise":
            return noise
        if self.config.init == "content+noise":
            return (1 - NOISE_SHARE) * content + NOISE_SHARE * noise
        return content.clone()

    def _make_optimizer(self) -> torch.optim.Optimizer:
        if self.config.optimizer == "adam":
            return torch.optim.Adam([self.pixels], lr=self.config.learning_rate)
        # lr = 1: the quasi-Newton step itself; max_iter and max_eval are set per runtime step
        return torch.optim.LBFGS([self.pixels], lr=1.0, history_size=LBFGS_HISTORY)

    # -- the objective --------------------------------------------------------------------------------
    def evaluate(self) -> torch.Tensor:
        """One forward and backward pass: J(G), with its gradient left on the pixels (also the L-BFGS closure).
        The terms, detached, are kept in `terms` (0-d tensors: no device sync here)."""
        c = self.config
        self.pixels.grad = None
        features = self._features(self.pixels, self.layers)
        terms = {"content_loss": content_loss(self.content_target, features[c.content_layer])}
        grams = self._remember(features)
        for layer, weight in zip(self.style_layers, c.style_weights, strict=True):
            terms[f"style_loss.{layer}"] = weight * style_loss(self.style_grams[layer], grams[layer])
        terms["style_loss"] = sum(terms[f"style_loss.{layer}"] for layer in self.style_layers)
        terms["tv_loss"] = total_variation(self.pixels)
        loss = c.alpha * terms["content_loss"] + c.beta * terms["style_loss"] + c.tv_weight * terms["tv_loss"]
        loss.backward()
        self.pixels.grad = self.pixels.grad.contiguous()  # convolution backward may return another memory layout; L-BFGS views it flat
        self.iteration += 1
        self.terms = {"loss": loss.detach(), **{k: v.detach() for k, v in terms.items()}}
        return loss

    def _remember(self, features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The generated image's Grams (1, C, C) per style layer; detached copies and the content layer's maps are
        kept for the views."""
        grams = {layer: gram(features[layer]) for layer in self.style_layers}
        self._generated = {**{k: g.detach() for k, g in grams.items()}, "content": features[self.config.content_layer].detach()}
        return grams

    # -- the Trainer protocol -------------------------------------------------------------------------
    def step(self) -> dict[str, float]:
        start, before = time.perf_counter(), self.iteration
        n = max(1, min(self.per_step, self.config.iterations - self.iteration))
        if isinstance(self.optimizer, torch.optim.LBFGS):
            self.optimizer.param_groups[0].update(max_iter=n, max_eval=n)  # without line search: n evaluations
            self.optimizer.step(self.evaluate)
        else:
            for _ in range(n):
                self.evaluate()
                self.optimizer.step()
                self._clamp()
        self._clamp()
        elapsed = time.perf_counter() - start
        self.metrics = {k: float(v) for k, v in self.terms.items()}
        self.metrics.update(iteration=float(self.iteration), progress=self.progress,
                            s_per_iteration=elapsed / max(1, self.iteration - before))
        self._record_history()
        return self.metrics

    def _clamp(self) -> None:
        """Pixels back into [0, 1]: after every Adam step, after each runtime step's few L-BFGS iterations (clamping
        inside L-BFGS's iterations would contradict its curvature pairs). NaN stays NaN, so a blow-up shows in the metrics."""
        with torch.no_grad():
            self.pixels.clamp_(0.0, 1.0)

    @property
    def progress(self) -> float:
        return min(1.0, self.iteration / self.config.iterations)

    @property
    def done(self) -> bool:
        return self.iteration >= self.config.iterations

    @property
    def done_reason(self) -> str:
        return f"finished: {self.iteration} iterations."

    def apply(self, config: StyleConfig, changed: frozenset[str]) -> None:
        """Hot weights are read at every evaluation; Adam takes the new learning rate. L-BFGS starts a fresh curvature
        history when a weight changes: the old one describes a different objective."""
        self.config = config
        if isinstance(self.optimizer, torch.optim.Adam):
            self.optimizer.param_groups[0]["lr"] = config.learning_rate
        elif changed & {"alpha", "beta", "style_weights", "tv_weight"}:
            self.optimizer = self._make_optimizer()

    def parameters_finite(self) -> bool:
        return bool(torch.isfinite(self.pixels).all())

    def divergence_hint(self) -> str:
        if self.config.optimizer == "adam":
            return f"Adam's learning rate {self.config.learning_rate:g} may be too high: reset and try 0.02."
        return "L-BFGS took a step too far: lower β or the style-layer weights, or switch to Adam."

    # -- views ----------------------------------------------------------------------------------------------
    def image(self) -> np.ndarray:
        """The generated image as uint8 (H, W, 3); with preserve_colour, its luma with the content's chroma."""
        x = self.pixels.detach()
        if self.chroma is not None:
            x = images.from_ycbcr(torch.cat([x, self.chroma], dim=1))
        return self.backbone.to_image(x)

    def _record_history(self) -> None:
        if self._targets and self.iteration >= self._targets[0]:
            self._targets = [t for t in self._targets if t > self.iteration]
            self.history.append((self.iteration, images.thumbnail(self.image(), THUMBNAIL_SIDE)))

    def snapshot(self) -> dict:
        """Plain data: "iteration", "iterations", "image" (uint8 H × W × 3), "history_iterations" and "history_images"
        (thumbnails at log-spaced iterations), "gram" ({style layer: {"channels": the ≤ 64 channels with the largest
        style Gram diagonal, "style" and "generated": their C × C Grams as float32}}), "content_layer",
        "content_features" ({"channels", "content", "generated": (k, h, w) float32 maps of the content layer's most
        active channels}), and the last "metrics"."""
        grams = {}
        for layer, channels in self.gram_channels.items():
            pick = torch.as_tensor(channels, device=self.device)
            grams[layer] = {"channels": channels, "style": _numpy(self.style_grams[layer][0][pick][:, pick]),
                            "generated": _numpy(self._generated[layer][0][pick][:, pick])}
        pick = torch.as_tensor(self.feature_channels, device=self.device)
        features = {"channels": self.feature_channels, "content": _numpy(self.content_target[0, pick]),
                    "generated": _numpy(self._generated["content"][0, pick])}
        return {"iteration": self.iteration, "iterations": self.config.iterations, "image": self.image(),
                "history_iterations": [i for i, _ in self.history], "history_images": [im for _, im in self.history],
                "gram": grams, "content_layer": self.config.content_layer, "content_features": features,
                "metrics": dict(self.metrics)}


def _most_active(activity: torch.Tensor, k: int) -> np.ndarray:
    """Indices (ascending) of the k largest entries of a (C,) tensor of channel activity."""
    top = torch.topk(activity, min(k, activity.numel())).indices
    return np.sort(top.cpu().numpy())


def _numpy(x: torch.Tensor) -> np.ndarray:
    return x.detach().float().cpu().numpy().copy()
