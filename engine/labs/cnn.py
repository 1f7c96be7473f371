"""Labs on CNNs: the Gram matrix forgets where features are, pooling buys only approximate shift invariance, an n×n
convolution on an n×n input is a fully connected layer, and weight sharing makes a CNN far smaller than the dense
network of the same shape (see engine/labs/base.py for what a lab is).

They reuse the project's CNN engine: the style-transfer backbone (EfficientNet-Lite0's real features of a bundled
photo) and `style.gram`; the CNN page's `ShapesCNN` built from a `CNNConfig` and its generated shapes; and the
convolution arithmetic of `cnn.arithmetic` for sizes and parameter counts.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from engine.cnn.arithmetic import conv_cost
from engine.cnn.model import CNNConfig, build
from engine.cnn.shapes import make_shapes
from engine.labs.base import Evidence, Knob, Lab, Measured, Series, Verdict, standard_error
from engine.style.backbone import efficientnet_backbone
from engine.style.gram import gram
from engine.style.images import resize
from engine.style.transfer import StyleConfig
from engine.vision.samples import SAMPLES, load_sample

# -- 9. the Gram matrix ignores positions --------------------------------------------------------------------
PHOTOS = tuple(name for name, s in SAMPLES.items() if s.kind == "content")
OTHER = "style-brick"  # the control: a different picture should have a different Gram matrix


def _features(name: str, size: int) -> dict[str, torch.Tensor]:
    """EfficientNet-Lite0's style-layer activations (1, C, H, W) of a bundled image at size × size, as float64."""
    backbone = efficientnet_backbone()
    image = resize(np.asarray(load_sample(name)), size, size)
    with torch.no_grad():
        features = backbone.features(backbone.to_input(image), backbone.spec.style_layers)
    return {layer: features[layer].double() for layer in backbone.spec.style_layers}


def _relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / b.norm())


def _gram_run(p):
    yield 0.0, f"EfficientNet-Lite0 features of {p['image']} and {OTHER}"
    mine, other = _features(p["image"], p["size"]), _features(OTHER, p["size"])
    generator = torch.Generator().manual_seed(p["seed"])
    rows = []
    for i, (layer, f) in enumerate(mine.items()):
        yield (i + 1) / (len(mine) + 1), f"shuffling the positions of {layer}"
        b, c, h, w = f.shape
        g = gram(f)
        gram_changes, feature_changes = [], []
        for _ in range(p["shuffles"]):
            order = torch.randperm(h * w, generator=generator)  # one permutation of positions, the same for every channel
            shuffled = f.reshape(b, c, h * w)[:, :, order].reshape(b, c, h, w)
            gram_changes.append(_relative(gram(shuffled), g))
            feature_changes.append(_relative(shuffled, f))
        rows.append({"layer": layer, "shape C×H×W": f"{c}×{h}×{w}", "Gram change after shuffling": max(gram_changes),
                     "feature-map change after shuffling": min(feature_changes),
                     f"Gram difference to {OTHER}": _relative(gram(other[layer]), g)})
    figures = {"gram_change": max(r["Gram change after shuffling"] for r in rows),
               "feature_change": min(r["feature-map change after shuffling"] for r in rows),
               "other_change": min(r[f"Gram difference to {OTHER}"] for r in rows)}
    layers = tuple(r["layer"] for r in rows)
    series = tuple(Series(name, layers, tuple(float(r[name]) for r in rows))
                   for name in ("Gram change after shuffling", "feature-map change after shuffling", f"Gram difference to {OTHER}"))
    evidence = Evidence("bar", "layer", "relative change ‖A − B‖ / ‖B‖", series, log_y=True,
                        note="Shuffling positions scrambles the maps (order 1) but leaves the Gram matrix equal up to rounding (~1e-16).")
    return Measured(figures, tuple(rows), evidence)


def _gram_judge(figures, params) -> Verdict:
    g, f = figures["gram_change"], figures["feature_change"]
    text = f"largest relative Gram change {g:.2g}; smallest relative change of the shuffled feature maps {f:.3g}"
    if g > 1e-6:
        return Verdict("not supported", f"{text}: the Gram matrix moved by more than 1e-6.")
    if g <= 1e-9 and f >= 0.1:
        return Verdict("supported", f"{text}: Gram ≤ 1e-9 while the maps themselves changed ≥ 0.1.")
    return Verdict("mixed", f"{text}: the rule needs Gram ≤ 1e-9 and maps ≥ 0.1.")


GRAM = Lab(
    key="gram_shuffle", topic="cnn", title="The Gram matrix forgets where",
    claim="The Gram matrix of a layer's feature maps is unchanged when the positions are shuffled.",
    setup=f"Real activations of EfficientNet-Lite0 (the style-transfer backbone) for a bundled photo at size × size, at the five "
          "style layers. Random permutations of the H·W positions (the same for every channel); Gram = F Fᵀ / (C·H·W) in float64 "
          f"before and after. Controls: how much the maps themselves change, and the Gram difference to another picture ({OTHER}).",
    rule="Supported if the largest relative Gram change is at most 1e-9 while the shuffled maps change by at least 0.1; not "
         "supported if the Gram change exceeds 1e-6; mixed otherwise.",
    knobs=(Knob("image", "photo", "cat-chelsea", choices=PHOTOS), Knob("size", "image size (px)", 128, 32, 256),
           Knob("shuffles", "shuffles per layer", 5, 1, 50), Knob("seed", "seed", 0, 0, 10**6)),
    run=_gram_run, judge=_gram_judge, small={"size": 64, "shuffles": 2},
    link=lambda p: ("style", StyleConfig(content=p["image"], style=OTHER, size=max(64, p["size"]))),
)

# -- 10. pooling and shifts ----------------------------------------------------------------------------------


def _shift_changes(config: CNNConfig, images: torch.Tensor, shifts: range) -> list[float]:
    """Mean over images of ‖f(shifted x) − f(x)‖ / ‖f(x)‖ per shift, f = the flattened last conv block (untrained, eval)."""
    model = build(config).eval()

    def features(x: torch.Tensor) -> torch.Tensor:
        return dict(model.trace(x))["flatten"]  # (B, c·n'·n')

    with torch.no_grad():
        base = features(images)
        return [float(((features(torch.roll(images, s, dims=3)) - base).norm(dim=1) / base.norm(dim=1)).mean()) for s in shifts]


def _pooling_run(p):
    shifts, pools = range(1, p["max_shift"] + 1), ("none", p["pool"])
    images = torch.from_numpy(make_shapes(p["images"], 32, seed=p["seed"])[0])
    changes = {pool: [] for pool in pools}
    for s in range(p["seeds"]):
        for pool in pools:
            yield (2 * s + pools.index(pool)) / (2 * p["seeds"]), f"network {s + 1} of {p['seeds']}, pooling: {pool}"
            config = CNNConfig(filters=(8, 16, 16, 16), pools=(pool,) * 4, batch_norm=False, hidden=0, seed=p["seed"] + s)
            changes[pool].append(_shift_changes(config, images, shifts))
    arrays = {pool: np.array(v) for pool, v in changes.items()}  # (seeds, shifts)
    mean = {pool: a.mean(axis=0) for pool, a in arrays.items()}
    se = {pool: [standard_error(a[:, j].tolist()) for j in range(len(shifts))] for pool, a in arrays.items()}
    figures = {"change_none": float(mean["none"][0]), "change_pool": float(mean[p["pool"]][0]),
               "change_pool_se": float(se[p["pool"]][0])}
    names = {"none": "no pooling (4 conv blocks, 32×32 maps)", p["pool"]: f"{p['pool']} pooling 2×2 after each block (2×2 maps)"}
    rows = tuple({"shift (px)": k, **{names[pool]: float(mean[pool][j]) for pool in pools}} for j, k in enumerate(shifts))
    evidence = Evidence("line", "shift (pixels)", "relative change of the last feature maps", tuple(
        Series(names[pool], tuple(shifts), tuple(float(v) for v in mean[pool]), tuple(se[pool])) for pool in pools),
        note="0 would be perfect invariance; error bars are ± one standard error over networks.")
    return Measured(figures, rows, evidence)


def _pooling_judge(figures, params) -> Verdict:
    none, pool = figures["change_none"], figures["change_pool"]
    text = f"relative change under a 1-pixel shift: no pooling {none:.3f}, {params['pool']} pooling {pool:.3f}"
    if pool >= none:
        return Verdict("not supported", f"{text}: pooling did not reduce the change.")
    if pool <= none / 2 and pool > 1e-4:
        return Verdict("supported", f"{text}: pooling at least halves it, yet it stays above 1e-4 (not exactly invariant).")
    return Verdict("mixed", f"{text}: pooling reduces it, but not by half, or to 1e-4 or less (exact invariance, up to rounding).")


POOLING = Lab(
    key="pooling_shift", topic="cnn", title="Pooling and shifts",
    claim="Pooling gives only approximate shift invariance: a small shift of the input still changes a pooled CNN's features.",
    setup="Untrained CNNs of the CNN page (4 blocks of 3×3 convs with 8, 16, 16, 16 filters, ReLU, no batch norm) on generated "
          "32×32 shapes, without pooling and with 2×2 pooling after each block; the input is shifted right by 1 … the largest "
          "shift (wrapping round). The relative change of the last block's flattened output, averaged over images and "
          "networks (seeds).",
    rule="At a 1-pixel shift: supported if pooling at least halves the relative change but leaves it above 1e-4 (float32 "
         "rounding is ~1e-7); not supported if pooling does not reduce it; mixed otherwise.",
    knobs=(Knob("pool", "pooling", "max", choices=("max", "avg")), Knob("max_shift", "largest shift (px)", 4, 1, 16),
           Knob("images", "images", 32, 4, 256), Knob("seeds", "networks (seeds)", 3, 1, 10), Knob("seed", "seed", 0, 0, 10**6)),
    run=_pooling_run, judge=_pooling_judge, small={"images": 8, "seeds": 2, "max_shift": 2},
    link=lambda p: ("cnn", CNNConfig(pools=(p["pool"],) * 4, seed=p["seed"])),
)

# -- 11. an n×n convolution is a fully connected layer -----------------------------------------------------------


def _conv_vs_dense(n: int, c_in: int, c_out: int, inputs: int, seed: int) -> tuple[float, float, int, int]:
    """(max |conv − dense|, the same with the input flattened in the wrong order, conv parameters, dense parameters)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        conv = nn.Conv2d(c_in, c_out, n).double()
        x = torch.randn(inputs, c_in, n, n, dtype=torch.float64)
    dense = nn.Linear(c_in * n * n, c_out).double()
    with torch.no_grad():
        dense.weight.copy_(conv.weight.reshape(c_out, -1))  # (c_out, c_in·n·n): the kernel, read channel by channel
        dense.bias.copy_(conv.bias)
        out = conv(x).reshape(inputs, c_out)  # (B, c_out, 1, 1) → (B, c_out)
        error = float((out - dense(x.flatten(1))).abs().max())
        wrong = float((out - dense(x.permute(0, 2, 3, 1).flatten(1))).abs().max())  # pixels first, channels last
    conv_params = conv_cost(n, n, c_in, c_out, n).params  # f·f·c_in·c_out + c_out, with a 1×1 output
    return error, wrong, conv_params, sum(t.numel() for t in dense.parameters())


def _conv_fc_run(p):
    sizes, results = range(1, p["n_max"] + 1), []
    for n in sizes:
        yield (n - 1) / p["n_max"], f"n = {n}"
        results.append(_conv_vs_dense(n, p["c_in"], p["c_out"], p["inputs"], p["seed"] + n))
    error, wrong, conv_params, dense_params = (np.array(c) for c in zip(*results, strict=True))
    figures = {"error": float(error.max()), "parameter_mismatch": float(np.abs(conv_params - dense_params).max())}
    rows = tuple({"n": n, "max |conv − dense|": float(e), "wrong flatten order": float(w), "conv parameters": int(c),
                  "dense parameters": int(d)} for n, e, w, c, d in zip(sizes, error, wrong, conv_params, dense_params, strict=True))
    evidence = Evidence("line", "n (kernel = input size)", "max |conv(x) − dense(x)|", (
        Series("dense weights = the kernel, flattened channel by channel", tuple(sizes), tuple(float(v) for v in error)),
        Series("the same weights, input flattened channels-last", tuple(sizes), tuple(float(v) for v in wrong))), log_y=True,
        note="The match is exact (rounding ~1e-15) when the dense layer reads the input in the kernel's order.")
    return Measured(figures, rows, evidence)


def _conv_fc_judge(figures, params) -> Verdict:
    e, m = figures["error"], figures["parameter_mismatch"]
    text = f"max |conv − dense| = {e:.2g} over n = 1…{params['n_max']}; parameter counts differ by at most {m:.0f}"
    if e <= 1e-9 and m == 0:
        return Verdict("supported", f"{text}: outputs equal within 1e-9 and the same parameters.")
    if e > 1e-6:
        return Verdict("not supported", f"{text}: the outputs differ by more than 1e-6.")
    return Verdict("mixed", f"{text}: the rule needs ≤ 1e-9 and equal counts.")


CONV_FC = Lab(
    key="conv_fc", topic="cnn", title="An n×n convolution is a dense layer",
    claim="An n×n convolution applied to an n×n input is a fully connected layer.",
    setup="For n = 1 … the largest n: a Conv2d(c_in, c_out, n) with random weights on random n×n×c_in inputs (float64) gives a "
          "1×1×c_out output; a dense layer gets the kernel flattened as its weight matrix and the same bias. Control: the same "
          "dense weights reading the input in another order (channels last).",
    rule="Supported if the outputs agree within 1e-9 for every n and the parameter counts are equal; not supported if they differ "
         "by more than 1e-6; mixed otherwise.",
    knobs=(Knob("n_max", "largest n", 8, 1, 32), Knob("c_in", "input channels", 3, 1, 16), Knob("c_out", "output channels", 4, 1, 64),
           Knob("inputs", "random inputs", 16, 1, 256), Knob("seed", "seed", 0, 0, 10**6)),
    run=_conv_fc_run, judge=_conv_fc_judge, small={"n_max": 3},
)

# -- 12. a CNN's parameters against a dense network's ---------------------------------------------------------


def _params_run(p):
    yield 0.0, "counting"
    size, f = p["image_size"], int(p["kernel"])
    config = CNNConfig(image_size=size, kernels=(f,) * 4, hidden=0)
    rows, side, c_in = [], size, 3
    for i, (c_out, pooled_side) in enumerate(zip(config.filters, config.feature_sizes(), strict=True), 1):
        conv = conv_cost(side, side, c_in, c_out, f, padding="same")  # (side, side, c_in) → (out_h, out_w, c_out)
        inputs, outputs = side * side * c_in, conv.out_h * conv.out_w * c_out
        rows.append({"layer": f"conv{i}", "input": f"{side}×{side}×{c_in}", "output": f"{conv.out_h}×{conv.out_w}×{c_out}",
                     "conv parameters": conv.params, "dense parameters for the same map": inputs * outputs + outputs})
        side, c_in = pooled_side, c_out
    conv_total = sum(r["conv parameters"] for r in rows)
    dense_total = sum(r["dense parameters for the same map"] for r in rows)
    figures = {"conv_parameters": float(conv_total), "dense_parameters": float(dense_total), "ratio": dense_total / conv_total}
    layers = tuple(r["layer"] for r in rows)
    evidence = Evidence("bar", "layer", "parameters", tuple(Series(name, layers, tuple(float(r[name]) for r in rows))
                                                           for name in ("conv parameters", "dense parameters for the same map")),
                        log_y=True, note="A conv layer shares one small kernel over all positions; a dense layer has a weight per "
                                         "input-output pair.")
    return Measured(figures, tuple(rows), evidence)


def _params_judge(figures, params) -> Verdict:
    ratio = figures["ratio"]
    text = (f"the conv layers have {figures['conv_parameters']:,.0f} parameters, dense layers computing maps of the same sizes "
            f"{figures['dense_parameters']:,.0f}: {ratio:,.0f}× more")
    if ratio >= 100:
        return Verdict("supported", f"{text} (≥ 100×).")
    if ratio <= 1:
        return Verdict("not supported", f"{text}: the dense layers need no more.")
    return Verdict("mixed", f"{text}: more, but less than 100×.")


PARAMETERS = Lab(
    key="cnn_parameters", topic="cnn", title="Convolutions share their weights",
    claim="On images a CNN needs far fewer parameters than a fully connected network.",
    setup="The CNN page's network (4 conv blocks with 8, 16, 32, 32 filters, “same” padding, 2×2 max pooling) on colour images "
          "of the chosen size. For each conv layer, the parameters of the convolution (f·f·c_in·c_out + c_out) and of a dense layer "
          "mapping the same input to an output of the same size (inputs·outputs + outputs). Counting, no training: a dense layer "
          "can compute every map the conv layer computes, so it is the fully connected network of the same shape.",
    rule="Supported if the dense layers need at least 100× the conv layers' parameters; not supported if they need no more; "
         "mixed otherwise.",
    knobs=(Knob("image_size", "image size (px)", 32, 28, 64), Knob("kernel", "kernel f", "3", choices=("1", "3", "5", "7"))),
    run=_params_run, judge=_params_judge, small={"image_size": 28},
    link=lambda p: ("cnn", CNNConfig(image_size=p["image_size"], kernels=(int(p["kernel"]),) * 4)),
)

LABS: tuple[Lab, ...] = (GRAM, POOLING, CONV_FC, PARAMETERS)
