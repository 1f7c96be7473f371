"""The Playground's claims on real, seeded runs, and its config and views."""

from __future__ import annotations

import numpy as np
import pytest

from engine.config import ConfigError
from engine.playground.config import PlaygroundConfig
from engine.playground.presets import PRESETS
from engine.playground.trainer import PlaygroundTrainer
from engine.runtime import JobState, Runtime

XOR = PlaygroundConfig(dataset="xor", noise=0.1, n_points=200, loss="bce", learning_rate=0.1, batch_size=10)


def train(config: PlaygroundConfig, epochs: int) -> tuple[PlaygroundTrainer, dict[str, float]]:
    trainer = PlaygroundTrainer(config)
    for _ in range(epochs):
        metrics = trainer.step()
    return trainer, metrics


def no_hidden(config: PlaygroundConfig) -> PlaygroundConfig:
    return config.replace(hidden=(), activations=(), keep_probs=(), batch_norm=())


def test_xor_is_not_learned_without_a_hidden_layer_and_is_with_one():
    _, linear = train(no_hidden(XOR), 150)
    _, hidden = train(XOR.replace(hidden=(4,), activations=("tanh",), keep_probs=(1.0,), batch_norm=(False,)), 150)
    assert linear["test_accuracy"] < 0.7, linear
    assert hidden["test_accuracy"] > 0.9, hidden


def test_zero_initialisation_keeps_hidden_units_identical():
    config = PlaygroundConfig(dataset="circle", hidden=(4, 4), activations=("tanh", "tanh"), keep_probs=(1.0, 1.0),
                              batch_norm=(False, False), init="zeros", learning_rate=0.1)
    trainer, _ = train(config, 30)
    for W in trainer.net.W[:-1]:
        assert np.ptp(W, axis=0).max() < 1e-12, "rows (units) stay identical"
    assert trainer.snapshot()["identical_units"].all()
    trainer, _ = train(config.replace(init="xavier"), 30)
    assert not trainer.snapshot()["identical_units"].any()


def test_hot_learning_rate_change_applies_at_the_recorded_step():
    rt = Runtime(workers=1)
    try:
        run = rt.start("t", PlaygroundTrainer, PlaygroundConfig(learning_rate=0.03))
        rt.wait(run, lambda s: s.step > 30, timeout=60)
        rt.update(run, learning_rate=0.3)
        snap = rt.wait(run, lambda s: s.events and s.step > s.events[-1].step + 30, timeout=60)
        event = snap.events[-1]
        steps, rates = snap.metric("learning_rate")
        assert (event.name, event.old, event.new) == ("learning_rate", 0.03, 0.3)
        assert set(rates[steps <= event.step]) == {0.03} and set(rates[steps > event.step]) == {0.3}
    finally:
        rt.shutdown()


def test_a_too_high_learning_rate_stops_the_job_with_a_reason():
    rt = Runtime(workers=1)
    try:
        run = rt.start("t", PlaygroundTrainer, PRESETS["too_high_lr"].config())
        snap = rt.wait(run, lambda s: s.state.is_terminal, timeout=60)
        assert snap.state is JobState.FAILED
        assert "learning rate 3 is too high" in snap.reason
        assert snap.payload["boundary"].shape == (100, 100), "the last good view stays"
    finally:
        rt.shutdown()


def test_learning_rate_schedule_is_followed():
    config = PlaygroundConfig(schedule="step", schedule_decay=0.5, schedule_epochs=10, learning_rate=0.1)
    trainer = PlaygroundTrainer(config)
    rates = [trainer.step()["learning_rate"] for _ in range(25)]
    assert rates[0] == 0.1 and rates[10] == 0.05 and rates[24] == 0.025


def test_views_have_the_documented_shapes():
    trainer, _ = train(PlaygroundConfig(dataset="spiral", n_classes=3, loss="cross_entropy", hidden=(6,), activations=("relu",),
                                        keep_probs=(1.0,), batch_norm=(False,)), 3)
    view = trainer.snapshot()
    assert view["boundary"].shape == view["boundary_class"].shape == (100, 100)
    assert set(np.unique(view["boundary_class"])) <= {0, 1, 2}
    assert [p.shape[0] for p in view["previews"]] == [2, 6, 3]
    assert view["test_scores"].shape == (len(view["test_y"]), 3)
    assert np.allclose(view["test_scores"].sum(axis=1), 1.0)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_is_valid_and_round_trips_through_the_url(name):
    config = PRESETS[name].config()
    assert PlaygroundConfig.from_query(config.to_query()) == config
    assert PlaygroundConfig.from_json(config.to_json()) == config


@pytest.mark.parametrize(("changes", "message"), [
    ({"dataset": "circle", "n_classes": 3}, "only spiral and blobs"),
    ({"dataset": "plane", "loss": "bce"}, "classification loss"),
    ({"dataset": "spiral", "n_classes": 3, "loss": "bce"}, "binary cross-entropy is for two classes"),
    ({"batch_norm": (True, False), "batch_size": 1}, "at least 2"),
    ({"hidden": (4, 4, 4)}, "one value per hidden layer"),
    ({"features": ()}, "at least one input feature"),
    ({"hidden": (65, 2)}, "neurons per layer"),
    ({"dataset": "custom", "points": (1.0, 2.0, 0.0)}, "at least 4 points"),
])
def test_bad_settings_get_a_clear_message(changes, message):
    with pytest.raises(ConfigError, match=message):
        PlaygroundConfig().replace(**changes)


def test_custom_points_make_a_data_set():
    points = (-3.0, -3.0, 0.0, -2.0, -3.5, 0.0, -3.2, -2.0, 0.0, 3.0, 3.0, 1.0, 2.5, 3.5, 1.0, 3.5, 2.0, 1.0)
    config = PlaygroundConfig(dataset="custom", points=points, train_ratio=0.5, loss="bce", learning_rate=0.3)
    assert (config.task, config.classes, config.n_train) == ("classification", 2, 3)
    trainer, metrics = train(config, 100)
    assert metrics["accuracy"] == 1.0


@pytest.mark.parametrize(("changes", "message"), [
    ({"seed": -1}, "seed must be between"),
    ({"data_seed": 2_000_000}, "data_seed must be between"),
    ({"optimizer": "momentum", "momentum": 0.995}, "momentum must be between"),
    ({"dataset": "custom", "points": (float("nan"), 1, 0, 2, 2, 1, -1, -1, 0, -2, -2, 1)}, "finite coordinates"),
    ({"dataset": "plane", "n_points": 10, "train_ratio": 0.1, "batch_norm": (True, False)}, "at least 2"),
])
def test_values_that_would_break_the_trainer_are_refused(changes, message):
    with pytest.raises(ConfigError, match=message):
        PlaygroundConfig().replace(**changes)


def test_batch_norm_skips_a_one_point_batch_instead_of_zeroing_its_gradients():
    config = PlaygroundConfig(dataset="plane", n_points=22, batch_size=10, batch_norm=(True, True), learning_rate=0.01)
    trainer = PlaygroundTrainer(config)  # 11 training points: batches of 10 and 1
    for _ in range(20):
        metrics = trainer.step()
    assert trainer.iteration == 20 * 1, "the one-point batch is skipped"
    assert metrics["grad_norm_1"] > 0
    assert min(v.min() for v in trainer.net.running_var) > 1e-3, "running variance not dragged to zero"
