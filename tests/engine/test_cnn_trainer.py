"""The live CNN: config validation, the layer trace against PyTorch ops, the views on a model, restore from a
snapshot, a short seeded run that learns, the test-set bookkeeping, hot changes, divergence, and the runtime."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.cnn.model import (
    CNNConfig,
    build,
    channel_means,
    feature_maps,
    first_layer_filters,
    probabilities,
    restore,
    top_activating,
)
from engine.cnn.shapes import CLASSES
from engine.cnn.trainer import CHUNK, GALLERY, TEST_SIZE, CNNTrainer
from engine.cnn.trainer import test_set as held_out_set  # (not named test_*: pytest would collect it)
from engine.config import ConfigError
from engine.runtime import JobState, Runtime
from engine.runtime.job import Job, JobSpec

K = len(CLASSES)
SMALL = CNNConfig(image_size=28, train_size=1280)  # 28 → 14 → 7 → 3 → 1 through the four default blocks; 20 batches an epoch


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def trained(one_thread):
    """A small trainer after 26 steps (104 Adam updates, 5.2 epochs; the test set was last scored at step 26), with
    the metrics of its first and last step."""
    trainer = CNNTrainer(SMALL)
    first = trainer.step()
    for _ in range(25):
        last = trainer.step()
    return trainer, first, last


# -- the config ------------------------------------------------------------------------------------------------
def test_defaults_are_valid_and_round_trip_through_the_url():
    config = CNNConfig()
    assert CNNConfig.from_query(config.to_query()) == config
    assert CNNConfig.from_json(config.to_json()) == config
    assert config.feature_sizes() == (16, 8, 4, 2)
    assert {"learning_rate", "batch_size"} == CNNConfig.HOT


@pytest.mark.parametrize("changes, words", [
    (dict(kernels=(3,)), "one entry per conv block"),
    (dict(pools=("max",) * 3), "pools 3"),
    (dict(kernels=(3, 4, 3, 3)), "kernel of block 2 must be odd"),
    (dict(filters=(8, 16, 32, 32, 32), kernels=(3,) * 5, strides=(1,) * 5, pools=("max",) * 5), "between 1 and 4"),
    (dict(filters=(8, 0, 32, 32)), "filters of block 2"),
    (dict(strides=(1, 3, 1, 1)), "stride of block 2"),
    (dict(pools=("max", "min", "max", "max")), "pool of block 2"),
    (dict(activation="swish"), "activation"),
    (dict(optimizer="rmsprop"), "optimizer"),
    (dict(image_size=16), "image_size"),
    (dict(learning_rate=0.0), "learning_rate"),
])
def test_bad_settings_are_refused_with_a_readable_message(changes, words):
    with pytest.raises(ConfigError, match=words):
        CNNConfig().replace(**changes)


def test_a_network_that_shrinks_the_image_to_nothing_names_the_block():
    # 28 → (stride 2) 14 → (pool) 7 → 4 → 2 → 1 → 0 at block 3
    with pytest.raises(ConfigError, match=r"block 3 would turn its 2×2 input into a feature map smaller than 1×1.*fewer pooling"):
        CNNConfig(image_size=28, strides=(2, 2, 2, 2))
    assert CNNConfig(image_size=28, strides=(2, 2, 2, 2), pools=("max", "none", "none", "none")).feature_sizes() == (7, 4, 2, 1)


# -- the model -------------------------------------------------------------------------------------------------
def test_trace_names_every_layer_in_order_with_its_shape_and_ends_in_the_forward_logits():
    model = build(CNNConfig(seed=1)).eval()
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    trace = model.trace(x)
    names = [name for name, _ in trace]
    blocks = [f"{kind}{i}" for i in range(1, 5) for kind in ("conv", "bn", "act", "pool")]
    assert names == blocks + ["flatten", "hidden", "act_hidden", "logits"]
    shapes = dict((name, tuple(out.shape)) for name, out in trace)
    assert shapes["conv1"] == (2, 8, 32, 32) and shapes["pool1"] == (2, 8, 16, 16) and shapes["act3"] == (2, 32, 8, 8)
    assert shapes["pool4"] == (2, 32, 2, 2) and shapes["flatten"] == (2, 128) and shapes["logits"] == (2, K)
    assert torch.equal(trace[-1][1], model(x))


def test_layers_follow_the_config_without_batch_norm_pooling_or_hidden_layer():
    config = CNNConfig(filters=(4, 6), kernels=(5, 1), strides=(2, 1), pools=("none", "avg"), batch_norm=False, hidden=0)
    trace = build(config).trace(torch.rand(3, 3, 32, 32))
    assert [(n, tuple(t.shape)) for n, t in trace] == [("conv1", (3, 4, 16, 16)), ("act1", (3, 4, 16, 16)), ("conv2", (3, 6, 16, 16)),
                                                      ("act2", (3, 6, 16, 16)), ("pool2", (3, 6, 8, 8)), ("flatten", (3, 384)),
                                                      ("logits", (3, K))]


def test_layers_match_pytorch_functional_ops():
    model = build(CNNConfig(activation="leaky_relu", pools=("avg", "max", "max", "max"))).eval()
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    out = dict(model.trace(x))
    conv, bn = model.layers["conv1"], model.layers["bn1"]
    expected = F.conv2d(x, conv.weight, conv.bias, padding=1)
    torch.testing.assert_close(out["conv1"], expected)
    expected = F.batch_norm(expected, bn.running_mean, bn.running_var, bn.weight, bn.bias, eps=bn.eps)
    torch.testing.assert_close(out["act1"], F.leaky_relu(expected, 0.01))
    torch.testing.assert_close(out["pool1"], F.avg_pool2d(out["act1"], 2))
    torch.testing.assert_close(out["pool2"], F.max_pool2d(out["act2"], 2))


def test_parameter_count_is_the_sum_of_the_layer_formulas():
    # conv: f·f·c_in·c_out + c_out; batch norm: 2c (γ, β); linear: n_in·n_out + n_out
    convs = [(3, 3, 8), (3, 8, 16), (3, 16, 32), (3, 32, 32)]
    expected = sum(f * f * c_in * c_out + c_out + 2 * c_out for f, c_in, c_out in convs) + (128 * 32 + 32) + (32 * K + K)
    assert build(CNNConfig()).n_parameters == expected == 19_782


def test_views_feature_maps_filters_probabilities_and_top_activating():
    model = build(CNNConfig(seed=2)).eval()
    images = np.random.default_rng(0).random((12, 3, 32, 32), dtype=np.float32)
    maps = feature_maps(model, images[0])
    with torch.no_grad():
        trace = dict(model.trace(torch.from_numpy(images[:1])))
    assert [n for n, _ in maps] == ["act1", "pool1", "act2", "pool2", "act3", "pool3", "act4", "pool4"]
    for name, array in maps:
        assert array.dtype == np.float32 and np.array_equal(array, trace[name][0].numpy())
    assert np.array_equal(first_layer_filters(model), model.layers["conv1"].weight.detach().numpy())
    p = probabilities(model, images)
    assert p.shape == (12, K) and np.allclose(p.sum(1), 1.0, atol=1e-5)
    np.testing.assert_allclose(p, model(torch.from_numpy(images)).softmax(-1).detach().numpy(), atol=1e-6)
    means = channel_means(model, images, "act2")
    np.testing.assert_allclose(means, model.trace(torch.from_numpy(images))[6][1].mean((2, 3)).detach().numpy(), atol=1e-6)
    channel = int(means.std(0).argmax())  # a channel whose means differ between images (no ties)
    top = top_activating(model, images, "act2", channel=channel, k=5)
    assert list(top) == list(np.argsort(-means[:, channel], kind="stable")[:5])
    assert means[top[0], channel] == means[:, channel].max()
    assert model.training is False
    with pytest.raises(ValueError, match="not a conv-block layer"):
        channel_means(model, images, "hidden")


# -- training --------------------------------------------------------------------------------------------------
def test_a_short_seeded_run_learns_the_shapes_above_chance(trained):
    trainer, first, last = trained
    assert all(math.isfinite(v) for v in last.values())
    assert last["test_loss"] < first["test_loss"] - 0.6
    assert last["test_accuracy"] > 1 / K + 0.3, last
    assert trainer.evaluated_step == trainer.steps == 26
    assert last["epoch"] == 26 * CHUNK * SMALL.batch_size / SMALL.train_size == 5.2


def test_the_snapshot_confusion_matrix_and_gallery_agree_with_the_test_accuracy(trained):
    trainer, _, last = trained
    snap = trainer.snapshot()
    confusion = snap["confusion"]
    assert confusion.shape == (K, K) and confusion.sum() == TEST_SIZE
    assert np.trace(confusion) / TEST_SIZE == pytest.approx(last["test_accuracy"])
    _, y = held_out_set(SMALL)
    assert np.array_equal(confusion.sum(1), np.bincount(y, minlength=K))  # rows: the true class
    np.testing.assert_allclose(snap["per_class_accuracy"], np.diag(confusion) / confusion.sum(1), rtol=1e-6)
    wrong = snap["misclassified"]
    assert len(wrong) == min(GALLERY, TEST_SIZE - np.trace(confusion))
    assert all(w["true"] == y[w["index"]] != w["predicted"] for w in wrong)
    assert [w["confidence"] for w in wrong] == sorted((w["confidence"] for w in wrong), reverse=True)
    assert snap["classes"] == CLASSES and snap["first_filters"].shape == (8, 3, 3, 3)


def test_restore_rebuilds_the_trainers_model_exactly(trained):
    trainer, _, _ = trained
    snap = trainer.snapshot()
    model = restore(SMALL, snap["weights"])
    x, _ = held_out_set(SMALL)
    trainer.model.eval()
    with torch.no_grad():
        assert torch.equal(model(torch.from_numpy(x[:64])), trainer.model(torch.from_numpy(x[:64])))
    assert np.array_equal(trainer.test_x.numpy(), x)


def test_the_same_seed_trains_the_same_way():
    config = CNNConfig(image_size=28, train_size=300, filters=(4, 8), kernels=(3, 3), strides=(1, 1), pools=("max", "max"))
    runs = [[CNNTrainer(config).step() for _ in range(2)] for _ in range(2)]
    assert runs[0] == runs[1]
    assert CNNTrainer(config.replace(seed=1)).step() != runs[0][0]


def test_learning_rate_and_batch_size_change_hot():
    config = CNNConfig(image_size=28, train_size=320, filters=(4,), kernels=(3,), strides=(1,), pools=("max",), optimizer="sgd_momentum")
    trainer = CNNTrainer(config)
    trainer.step()
    new = config.replace(learning_rate=0.01, batch_size=16)
    assert config.changed_fields(new) <= CNNConfig.HOT
    trainer.apply(new, config.changed_fields(new))
    seen = trainer.seen
    trainer.step()
    assert trainer.optimizer.param_groups[0]["lr"] == 0.01 and trainer.snapshot()["learning_rate"] == 0.01
    assert trainer.seen - seen == CHUNK * 16


# -- divergence and the runtime ----------------------------------------------------------------------------------
def test_a_huge_sgd_learning_rate_is_stopped_by_the_job_with_the_hint():
    config = CNNConfig(image_size=28, train_size=600, batch_norm=False, activation="leaky_relu", optimizer="sgd_momentum",
                       learning_rate=10.0)
    job = Job("nan", JobSpec(CNNTrainer, config), torch.device("cpu"))
    job.set_state(JobState.RUNNING)
    while job.state is JobState.RUNNING and job.steps < 30:
        job.run_slice(0.2)
    assert job.state is JobState.FAILED, f"still finite after {job.steps} steps"
    assert "too high for SGD with momentum" in job.reason


def test_a_trainer_in_a_stopped_state_reports_non_finite_parameters():
    trainer = CNNTrainer(CNNConfig(image_size=28, train_size=300, filters=(4,), kernels=(3,), strides=(1,), pools=("max",)))
    assert trainer.parameters_finite()
    with torch.no_grad():
        trainer.model.layers["conv1"].weight[0, 0, 0, 0] = float("nan")
    assert not trainer.parameters_finite()
    assert "Adam" in trainer.divergence_hint()


@pytest.mark.slow
def test_a_cnn_trains_in_the_runtime_and_publishes_its_views():
    rt = Runtime(workers=1)
    try:
        run = rt.start("t", CNNTrainer, SMALL)
        snap = rt.wait(run, lambda s: s.step >= 3 and "confusion" in s.payload, timeout=60)
        assert snap.state is JobState.RUNNING
        assert snap.payload["confusion"].sum() == TEST_SIZE and set(snap.payload["weights"]) >= {"layers.conv1.weight"}
        assert np.isfinite(snap.history["test_accuracy"]).all()
    finally:
        rt.shutdown()
