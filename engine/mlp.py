"""A small multi-layer perceptron in NumPy with hand-written back-propagation.

Why not autograd: the Playground's networks are tiny (up to 8 × 64) and trained in mini-batches
of ~10, so per-call overhead dominates; this lean loop trains the reference experiment ~6× faster
than `nn.Sequential` + `torch.optim` (bench: playground.*), and tests check every gradient here
against torch autograd. Notation follows the course: layer l has W[l] of shape (n[l], n[l−1]).

Hidden layer l:  z = a_prev W[l]ᵀ + b[l]
                 [batch norm]  ẑ = (z − μ) / √(σ² + ε),  z̃ = γ ẑ + β  (then b is left out)
                 a = g(z̃)
                 [inverted dropout]  a = a ⊙ d / keep_prob,  d ~ Bernoulli(keep_prob), off at eval
                 [residual]  a = a + a_prev  (when the widths match)
Output layer:    z_out = a W[L]ᵀ + b[L]  (the loss chooses the head: identity, σ or softmax)

All parameters live in one flat vector (`theta`) with per-layer views, and so do their gradients
(`grad`), so an optimizer step is a few vector operations whatever the depth.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from engine.activations import FUNCTIONS

INITS = ("zeros", "small", "large", "xavier", "he")
INIT_LABELS = {"zeros": "zeros", "small": "small random N(0, 0.01²)", "large": "large random N(0, 1)",
               "xavier": "Xavier/Glorot", "he": "He/Kaiming"}
BN_EPS = 1e-5
BN_MOMENTUM = 0.1  # running = (1 − m)·running + m·batch, as in PyTorch


@dataclasses.dataclass(frozen=True)
class Architecture:
    sizes: tuple[int, ...]  # (inputs, hidden..., outputs)
    activations: tuple[str, ...]  # one per hidden layer
    batch_norm: tuple[bool, ...]  # one per hidden layer
    keep_probs: tuple[float, ...]  # one per hidden layer; 1.0 = no dropout
    residual: bool = False

    @property
    def n_hidden(self) -> int:
        return len(self.sizes) - 2

    def has_skip(self, l: int) -> bool:
        """Hidden layer l (0-based) adds its input when residual is on and the widths match."""
        return self.residual and self.sizes[l] == self.sizes[l + 1]


@dataclasses.dataclass
class Cache:
    """What the forward pass keeps for the backward pass, per hidden layer."""

    inputs: list[np.ndarray]  # a_prev of each layer (layer 0: the features)
    z: list[np.ndarray]  # pre-activation after batch norm (what g is applied to)
    a: list[np.ndarray]  # g(z), before dropout and the skip
    xhat: list[np.ndarray | None]  # batch norm's normalised z
    inv_std: list[np.ndarray | None]
    masks: list[np.ndarray | None]  # dropout mask already divided by keep_prob
    out: np.ndarray | None = None  # output layer's z


class MLP:
    def __init__(self, arch: Architecture, init: str, rng: np.random.Generator) -> None:
        self.arch = arch
        shapes = []  # (name, layer, shape)
        for l, (n_in, n_out) in enumerate(zip(arch.sizes[:-1], arch.sizes[1:], strict=True)):
            shapes += [("W", l, (n_out, n_in)), ("b", l, (n_out,))]
            if l < arch.n_hidden and arch.batch_norm[l]:
                shapes += [("gamma", l, (n_out,)), ("beta", l, (n_out,))]
        size = sum(math.prod(s) for _, _, s in shapes)
        self.theta = np.zeros(size)
        self.grad = np.zeros(size)
        self.params: dict[tuple[str, int], np.ndarray] = {}
        self.grads: dict[tuple[str, int], np.ndarray] = {}
        offset = 0
        for name, l, shape in shapes:
            n = math.prod(shape)
            self.params[name, l] = self.theta[offset : offset + n].reshape(shape)
            self.grads[name, l] = self.grad[offset : offset + n].reshape(shape)
            offset += n
        self.W = [self.params["W", l] for l in range(len(arch.sizes) - 1)]
        self.b = [self.params["b", l] for l in range(len(arch.sizes) - 1)]
        self.running_mean = [np.zeros(n) for n in arch.sizes[1:-1]]
        self.running_var = [np.ones(n) for n in arch.sizes[1:-1]]
        self.initialise(init, rng)

    @property
    def n_parameters(self) -> int:
        return self.theta.size

    def initialise(self, init: str, rng: np.random.Generator) -> None:
        for l, W in enumerate(self.W):
            n_out, n_in = W.shape
            std = {"zeros": 0.0, "small": 0.01, "large": 1.0, "xavier": math.sqrt(2.0 / (n_in + n_out)),
                   "he": math.sqrt(2.0 / n_in)}[init]
            W[...] = std * rng.standard_normal(W.shape)
            self.b[l][...] = 0.0
            if ("gamma", l) in self.params:
                self.params["gamma", l][...] = 1.0
                self.params["beta", l][...] = 0.0

    # -- forward -----------------------------------------------------------------------------
    def forward(self, x: np.ndarray, train: bool = False, rng: np.random.Generator | None = None) -> tuple[np.ndarray, Cache]:
        """Output pre-activations (n, k) and the cache for backward. x: (n, inputs)."""
        arch = self.arch
        cache = Cache([], [], [], [], [], [])
        a = x
        for l in range(arch.n_hidden):
            cache.inputs.append(a)
            z = a @ self.W[l].T
            xhat = inv_std = None
            if arch.batch_norm[l]:
                if train:
                    mean, var = z.mean(axis=0), z.var(axis=0)
                    m = BN_MOMENTUM
                    n = len(z)
                    self.running_mean[l] = (1 - m) * self.running_mean[l] + m * mean
                    self.running_var[l] = (1 - m) * self.running_var[l] + m * var * n / max(n - 1, 1)
                else:
                    mean, var = self.running_mean[l], self.running_var[l]
                inv_std = 1.0 / np.sqrt(var + BN_EPS)
                xhat = (z - mean) * inv_std
                z = self.params["gamma", l] * xhat + self.params["beta", l]
            else:
                z = z + self.b[l]
            g, _ = FUNCTIONS[arch.activations[l]]
            out = g(z)
            cache.z.append(z)
            cache.a.append(out)
            cache.xhat.append(xhat)
            cache.inv_std.append(inv_std)
            mask = None
            keep = arch.keep_probs[l]
            if train and keep < 1.0:
                mask = (rng.random(out.shape) < keep) / keep
                out = out * mask
            cache.masks.append(mask)
            if arch.has_skip(l):
                out = out + a
            a = out
        cache.inputs.append(a)
        cache.out = a @ self.W[-1].T + self.b[-1]
        return cache.out, cache

    def hidden_activations(self, x: np.ndarray) -> list[np.ndarray]:
        """Each hidden layer's output at eval time (after the skip), for previews and health."""
        _, cache = self.forward(x)
        return cache.inputs[1:]

    # -- backward ----------------------------------------------------------------------------
    def backward(self, cache: Cache, d_out: np.ndarray) -> None:
        """Fill self.grad with dL/dθ, given dL/dz_out (n, k)."""
        arch = self.arch
        L = arch.n_hidden
        np.matmul(d_out.T, cache.inputs[L], out=self.grads["W", L])
        self.grads["b", L][...] = d_out.sum(axis=0)
        da = d_out @ self.W[L]
        for l in range(L - 1, -1, -1):
            d_skip = da if arch.has_skip(l) else None
            if cache.masks[l] is not None:
                da = da * cache.masks[l]
            _, g_prime = FUNCTIONS[arch.activations[l]]
            dz = da * g_prime(cache.z[l], cache.a[l])
            if arch.batch_norm[l]:
                gamma = self.params["gamma", l]
                xhat, inv_std = cache.xhat[l], cache.inv_std[l]
                self.grads["gamma", l][...] = (dz * xhat).sum(axis=0)
                self.grads["beta", l][...] = dz.sum(axis=0)
                self.grads["b", l][...] = 0.0
                dxhat = dz * gamma
                # batch-norm backward: (1/σ)(dx̂ − mean(dx̂) − x̂·mean(dx̂ ⊙ x̂))
                dz = inv_std * (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0))
            else:
                self.grads["b", l][...] = dz.sum(axis=0)
            np.matmul(dz.T, cache.inputs[l], out=self.grads["W", l])
            if l > 0:
                da = dz @ self.W[l]
                if d_skip is not None:
                    da = da + d_skip

    def add_penalty(self, kind: str, rate: float, m: int) -> float:
        """Add the L1/L2 penalty's gradient to the weights' gradients and return its value:
        L2 (λ/2m)·Σ‖W‖² → (λ/m)·W;  L1 (λ/m)·Σ|W| → (λ/m)·sign(W). Biases are not penalised."""
        if kind == "none" or rate == 0.0:
            return 0.0
        value = 0.0
        for l, W in enumerate(self.W):
            if kind == "l2":
                value += rate / (2 * m) * float((W * W).sum())
                self.grads["W", l] += (rate / m) * W
            else:
                value += rate / m * float(np.abs(W).sum())
                self.grads["W", l] += (rate / m) * np.sign(W)
        return value

    def layer_grad_norms(self) -> np.ndarray:
        """‖dL/dW[l]‖ of the last backward pass, one per layer (input side first)."""
        return np.array([float(np.linalg.norm(self.grads["W", l])) for l in range(len(self.W))])
