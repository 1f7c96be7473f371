"""The pretrained networks whose features define "content" and "style": EfficientNet-Lite0 (bundled) and VGG-19.

A `Backbone` takes images with pixels in [0, 1] (B, 3, H, W) — the space in which the generated image is
optimised, so one learning rate and one total-variation weight mean the same thing for every backbone —
applies the network's own input scaling inside `features`, and returns the activations of the named layers,
stopping the forward pass after the deepest one that is asked for. The layer names, default content layer and
default style layers with their weights are static data (`SPECS`) so a config can be checked without loading
a network. VGG-19 (the network of Gatys et al. and of the PyTorch tutorial) is used only when torchvision and
its ImageNet weights are already on the machine: `vgg19_status` says whether, or why not; nothing is downloaded.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.vision import efficientnet


@dataclasses.dataclass(frozen=True)
class BackboneSpec:
    name: str
    title: str
    layers: tuple[str, ...]  # every layer the content layer may be, shallow to deep
    default_content_layer: str
    style_layers: tuple[str, ...]  # the layers whose Gram matrices are matched (fixed; a weight of 0 drops one)
    default_style_weights: tuple[float, ...]  # w_l, one per style layer


SPECS: dict[str, BackboneSpec] = {
    "efficientnet": BackboneSpec(
        "efficientnet", "EfficientNet-Lite0 (bundled)", efficientnet.STAGES, "stage3",
        ("stem", "stage1", "stage2", "stage3", "stage5"), (1.0, 1.0, 1.0, 1.0, 1.0)),
    "vgg19": BackboneSpec(
        "vgg19", "VGG-19 (Gatys et al.)",
        tuple(f"conv{b}_{i}" for b, n in enumerate((2, 2, 4, 4, 4), 1) for i in range(1, n + 1)), "conv4_2",
        ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"), (1.0, 1.0, 1.0, 1.0, 1.0)),
}


class Backbone:
    """A frozen feature extractor on [0, 1] images. Subclasses implement `_scale` and `_forward`."""

    value_range = (0.0, 1.0)  # generated pixels are clamped to this range

    def __init__(self, spec: BackboneSpec, device: torch.device) -> None:
        self.spec, self.device = spec, device
        self.name, self.layers = spec.name, spec.layers
        self.default_content_layer = spec.default_content_layer
        self.default_style_layers = dict(zip(spec.style_layers, spec.default_style_weights, strict=True))

    def features(self, x: torch.Tensor, layers: tuple[str, ...] | list[str]) -> dict[str, torch.Tensor]:
        """Activations (B, C_l, H_l, W_l) of the named layers for images x (B, 3, H, W) with pixels in [0, 1]."""
        unknown = set(layers) - set(self.layers)
        if unknown:
            raise ValueError(f"{self.spec.title} has no layer(s) {', '.join(sorted(unknown))}: choose from {', '.join(self.layers)}.")
        deepest = max(self.layers.index(name) for name in layers)
        return self._forward(self._scale(x), set(layers), self.layers[deepest])

    def to_input(self, image: np.ndarray) -> torch.Tensor:
        """A uint8 image (H, W, 3) as a float tensor (1, 3, H, W) in [0, 1] on the backbone's device."""
        x = torch.tensor(np.asarray(image), dtype=torch.float32, device=self.device)  # a copy: sample arrays are read-only
        return (x / 255.0).permute(2, 0, 1).unsqueeze(0)

    def to_image(self, x: torch.Tensor) -> np.ndarray:
        """A tensor (1, 3, H, W) in [0, 1] as a uint8 image (H, W, 3); NaN shows as black."""
        x = torch.nan_to_num(x.detach()[0].float(), nan=0.0).clamp(*self.value_range)
        return (x * 255.0).round().to(torch.uint8).permute(1, 2, 0).cpu().numpy()

    def _scale(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _forward(self, x: torch.Tensor, wanted: set[str], last: str) -> dict[str, torch.Tensor]:
        raise NotImplementedError


class EfficientNetBackbone(Backbone):
    """EfficientNet-Lite0's stage outputs (efficientnet.STAGES): stem and stage1 at 1/2 the input size, then 1/4,
    1/8, 1/16, 1/16, 1/32, 1/32 and the 1280-channel head."""

    def __init__(self, device: torch.device) -> None:
        super().__init__(SPECS["efficientnet"], device)
        self.model = efficientnet.load_model(device)  # shared, eval, no gradients on weights

    def _scale(self, x: torch.Tensor) -> torch.Tensor:
        return (x * 255.0 - efficientnet.MEAN) / efficientnet.STD  # the network's own (RGB − 127) / 128

    def _forward(self, x: torch.Tensor, wanted: set[str], last: str) -> dict[str, torch.Tensor]:
        m = self.model
        h = F.relu6(m._bn0(m._conv_stem(x)))  # (B, 32, H/2, W/2), as EfficientNetLite0.features computes it
        out = {"stem": h}
        if last != "stem":
            stage_of_block = {end: f"stage{i + 1}" for i, end in enumerate(m.stage_ends)}
            for i, block in enumerate(m._blocks):
                h = block(h)
                if i in stage_of_block:
                    out[stage_of_block[i]] = h
                    if stage_of_block[i] == last:
                        break
            if last == "head":
                out["head"] = F.relu6(m._bn1(m._conv_head(h)))
        return {name: out[name] for name in wanted}


def efficientnet_backbone(device: torch.device | str | None = None) -> EfficientNetBackbone:
    return EfficientNetBackbone(torch.device(device or "cpu"))


# -- VGG-19: only when torchvision and its cached ImageNet weights are already here ----------------------
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def vgg19_weights() -> Path | None:
    """The cached VGG-19 ImageNet weights file (torch.hub's checkpoints/vgg19-*.pth), or None."""
    found = sorted((Path(torch.hub.get_dir()) / "checkpoints").glob("vgg19-*.pth"))
    return found[0] if found else None


def vgg19_status() -> tuple[bool, str]:
    """(available, why not): VGG-19 needs torchvision installed and its weights in the torch cache; never downloads."""
    if importlib.util.find_spec("torchvision") is None:
        return False, "torchvision is not installed"
    if vgg19_weights() is None:
        return False, f"VGG-19 weights are not in the torch cache at {Path(torch.hub.get_dir()) / 'checkpoints'}"
    return True, "torchvision and the cached VGG-19 ImageNet weights are present"


@functools.cache
def _vgg19_layers(device: torch.device) -> nn.Sequential:
    import torchvision

    model = torchvision.models.vgg19()
    model.load_state_dict(torch.load(vgg19_weights(), map_location="cpu", weights_only=True))
    return model.features.eval().requires_grad_(False).to(device)


class VGG19Backbone(Backbone):
    """VGG-19's convolution layers by their usual names (conv1_1 … conv5_4), each taken after its ReLU, as Gatys et al."""

    def __init__(self, device: torch.device) -> None:
        super().__init__(SPECS["vgg19"], device)
        self.model = _vgg19_layers(device)
        self.mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1)

    def _scale(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std

    def _forward(self, x: torch.Tensor, wanted: set[str], last: str) -> dict[str, torch.Tensor]:
        out, block, conv, name = {}, 1, 0, ""
        for module in self.model:
            if isinstance(module, nn.Conv2d):
                conv += 1
                name = f"conv{block}_{conv}"
                x = module(x)
            elif isinstance(module, nn.ReLU):
                x = F.relu(x)  # not in place: the stored activation must not change later
                if name in wanted:
                    out[name] = x
                if name == last:
                    break
            else:  # max pooling ends a block
                block, conv = block + 1, 0
                x = module(x)
        return out


def vgg19_backbone(device: torch.device | str | None = None) -> VGG19Backbone:
    available, reason = vgg19_status()
    if not available:
        raise ValueError(f"VGG-19 is unavailable: {reason}.")
    return VGG19Backbone(torch.device(device or "cpu"))


def load_backbone(name: str, device: torch.device | str | None = None) -> Backbone:
    """The backbone called name ("efficientnet" or "vgg19") on device."""
    if name == "vgg19":
        return vgg19_backbone(device)
    if name == "efficientnet":
        return efficientnet_backbone(device)
    raise ValueError(f"there is no backbone called {name!r}: choose one of {', '.join(SPECS)}.")
