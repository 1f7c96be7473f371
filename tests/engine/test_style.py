"""Neural style transfer: the loss terms against hand computations and PyTorch, the backbone's early stop against
the full network, and short seeded runs of StyleTrainer at 64 px (content is recovered from noise with β = 0, both
optimizers lower the loss, colour preservation keeps the content's chroma, hot weights take effect)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.config import ConfigError
from engine.style import backbone as backbones
from engine.style import images
from engine.style.gram import content_loss, gram, style_loss, total_variation
from engine.style.transfer import StyleConfig, StyleTrainer, presets
from engine.vision.samples import load_sample

SIZE = 64


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One intra-op thread, as a runtime worker has: on a shared machine two threads can stall each other."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def pictures() -> tuple[np.ndarray, np.ndarray]:
    """The dog and The Starry Night, shrunk once (the trainer fits them to SIZE)."""
    return images.thumbnail(np.asarray(load_sample("dog")), 128), images.thumbnail(np.asarray(load_sample("style-starry-night")), 128)


def trainer(pictures, **changes) -> StyleTrainer:
    return StyleTrainer(StyleConfig(size=SIZE, **changes), "cpu", pictures)


def run(t: StyleTrainer, iterations: int) -> dict[str, float]:
    metrics = {}
    while t.iteration < iterations:
        metrics = t.step()
    return metrics


def initial_metrics(t: StyleTrainer) -> dict[str, float]:
    """The loss terms at the starting image: a first step of a single evaluation."""
    t.per_step, per_step = 1, t.per_step
    metrics = t.step()
    t.per_step = per_step
    return metrics


# -- the loss terms ------------------------------------------------------------------------------------
def test_gram_matches_a_hand_computation():
    x = torch.randn(2, 3, 2, 3)
    b, c, h, w = x.shape
    expected = torch.zeros(b, c, c)
    for n in range(b):
        for k in range(c):
            for k2 in range(c):
                expected[n, k, k2] = sum(x[n, k, i, j] * x[n, k2, i, j] for i in range(h) for j in range(w)) / (c * h * w)
    assert torch.allclose(gram(x), expected, atol=1e-6)
    assert torch.allclose(gram(x), gram(x).transpose(1, 2))  # symmetric


def test_gram_is_unchanged_when_positions_are_shuffled():
    x = torch.randn(1, 8, 5, 7)
    order = torch.randperm(5 * 7)
    shuffled = x.reshape(1, 8, 35)[:, :, order].reshape(1, 8, 5, 7)  # the same permutation in every channel
    assert not torch.allclose(x, shuffled)
    assert torch.allclose(gram(shuffled), gram(x), atol=1e-6)
    mixed = x.reshape(1, 8, 35)[:, :, torch.randperm(35)].reshape(1, 8, 5, 7).clone()
    mixed[:, 0] = x[:, 0].flip(-1)  # a different permutation in one channel changes its correlations
    assert not torch.allclose(gram(mixed), gram(x), atol=1e-3)


def test_content_and_style_losses_against_pytorch():
    a, g = torch.randn(1, 4, 6, 5), torch.randn(1, 4, 6, 5)
    assert content_loss(a, a).item() == 0.0
    assert content_loss(a, g).item() == pytest.approx(0.5 * F.mse_loss(g, a).item(), rel=1e-6)
    ga, gg = gram(a), gram(g)
    assert style_loss(ga, ga).item() == 0.0
    assert style_loss(ga, gg).item() == pytest.approx(torch.linalg.matrix_norm(ga - gg).square().item(), rel=1e-5)


def test_total_variation_by_hand():
    flat = torch.full((1, 3, 4, 4), 0.3)
    assert total_variation(flat).item() == 0.0
    stripes = torch.zeros(1, 1, 2, 3)
    stripes[..., 1] = 1.0  # columns 0, 1, 0: every horizontal step is ±1, no vertical change
    assert total_variation(stripes).item() == pytest.approx(1.0)


def test_efficientnet_stops_early_with_the_same_features():
    net = backbones.efficientnet_backbone()
    x = torch.rand(1, 3, 48, 40)
    with torch.no_grad():
        part = net.features(x, ("stem", "stage3"))
        full = net.model.features((x * 255 - 127) / 128)
    assert set(part) == {"stem", "stage3"}
    assert all(torch.equal(part[k], full[k]) for k in part)
    with pytest.raises(ValueError, match="no layer"):
        net.features(x, ("conv4_2",))


def test_vgg19_status(monkeypatch, tmp_path):
    available, reason = backbones.vgg19_status()
    assert not available and reason == "torchvision is not installed"
    monkeypatch.setattr(backbones.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    available, reason = backbones.vgg19_status()
    assert not available and "not in the torch cache" in reason and str(tmp_path) in reason
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "vgg19_bn-c79401a0.pth").write_bytes(b"")  # batch-norm VGG is another network
    assert not backbones.vgg19_status()[0]
    (tmp_path / "checkpoints" / "vgg19-dcbb9e9d.pth").write_bytes(b"")
    assert backbones.vgg19_status()[0]


# -- the config -------------------------------------------------------------------------------------------
def test_config_round_trips_and_explains_bad_values():
    config = StyleConfig(beta=0.5, style_weights=(1.0, 0.0, 2.0, 1.0, 0.5), preserve_colour=True)
    assert StyleConfig.from_json(config.to_json()) == config
    assert StyleConfig.from_query(config.to_query()) == config
    with pytest.raises(ConfigError, match="both weights are zero"):
        StyleConfig(alpha=0.0, beta=0.0)
    with pytest.raises(ConfigError, match="both weights are zero"):
        StyleConfig(alpha=0.0, style_weights=(0.0,) * 5)
    with pytest.raises(ConfigError, match="one weight per style layer"):
        StyleConfig(style_weights=(1.0, 1.0))
    with pytest.raises(ConfigError, match="no image was uploaded"):
        StyleConfig(content="upload")
    with pytest.raises(ConfigError, match="torchvision is not installed"):
        StyleConfig(backbone="vgg19")
    for changes in presets().values():
        StyleConfig().replace(**changes)


# -- runs -----------------------------------------------------------------------------------------------
def test_beta_zero_from_noise_recovers_the_content(pictures):
    t = trainer(pictures, **presets()["content only"], iterations=40)
    first = initial_metrics(t)
    last = run(t, 40)
    assert last["content_loss"] < 0.3 * first["content_loss"]


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_a_short_seeded_run_lowers_the_loss(pictures, optimizer):
    t = trainer(pictures, optimizer=optimizer, learning_rate=0.03, iterations=30)
    first = initial_metrics(t)
    last = run(t, 30)
    assert np.isfinite(list(last.values())).all()
    assert last["loss"] < 0.5 * first["loss"]
    assert last["style_loss"] < 0.5 * first["style_loss"]
    assert t.done and last["progress"] == 1.0
    again = trainer(pictures, optimizer=optimizer, learning_rate=0.03, iterations=30)
    initial_metrics(again), run(again, 30)
    assert np.array_equal(again.image(), t.image())  # seeded: the same run twice gives the same image


def test_identical_content_and_style_keeps_the_image(pictures):
    content = pictures[0]
    t = trainer((content, content), iterations=20)
    first = initial_metrics(t)
    assert first["content_loss"] == 0.0 and first["style_loss"] == 0.0
    last = run(t, 20)
    assert np.isfinite(list(last.values())).all()
    start = images.fit(content, content, SIZE)[0]
    assert np.abs(t.image().astype(float) - start).mean() < 2  # nothing to change but a little smoothing


def test_preserve_colour_keeps_the_content_chroma(pictures):
    def chroma_error(t: StyleTrainer) -> float:
        start = torch.tensor(images.fit(*pictures, SIZE)[0] / 255.0).permute(2, 0, 1)[None].float()
        out = torch.tensor(t.image() / 255.0).permute(2, 0, 1)[None].float()
        return (images.to_ycbcr(out) - images.to_ycbcr(start))[:, 1:].abs().mean().item()

    kept, free = trainer(pictures, preserve_colour=True, iterations=20), trainer(pictures, iterations=20)
    run(kept, 20), run(free, 20)
    assert kept.pixels.shape[1] == 1  # only the luma is optimised
    assert chroma_error(kept) < 0.005
    assert chroma_error(free) > 2 * chroma_error(kept) + 0.01  # the plain transfer takes on the style's colours


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_hot_apply_changes_the_weights_used(pictures, optimizer):
    t = trainer(pictures, optimizer=optimizer, iterations=40)
    run(t, 10)
    config = t.config.replace(beta=7.0, tv_weight=0.0, learning_rate=0.05)
    t.apply(config, t.config.changed_fields(config))
    assert optimizer == "adam" or not t.optimizer.state  # L-BFGS forgets the curvature of the old objective
    m = t.step()
    assert m["loss"] == pytest.approx(1.0 * m["content_loss"] + 7.0 * m["style_loss"], rel=1e-5)
    assert t.optimizer.param_groups[0]["lr"] == (0.05 if optimizer == "adam" else 1.0)


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_nan_shows_as_a_metric_not_an_exception(pictures, optimizer):
    t = trainer(pictures, optimizer=optimizer, iterations=10)
    with torch.no_grad():
        t.pixels[0, 0, 0, 0] = float("nan")
    metrics = t.step()
    assert not np.isfinite(metrics["loss"]) and not t.parameters_finite()
    assert t.image().dtype == np.uint8


def test_snapshot_is_plain_data(pictures):
    t = trainer(pictures, iterations=40)
    start = t.snapshot()
    assert start["history_iterations"] == [0]  # before any step the views show the starting image: here the content
    assert np.allclose(start["content_features"]["generated"], start["content_features"]["content"], atol=1e-5)
    run(t, 40)
    snap = pickle.loads(pickle.dumps(t.snapshot()))
    h, w = snap["image"].shape[:2]
    assert max(h, w) == SIZE and snap["image"].dtype == np.uint8
    assert snap["history_iterations"][0] == 0 and snap["history_iterations"][-1] == 40
    assert len(snap["history_images"]) == len(snap["history_iterations"]) <= 8
    stage5 = snap["gram"]["stage5"]  # 112 channels: the 64 most active are shown
    assert stage5["style"].shape == stage5["generated"].shape == (64, 64) and len(stage5["channels"]) == 64
    assert snap["gram"]["stem"]["style"].shape == (32, 32)
    features = snap["content_features"]
    assert features["content"].shape == features["generated"].shape and features["content"].shape[0] == 6


def test_uploads_travel_as_png_text(pictures):
    config = StyleConfig(content="upload", content_png=images.encode_png(pictures[0]), size=SIZE, iterations=5)
    t = StyleTrainer(config, "cpu")
    assert t.image().shape[:2] == images.fit(*pictures, SIZE)[0].shape[:2]
    with pytest.raises(ValueError, match="not valid base64"):
        images.decode_png("not base64!")
