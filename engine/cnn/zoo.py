"""The architecture zoo: classic CNNs as plain PyTorch modules, with parameter and multiply-add counts measured from them.

Nothing is typed in: each network is built from its definition (random initial weights, never trained, no torchvision),
and `profile` runs one forward pass with a hook on every leaf module to read off its output shape, its own parameter
count and its multiply-adds. Only convolutions (out_h·out_w·c_out·(c_in/groups)·k_h·k_w) and linear layers (in·out per
output row) are counted: the additions of biases, the work of pooling, normalisation, activations and residual sums are
small beside them and are left out, which is the usual convention of published "FLOP" tables (which count multiply-adds).

Building VGG-16 for real would allocate 138M floats (0.55 GB) and spend seconds initialising them, so
`profile_architecture` builds every network on PyTorch's "meta" device, where tensors have shapes but no memory: the
forward pass computes only shapes, which is all the counts need.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import torch
from torch import nn

from engine.vision.efficientnet import EfficientNetLite0

Shape = tuple[int, int, int]  # (C, H, W) of one input image


# -- the networks ------------------------------------------------------------------------------------------------------
def lenet5() -> tuple[nn.Module, Shape]:
    """LeNet-5 (LeCun et al. 1998) on 32×32 greyscale. Simplified as is usual: S2/S4 are plain 2×2 average pooling (the
    original scaled them by a trainable coefficient) and C3 connects every one of S2's 6 maps to all 16 filters (the
    original wired each filter to only some of them, to save computation and break symmetry)."""
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2, 2),  # C1, S2: (6, 28, 28) → (6, 14, 14)
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2, 2),  # C3, S4: (16, 10, 10) → (16, 5, 5)
        nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten(),  # C5: (120, 1, 1) → (120,)
        nn.Linear(120, 84), nn.Tanh(),  # F6
        nn.Linear(84, 10),  # output: 10 digits
    )
    return model, (1, 32, 32)


def _conv_relu(c_in: int, c_out: int, kernel: int, stride: int = 1, padding: int = 0) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, kernel, stride, padding), nn.ReLU(inplace=True)]


def _classifier(features: int, classes: int = 1000) -> nn.Sequential:
    """The 4096-4096 fully connected head of AlexNet and VGG, with dropout."""
    return nn.Sequential(
        nn.Dropout(), nn.Linear(features, 4096), nn.ReLU(inplace=True),
        nn.Dropout(), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
        nn.Linear(4096, classes),
    )


def alexnet() -> tuple[nn.Module, Shape]:
    """AlexNet (Krizhevsky et al. 2012) as one tower with 64-192-384-256-256 filters, the layout of the PyTorch reference
    (the original split 96-256-384-384-256 filters over two GPUs)."""
    features = nn.Sequential(
        *_conv_relu(3, 64, 11, 4, 2), nn.MaxPool2d(3, 2),  # (64, 55, 55) → (64, 27, 27): overlapping 3×3 pooling
        *_conv_relu(64, 192, 5, padding=2), nn.MaxPool2d(3, 2),  # (192, 27, 27) → (192, 13, 13)
        *_conv_relu(192, 384, 3, padding=1),
        *_conv_relu(384, 256, 3, padding=1),
        *_conv_relu(256, 256, 3, padding=1), nn.MaxPool2d(3, 2),  # (256, 13, 13) → (256, 6, 6)
    )
    return nn.Sequential(features, nn.Flatten(), _classifier(256 * 6 * 6)), (3, 224, 224)


VGG16_WIDTHS = (64, 64, "pool", 128, 128, "pool", 256, 256, 256, "pool", 512, 512, 512, "pool", 512, 512, 512, "pool")


def vgg16() -> tuple[nn.Module, Shape]:
    """VGG-16 (Simonyan & Zisserman 2014): 13 convolutions 3×3, stride 1, padding 1 (size kept), and 2×2 max pooling of
    stride 2 (size halved) after each block: 224 → 7 pixels; then the 4096-4096-1000 classifier."""
    layers, c = [], 3
    for width in VGG16_WIDTHS:
        if width == "pool":
            layers.append(nn.MaxPool2d(2, stride=2))
        else:
            layers += _conv_relu(c, width, 3, padding=1)
            c = width
    return nn.Sequential(nn.Sequential(*layers), nn.Flatten(), _classifier(512 * 7 * 7)), (3, 224, 224)


class BasicBlock(nn.Module):
    """ResNet's two 3×3 convolutions with a shortcut: out = ReLU(BN(conv(ReLU(BN(conv(x))))) + shortcut(x)); the shortcut
    is the identity, or a strided 1×1 convolution + BN when the block halves the size or changes the width."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.relu2 = nn.ReLU(inplace=True)
        changes = stride != 1 or c_in != c_out
        self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)) if changes else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.relu1(self.bn1(self.conv1(x)))  # (B, c_out, H/s, W/s)
        return self.relu2(self.bn2(self.conv2(h)) + self.shortcut(x))


def resnet18() -> tuple[nn.Module, Shape]:
    """ResNet-18 (He et al. 2015): a 7×7/2 stem and 3×3/2 max pooling (224 → 56), four stages of two BasicBlocks
    (64, 128, 256, 512 channels; each later stage halves the size), global average pooling and a 1000-way linear layer."""
    stages, c = [], 64
    for width, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        stages.append(nn.Sequential(BasicBlock(c, width, stride), BasicBlock(width, width)))
        c = width
    model = nn.Sequential(
        nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1),
        *stages,
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000),
    )
    return model, (3, 224, 224)


def standard_conv() -> tuple[nn.Module, Shape]:
    """A standard 3×3 convolution 64 → 128 channels on 56×56 (+ BN + ReLU), to compare with the MobileNet block."""
    return nn.Sequential(nn.Conv2d(64, 128, 3, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=True)), (64, 56, 56)


def mobilenet_block() -> tuple[nn.Module, Shape]:
    """MobileNet-v1's depthwise-separable block 64 → 128 on 56×56: depthwise 3×3 (one filter per channel) + BN + ReLU,
    then pointwise 1×1 (mixes channels) + BN + ReLU. Costs 1/c_out + 1/f² of the standard convolution."""
    model = nn.Sequential(
        nn.Conv2d(64, 64, 3, padding=1, groups=64, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
        nn.Conv2d(64, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=True),
    )
    return model, (64, 56, 56)


def _separable(c_in: int, c_out: int, stride: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_in, 3, stride, 1, groups=c_in, bias=False), nn.BatchNorm2d(c_in), nn.ReLU(inplace=True),
            nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


def mobilenet_v1() -> tuple[nn.Module, Shape]:
    """MobileNet-v1 (width 1.0, 224 px): a 3×3 stride-2 conv to 32 channels, then 13 depthwise-separable blocks
    (strides 2 at 64→128, 128→256, 256→512 and 512→1024), global average pooling and a 1000-way classifier."""
    widths = ((32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2),
              *((512, 512, 1),) * 5, (512, 1024, 2), (1024, 1024, 1))
    layers = [nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True)]
    for c_in, c_out, stride in widths:
        layers += _separable(c_in, c_out, stride)
    model = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1024, 1000))
    return model, (3, 224, 224)


def inception_direct() -> tuple[nn.Module, Shape]:
    """Inception's 5×5 branch without a bottleneck: 192 → 32 channels on 28×28, "same" padding."""
    return nn.Sequential(nn.Conv2d(192, 32, 5, padding=2), nn.ReLU(inplace=True)), (192, 28, 28)


def inception_bottleneck() -> tuple[nn.Module, Shape]:
    """The same branch as GoogLeNet builds it: a 1×1 convolution down to 16 channels first, then the 5×5 to 32."""
    model = nn.Sequential(
        nn.Conv2d(192, 16, 1), nn.ReLU(inplace=True),  # (16, 28, 28): the cheap "bottleneck"
        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(inplace=True),
    )
    return model, (192, 28, 28)


def efficientnet_lite0() -> tuple[nn.Module, Shape]:
    """EfficientNet-Lite0 (the playground's pretrained model, here with random weights): MBConv blocks with depthwise convs."""
    return EfficientNetLite0(), (3, 224, 224)


ARCHITECTURES: dict[str, Callable[[], tuple[nn.Module, Shape]]] = {
    "LeNet-5": lenet5,
    "AlexNet": alexnet,
    "VGG-16": vgg16,
    "ResNet-18": resnet18,
    "Standard 3×3 conv": standard_conv,
    "MobileNet-v1 block": mobilenet_block,
    "MobileNet-v1": mobilenet_v1,
    "Inception 5×5 direct": inception_direct,
    "Inception 5×5 with 1×1 bottleneck": inception_bottleneck,
    "EfficientNet-Lite0": efficientnet_lite0,
}

DESCRIPTIONS: dict[str, str] = {
    "LeNet-5": "1998, handwritten digits: two 5×5 conv + average-pool stages, tanh, about 60k parameters.",
    "AlexNet": "2012 ImageNet winner: large early kernels (11×11 stride 4), ReLU, dropout; most parameters in the FC layers.",
    "VGG-16": "2014: only 3×3 convs and 2×2 stride-2 pooling; 138M parameters, 89% of them in the three FC layers.",
    "ResNet-18": "2015: residual blocks let deep nets train; global average pooling replaces the big FC layers.",
    "Standard 3×3 conv": "One ordinary 3×3 convolution 64 → 128 channels on 56×56, for comparison with the MobileNet block.",
    "MobileNet-v1 block": "Depthwise 3×3 + pointwise 1×1 doing the same job as the standard conv for about 1/8 of the cost.",
    "MobileNet-v1": "2017, mobile: the whole network of depthwise-separable blocks; 4.2M parameters, about 0.57G multiply-adds.",
    "Inception 5×5 direct": "A 5×5 convolution 192 → 32 channels on 28×28: about 120M multiplications.",
    "Inception 5×5 with 1×1 bottleneck": "The same output through a 1×1 squeeze to 16 channels first: about 12.4M.",
    "EfficientNet-Lite0": "2020 (EfficientNet itself is from 2019), mobile: inverted-residual MBConv blocks with depthwise "
                          "convs; ReLU6 and no squeeze-excitation.",
}

PAIRS: dict[str, tuple[str, str]] = {  # side-by-side comparisons: (the expensive way, the cheap way)
    "MobileNet-v1 block vs standard conv": ("Standard 3×3 conv", "MobileNet-v1 block"),
    "Inception bottleneck": ("Inception 5×5 direct", "Inception 5×5 with 1×1 bottleneck"),
}


# -- profiling ---------------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class LayerCost:
    name: str  # module path, e.g. "0.3.conv1"
    kind: str  # "conv", "pointwise conv", "depthwise conv", "grouped conv", "linear", "pool", "norm", "activation", …
    output_shape: tuple[int, ...]  # without the batch dimension: (C, H, W) or (features,)
    params: int  # the module's own parameters (0 the second time a shared module runs)
    mult_adds: int  # conv and linear only; 0 for everything else


def _kind(module: nn.Module) -> str:
    if isinstance(module, nn.Conv2d):
        if module.groups > 1:
            return "depthwise conv" if module.groups == module.in_channels else "grouped conv"  # one filter group per input channel
        return "pointwise conv" if module.kernel_size == (1, 1) else "conv"
    kinds = (
        (nn.Linear, "linear"), ((nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d), "pool"),
        ((nn.BatchNorm2d, nn.BatchNorm1d, nn.LayerNorm, nn.GroupNorm), "norm"),
        ((nn.ReLU, nn.ReLU6, nn.Tanh, nn.Sigmoid, nn.GELU, nn.SiLU, nn.Hardswish, nn.LeakyReLU), "activation"),
        (nn.Dropout, "dropout"), ((nn.Flatten, nn.Identity), "reshape"),
    )
    return next((kind for cls, kind in kinds if isinstance(module, cls)), type(module).__name__.lower())


def _mult_adds(module: nn.Module, out: torch.Tensor) -> int:
    """Multiply-adds of one call with batch 1, from the output's shape (which works on the meta device)."""
    if isinstance(module, nn.Conv2d):
        k_h, k_w = module.kernel_size
        return out.numel() * (module.in_channels // module.groups) * k_h * k_w  # out_h·out_w·c_out · (c_in/g)·k_h·k_w
    if isinstance(module, nn.Linear):
        return out.numel() * module.in_features  # (rows · out) · in
    return 0


def profile(model: nn.Module, input_shape: Shape) -> list[LayerCost]:
    """One LayerCost per leaf-module call, in the order they run, from a forward pass of a zero input of batch 1.

    Runs in eval mode under no_grad on the model's own device and dtype (the meta device costs no memory); the model's training
    flag is restored and every hook removed afterwards, even if the forward pass fails."""
    costs: list[LayerCost] = []
    seen: set[int] = set()  # modules already counted, so a module called twice has its parameters counted once

    def hook(name: str, module: nn.Module, _inputs, output) -> None:
        out = output[0] if isinstance(output, (tuple, list)) else output
        params = 0 if id(module) in seen else sum(p.numel() for p in module.parameters(recurse=False))
        seen.add(id(module))
        costs.append(LayerCost(name, _kind(module), tuple(out.shape[1:]), params, _mult_adds(module, out)))

    like = next(model.parameters(), torch.empty(0))  # the input goes on the model's device, in its dtype
    leaves = [(name, m) for name, m in model.named_modules() if not any(True for _ in m.children())]
    handles = [m.register_forward_hook(functools.partial(hook, name)) for name, m in leaves]
    training = model.training
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, *input_shape, device=like.device, dtype=like.dtype))
    finally:
        for h in handles:
            h.remove()
        model.train(training)
    return costs


def totals(costs: list[LayerCost] | tuple[LayerCost, ...]) -> tuple[int, int]:
    """(parameters, multiply-adds) of a whole profile."""
    return sum(c.params for c in costs), sum(c.mult_adds for c in costs)


def build_on_meta(name: str) -> tuple[nn.Module, Shape]:
    """The named architecture with shape-only ("meta") tensors: no memory for weights, no time spent initialising them."""
    if name not in ARCHITECTURES:
        raise KeyError(f"unknown architecture {name!r}; the zoo has {', '.join(ARCHITECTURES)}.")
    with torch.device("meta"):
        return ARCHITECTURES[name]()


@functools.cache
def profile_architecture(name: str) -> tuple[LayerCost, ...]:
    """The profile of a zoo architecture, computed once per process (a few tens of milliseconds on the meta device)."""
    model, shape = build_on_meta(name)
    return tuple(profile(model, shape))


@functools.cache
def input_shape(name: str) -> Shape:
    """The (C, H, W) input a zoo architecture is profiled on."""
    return build_on_meta(name)[1]


def zoo_table() -> list[dict]:
    """One row per architecture for the zoo table: name, description, input shape, layers profiled, params, mult-adds."""
    rows = []
    for name in ARCHITECTURES:
        costs = profile_architecture(name)
        params, mult_adds = totals(costs)
        rows.append({"name": name, "description": DESCRIPTIONS[name], "input_shape": input_shape(name),
                     "layers": len(costs), "params": params, "mult_adds": mult_adds})
    return rows
