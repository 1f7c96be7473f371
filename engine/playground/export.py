"""A Playground experiment as a standalone plain-PyTorch script, and its trained weights for that script.

`pytorch_script(config)` writes a runnable, readable script (numpy, torch, argparse, math only) that
reproduces the experiment: the exact train/test split embedded as literal rows, the input features
and their standardisation, `build_model()` with the same architecture (nn.Linear, nn.BatchNorm1d,
activation, nn.Dropout, residual adds), the same loss and output head as engine/losses.py, the
optimizer as torch.optim, the schedule as LambdaLR, the L1/L2 penalty and a seeded mini-batch loop.
It computes in float64 and draws the initial weights and the order of the points from the same
NumPy generator as the app, so without dropout it retraces the app's curves.

`state_dict(trainer)` maps a trainer's NumPy parameters onto the names of `build_model()`, so
`model.load_state_dict(torch.load(path))` continues from (or evaluates) the app's network.

This file is longer than most because most of it is the script's own text, kept in one place in
the order the script reads; splitting the templates across modules would make them harder to check.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from engine.activations import LEAKY_SLOPE
from engine.data2d import Dataset2D
from engine.features import FEATURE_LABELS
from engine.losses import LABELS as LOSS_LABELS
from engine.losses import REGRESSION_LOSSES
from engine.mlp import BN_EPS, BN_MOMENTUM, INIT_LABELS
from engine.optimizers import LABELS as OPTIMIZER_LABELS
from engine.playground.config import CUSTOM, PlaygroundConfig
from engine.playground.trainer import PlaygroundTrainer, build_data
from engine.playground.views import parameters
from engine.schedules import LABELS as SCHEDULE_LABELS

# the script's expression for each input feature, of the columns x1 and x2
FEATURE_CODE = {"x1": "x1", "x2": "x2", "x1_sq": "x1**2", "x2_sq": "x2**2", "x1_x2": "x1 * x2",
                "sin_x1": "np.sin(x1)", "sin_x2": "np.sin(x2)"}
INIT_STD_CODE = {"zeros": "0.0", "small": "0.01", "large": "1.0", "xavier": "math.sqrt(2.0 / (n_in + n_out))",
                 "he": "math.sqrt(2.0 / n_in)"}


# -- the weights ------------------------------------------------------------------------------------
def state_dict(trainer: PlaygroundTrainer) -> dict[str, torch.Tensor]:
    """The trainer's network under the parameter names of the exported script's `build_model()`."""
    return state_dict_from_parameters(trainer.config, parameters(trainer), trainer.iteration)


def state_dict_from_parameters(config: PlaygroundConfig, params: Mapping[str, np.ndarray], iterations: int = 0) -> dict[str, torch.Tensor]:
    """The same from a snapshot's `parameters` ("W.0", "b.0", "gamma.1", "running_mean.1", ...)."""
    arch = config.architecture()

    def tensor(name: str) -> torch.Tensor:
        return torch.tensor(np.array(params[name], dtype=np.float64))

    sd: dict[str, torch.Tensor] = {}
    for l in range(arch.n_hidden):
        prefix = f"hidden.{l}."
        sd[prefix + "linear.weight"] = tensor(f"W.{l}")
        if arch.batch_norm[l]:  # batch norm's β takes the place of the bias
            sd[prefix + "norm.weight"] = tensor(f"gamma.{l}")
            sd[prefix + "norm.bias"] = tensor(f"beta.{l}")
            sd[prefix + "norm.running_mean"] = tensor(f"running_mean.{l}")
            sd[prefix + "norm.running_var"] = tensor(f"running_var.{l}")
            sd[prefix + "norm.num_batches_tracked"] = torch.tensor(iterations, dtype=torch.long)
        else:
            sd[prefix + "linear.bias"] = tensor(f"b.{l}")
    sd["output.weight"] = tensor(f"W.{arch.n_hidden}")
    sd["output.bias"] = tensor(f"b.{arch.n_hidden}")
    return sd


# -- the script -------------------------------------------------------------------------------------
def pytorch_script(config: PlaygroundConfig) -> str:
    """The text of a standalone PyTorch script that reproduces the experiment (see the module doc)."""
    train, test = build_data(config)
    loss = _loss(config)
    imports = _IMPORTS if "F." in loss else _IMPORTS.replace("import torch.nn.functional as F\n", "")
    sections = [
        _header(config, train, test),
        imports.strip("\n") + "\n\n" + _config_json(config),
        _settings(config, len(train.y)),
        _data(train, test),
        _features(config),
        _MODEL.replace("@ACTIVATIONS@", _activation_table()).replace("@INIT_STD@", INIT_STD_CODE[config.init])
        .replace("@INIT@", INIT_LABELS[config.init]),
        loss,
        _penalty(config),
        _optimizer(config),
        _schedule(config),
        _training(config),
    ]
    return _join(*sections) + "\n"


def _join(*parts: str) -> str:
    """Top-level blocks of the script, two blank lines apart."""
    return "\n\n\n".join(p.strip("\n") for p in parts)


def _num(value: float, width: int = 10) -> str:
    return f"{round(float(value), 6) + 0.0:{width}.6f}"  # + 0.0 turns a rounded -0.0 into 0.0


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _header(config: PlaygroundConfig, train: Dataset2D, test: Dataset2D) -> str:
    c, k = config, config.classes
    if c.dataset == CUSTOM:
        data = f"your own points, {_plural(len(c.points) // 3, 'point')}"
    else:
        data = f"{c.dataset}, {_plural(c.n_points, 'point')}, noise {c.noise:g}, data seed {c.data_seed}"
        if k > 2 or (k == 2 and c.imbalance != 1.0):
            data += f", {k} classes" + (f" (imbalance {c.imbalance:g}:1)" if c.imbalance != 1.0 else "")
    task = "regression" if k == 0 else f"classification into {k} classes"
    arch = c.architecture()
    network = " -> ".join([f"{arch.sizes[0]} inputs", *map(str, arch.sizes[1:-1]), _plural(arch.sizes[-1], "output")])
    layers = []
    for l in range(arch.n_hidden):
        notes = [c.activations[l]] + (["batch norm"] if c.batch_norm[l] else []) + (
            [f"dropout keep {c.keep_probs[l]:g}"] if c.keep_probs[l] < 1.0 else []) + (["residual add"] if arch.has_skip(l) else [])
        layers.append(f"{'Hidden ' + str(l + 1):14}{arch.sizes[l + 1]} units, {', '.join(notes)}")
    spec = c.optimizer_spec()
    extra = {"momentum": f", momentum {spec.momentum:g}", "nesterov": f", momentum {spec.momentum:g}",
             "adagrad": f", eps {spec.adagrad_eps:g}", "rmsprop": f", alpha {spec.rho:g}, eps {spec.eps:g}",
             "adam": f", betas ({spec.beta1:g}, {spec.beta2:g}), eps {spec.eps:g}",
             "adamw": f", betas ({spec.beta1:g}, {spec.beta2:g}), eps {spec.eps:g}, weight decay {spec.weight_decay:g}"}
    schedule = SCHEDULE_LABELS[c.schedule] + {
        "constant": "", "step": f", x{c.schedule_decay:g} every {_plural(c.schedule_epochs, 'epoch')}",
        "exponential": f", x{c.schedule_decay:g} per epoch", "inverse_time": f", decay {c.schedule_decay:g}",
        "cosine": f", period {_plural(c.schedule_epochs, 'epoch')}", "warmup": f" over {_plural(c.schedule_epochs, 'epoch')}"}[c.schedule]
    penalty = "none" if c.regularization == "none" or c.regularization_rate == 0.0 else \
        f"{c.regularization.upper()}, rate {c.regularization_rate:g}"
    features = ", ".join(FEATURE_LABELS[f] for f in c.features)
    lines = [
        "Neural-network playground experiment, exported as a standalone PyTorch script.",
        "",
        f"Task          {task}",
        f"Data          {data}; {len(train.y)} training and {len(test.y)} test points (train ratio {c.train_ratio:g})",
        f"Features      {features}" + (", standardised (training mean and std)" if c.standardize else ""),
        f"Network       {network}",
        *layers,
        f"Init          {INIT_LABELS[c.init]}",
        f"Loss          {_loss_title(config)}",
        f"Optimizer     {OPTIMIZER_LABELS[c.optimizer]}, learning rate {c.learning_rate:g}{extra.get(c.optimizer, '')}",
        f"Batch size    {c.batch_size}",
        f"Schedule      {schedule} (per epoch)",
        f"Penalty       {penalty}",
        f"Seed          {c.seed}",
        "",
        "Run it:",
        "    python this_script.py --epochs 200                  train and print the losses of every epoch",
        "    python this_script.py --weights app.pt --epochs 0   evaluate the weights saved from the app",
        "",
        "It needs only numpy and torch. CONFIG_JSON below holds the app's settings: paste it into the",
        "app to load this experiment there.",
    ]
    return "\n".join(f"# {line}".rstrip() for line in lines)


_IMPORTS = """
import argparse
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
"""


def _config_json(config: PlaygroundConfig) -> str:
    text = config.to_json()
    literal = f'r"""{text}"""' if '"""' not in text and not text.endswith(("\\", '"')) else repr(text)
    return f"# The app's settings, as JSON.\nCONFIG_JSON = {literal}"


def _settings(config: PlaygroundConfig, n_train: int) -> str:
    c, k = config, config.classes
    arch = c.architecture()
    return f"""
SEED = {c.seed}
DTYPE = torch.float64  # the app computes in float64 too
N_CLASSES = {k}  # {"0: regression" if k == 0 else "classes 0.." + str(k - 1)}
SIZES = {list(arch.sizes)!r}  # inputs, hidden layers, outputs
ACTIVATIONS = {list(c.activations)!r}
BATCH_NORM = {list(c.batch_norm)!r}
KEEP_PROBS = {list(c.keep_probs)!r}  # dropout keeps each unit with this probability (1: no dropout)
RESIDUAL = {c.residual}  # add a hidden layer's input to its output when the widths match
LEARNING_RATE = {c.learning_rate!r}
BATCH_SIZE = {c.batch_size}
M = {n_train}  # training points (the penalty is scaled by 1/M)
"""


def _data(train: Dataset2D, test: Dataset2D) -> str:
    def rows(data: Dataset2D) -> str:
        label = (lambda v: str(int(v))) if data.task == "classification" else (lambda v: _num(v, 0))
        return "\n".join(f"    [{_num(x1)}, {_num(x2)}, {label(y)}]," for (x1, x2), y in zip(data.x, data.y, strict=True))

    kind = "class" if train.task == "classification" else "target"
    return (f"# The data: rows of (x1, x2, {kind}), the app's exact train/test split (rounded to 6 decimals).\n"
            f"TRAIN = np.array([\n{rows(train)}\n])\n\nTEST = np.array([\n{rows(test)}\n])")


def _features(config: PlaygroundConfig) -> str:
    columns = ", ".join(FEATURE_CODE[f] for f in config.features)
    names = ", ".join(FEATURE_LABELS[f] for f in config.features)
    if config.standardize:
        scale = '''
    # standardise every column with the training set's mean and standard deviation
    # (a constant column is left unscaled), so test points are transformed exactly as training points
    mean, std = f_train.mean(axis=0), f_train.std(axis=0)
    std = np.where(std <= 1e-12 * np.maximum(1.0, np.abs(mean)), 1.0, std)
    f_train, f_test = (f_train - mean) / std, (f_test - mean) / std'''
    else:
        scale = "\n    # not standardised (the app's standardize setting is off)"
    label = "torch.long" if config.classes else "DTYPE"
    return f'''
def features(points):
    """The network's inputs ({names}) of points (n, 2)."""
    x1, x2 = points[:, 0], points[:, 1]
    return np.stack([{columns}], axis=1)


def load_data():
    """(x_train, y_train, x_test, y_test) as tensors: the network's inputs and the labels."""
    f_train, f_test = features(TRAIN[:, :2]), features(TEST[:, :2]){scale}
    return (torch.tensor(f_train, dtype=DTYPE), torch.tensor(TRAIN[:, 2]).to({label}),
            torch.tensor(f_test, dtype=DTYPE), torch.tensor(TEST[:, 2]).to({label}))
'''


def _activation_table() -> str:
    return ('ACTIVATION = {"linear": nn.Identity, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU,\n'
            f'              "leaky_relu": lambda: nn.LeakyReLU({LEAKY_SLOPE!r}), "gelu": lambda: nn.GELU(approximate="tanh"),\n'
            '              "swish": nn.SiLU}  # GELU: the tanh approximation, as in the app')


_MODEL = f'''
@ACTIVATIONS@


class Layer(nn.Module):
    """One hidden layer: Linear -> [BatchNorm] -> activation -> [Dropout] -> [+ the layer's input]."""

    def __init__(self, n_in, n_out, activation, batch_norm, keep_prob, residual):
        super().__init__()
        self.linear = nn.Linear(n_in, n_out, bias=not batch_norm)  # with batch norm, its beta replaces the bias
        self.norm = nn.BatchNorm1d(n_out, eps={BN_EPS!r}, momentum={BN_MOMENTUM!r}) if batch_norm else nn.Identity()
        self.activation = ACTIVATION[activation]()
        self.dropout = nn.Dropout(p=1.0 - keep_prob) if keep_prob < 1.0 else nn.Identity()  # inverted dropout
        self.skip = residual and n_in == n_out

    def forward(self, a):
        out = self.dropout(self.activation(self.norm(self.linear(a))))
        return out + a if self.skip else out


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.ModuleList(
            Layer(SIZES[i], SIZES[i + 1], ACTIVATIONS[i], BATCH_NORM[i], KEEP_PROBS[i], RESIDUAL) for i in range(len(SIZES) - 2)
        )
        self.output = nn.Linear(SIZES[-2], SIZES[-1])

    def forward(self, x):
        for layer in self.hidden:
            x = layer(x)
        return self.output(x)  # the output layer is linear: the loss applies the head


def build_model(rng=None):
    """The network, initialised as the app does: W ~ N(0, std^2) with std from the init (@INIT@), biases 0,
    batch norm gamma 1 and beta 0. With the app's generator (np.random.default_rng(SEED)) it draws the
    same initial weights as the app."""
    rng = np.random.default_rng(SEED) if rng is None else rng
    model = Net().to(DTYPE)
    with torch.no_grad():
        for linear in [layer.linear for layer in model.hidden] + [model.output]:
            n_out, n_in = linear.weight.shape
            std = @INIT_STD@
            linear.weight.copy_(torch.from_numpy(std * rng.standard_normal((n_out, n_in))))
            if linear.bias is not None:
                linear.bias.zero_()
    return model
'''


def _distance(config: PlaygroundConfig) -> str:
    if config.loss == "mse":
        return '''
def distance(d):
    """Squared error, 1/2 d^2."""
    return 0.5 * d**2
'''
    if config.loss == "mae":
        return '''
def distance(d):
    """Absolute error |d|."""
    return d.abs()
'''
    return f'''
HUBER_DELTA = {config.huber_delta!r}


def distance(d):
    """Huber: 1/2 d^2 where |d| <= delta, delta (|d| - delta/2) beyond."""
    return torch.where(d.abs() <= HUBER_DELTA, 0.5 * d**2, HUBER_DELTA * (d.abs() - 0.5 * HUBER_DELTA))
'''


def _loss_title(config: PlaygroundConfig) -> str:
    k, name, label = config.classes, config.loss, LOSS_LABELS[config.loss]
    if name == "huber":
        label += f" (delta {config.huber_delta:g})"
    if name == "focal":
        label += f" (gamma {config.focal_gamma:g}" + (f", alpha {config.focal_alpha:g})" if k == 2 and config.focal_balance else ")")
    if k == 0:
        return f"{label} between the output and the target"
    if k == 2:
        if name in REGRESSION_LOSSES:
            return f"{label} on tanh(z) against targets -1/+1 (TensorFlow Playground's convention)"
        return f"{label} on p = sigmoid(z), one output"
    if name in REGRESSION_LOSSES:
        return f"{label} on softmax(z) against one-hot targets"
    return f"{label} on softmax(z)"


def _loss(config: PlaygroundConfig) -> str:
    k, name = config.classes, config.loss
    title = f"# Loss: {_loss_title(config)}, averaged over the points.\n"
    if k == 0:
        body = '''
def data_loss(z, y):
    """The prediction is the output itself: y_hat = z."""
    return distance(z[:, 0] - y).mean()
'''
        return title + _join(_distance(config), body)
    if k == 2 and name in REGRESSION_LOSSES:
        body = '''
def data_loss(z, y):
    """Head y_hat = tanh(z) against the targets -1 (class 0) and +1 (class 1)."""
    return distance(torch.tanh(z[:, 0]) - (2.0 * y.to(DTYPE) - 1.0)).mean()
'''
        return title + _join(_distance(config), body)
    if k == 2 and name in ("bce", "cross_entropy"):
        return title + '''
def data_loss(z, y):
    """Binary cross-entropy of p = sigmoid(z): -[t log p + (1 - t) log(1 - p)]."""
    return F.binary_cross_entropy_with_logits(z[:, 0], y.to(DTYPE))
'''
    if k == 2:  # focal
        alpha = "FOCAL_ALPHA * t + (1.0 - FOCAL_ALPHA) * (1.0 - t)  # alpha for class 1, 1 - alpha for class 0" if config.focal_balance \
            else "1.0  # no alpha-balancing"
        return title + f'''
FOCAL_GAMMA = {config.focal_gamma!r}
FOCAL_ALPHA = {config.focal_alpha!r}


def data_loss(z, y):
    """Focal loss -alpha_t (1 - p_t)^gamma log p_t with p = sigmoid(z) and p_t = p for class 1,
    1 - p for class 0 (Lin et al., 2017)."""
    t = y.to(DTYPE)
    log_p_t = F.logsigmoid((2.0 * t - 1.0) * z[:, 0])  # log p_t, computed stably
    one_minus = (1.0 - log_p_t.exp()).clamp_min(1e-12)
    alpha_t = {alpha}
    return (-alpha_t * one_minus**FOCAL_GAMMA * log_p_t).mean()
'''
    if name in REGRESSION_LOSSES:
        body = '''
def data_loss(z, y):
    """Head p = softmax(z) against one-hot targets, summed over the classes."""
    p = torch.softmax(z, dim=1)
    return distance(p - F.one_hot(y, N_CLASSES).to(DTYPE)).sum(dim=1).mean()
'''
        return title + _join(_distance(config), body)
    if name == "cross_entropy":
        return title + '''
def data_loss(z, y):
    """Cross-entropy -log p_y of p = softmax(z)."""
    return F.cross_entropy(z, y)
'''
    return title + f'''
FOCAL_GAMMA = {config.focal_gamma!r}


def data_loss(z, y):
    """Focal loss -(1 - p_y)^gamma log p_y with p = softmax(z) (no alpha-balancing with more than two classes)."""
    log_p_y = torch.log_softmax(z, dim=1).gather(1, y[:, None])[:, 0]
    one_minus = (1.0 - log_p_y.exp()).clamp_min(1e-12)
    return (-(one_minus**FOCAL_GAMMA) * log_p_y).mean()
'''


def _penalty(config: PlaygroundConfig) -> str:
    if config.regularization == "none" or config.regularization_rate == 0.0:
        return '''
def penalty(model):
    """No L1/L2 penalty in this experiment."""
    return 0.0
'''
    formula, term = {
        "l2": ("(lambda / 2M) * sum ||W||^2", "REGULARIZATION_RATE / (2 * M) * sum((w**2).sum() for w in weights)"),
        "l1": ("(lambda / M) * sum |W|", "REGULARIZATION_RATE / M * sum(w.abs().sum() for w in weights)"),
    }[config.regularization]
    return f'''
REGULARIZATION_RATE = {config.regularization_rate!r}  # lambda


def penalty(model):
    """{config.regularization.upper()} penalty {formula} over the Linear weights only (not biases, not batch norm)."""
    weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    return {term}
'''


def _optimizer(config: PlaygroundConfig) -> str:
    s = config.optimizer_spec()
    call = {
        "sgd": "torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)",
        "momentum": f"torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum={s.momentum!r})",
        "nesterov": f"torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum={s.momentum!r}, nesterov=True)",
        "adagrad": f"torch.optim.Adagrad(model.parameters(), lr=LEARNING_RATE, eps={s.adagrad_eps!r})",
        "rmsprop": f"torch.optim.RMSprop(model.parameters(), lr=LEARNING_RATE, alpha={s.rho!r}, eps={s.eps!r})",
        "adam": f"torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=({s.beta1!r}, {s.beta2!r}), eps={s.eps!r})",
        "adamw": f"torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, betas=({s.beta1!r}, {s.beta2!r}), eps={s.eps!r},\n"
                 f"                             weight_decay={s.weight_decay!r})",
    }[s.name]
    return f'''
def make_optimizer(model):
    """{OPTIMIZER_LABELS[s.name]}, with the app's hyper-parameters."""
    return {call}
'''


def _schedule(config: PlaygroundConfig) -> str:
    s = config.schedule_spec()
    doc, body = {
        "constant": ("Constant: the rate stays at LEARNING_RATE.", "return 1.0"),
        "step": (f"Step decay: x{s.decay:g} every {_plural(s.step_size, 'epoch')}.", f"return {s.decay!r} ** (epoch // {s.step_size})"),
        "exponential": (f"Exponential decay: x{s.decay:g} per epoch.", f"return {s.decay!r} ** epoch"),
        "inverse_time": ("Inverse-time decay: 1 / (1 + decay * epoch).", f"return 1.0 / (1.0 + {s.decay!r} * epoch)"),
        "cosine": (f"Cosine from 1 down to {s.min_fraction:g} over {_plural(s.period, 'epoch')}, then flat.",
                   f"low = {s.min_fraction!r}\n"
                   f"    return low + 0.5 * (1.0 - low) * (1.0 + math.cos(math.pi * min(epoch, {s.period}) / {s.period}))"),
        "warmup": (f"Linear warm-up over {_plural(s.warmup_epochs, 'epoch')}, then constant.",
                   f"return min(1.0, (epoch + 1) / {s.warmup_epochs})"),
    }[s.name]
    return f'''
def lr_factor(epoch):
    """Learning rate of epoch `epoch` (0-based) as a fraction of LEARNING_RATE. {doc}"""
    {body}
'''


def _training(config: PlaygroundConfig) -> str:
    k = config.classes
    if k == 2:
        predict = "(z[:, 0] >= 0).long()  # p >= 0.5: the head is 0.5 at z = 0 and increasing"
    elif k:
        predict = "z.argmax(dim=1)"
    else:
        predict = None
    skip_one = '''
            if len(idx) < 2:
                continue  # BatchNorm1d cannot train on a single point (the app's engine steps with variance 0)''' \
        if any(config.batch_norm) else ""
    accuracy = f'''

def predict(z):
    """Class ids from the outputs z."""
    return {predict}


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (predict(model(x)) == y).to(DTYPE).mean().item()
''' if predict else ""
    final = ('f"final train_loss {train_loss:.6f} test_loss {test_loss:.6f} "\n'
             '          f"train_accuracy {accuracy(model, x_train, y_train):.4f} test_accuracy {accuracy(model, x_test, y_test):.4f}"') \
        if predict else 'f"final train_loss {train_loss:.6f} test_loss {test_loss:.6f}"'
    return f'''
def evaluate(model, x, y):
    """The data loss (without the penalty) in eval mode: dropout off, batch norm on its running statistics."""
    model.eval()
    with torch.no_grad():
        return data_loss(model(x), y).item()
{accuracy}

def train(model, data, epochs, rng):
    """Mini-batch training: each epoch shuffles the training points with rng and takes one optimizer
    step per batch. Prints and returns the (train, test) loss after every epoch."""
    x_train, y_train, x_test, y_test = data
    optimizer = make_optimizer(model)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)  # stepped once per epoch
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.from_numpy(rng.permutation(len(x_train)))
        for start in range(0, len(x_train), BATCH_SIZE):
            idx = order[start : start + BATCH_SIZE]{skip_one}
            loss = data_loss(model(x_train[idx]), y_train[idx]) + penalty(model)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        train_loss, test_loss = evaluate(model, x_train, y_train), evaluate(model, x_test, y_test)
        print(f"epoch {{epoch}} train_loss {{train_loss:.6f}} test_loss {{test_loss:.6f}}")
        history.append((train_loss, test_loss))
    return history


def main():
    parser = argparse.ArgumentParser(description="Train the exported playground experiment.")
    parser.add_argument("--epochs", type=int, default=200, help="epochs to train (0: only evaluate)")
    parser.add_argument("--weights", metavar="PATH", help="start from a state dict saved from the app (torch.save)")
    args = parser.parse_args()
    torch.manual_seed(SEED)  # dropout masks
    rng = np.random.default_rng(SEED)  # the app's generator: the initial weights, then the order of the points
    model = build_model(rng)
    if args.weights:
        model.load_state_dict(torch.load(args.weights, weights_only=True))
    data = load_data()
    x_train, y_train, x_test, y_test = data
    train(model, data, args.epochs, rng)
    train_loss, test_loss = evaluate(model, x_train, y_train), evaluate(model, x_test, y_test)
    print({final})


if __name__ == "__main__":
    main()
'''
