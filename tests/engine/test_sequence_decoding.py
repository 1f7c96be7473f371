"""Greedy and beam search on a trained character model, and the delayed-recall memory experiment."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.config import ConfigError
from engine.sequence.beam import beam_search, greedy
from engine.sequence.charlm import CharLMConfig, CharLMTrainer
from engine.sequence.recall import RecallConfig, RecallTrainer, make_batch, run_recall, vocabulary

PREFIXES = ["", "A", "Tyr", "Zu", "Bra", "Q", "Ste"]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def trained():
    torch.set_num_threads(1)
    trainer = CharLMTrainer(CharLMConfig(hidden=32, batch_size=16, seq_length=16, bptt=16))
    for _ in range(30):
        trainer.step()
    return trainer.model.eval(), trainer.data.vocab


def log_probability(model, vocab, prefix: str, text: str, end: bool) -> float:
    """Oracle: Σ log P(next | so far) by teacher forcing the whole string in one pass (float64)."""
    ids = [vocab.index(c) for c in "\n" + prefix + text + ("\n" if end else "")]
    with torch.no_grad():
        logits, _ = model(torch.tensor([ids[:-1]]))
    logp = torch.log_softmax(logits[0].double(), -1)
    n = len(text) + end
    return float(sum(logp[len(ids) - 2 - i, ids[-1 - i]] for i in range(n)))


# -- greedy and beam search ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("prefix", PREFIXES)
def test_beam_search_with_k_1_is_greedy_search(trained, prefix):
    model, vocab = trained
    g = greedy(model, vocab, prefix, max_len=20)
    best = beam_search(model, vocab, prefix, k=1, max_len=20, alpha=0.0)["hypotheses"]
    assert len(best) == 1
    assert best[0]["text"] == g["text"] and best[0]["finished"] == g["finished"]
    assert best[0]["logp"] == pytest.approx(g["logp"], abs=1e-5)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_beam_search_never_scores_below_greedy_here(trained, prefix):
    """Not a theorem (the greedy path can be pruned), but it holds for these prefixes and widths; 1e-5 allows for a
    batch of k rows computing in float32 slightly differently from a single row."""
    model, vocab = trained
    g = greedy(model, vocab, prefix, max_len=20)
    for k in range(2, 6):
        best = beam_search(model, vocab, prefix, k=k, max_len=20, alpha=0.0)["hypotheses"][0]
        assert best["logp"] >= g["logp"] - 1e-5, (k, best, g)


def test_log_probabilities_are_those_of_the_model_and_scores_are_length_normalised(trained):
    model, vocab = trained
    result = beam_search(model, vocab, "Ste", k=4, max_len=20, alpha=0.7)
    hypotheses = result["hypotheses"]
    assert 1 <= len(hypotheses) <= 4
    for h in hypotheses:
        assert h["logp"] == pytest.approx(log_probability(model, vocab, "Ste", h["text"], h["finished"]), abs=1e-4)
        assert h["length"] == len(h["text"]) + h["finished"]
        assert h["score"] == pytest.approx(h["logp"] / h["length"] ** 0.7)
    assert [h["score"] for h in hypotheses] == sorted((h["score"] for h in hypotheses), reverse=True)
    g = greedy(model, vocab, "Ste", max_len=20)
    assert g["logp"] == pytest.approx(log_probability(model, vocab, "Ste", g["text"], g["finished"]), abs=1e-4)


def test_the_beam_tree_is_drawable(trained):
    model, vocab = trained
    k = 3
    tree = beam_search(model, vocab, "Tyr", k=k, max_len=12)["tree"]
    assert tree[0]["parent"] == -1 and tree[0]["token"] == "Tyr"
    ids = {n["id"] for n in tree}
    for node in tree[1:]:
        parent = tree[node["parent"]]
        assert node["parent"] in ids and parent["kept"] and parent["step"] == node["step"] - 1
        assert node["text"] == parent["text"] + node["token"]
        assert node["logp"] <= parent["logp"] + 1e-12  # log-probabilities only fall
    assert len([n for n in tree if n["step"] == 1]) == k  # the root's k most likely characters
    for step in range(1, max(n["step"] for n in tree) + 1):
        assert 1 <= sum(n["kept"] for n in tree if n["step"] == step) <= k


def test_alpha_trades_short_names_for_long_ones(trained):
    model, vocab = trained
    raw = beam_search(model, vocab, "", k=5, max_len=25, alpha=0.0)["hypotheses"]
    normalised = beam_search(model, vocab, "", k=5, max_len=25, alpha=1.0)["hypotheses"]
    assert {h["text"] for h in raw} == {h["text"] for h in normalised}  # alpha only re-ranks the same finished beam
    assert raw[0]["logp"] == max(h["logp"] for h in raw)
    assert normalised[0]["length"] >= raw[0]["length"]


# -- the delayed-recall task ----------------------------------------------------------------------------------------
def test_a_recall_sequence_is_a_symbol_then_distractors_then_the_query():
    x, y = make_batch(64, 7, alphabet=8, distractors=4, generator=torch.Generator().manual_seed(0))
    assert x.shape == (64, 9) and torch.equal(x[:, 0], y)
    assert (y < 8).all() and ((x[:, 1:8] >= 8) & (x[:, 1:8] < 12)).all() and (x[:, 8] == 12).all()
    assert len(set(y.tolist())) == 8
    assert vocabulary(3, 2) == ("A", "B", "C", "0", "1", "?")


def test_recall_config_checks():
    with pytest.raises(ConfigError, match="increasing"):
        RecallConfig(lengths=(10, 5))
    with pytest.raises(ConfigError, match="model"):
        RecallConfig(models=("rnn", "mamba"))
    assert RecallConfig.from_query(RecallConfig().to_query()) == RecallConfig()


def test_a_tiny_recall_run_reports_progress_and_accuracy_for_every_model_and_length():
    config = RecallConfig(lengths=(1, 3), updates=60, hidden=16, batch_size=32)
    trainer = RecallTrainer(config)
    progress = []
    while not trainer.done:
        progress.append(trainer.step()["progress"])
    assert progress == sorted(progress) and progress[-1] == 1.0
    payload = trainer.snapshot()
    accuracy = payload["accuracy"]
    assert accuracy.shape == (4, 2) and ((accuracy >= 0) & (accuracy <= 1)).all()
    assert payload["current"] is None and payload["chance"] == 1 / 8
    assert all(len(curve) == 6 for curves in payload["loss_curves"].values() for curve in curves.values())
    assert set(payload["loss_curves"]["lstm"]) == {1, 3}
    assert accuracy[:, 0].max() > 3 / 8  # at L = 1 at least one model is well above chance after 60 steps


def test_the_same_config_gives_the_same_accuracies():
    config = RecallConfig(lengths=(2,), models=("gru", "transformer"), updates=20, hidden=8, batch_size=16)
    np.testing.assert_array_equal(run_recall(config)["accuracy"], run_recall(config)["accuracy"])
