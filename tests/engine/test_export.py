"""The exported PyTorch script runs on its own, trains, and computes exactly what the app computes."""

from __future__ import annotations

import ast
import os
import re
import runpy
import subprocess
import sys

import numpy as np
import pytest
import torch

from engine.playground.config import PlaygroundConfig
from engine.playground.export import pytorch_script, state_dict
from engine.playground.trainer import PlaygroundTrainer, build_data

C = PlaygroundConfig
ONE = {"hidden": (4,), "activations": ("tanh",), "keep_probs": (1.0,), "batch_norm": (False,)}
RUN_CONFIGS = {
    "binary-mse-tanh": C(n_points=100),
    "blobs3-ce-relu-bn-dropout": C(dataset="blobs", n_classes=3, n_points=100, loss="cross_entropy", hidden=(8, 8),
                                   activations=("relu", "relu"), batch_norm=(True, True), keep_probs=(0.8, 1.0)),
    "plane-huber": C(dataset="plane", n_points=100, noise=0.2, loss="huber", huber_delta=0.5, **ONE),
    "focal-imbalance": C(dataset="circle", n_points=100, loss="focal", imbalance=4.0, optimizer="momentum"),
    "residual": C(dataset="xor", n_points=100, hidden=(2, 4, 4), activations=("tanh", "relu", "gelu"), keep_probs=(1.0,) * 3,
                  batch_norm=(False,) * 3, residual=True, optimizer="momentum"),
    "standardized-features": C(dataset="circle", n_points=100, features=("x1", "x2", "x1_sq", "x1_x2", "sin_x1"), standardize=True),
    "adam-l2-cosine": C(dataset="moons", n_points=100, optimizer="adam", learning_rate=0.01, regularization="l2",
                        regularization_rate=0.05, schedule="cosine", schedule_epochs=20),
}
EPOCH_LINE = re.compile(r"^epoch (\d+) train_loss (\S+) test_loss (\S+)$", re.M)


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _load(path) -> dict:
    return runpy.run_path(str(path), run_name="not_main")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """Every RUN_CONFIGS script run as `python script.py --epochs 25`, all at once (each pays torch's import)."""
    folder = tmp_path_factory.mktemp("export_runs")
    procs = {}
    for name, config in RUN_CONFIGS.items():
        path = folder / f"{name}.py"
        path.write_text(pytorch_script(config))
        procs[name] = subprocess.Popen([sys.executable, str(path), "--epochs", "25"], cwd=folder, env=_env(),
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        results[name] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return results


@pytest.mark.parametrize("name", list(RUN_CONFIGS))
def test_script_runs_standalone_and_train_loss_falls(runs, name):
    result = runs[name]
    assert result.returncode == 0, result.stderr
    lines = EPOCH_LINE.findall(result.stdout)
    assert [int(e) for e, _, _ in lines] == list(range(1, 26)), result.stdout
    train_losses = [float(t) for _, t, _ in lines]
    assert all(np.isfinite(train_losses))
    assert train_losses[-1] < train_losses[0], train_losses
    assert re.search(r"^final train_loss \S+ test_loss \S+", result.stdout, re.M)


def test_script_imports_only_numpy_torch_argparse_math():
    for config in RUN_CONFIGS.values():
        tree = ast.parse(pytorch_script(config))
        roots = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots.add(node.module.split(".")[0])
        assert roots <= {"numpy", "torch", "argparse", "math"}, roots


# -- the oracle: the app's network, loaded into the script's model ------------------------------------------
ORACLE_CONFIGS = {
    "plain": C(dataset="circle", n_points=100, hidden=(5, 3), activations=("tanh", "sigmoid")),
    "batchnorm-residual": C(dataset="spiral", n_classes=3, n_points=100, loss="cross_entropy", hidden=(6, 6, 6),
                            activations=("relu", "leaky_relu", "swish"), batch_norm=(True, False, True), keep_probs=(1.0, 0.7, 1.0),
                            residual=True, features=("x1", "x2", "x2_sq", "sin_x2"), standardize=True, optimizer="adam",
                            learning_rate=0.01),
}


@pytest.mark.parametrize("name", list(ORACLE_CONFIGS))
def test_state_dict_loads_and_the_model_computes_what_the_app_computes(tmp_path, name):
    config = ORACLE_CONFIGS[name]
    trainer = PlaygroundTrainer(config)
    for _ in range(3):
        trainer.step()
    path = tmp_path / "experiment.py"
    path.write_text(pytorch_script(config))
    torch.save(state_dict(trainer), tmp_path / "app.pt")
    script = _load(path)
    model = script["build_model"]()
    model.load_state_dict(torch.load(tmp_path / "app.pt", weights_only=True))  # strict: every name matches
    model.eval()
    with torch.no_grad():
        z = model(torch.from_numpy(trainer.x_test)).numpy()
    assert np.allclose(z, trainer.net.forward(trainer.x_test)[0], rtol=0, atol=1e-6)

    # the script's own inputs are the app's, up to the 6-decimal rounding of the embedded points
    x_train, y_train, x_test, y_test = script["load_data"]()
    assert np.allclose(x_train.numpy(), trainer.x_train, atol=1e-4)
    assert np.allclose(x_test.numpy(), trainer.x_test, atol=1e-4)
    assert np.array_equal(y_train.numpy(), trainer.train.y) and np.array_equal(y_test.numpy(), trainer.test.y)


def test_weights_from_the_app_evaluate_to_the_apps_losses(tmp_path):
    """`--weights app.pt --epochs 0` reports the app's train and test loss."""
    config = ORACLE_CONFIGS["batchnorm-residual"]
    trainer = PlaygroundTrainer(config)
    for _ in range(3):
        metrics = trainer.step()
    path = tmp_path / "experiment.py"
    path.write_text(pytorch_script(config))
    torch.save(state_dict(trainer), tmp_path / "app.pt")
    result = subprocess.run([sys.executable, str(path), "--weights", "app.pt", "--epochs", "0"], cwd=tmp_path, env=_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert not EPOCH_LINE.search(result.stdout)
    found = re.search(r"^final train_loss (\S+) test_loss (\S+) train_accuracy (\S+) test_accuracy (\S+)$", result.stdout, re.M)
    assert found, result.stdout
    train_loss, test_loss, train_acc, test_acc = map(float, found.groups())
    assert train_loss == pytest.approx(metrics["loss"], abs=2e-5)
    assert test_loss == pytest.approx(metrics["test_loss"], abs=2e-5)
    assert train_acc == pytest.approx(metrics["accuracy"], abs=1e-4)
    assert test_acc == pytest.approx(metrics["test_accuracy"], abs=1e-4)


CUSTOM_POINTS = (-1.5, 2.25, 0.0, 0.5, -3.1234567, 1.0, 2.0, 2.0, 1.0, -4.0, 0.1, 0.0, 3.3, -3.3, 1.0, 0.0, 0.0, 0.0)
CUSTOM_REGRESSION = (-1.5, 2.25, 0.3, 0.5, -3.1234567, -0.7, 2.0, 2.0, 1.25, -4.0, 0.1, 0.05, 3.3, -3.3, 0.5)


@pytest.mark.parametrize("config", [*RUN_CONFIGS.values(), *ORACLE_CONFIGS.values(), C(dataset="custom", points=CUSTOM_POINTS),
                                    C(dataset="custom", points=CUSTOM_REGRESSION, loss="mae")],
                         ids=[*RUN_CONFIGS, *ORACLE_CONFIGS, "custom-classes", "custom-regression"])
def test_embedded_data_is_the_apps_split(tmp_path, config):
    path = tmp_path / "experiment.py"
    path.write_text(pytorch_script(config))
    script = _load(path)
    train, test = build_data(config)
    for rows, data in ((script["TRAIN"], train), (script["TEST"], test)):
        assert rows.shape == (len(data.y), 3)
        assert np.allclose(rows[:, :2], data.x, rtol=0, atol=1e-6)
        assert np.allclose(rows[:, 2], data.y, rtol=0, atol=1e-6)


@pytest.mark.parametrize("config", [RUN_CONFIGS["binary-mse-tanh"], ORACLE_CONFIGS["batchnorm-residual"],
                                    C(dataset="custom", points=CUSTOM_POINTS)], ids=["default", "batchnorm", "custom"])
def test_script_holds_the_config_json(tmp_path, config):
    text = pytorch_script(config)
    assert config.to_json() in text
    path = tmp_path / "experiment.py"
    path.write_text(text)
    pasted = _load(path)["CONFIG_JSON"]
    assert pasted == config.to_json()
    assert C.from_json(pasted) == config


# -- the script retraces the app's training (no dropout: the app draws its masks from its own generator) ----
REPLAY_CONFIGS = {
    "mse-tanh-sgd": C(dataset="circle", n_points=100),
    "mae-tanh-adagrad": C(dataset="circle", n_points=100, loss="mae", optimizer="adagrad", learning_rate=0.1),
    "huber-tanh-rmsprop-step": C(dataset="xor", n_points=100, loss="huber", huber_delta=0.3, optimizer="rmsprop", learning_rate=0.01,
                                 schedule="step", schedule_decay=0.5, schedule_epochs=2),
    "bce-nesterov-exponential": C(dataset="moons", n_points=100, loss="bce", optimizer="nesterov", schedule="exponential",
                                  schedule_decay=0.8),
    "focal-adamw-warmup": C(dataset="circle", n_points=100, loss="focal", imbalance=3.0, optimizer="adamw", learning_rate=0.01,
                            schedule="warmup", schedule_epochs=3),
    "focal-unbalanced-l1": C(dataset="gaussian", n_points=100, loss="focal", focal_gamma=1.5, focal_balance=False, regularization="l1",
                             regularization_rate=0.1, init="he", activations=("relu", "gelu")),
    "ce-3-classes-bn": C(dataset="blobs", n_classes=3, n_points=100, loss="cross_entropy", hidden=(6, 6),
                         activations=("relu", "relu"), batch_norm=(True, True), optimizer="momentum"),
    "focal-4-classes-inverse-time": C(dataset="spiral", n_classes=4, n_points=100, loss="focal", optimizer="adam", learning_rate=0.01,
                                      schedule="inverse_time", schedule_decay=0.5, hidden=(6, 6), activations=("swish", "leaky_relu")),
    "mse-3-classes-cosine-l2": C(dataset="spiral", n_classes=3, n_points=100, loss="mse", learning_rate=0.3, schedule="cosine",
                                 schedule_epochs=3, regularization="l2", regularization_rate=0.5),
    "regression-mse-residual-bn": C(dataset="multi_gaussian", n_points=100, noise=0.1, hidden=(2, 2), activations=("tanh", "sigmoid"),
                                    batch_norm=(False, True), residual=True, features=("x1", "x2", "x1_sq", "x2_sq"), standardize=True),
    "no-hidden-layers-zeros-init": C(dataset="gaussian", n_points=100, hidden=(), activations=(), keep_probs=(), batch_norm=(),
                                     init="zeros", loss="bce", learning_rate=0.1),
}


@pytest.mark.parametrize("name", list(REPLAY_CONFIGS))
def test_script_retraces_the_apps_training_curve(tmp_path, capsys, name):
    config = REPLAY_CONFIGS[name]
    trainer = PlaygroundTrainer(config)
    path = tmp_path / "experiment.py"
    path.write_text(pytorch_script(config))
    script = _load(path)
    rng = np.random.default_rng(config.seed)
    model = script["build_model"](rng)
    initial = state_dict(trainer)
    assert all(torch.equal(value, model.state_dict()[key]) for key, value in initial.items() if "num_batches" not in key)
    expected = [trainer.step() for _ in range(5)]
    history = script["train"](model, script["load_data"](), 5, rng)
    assert len(capsys.readouterr().out.splitlines()) == 5
    assert np.allclose(history, [(m["loss"], m["test_loss"]) for m in expected], rtol=1e-5, atol=1e-7)
    assert history[-1] != history[0], "the schedule and optimizer moved the network"


def test_batch_norm_script_skips_a_last_batch_of_one_point(tmp_path, capsys):
    """BatchNorm1d refuses to train on one point; the script leaves such a batch out instead of crashing."""
    config = C(dataset="circle", n_points=40, batch_norm=(True, False))
    n_train = len(build_data(config)[0].y)
    config = config.replace(batch_size=n_train - 1)  # two batches a epoch, the second of one point
    path = tmp_path / "experiment.py"
    path.write_text(pytorch_script(config))
    script = _load(path)
    rng = np.random.default_rng(config.seed)
    history = script["train"](script["build_model"](rng), script["load_data"](), 3, rng)
    assert len(history) == 3 and np.isfinite(history).all()
    assert len(capsys.readouterr().out.splitlines()) == 3
