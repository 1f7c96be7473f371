"""The Attention page's live transformer: the toy tasks against plain-Python answers, both layouts,
text in and out with the learner's mistakes, validation, and a short seeded reverse run that learns
(the anti-diagonal appears, switching every head off ruins it), also through the runtime."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from engine.attention import tasks
from engine.attention.trainer import TransformerConfig, TransformerTrainer, evaluate, held_out, predict, restore, run_until
from engine.config import ConfigError
from engine.runtime import JobState, Runtime


def reference(task: str, source: list[str], vocab: int) -> list[str]:
    """The answer to a source (token texts), computed the obvious way."""
    if task == "copy":
        return list(source)
    if task == "reverse":
        return source[::-1]
    if task == "sort":
        return [str(v) for v in sorted(int(t) for t in source)]
    if task == "add":
        plus = source.index("+")
        a, b = source[:plus], [t for t in source[plus + 1:] if t != "_"]
        total = int("".join(a), vocab) + int("".join(b), vocab) if vocab <= 10 else None
        digits = []
        for _ in range(len(a) + 1):
            digits.append(str(total % vocab))
            total //= vocab
        return digits[::-1]
    answer, stack = ["_"] * len(source), []
    for j, t in enumerate(source):
        if t == "(":
            stack.append(j)
        elif t == ")":
            i = stack.pop()
            answer[i], answer[j] = str(j), str(i)
    assert not stack
    return answer


@pytest.mark.parametrize("task", tasks.TASKS)
@pytest.mark.parametrize(("length", "vocab"), [(8, 10), (9, 7)])
def test_targets_agree_with_a_reference_implementation(task, length, vocab):
    inputs, targets, mask = tasks.make_batch(task, 32, length, vocab, torch.Generator().manual_seed(1))
    assert inputs.shape == targets.shape == mask.shape == (32, length) and mask.dtype == torch.bool
    k = tasks.answer_length(task, length)
    assert mask.sum(1).eq(k).all() and mask[:, length - k:].all(), "the answer is right-aligned"
    for row in range(32):
        source = tasks.decode(task, inputs[row], vocab).split()
        answer = tasks.decode(task, targets[row][mask[row]], vocab).split()
        assert answer == reference(task, source, vocab), (task, source)
        assert tasks.solve(task, inputs[row].tolist(), vocab) == targets[row][mask[row]].tolist()
    if task == "brackets":
        assert (inputs == tasks.OPEN).any(1).all() and (inputs >= tasks.LETTER).any(), "at least one pair, letters between"


@pytest.mark.parametrize("task", tasks.TASKS)
def test_the_decoder_reads_source_then_separator_and_predicts_the_next_token(task):
    generator, again = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    enc_inputs, enc_targets, enc_mask = tasks.make_batch(task, 8, 8, 10, generator)
    inputs, targets, mask = tasks.make_batch(task, 8, 8, 10, again, "decoder")
    k = tasks.answer_length(task, 8)
    assert inputs.shape == (8, 8 + k) == (8, tasks.sequence_length(task, 8, "decoder"))
    answer = enc_targets[:, 8 - k:]
    assert torch.equal(inputs[:, :8], enc_inputs) and (inputs[:, 8] == tasks.SEP).all()
    assert torch.equal(inputs[:, 9:], answer[:, :-1]) and torch.equal(targets[:, 8:], answer)
    assert not mask[:, :8].any() and mask[:, 8:].all()


def test_batches_are_seeded():
    a = tasks.make_batch("sort", 4, 8, 10, torch.Generator().manual_seed(5))
    b = tasks.make_batch("sort", 4, 8, 10, torch.Generator().manual_seed(5))
    c = tasks.make_batch("sort", 4, 8, 10, torch.Generator().manual_seed(6))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True)) and not torch.equal(a[0], c[0])


# -- text in, text out ----------------------------------------------------------------------------------
def test_encode_and_decode_round_trip():
    assert tasks.encode("reverse", "3 1 4 1 5", 10, 8) == tasks.encode("reverse", "31415", 10, 8) == [6, 4, 7, 4, 8]
    assert tasks.decode("reverse", [6, 4, 7, 4, 8], 10) == "3 1 4 1 5"
    assert tasks.decode("add", tasks.encode("add", "12+3", 10, 8), 10) == "0 1 2 + 0 0 3 _"
    assert tasks.decode("add", tasks.encode("add", "7 + 5", 10, 5), 10) == "0 7 + 0 5"
    assert tasks.decode("brackets", tasks.encode("brackets", "a(b(c)d)", 10, 8), 10) == "a ( b ( c ) d )"
    assert tasks.decode("reverse", tasks.encode("reverse", "12 19 3", 20, 8), 20) == "12 19 3"
    source = tasks.encode("add", "999+1", 10, 8)
    assert tasks.decode("add", tasks.solve("add", source, 10), 10) == "1 0 0 0"


@pytest.mark.parametrize(("task", "text", "vocab", "message"), [
    ("reverse", "  ", 10, "type a sequence first"),
    ("reverse", "123456789", 10, "9 tokens is too long: this model was trained on sequences of 8"),
    ("reverse", "3 1 x", 10, "'x' is not a token of this task: the tokens are 0–9"),
    ("reverse", "3 9", 5, "'9' is not a token"),
    ("reverse", "25", 20, "'25' is not a token of this task: the tokens are 0–19, separated by spaces"),
    ("sort", "1+2", 10, "'+' is not a token"),
    ("add", "1+2+3", 10, "joined by one +"),
    ("add", "+12", 10, "a number is missing"),
    ("add", "1234+5", 10, "at length 8 each number has at most 3 digit(s)"),
    ("brackets", "a(b", 10, "do not balance"),
    ("brackets", ")(", 10, "do not balance"),
    ("brackets", "(3)", 10, "'3' is not a token"),
])
def test_bad_input_gets_a_message_for_the_learner(task, text, vocab, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        tasks.encode(task, text, vocab, 8)


def test_decode_refuses_ids_outside_the_vocabulary():
    with pytest.raises(ValueError, match="outside this task's vocabulary of 13 tokens"):
        tasks.decode("copy", [3, 13], 10)


# -- the config ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("changes", "message"), [
    (dict(d_model=30, heads=4), r"d_model \(30\) must be divisible by heads \(4\)"),
    (dict(length=3), "length must be between 4 and 16, not 3"),
    (dict(length=17), "length must be between 4 and 16, not 17"),
    (dict(d_model=24, heads=8, positional="rope"), "head width d_model / heads \\(3\\) must be even"),
    (dict(task="parity"), "task must be one of"),
    (dict(architecture="encoder-decoder"), "architecture must be one of encoder, decoder"),
    (dict(positional="alibi"), "positional must be one of none, sinusoidal, learned, rope"),
    (dict(layers=5), "layers must be between 1 and 4"),
])
def test_bad_settings_are_refused_with_a_reason(changes, message):
    with pytest.raises(ConfigError, match=message):
        TransformerConfig().replace(**changes)


def test_learning_rate_and_batch_size_are_hot():
    assert {"learning_rate", "batch_size"} == TransformerConfig.HOT
    trainer = TransformerTrainer(TransformerConfig(d_model=16, layers=1))
    config = trainer.config.replace(learning_rate=1e-3, batch_size=8)
    trainer.apply(config, frozenset({"learning_rate", "batch_size"}))
    assert trainer.optimizer.param_groups[0]["lr"] == 1e-3 and trainer.snapshot()["batch_size"] == 8
    assert all(math.isfinite(v) for v in trainer.step().values())
    assert "1e-3 is safe" in trainer.divergence_hint()


# -- learning reverse -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reverse():
    """The default reverse task, trained for a few seeded seconds at most (it needs well under one)."""
    config = TransformerConfig(seed=0)
    trainer = TransformerTrainer(config)
    chance = trainer.chance
    first = trainer.step()
    while trainer.metrics["sequence_accuracy"] < 0.99 and trainer.steps < 200:
        trainer.step()
    return trainer, first, chance


def test_a_short_reverse_run_beats_chance_clearly(reverse):
    trainer, first, chance = reverse
    assert chance == 0.1 and first["token_accuracy"] < 3 * chance
    metrics = trainer.evaluate()
    assert metrics["token_accuracy"] > 3 * chance and metrics["sequence_accuracy"] >= 0.99 and metrics["loss"] < first["loss"]


def test_the_anti_diagonal_appears_and_switching_every_head_off_ruins_it(reverse):
    trainer, _, _ = reverse
    payload = trainer.snapshot()
    first_layer = payload["attention"][0]  # (heads, n, n)
    i = np.arange(first_layer.shape[1])
    anti = first_layer[:, i, i[::-1]].mean(1)  # each head's mean weight from query i on key n−1−i
    assert anti.max() > 0.8, f"no head of layer 1 reads the mirrored position: {anti}"
    assert payload["example"]["correct"] and payload["example"]["prediction"] == payload["example"]["target"]
    everything_off = [[0] * trainer.config.heads for _ in range(trainer.config.layers)]
    assert trainer.evaluate(everything_off)["sequence_accuracy"] < 0.05
    assert trainer.evaluate()["sequence_accuracy"] >= 0.99, "the ablation hooks are gone again"
    assert payload["head_accuracy"].shape == (2, 4) and payload["head_accuracy"].min() >= 0.0


def test_a_page_can_rebuild_the_model_from_the_payload(reverse):
    trainer, _, _ = reverse
    c = trainer.config
    model = restore(c, trainer.snapshot()["weights"])
    assert evaluate(model, *held_out(c)) == trainer.evaluate()
    source = tasks.encode(c.task, "3 1 4 1 5 9 2 6", c.vocab, c.length)
    answer, attention = predict(model, c, source)
    assert tasks.decode(c.task, answer, c.vocab) == "6 2 9 5 1 4 1 3"
    assert len(attention) == c.layers and attention[0].shape == (c.heads, 8, 8) and attention[0].dtype == np.float32
    np.testing.assert_allclose(attention[1].sum(-1), 1.0, rtol=1e-5)


def test_the_decoder_writes_its_answer_and_attends_causally():
    config = TransformerConfig(task="add", architecture="decoder", d_model=16, layers=1, heads=2)
    trainer = TransformerTrainer(config)
    trainer.step()
    answer, attention = trainer.predict(tasks.encode("add", "12+34", 10, 8))
    assert len(answer) == 4 and attention[0].shape == (2, 12, 12)
    assert np.allclose(np.triu(attention[0], 1), 0.0), "no position looks ahead"
    payload = trainer.snapshot()
    assert len(payload["example"]["positions"]) == 12 and payload["example"]["positions"][8] == "="


def test_run_until_stops_at_the_target():
    seconds, steps, metrics = run_until(TransformerConfig(task="copy"), target_sequence_accuracy=0.99, max_seconds=10)
    assert metrics["sequence_accuracy"] >= 0.99 and seconds < 10 and steps * 4 == metrics["iterations"]


def test_the_trainer_runs_in_the_runtime_and_takes_a_hot_learning_rate():
    rt = Runtime(workers=1)
    try:
        run = rt.start("t", TransformerTrainer, TransformerConfig(layers=1, d_model=16, heads=2))
        snap = rt.wait(run, lambda s: s.step >= 3 and "attention" in s.payload, timeout=30)
        payload = snap.payload
        assert [a.shape for a in payload["attention"]] == [(2, 8, 8)] and payload["task"] == "reverse"
        assert set(snap.history) >= {"loss", "token_accuracy", "sequence_accuracy"}
        assert rt.update(run, learning_rate=1e-3) == {"learning_rate"}
        snap = rt.wait(run, lambda s: s.payload.get("learning_rate") == 1e-3 and s.step > s.events[-1].step, timeout=30)
        assert snap.state is JobState.RUNNING and (snap.events[-1].name, snap.events[-1].new) == ("learning_rate", 1e-3)
        model = restore(rt.config(run), snap.payload["weights"])  # read-only arrays from a frozen snapshot
        assert 0.0 <= evaluate(model, *held_out(rt.config(run)))["sequence_accuracy"] <= 1.0
    finally:
        rt.shutdown()
