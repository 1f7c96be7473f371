"""The hand-written back-propagation of engine.mlp and engine.losses against torch autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.losses import LossSpec, loss_and_grad, probabilities
from engine.mlp import BN_EPS, MLP, Architecture

TORCH_ACT = {
    "linear": lambda z: z, "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, 0.01), "gelu": lambda z: F.gelu(z, approximate="tanh"), "swish": F.silu,
}


def torch_loss(spec: LossSpec, z: torch.Tensor, y: np.ndarray, k: int) -> torch.Tensor:
    """The losses written directly from their definitions, differentiated by autograd."""
    def distance(diff):
        if spec.name == "mse":
            return 0.5 * diff**2
        if spec.name == "mae":
            return diff.abs()
        d = spec.huber_delta
        return torch.where(diff.abs() <= d, 0.5 * diff**2, d * (diff.abs() - 0.5 * d))

    if k == 0:
        return distance(z[:, 0] - torch.from_numpy(y)).mean()
    if k == 2:
        t = torch.from_numpy(y).double()
        if spec.name in ("mse", "mae", "huber"):
            return distance(torch.tanh(z[:, 0]) - (2 * t - 1)).mean()
        if spec.name in ("bce", "cross_entropy"):
            return F.binary_cross_entropy_with_logits(z[:, 0], t)
        p = torch.sigmoid(z[:, 0])
        p_t = torch.where(t > 0, p, 1 - p)
        alpha_t = torch.where(t > 0, spec.focal_alpha, 1 - spec.focal_alpha) if spec.focal_balance else 1.0
        return (-alpha_t * (1 - p_t) ** spec.focal_gamma * torch.log(p_t)).mean()
    target = torch.from_numpy(y)
    p = torch.softmax(z, dim=1)
    if spec.name in ("mse", "mae", "huber"):
        return distance(p - F.one_hot(target, k).double()).sum(dim=1).mean()
    if spec.name == "cross_entropy":
        return F.cross_entropy(z, target)
    p_y = p[torch.arange(len(y)), target]
    return (-((1 - p_y) ** spec.focal_gamma) * torch.log(p_y)).mean()


def torch_forward(net: MLP, x: np.ndarray, cache) -> tuple[torch.Tensor, dict]:
    arch = net.arch
    params = {key: torch.tensor(value, requires_grad=True) for key, value in net.params.items()}
    a = torch.from_numpy(x)
    for l in range(arch.n_hidden):
        z = a @ params["W", l].T
        if arch.batch_norm[l]:
            z = (z - z.mean(0)) / torch.sqrt(z.var(0, unbiased=False) + BN_EPS) * params["gamma", l] + params["beta", l]
        else:
            z = z + params["b", l]
        out = TORCH_ACT[arch.activations[l]](z)
        if cache.masks[l] is not None:
            out = out * torch.from_numpy(cache.masks[l])
        if arch.has_skip(l):
            out = out + a
        a = out
    return a @ params["W", arch.n_hidden].T + params["b", arch.n_hidden], params


CASES = [
    # (hidden, activations, batch norm, keep probs, residual, classes, loss)
    ((5, 4), ("tanh", "sigmoid"), (False, False), (1.0, 1.0), False, 2, LossSpec("mse")),
    ((5, 5, 5), ("relu", "leaky_relu", "gelu"), (True, False, True), (1.0, 0.7, 1.0), True, 2, LossSpec("bce")),
    ((6, 6), ("swish", "linear"), (False, True), (0.8, 1.0), True, 3, LossSpec("cross_entropy")),
    ((4,), ("tanh",), (False,), (1.0,), False, 0, LossSpec("huber", huber_delta=0.3)),
    ((4,), ("tanh",), (True,), (1.0,), False, 0, LossSpec("mae")),
    ((4, 3), ("sigmoid", "tanh"), (False, False), (1.0, 1.0), False, 2, LossSpec("focal", focal_gamma=2.0)),
    ((4, 3), ("gelu", "tanh"), (False, False), (1.0, 1.0), False, 2, LossSpec("focal", focal_gamma=0.5, focal_balance=False)),
    ((4, 4), ("relu", "swish"), (False, False), (1.0, 1.0), True, 4, LossSpec("focal", focal_gamma=2.0)),
    ((4, 4), ("tanh", "tanh"), (False, False), (1.0, 1.0), False, 3, LossSpec("mse")),
    ((), (), (), (), False, 2, LossSpec("huber")),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[6].name}-{c[5]}cls-{'x'.join(map(str, c[0])) or 'none'}" for c in CASES])
def test_gradients_match_autograd(case):
    hidden, acts, bn, keep, residual, k, spec = case
    rng = np.random.default_rng(1)
    n_in = 5 if residual else 3
    arch = Architecture((n_in, *hidden, 1 if k in (0, 2) else k), acts, bn, keep, residual)
    net = MLP(arch, "xavier", rng)
    net.theta += 0.1 * rng.standard_normal(net.theta.size)  # non-trivial γ, β, biases
    x = rng.standard_normal((16, n_in))
    y = rng.standard_normal(16) if k == 0 else rng.integers(0, k, 16)
    z, cache = net.forward(x, train=True, rng=rng)
    loss, dz = loss_and_grad(spec, z, y, k)
    net.backward(cache, dz)

    z_ref, params = torch_forward(net, x, cache)
    assert np.allclose(z, z_ref.detach().numpy(), atol=1e-10)
    ref = torch_loss(spec, z_ref, y, k)
    assert loss == pytest.approx(ref.item(), rel=1e-9, abs=1e-12)
    ref.backward()
    for key, value in params.items():
        if arch.batch_norm[key[1]] if key[0] == "b" and key[1] < arch.n_hidden else False:
            continue  # with batch norm the bias is left out (β takes its place)
        assert np.allclose(net.grads[key], value.grad.numpy(), atol=1e-10), key


def test_l2_and_l1_penalties_match_their_formulas():
    rng = np.random.default_rng(0)
    net = MLP(Architecture((2, 3, 1), ("tanh",), (False,), (1.0,)), "he", rng)
    weights = [W.copy() for W in net.W]
    value = net.add_penalty("l2", 0.3, m=50)
    assert value == pytest.approx(0.3 / 100 * sum((W**2).sum() for W in weights))
    assert np.allclose(net.grads["W", 0], 0.3 / 50 * weights[0])
    net.grad[...] = 0.0
    value = net.add_penalty("l1", 0.3, m=50)
    assert value == pytest.approx(0.3 / 50 * sum(np.abs(W).sum() for W in weights))
    assert np.allclose(net.grads["W", 1], 0.3 / 50 * np.sign(weights[1]))
    assert not net.grads["b", 0].any(), "biases are not penalised"


@pytest.mark.parametrize("k", [2, 4])
def test_focal_with_gamma_zero_and_no_balancing_is_cross_entropy(k):
    rng = np.random.default_rng(3)
    z = rng.standard_normal((32, 1 if k == 2 else k)) * 3
    y = rng.integers(0, k, 32)
    focal = loss_and_grad(LossSpec("focal", focal_gamma=0.0, focal_balance=False), z, y, k)
    ce = loss_and_grad(LossSpec("cross_entropy"), z, y, k)
    assert focal[0] == pytest.approx(ce[0], rel=1e-12)
    assert np.allclose(focal[1], ce[1], atol=1e-14)


def test_focal_down_weights_easy_examples():
    z, y = np.array([[4.0], [0.1]]), np.array([1, 1])  # an easy and a hard positive
    spec = LossSpec("focal", focal_gamma=2.0, focal_balance=False)
    easy, hard = (loss_and_grad(spec, z[i : i + 1], y[i : i + 1], 2)[0] for i in range(2))
    ce_easy, ce_hard = (loss_and_grad(LossSpec("bce"), z[i : i + 1], y[i : i + 1], 2)[0] for i in range(2))
    assert easy / ce_easy < 0.01 < hard / ce_hard


def test_probabilities_heads():
    z = np.array([[0.0], [100.0], [-100.0]])
    assert np.allclose(probabilities(LossSpec("bce"), z, 2), [0.5, 1.0, 0.0])
    assert np.allclose(probabilities(LossSpec("mse"), z, 2), [0.5, 1.0, 0.0])
    p = probabilities(LossSpec("cross_entropy"), np.array([[2.0, 1.0, 0.1]]), 3)
    assert np.allclose(p, [[0.659, 0.242, 0.099]], atol=1e-3)  # the course's softmax example, done right
