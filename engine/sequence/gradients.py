"""Gradients through time: how strongly the loss at the last step reaches back to each earlier hidden state.

For a loss L_T at step T, back-propagation through time gives ∂L_T/∂h_t = ∂L_T/∂h_T · Π_{s=t+1..T} ∂h_s/∂h_{s−1},
a product of one Jacobian per step. For a tanh RNN each factor is diag(1 − h_s²) W_h: with the usual
initialisation (spectral radius of W_h below 1) the product shrinks exponentially with T − t — the
vanishing gradient, which is why a plain RNN struggles to learn long-range dependencies; with W_h
scaled up it can grow exponentially instead — the exploding gradient. A GRU's (1 − z) ⊙ h_{t−1}
path and an LSTM's f ⊙ c_{t−1} path add a near-identity route that lets the gradient survive longer.

`gradient_through_time` measures ‖∂L_T/∂h_t‖ for every t (autograd with respect to each step's hidden
state, which is a node of the graph); `compare_at_init` does it for fresh RNN, GRU and LSTM models on
the same sequence; `exploding_run` trains a tanh RNN with a large W_h with or without clipping and
records what happens, update by update.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from engine.sequence.cells import CELLS, SequenceModel
from engine.sequence.charlm import CharLMConfig, CharLMTrainer, windows


def gradient_through_time(model: SequenceModel, ids: Sequence[int] | torch.Tensor, target_position: int = -1,
                          layer: int = -1) -> np.ndarray:
    """ids: T + 1 character ids (the inputs, then the targets shifted by one). Returns (T,) float64: ‖∂L/∂h_t‖ for
    t = 0 … T−1, where L is the cross-entropy of the prediction at target_position and h_t the hidden state of
    `layer` (the top one by default). Steps after the target get 0: the loss does not depend on them. Computed on
    a float64 copy of the model: vanishing gradients fall below float32's smallest number (1e-45) within ~200 steps,
    and a log-scale plot needs the true small values, not zeros."""
    model = copy.deepcopy(model).to("cpu", torch.float64)  # small models; not every accelerator has float64
    ids = torch.as_tensor(ids, dtype=torch.long).cpu().reshape(-1)
    if ids.numel() < 2:
        raise ValueError("need at least two characters: one input and the next one as its target.")
    inputs, targets = ids[:-1].unsqueeze(0), ids[1:]  # (1, T), (T,)
    T = inputs.shape[1]
    position = target_position % T
    with torch.enable_grad():
        logits, _, steps = model.unroll(inputs, record=True)
        hs = [h for h, _ in steps[layer]]  # T tensors (1, H), each used by the next step and the layer above
        loss = F.cross_entropy(logits[0, position:position + 1], targets[position:position + 1])
        grads = torch.autograd.grad(loss, hs, allow_unused=True)
    return np.array([0.0 if g is None else float(g.norm()) for g in grads])


def compare_at_init(ids: Sequence[int], vocab_size: int, hidden: int = 64, cells: Sequence[str] = tuple(CELLS), seed: int = 0,
                    init_scale: float = 1.0) -> dict[str, np.ndarray]:
    """‖∂L_T/∂h_t‖ against t for a freshly initialised model of each cell type (same seed, same sequence)."""
    result = {}
    for cell in cells:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = SequenceModel(vocab_size, cell, hidden, 1, init_scale=init_scale)
        result[cell] = gradient_through_time(model, ids)
    return result


def exploding_config(clip: float, w_h_scale: float = 4.0, seq_length: int = 128, learning_rate: float = 1.0, hidden: int = 64,
                     seed: int = 0) -> CharLMConfig:
    """A tanh RNN on the dinosaur names with W_h scaled up, plain SGD, full BPTT over long windows."""
    return CharLMConfig(cell="rnn", hidden=hidden, w_h_scale=w_h_scale, seq_length=seq_length, bptt=seq_length, clip=clip,
                        optimizer="sgd", learning_rate=learning_rate, seed=seed)


def exploding_run(config: CharLMConfig, updates: int = 20) -> dict:
    """Train `updates` full-BPTT updates and record, per update, "loss", "grad_norm" (before clipping) and
    "max_weight" (the largest |parameter| after it). Stops early, with "stopped" saying why, at a non-finite
    loss or gradient norm (clipping cannot rescale an infinite norm); "stopped" is "" otherwise."""
    trainer = CharLMTrainer(config)
    record: dict[str, list[float]] = {"loss": [], "grad_norm": [], "max_weight": []}
    stopped = ""
    for i in range(updates):
        inputs, targets = windows(trainer.ids, config.batch_size, config.seq_length, trainer.generator)
        logits, _ = trainer.model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        norm = trainer.update(loss)
        record["loss"].append(loss.item())
        record["grad_norm"].append(norm)
        record["max_weight"].append(max(float(p.detach().abs().max()) for p in trainer.model.parameters()))
        if not (math.isfinite(loss.item()) and math.isfinite(norm)):
            what = "loss" if not math.isfinite(loss.item()) else "gradient norm"
            stopped = f"the {what} became {'NaN' if math.isnan(loss.item() if what == 'loss' else norm) else 'infinite'} at update {i + 1}."
            break
    return {"clip": config.clip, "stopped": stopped, **{k: np.array(v) for k, v in record.items()}}


def exploding_demo(updates: int = 20, **kwargs: float) -> dict[str, dict]:
    """The same large-W_h RNN trained without ("unclipped") and with clipping at 1 ("clipped")."""
    return {"unclipped": exploding_run(exploding_config(0.0, **kwargs), updates),
            "clipped": exploding_run(exploding_config(1.0, **kwargs), updates)}
