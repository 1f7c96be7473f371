"""Decoding a trained character model: greedy search and beam search, with the beam's tree for drawing.

Greedy search appends the single most likely next character at every step. Beam search keeps the
k best partial strings by cumulative log-probability log P(y_1 … y_t) = Σ log P(y_s | y_<s): at each
step every live hypothesis is extended by its k most likely characters (only those can be among the
k best overall) and the k best extensions survive. A hypothesis that emits the end symbol (a
newline: the end of a name or a line) is finished and leaves the beam, which then carries fewer live
hypotheses; at max_len the live ones stop too. The winner maximises the length-normalised score

    score = log P(y) / len(y)^alpha      (len counts generated characters, the end symbol included)

alpha = 0 ranks by raw log-probability, which favours short outputs (every character costs log-
probability); alpha = 1 ranks by the average per character; 0.7 is the usual compromise. With k = 1
beam search is greedy search. With k > 1 it usually finds a more probable string than greedy, but it
is not guaranteed to: the greedy path itself can be pruned by k prefixes that later turn out worse.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from engine.sequence.cells import SequenceModel, State
from engine.sequence.charlm import start_symbol
from engine.sequence.corpus import CorpusError


def _prime(model: SequenceModel, vocab: Sequence[str], prefix: str) -> tuple[torch.Tensor, list[State]]:
    """Read start symbol + prefix; returns (log-probabilities of the next character (1, V), state)."""
    index = {c: i for i, c in enumerate(vocab)}
    unknown = sorted({c for c in prefix if c not in index})
    if unknown:
        raise CorpusError(f"the prefix has characters the model never saw: {', '.join(repr(c) for c in unknown[:8])}.")
    ids = torch.tensor([[index[c] for c in start_symbol(vocab) + prefix]], device=next(model.parameters()).device)
    logits, state = model(ids)
    return torch.log_softmax(logits[:, -1].double(), -1), state


def _end(vocab: Sequence[str]) -> int | None:
    return vocab.index("\n") if "\n" in vocab else None


def _select(state: list[State], rows: list[int]) -> list[State]:
    """The given batch rows of a per-layer state (tensors (B, H), or (h, c) pairs)."""
    return [tuple(s[rows] for s in layer) if isinstance(layer, tuple) else layer[rows] for layer in state]


@torch.no_grad()
def greedy(model: SequenceModel, vocab: Sequence[str], prefix: str = "", max_len: int = 20) -> dict:
    """The argmax string after prefix: {"text" (generated, without the end symbol), "logp" (its total log-probability,
    end symbol included), "length" (generated characters, end included), "finished" (ended with the end symbol)}."""
    model.eval()
    end = _end(vocab)
    logp, state = _prime(model, vocab, prefix)
    text, total = "", 0.0
    for step in range(max_len):
        token = int(logp[0].argmax())
        total += float(logp[0, token])
        if token == end:
            return {"text": text, "logp": total, "length": step + 1, "finished": True}
        text += vocab[token]
        logits, state = model(torch.tensor([[token]], device=logp.device), state)
        logp = torch.log_softmax(logits[:, -1].double(), -1)
    return {"text": text, "logp": total, "length": max_len, "finished": False}


@torch.no_grad()
def beam_search(model: SequenceModel, vocab: Sequence[str], prefix: str = "", k: int = 3, max_len: int = 20,
                alpha: float = 0.7) -> dict:
    """Beam search (module docstring). Returns {"hypotheses": finished and cut-off hypotheses, best score first, each
    {"text", "logp", "length", "finished", "score"}; "tree": every extension considered, as nodes {"id", "parent"
    (−1 for the root), "step", "token", "text", "logp" (cumulative), "kept" (survived the pruning), "finished"}}."""
    if k < 1:
        raise ValueError("the beam width k must be at least 1.")
    model.eval()
    end = _end(vocab)
    logp, state = _prime(model, vocab, prefix)
    tree = [{"id": 0, "parent": -1, "step": 0, "token": prefix, "text": "", "logp": 0.0, "kept": True, "finished": False}]
    live = [(0, 0.0, "")]  # (node id, cumulative logp, text) per row of logp/state
    done: list[dict] = []
    for step in range(1, max_len + 1):
        candidates = []  # (cumulative logp, row, token, node id)
        for row, (node, total, text) in enumerate(live):
            top = logp[row].topk(min(k, logp.shape[1]))
            for value, token in zip(top.values.tolist(), top.indices.tolist(), strict=True):
                tree.append({"id": len(tree), "parent": node, "step": step, "token": vocab[token], "text": text + vocab[token],
                             "logp": total + value, "kept": False, "finished": token == end})
                candidates.append((total + value, row, token, len(tree) - 1))
        candidates.sort(key=lambda c: -c[0])  # stable: ties keep beam order, then token rank
        survivors = []
        for total, row, token, node in candidates[:k - len(done)]:
            tree[node]["kept"] = True
            if token == end:
                done.append(_hypothesis(live[row][2], total, step, True, alpha))
            else:
                survivors.append((total, row, token, node))
        if not survivors:
            break
        rows = [row for _, row, _, _ in survivors]
        tokens = torch.tensor([[token] for _, _, token, _ in survivors], device=logp.device)
        logits, state = model(tokens, _select(state, rows))
        logp = torch.log_softmax(logits[:, -1].double(), -1)
        live = [(node, total, live[row][2] + vocab[token]) for total, row, token, node in survivors]
    else:
        done.extend(_hypothesis(text, total, max_len, False, alpha) for _, total, text in live)
    return {"hypotheses": sorted(done, key=lambda h: -h["score"]), "tree": tree}


def _hypothesis(text: str, logp: float, length: int, finished: bool, alpha: float) -> dict:
    return {"text": text, "logp": logp, "length": length, "finished": finished, "score": logp / length**alpha}
