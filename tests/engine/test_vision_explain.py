"""Explaining the pretrained CNN: the network split at any stage, saliency and Grad-CAM against hand computations and
finite differences, the feature-map ranking, overlays, and activation maximisation (it raises the activation, per seed)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.config import ConfigError
from engine.vision import efficientnet, explain, imagenet
from engine.vision.samples import load_sample


@pytest.fixture(scope="module")
def model() -> efficientnet.EfficientNetLite0:
    return efficientnet.load_model()


@pytest.fixture(scope="module")
def dog():
    return load_sample("dog")


@pytest.fixture(scope="module")
def analysis(dog, model) -> explain.Analysis:
    return explain.analyse(dog, model)


def small_input(size: int = 64, seed: int = 0, dtype=torch.float32) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return (0.5 * torch.randn(1, 3, size, size, generator=generator, dtype=torch.float64)).clamp(-1, 1).to(dtype)


# -- the network in pieces ------------------------------------------------------------------------------------------
def test_forward_to_and_from_every_stage_equal_the_full_forward(model):
    x = small_input(64)
    with torch.no_grad():
        maps, logits = model.features(x), model(x)
        for stage in efficientnet.STAGES:
            assert torch.allclose(explain.forward_to(model, stage, x), maps[stage], atol=1e-5), stage
            assert torch.allclose(explain.forward_from(model, stage, maps[stage]), logits, atol=1e-4), stage
            assert maps[stage].shape[1] == explain.CHANNELS[stage]
        for stage in ("stem", "head"):  # pre_activation gives the value before the final ReLU6
            assert torch.equal(F.relu6(explain.forward_to(model, stage, x, pre_activation=True)), maps[stage])


# -- one forward pass for every view --------------------------------------------------------------------------------
def test_analysis_top5_matches_top_k_and_maps_match_features(analysis, dog, model):
    x = efficientnet.preprocess(dog)
    with torch.no_grad():
        logits, maps = model(x), model.features(x)
    expected = efficientnet.top_k(logits, k=5)
    assert [i for i, _, _ in analysis.top5] == [i for i, _ in expected]
    assert [p for _, _, p in analysis.top5] == pytest.approx([p for _, p in expected], abs=1e-6)
    assert all(name == imagenet.class_name(i) for i, name, _ in analysis.top5)
    assert analysis.top5[0][0] in imagenet.DOGS
    assert analysis.probabilities.shape == (1000,) and analysis.probabilities.dtype == np.float32
    assert analysis.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert list(analysis.stages) == list(efficientnet.STAGES)
    assert analysis.stages["stem"].shape == (32, 112, 112) and analysis.stages["head"].shape == (1280, 7, 7)
    for name, m in analysis.stages.items():
        np.testing.assert_allclose(m, maps[name][0].numpy(), atol=1e-5)
    assert analysis.input_image.shape == (224, 224, 3) and analysis.input_image.dtype == np.uint8
    np.testing.assert_array_equal(analysis.input_image.astype(np.float32), (x[0].permute(1, 2, 0) * 128 + 127).numpy())


def test_channel_order_is_by_mean_activation_descending(analysis):
    for name, m in analysis.stages.items():
        order = analysis.channel_order[name]
        assert sorted(order.tolist()) == list(range(m.shape[0])), name  # a permutation
        means = m.mean(axis=(1, 2))[order]
        assert np.all(np.diff(means) <= 0), name


# -- saliency -------------------------------------------------------------------------------------------------------
class Linear(torch.nn.Module):
    """logits = W · x: its input gradient for class c is exactly W[c]."""

    def __init__(self, size: int = 8, classes: int = 4):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(classes, 3, size, size, generator=torch.Generator().manual_seed(1)))

    def forward(self, x):
        return torch.einsum("kchw,bchw->bk", self.weight, x)


def robust_scale(heat: torch.Tensor) -> np.ndarray:
    return (heat / torch.quantile(heat.flatten(), 0.99)).clamp(0, 1).numpy()


def test_saliency_of_a_linear_model_is_its_weights():
    toy, x = Linear().requires_grad_(False), small_input(8, seed=2)
    got = explain.saliency(x, class_index=2, model=toy)
    np.testing.assert_allclose(got, robust_scale(toy.weight[2].abs().amax(0)), atol=1e-6)
    got = explain.saliency(x, class_index=2, method="gradient×input", model=toy)
    np.testing.assert_allclose(got, robust_scale((toy.weight[2] * x[0]).abs().amax(0)), atol=1e-6)
    top = int(toy(x)[0].argmax())
    np.testing.assert_array_equal(explain.saliency(x, model=toy), explain.saliency(x, class_index=top, model=toy))
    assert not any(p.grad is not None for p in toy.parameters())


def test_saliency_matches_finite_differences_of_the_network(model):
    double = copy.deepcopy(model).double()
    x = small_input(32, seed=3, dtype=torch.float64)
    heat = explain.saliency(x, class_index=207, model=double)  # (32, 32), scaled by an unknown positive factor
    pixels, eps = [(5, 7), (16, 16), (20, 3), (30, 29)], 1e-6
    estimates = []
    with torch.no_grad():
        for i, j in pixels:
            slopes = []
            for c in range(3):
                up, down = x.clone(), x.clone()
                up[0, c, i, j] += eps
                down[0, c, i, j] -= eps
                slopes.append(abs(float(double(up)[0, 207] - double(down)[0, 207])) / (2 * eps))
            estimates.append(max(slopes))
    got = np.array([heat[i, j] for i, j in pixels])
    assert np.all(got < 1)  # none clipped, so saliency is proportional to |gradient|
    np.testing.assert_allclose(got / got[0], np.array(estimates) / estimates[0], rtol=1e-4)


def test_saliency_on_a_photo_is_a_unit_map_and_rejects_bad_arguments(dog, model):
    heat = explain.saliency(dog, model=model)
    assert heat.shape == (224, 224) and heat.dtype == np.float32
    assert heat.min() >= 0 and heat.max() == 1 and 0 < heat.mean() < 0.5
    with pytest.raises(ConfigError, match="method must be one of"):
        explain.saliency(dog, method="smooth", model=model)
    with pytest.raises(ValueError, match="class_index must be between 0 and 999"):
        explain.saliency(dog, class_index=1000, model=model)
    assert not any(p.requires_grad or p.grad is not None for p in model.parameters())


# -- Grad-CAM -------------------------------------------------------------------------------------------------------
def test_grad_cam_of_the_head_is_the_class_activation_map(dog, model):
    # at the head, y_c = Σ_k W_ck · mean(A_k) + b_c, so α_k = W_ck / (h·w): Grad-CAM ∝ ReLU(Σ_k W_ck A_k) (Zhou et al.'s CAM)
    x, c = efficientnet.preprocess(dog), 207
    got = explain.grad_cam(x, class_index=c, model=model)
    with torch.no_grad():
        head = model.features(x)["head"]  # (1, 1280, 7, 7)
        cam = F.relu(torch.einsum("k,bkhw->bhw", model._fc.weight[c], head))[:, None]
        cam = F.interpolate(cam, size=(224, 224), mode="bilinear", align_corners=False)[0, 0]
    assert got.shape == (224, 224) and got.dtype == np.float32
    np.testing.assert_allclose(got, (cam / cam.max()).numpy(), atol=1e-5)


def test_grad_cam_of_an_inner_stage_matches_a_hooked_backward_pass(model):
    x, c, stage = small_input(64, seed=4), 3, "stage4"
    captured = {}
    block = model._blocks[model.stage_ends[3]]  # the last block of stage4
    handle = block.register_forward_hook(lambda module, args, out: captured.update(a=out.requires_grad_(True)))
    try:
        with torch.enable_grad():
            logits = model(x)
            (grad,) = torch.autograd.grad(logits[0, c], captured["a"])
    finally:
        handle.remove()
    a = captured["a"].detach()
    cam = F.relu((grad.mean(dim=(2, 3), keepdim=True) * a).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=(64, 64), mode="bilinear", align_corners=False)[0, 0]
    got = explain.grad_cam(x, class_index=c, stage=stage, model=model)
    assert got.shape == (64, 64) and got.min() >= 0 and got.max() == pytest.approx(1.0)
    np.testing.assert_allclose(got, (cam / cam.max()).numpy(), atol=1e-4)


def test_grad_cam_with_nothing_positive_is_all_zeros(model):
    against = copy.deepcopy(model)
    with torch.no_grad():
        against._fc.weight[5] = -against._fc.weight[5].abs()  # head maps are ≥ 0 (ReLU6), so Σ α_k A_k ≤ 0 everywhere
    got = explain.grad_cam(small_input(64), class_index=5, model=against)
    assert got.shape == (64, 64) and np.all(got == 0) and np.isfinite(got).all()


def test_grad_cam_every_stage_on_a_photo_is_a_unit_map(dog, model):
    x = efficientnet.preprocess(dog)
    for stage in ("stem", "stage3", "stage6", "head"):
        heat = explain.grad_cam(x, stage=stage, model=model)
        assert heat.shape == (224, 224) and heat.min() >= 0 and heat.max() == pytest.approx(1.0), stage


# -- overlays -------------------------------------------------------------------------------------------------------
def test_colorize_and_overlay():
    image = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    heat = np.linspace(0, 1, 600, dtype=np.float32).reshape(20, 30)
    colours = explain.colorize(heat)
    assert colours.shape == (20, 30, 3) and colours.dtype == np.uint8
    assert colours[0, 0].tolist() == [0, 0, 128] and colours[-1, -1].tolist() == [128, 0, 0]  # jet: dark blue → dark red
    assert explain.colorize(np.array([0.0, 1.0]), "hot").tolist() == [[0, 0, 0], [255, 255, 255]]
    out = explain.overlay(image, heat, alpha=0.5)
    assert out.shape == image.shape and out.dtype == np.uint8
    expected = np.rint(0.5 * image.astype(np.float32) + 0.5 * colours.astype(np.float32))
    np.testing.assert_array_equal(out, expected.astype(np.uint8))
    np.testing.assert_array_equal(explain.overlay(image, heat, alpha=0.0), image)
    with pytest.raises(ValueError, match="overlay needs"):
        explain.overlay(image, heat[:10])
    with pytest.raises(ConfigError, match="colormap must be one of"):
        explain.colorize(heat, "rainbow")


# -- activation maximisation ----------------------------------------------------------------------------------------
def test_gaussian_blur_keeps_constants_and_spreads_an_impulse_with_variance_sigma_squared():
    flat = torch.full((1, 3, 16, 16), 0.3, dtype=torch.float64)
    assert torch.allclose(explain.gaussian_blur(flat, 1.0), flat)
    impulse = torch.zeros(1, 1, 31, 31, dtype=torch.float64)
    impulse[0, 0, 15, 15] = 1
    out = explain.gaussian_blur(impulse, 1.5)[0, 0]
    t = torch.arange(31, dtype=torch.float64) - 15
    assert float(out.sum()) == pytest.approx(1.0)
    assert float((out.sum(0) * t**2).sum()) == pytest.approx(1.5**2, rel=0.02)  # truncated at 3σ: a little under σ²


def run(config: explain.ActivationMaxConfig) -> tuple[explain.ActivationMaxTrainer, list[dict]]:
    trainer = explain.ActivationMaxTrainer(config, "cpu")
    metrics = []
    while not trainer.done:
        metrics.append(trainer.step())
    return trainer, metrics


def test_activation_maximisation_raises_the_activation_and_is_deterministic(model):
    config = explain.ActivationMaxConfig(stage="stage3", channel=7, size=64, steps=20, jitter=4)
    trainer, metrics = run(config)
    start = explain.ActivationMaxTrainer(config, "cpu").activation
    assert len(metrics) == 4 and metrics[-1]["progress"] == 1.0 and metrics[0]["progress"] == pytest.approx(0.25)
    assert metrics[-1]["activation"] > start + 1.0
    assert metrics[-1]["loss"] == pytest.approx(-metrics[-1]["activation"] + config.decay * float(trainer.image.detach().pow(2).sum()))
    snap = trainer.snapshot()
    assert snap["image"].shape == (64, 64, 3) and snap["image"].dtype == np.uint8
    assert snap["iterations"] == 20 and len(snap["history"]) == 20 and snap["activation"] == snap["history"][-1]
    assert trainer.image.min() >= -127 / 128 and trainer.image.max() <= 1.0
    again, _ = run(config)
    np.testing.assert_array_equal(again.snapshot()["image"], snap["image"])
    assert again.history == trainer.history
    other, _ = run(config.replace(seed=1))
    assert not np.array_equal(other.snapshot()["image"], snap["image"])
    assert not any(p.requires_grad or p.grad is not None for p in model.parameters())


def test_activation_maximisation_hot_learning_rate_reaches_the_optimizer():
    config = explain.ActivationMaxConfig(stage="stem", size=64, steps=10)
    trainer = explain.ActivationMaxTrainer(config, "cpu")
    trainer.apply(config.replace(learning_rate=0.01), frozenset({"learning_rate"}))
    assert trainer.optimizer.param_groups[0]["lr"] == 0.01
    assert "learning_rate" in explain.ActivationMaxConfig.HOT and "stage" not in explain.ActivationMaxConfig.HOT


def test_activation_max_config_validation():
    with pytest.raises(ConfigError, match="stage must be one of stem, stage1"):
        explain.ActivationMaxConfig(stage="stage9")
    with pytest.raises(ConfigError, match="channel must be between 0 and 79, not 80"):
        explain.ActivationMaxConfig(stage="stage4", channel=80)
    assert explain.ActivationMaxConfig(stage="head", channel=1279).channel == 1279
    with pytest.raises(ConfigError, match="size must be between 64 and 224"):
        explain.ActivationMaxConfig(size=32)
    with pytest.raises(ConfigError, match="jitter"):
        explain.ActivationMaxConfig(jitter=40)
    config = explain.ActivationMaxConfig(stage="stage2", channel=5, blur_every=0)
    assert explain.ActivationMaxConfig.from_json(config.to_json()) == config
    assert explain.ActivationMaxConfig.from_query(config.to_query()) == config
