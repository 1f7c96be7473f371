"""Hand-written recurrent cells (RNN, GRU, LSTM) and the character model that stacks them.

Each cell is the curriculum's formula written out, one time step at a time:

    RNN   h_t = tanh(W_x x_t + b_x + W_h h_{t−1} + b_h)
    GRU   z = σ(W_z[h, x]),  r = σ(W_r[h, x]),  h̃ = tanh(W[r ⊙ h, x]),  h_t = (1 − z) ⊙ h_{t−1} + z ⊙ h̃
    LSTM  i, f, o = σ(·), c̃ = tanh(·),  c_t = f ⊙ c_{t−1} + i ⊙ c̃,  h_t = o ⊙ tanh(c_t)

so z → 0 keeps the GRU's old state and f → 1, i → 0 keeps the LSTM's cell. Parameters are laid out
as in torch.nn.RNNCell / GRUCell / LSTMCell — `weight_ih` (G·H, I), `weight_hh` (G·H, H), `bias_ih`,
`bias_hh` (G·H,), with the G gate blocks stacked in torch's order (GRU: r, z, n; LSTM: i, f, g, o,
g being c̃) — so `load_torch` copies a torch cell's weights. Two differences from torch's GRU, both
deliberate: torch writes h' = (1 − z) ⊙ n + z ⊙ h, so its z is our 1 − z (`load_torch` negates the z
rows to match), and torch applies the reset gate after the recurrent product, n = tanh(W_in x + b_in
+ r ⊙ (W_hn h + b_hn)); ours, as in the curriculum, applies it before: tanh(W_in x + b_in + W_hn (r ⊙ h)
+ b_hn). `reset_after=True` gives torch's variant, which then matches nn.GRUCell exactly.

Every cell's `forward(x, state)` returns (h, state, gates): the gates by name for the "inside the
cell" view. `project` (the input half, x W_ihᵀ + b_ih, plus b_hh where it simply adds) and `recur` (the
rest) are split so a model can project a whole sequence in one matrix product and loop over time only
for the recurrent part.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

State = Any  # a (B, H) tensor, or (h, c) for the LSTM
Gates = dict[str, torch.Tensor]


class Cell(nn.Module):
    """The shared parameter layout; subclasses set GATES (blocks in weight_ih) and define recur()."""

    GATES = 1
    GATE_NAMES: tuple[str, ...] = ()  # what recur() returns in its gates dict
    FOLD_BIAS = True  # project() adds bias_hh too (the GRU's sits inside the reset gate's reach, so it cannot)

    def __init__(self, input_size: int, hidden_size: int, init_scale: float = 1.0) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        G, H = self.GATES, hidden_size
        self.weight_ih = nn.Parameter(torch.empty(G * H, input_size))
        self.weight_hh = nn.Parameter(torch.empty(G * H, H))
        self.bias_ih = nn.Parameter(torch.empty(G * H))
        self.bias_hh = nn.Parameter(torch.empty(G * H))
        bound = 1.0 / math.sqrt(H)  # torch's default: U(−1/√H, 1/√H) for every parameter
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound)
            self.weight_hh.mul_(init_scale)  # > 1 for the exploding-gradient demo

    def initial_state(self, batch: int, like: torch.Tensor) -> State:
        return like.new_zeros(batch, self.hidden_size)

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """x (..., I) float, or (...) long ids (one-hot input: column lookup) -> (..., G·H) = x W_ihᵀ + b_ih, plus
        b_hh where it simply adds (RNN, LSTM): one bias add per sequence instead of one per step."""
        bias = self.bias_ih + self.bias_hh if self.FOLD_BIAS else self.bias_ih
        if x.dtype == torch.long:
            return F.embedding(x, self.weight_ih.t()) + bias
        return F.linear(x, self.weight_ih, bias)

    def recur(self, xp: torch.Tensor, state: State, **kwargs: Any) -> tuple[torch.Tensor, State, Gates]:
        raise NotImplementedError

    def forward(self, x: torch.Tensor, state: State = None, **kwargs: Any) -> tuple[torch.Tensor, State, Gates]:
        if state is None:
            state = self.initial_state(x.shape[0], self.weight_hh)
        return self.recur(self.project(x), state, **kwargs)

    @torch.no_grad()
    def load_torch(self, cell: nn.Module) -> Cell:
        """Copy the weights of the matching torch.nn cell (same names and shapes)."""
        for name, p in self.named_parameters():
            p.copy_(getattr(cell, name))
        return self


class RNNCell(Cell):
    """h_t = tanh(W_x x_t + b_x + W_h h_{t−1} + b_h); no gates."""

    def recur(self, xp: torch.Tensor, h: torch.Tensor, **kwargs: Any) -> tuple[torch.Tensor, State, Gates]:
        h = torch.tanh(torch.addmm(xp, h, self.weight_hh.t()))  # (B, H); xp holds both biases
        return h, h, {}


class GRUCell(Cell):
    """The curriculum's GRU (module docstring); `reset_after=True` is torch's variant."""

    GATES = 3
    GATE_NAMES = ("z", "r", "h_tilde")
    FOLD_BIAS = False

    def __init__(self, input_size: int, hidden_size: int, init_scale: float = 1.0, reset_after: bool = False) -> None:
        super().__init__(input_size, hidden_size, init_scale)
        self.reset_after = reset_after

    def recur(self, xp: torch.Tensor, h: torch.Tensor, force_z: float | None = None) -> tuple[torch.Tensor, State, Gates]:
        """xp (B, 3H) = W_ih x + b_ih; h (B, H). force_z pins the update gate (z = 0: the state must not move)."""
        H = self.hidden_size
        xr, xz, xn = xp.split(H, dim=1)
        if self.reset_after:
            hr, hz, hn = torch.addmm(self.bias_hh, h, self.weight_hh.t()).split(H, dim=1)
        else:
            hr, hz = torch.addmm(self.bias_hh[:2 * H], h, self.weight_hh[:2 * H].t()).split(H, dim=1)
        r = torch.sigmoid(xr + hr)
        z = torch.sigmoid(xz + hz) if force_z is None else torch.full_like(h, force_z)
        if self.reset_after:
            h_tilde = torch.tanh(xn + r * hn)  # torch: r scales W_hn h + b_hn
        else:
            h_tilde = torch.tanh(xn + torch.addmm(self.bias_hh[2 * H:], r * h, self.weight_hh[2 * H:].t()))  # W[r ⊙ h, x]
        h = (1 - z) * h + z * h_tilde  # z → 0 keeps the old state
        return h, h, {"z": z, "r": r, "h_tilde": h_tilde}

    @torch.no_grad()
    def load_torch(self, cell: nn.Module) -> GRUCell:
        """Copy nn.GRUCell's weights; its update gate is our 1 − z, and 1 − σ(a) = σ(−a), so the z rows are negated."""
        super().load_torch(cell)
        H = self.hidden_size
        for p in self.parameters():
            p[H:2 * H].neg_()
        return self


class LSTMCell(Cell):
    """c_t = f ⊙ c_{t−1} + i ⊙ c̃,  h_t = o ⊙ tanh(c_t); the state is (h, c)."""

    GATES = 4
    GATE_NAMES = ("f", "i", "o", "c_tilde", "c")

    def initial_state(self, batch: int, like: torch.Tensor) -> State:
        zeros = like.new_zeros(batch, self.hidden_size)
        return zeros, zeros

    def recur(self, xp: torch.Tensor, state: State, **kwargs: Any) -> tuple[torch.Tensor, State, Gates]:
        h, c = state  # (B, H) each
        H = self.hidden_size
        a = torch.addmm(xp, h, self.weight_hh.t())  # (B, 4H): blocks i, f, g, o; xp holds both biases
        s = torch.sigmoid(a)  # one call for all blocks (g's part unused): fewer, larger ops run faster
        i, f, o, c_tilde = s[:, :H], s[:, H:2 * H], s[:, 3 * H:], torch.tanh(a[:, 2 * H:3 * H])
        c = torch.addcmul(f * c, i, c_tilde)  # f ⊙ c + i ⊙ c̃
        h = o * torch.tanh(c)
        return h, (h, c), {"f": f, "i": i, "o": o, "c_tilde": c_tilde, "c": c}


CELLS: dict[str, type[Cell]] = {"rnn": RNNCell, "gru": GRUCell, "lstm": LSTMCell}


class SequenceModel(nn.Module):
    """Characters -> one-hot -> `layers` stacked cells -> a linear map to next-character logits.

    The one-hot input makes the first layer's W_x x_t a column lookup, exactly the curriculum's
    formula with x_t a one-hot vector. A float input (B, T, V) is also accepted, so a test can ask
    for gradients with respect to the inputs."""

    def __init__(self, vocab_size: int, cell: str = "lstm", hidden: int = 128, layers: int = 1, init_scale: float = 1.0,
                 reset_after: bool = False) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}, not {cell!r}.")
        self.vocab_size, self.cell, self.hidden, self.layers = vocab_size, cell, hidden, layers
        extra = {"reset_after": reset_after} if cell == "gru" else {}
        self.cells = nn.ModuleList(CELLS[cell](vocab_size if l == 0 else hidden, hidden, init_scale, **extra) for l in range(layers))
        self.head = nn.Linear(hidden, vocab_size)

    @property
    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, inputs: torch.Tensor, state: list[State] | None = None) -> tuple[torch.Tensor, list[State]]:
        """inputs (B, T) ids or (B, T, V) floats -> logits (B, T, V), the state after the last step (one per layer)."""
        logits, state, _ = self.unroll(inputs, state)
        return logits, state

    def unroll(self, inputs: torch.Tensor, state: list[State] | None = None, record: bool = False,
               **kwargs: Any) -> tuple[torch.Tensor, list[State], list[list[tuple[torch.Tensor, Gates]]]]:
        """forward() plus, if record, per layer the list over time of (h_t (B, H), gates) — graph nodes, so
        autograd can take gradients with respect to each h_t. kwargs go to every cell's recur()."""
        B, T = inputs.shape[:2]
        x, new_state, steps = inputs, [], []
        for l, cell in enumerate(self.cells):
            xp = cell.project(x)  # (B, T, G·H): the input half of every step in one product
            s = cell.initial_state(B, xp) if state is None else state[l]
            outputs, layer_steps = [], []
            for t in range(T):
                h, s, gates = cell.recur(xp[:, t], s, **kwargs)
                outputs.append(h)
                if record:
                    layer_steps.append((h, gates))
            x = torch.stack(outputs, dim=1)  # (B, T, H): the next layer's input
            new_state.append(s)
            steps.append(layer_steps)
        return self.head(x), new_state, steps

    @torch.no_grad()
    def trace(self, ids: torch.Tensor | list[int]) -> dict[str, Any]:
        """One sequence's inside view, as numpy: "hidden" (T, layers, H), "gates" {name: (T, layers, H)} and
        "probs" (T, V), the next-character distribution after each input character."""
        ids = torch.as_tensor(ids, dtype=torch.long, device=self.head.weight.device).reshape(1, -1)
        if ids.shape[1] == 0:
            raise ValueError("trace needs at least one character.")
        logits, _, steps = self.unroll(ids, record=True)
        hidden = np.stack([[h[0].float().cpu().numpy() for h, _ in layer] for layer in steps], axis=1)
        names = self.cells[0].GATE_NAMES
        gates = {n: np.stack([[g[n][0].float().cpu().numpy() for _, g in layer] for layer in steps], axis=1) for n in names}
        return {"hidden": hidden, "gates": gates, "probs": torch.softmax(logits[0], -1).float().cpu().numpy()}
