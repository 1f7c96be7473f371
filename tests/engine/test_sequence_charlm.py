"""The character language model: corpora and pasted text, config, truncated BPTT, training, sampling, divergence."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.config import ConfigError
from engine.runtime.job import Job, JobSpec
from engine.runtime.snapshot import JobState
from engine.sequence.cells import SequenceModel
from engine.sequence.charlm import CharLMConfig, CharLMTrainer, bptt_chunks, prepare, restore, sample
from engine.sequence.corpus import ASSETS, MAX_VOCAB, PLACEHOLDER, CorpusError, load_corpus, prepare_text

SMALL = {"hidden": 32, "batch_size": 16, "seq_length": 16, "bptt": 16}


pytestmark = pytest.mark.usefixtures("one_thread")


# -- the bundled corpora -----------------------------------------------------------------------------------------
def test_the_dinosaur_list_is_a_plain_list_of_distinct_capitalised_names():
    lines = (ASSETS / "dinosaurs.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 800 and len(set(lines)) == len(lines)
    assert all(line.isalpha() and line[0].isupper() and line[1:].islower() for line in lines)
    assert {"Tyrannosaurus", "Triceratops", "Stegosaurus", "Velociraptor"} <= set(lines)
    assert (ASSETS / "SOURCES.md").exists()


def test_the_shakespeare_excerpt_is_between_10_and_30_kb_of_sonnets():
    text = load_corpus("shakespeare")
    assert 10_000 <= len(text.encode()) <= 30_000
    assert "Shall I compare thee to a summer's day?" in text


def test_a_names_corpus_uses_the_newline_as_end_of_name():
    data = prepare(CharLMConfig())
    assert data.names and "\n" in data.vocab
    names = data.text.split("\n")
    assert names[-1] == "" and len(names) - 1 == len(load_corpus("dinosaurs").splitlines())
    assert data.decode(data.ids[:50]) == data.text[:50]


# -- pasted text -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["", "   \n\t ", "\x00\x01\u200b"])
def test_empty_text_is_refused_with_a_message(text):
    with pytest.raises(CorpusError, match="empty"):
        prepare_text(text, 32)


def test_text_shorter_than_one_window_says_how_many_characters_are_needed():
    with pytest.raises(CorpusError, match="needs 33"):
        prepare_text("short text", 32)
    assert len(prepare_text("x" * 33, 32).ids) == 33


def test_huge_text_is_capped_with_a_note_not_an_error():
    data = prepare_text("abc " * 100_000, 32, max_chars=50_000)
    assert len(data.text) == 50_000 and len(data.ids) == 50_000
    assert len(data.notes) == 1 and "400,000" in data.notes[0] and "50,000" in data.notes[0]


def test_unusual_unicode_is_normalised_and_invisible_characters_dropped():
    text = "Cafe\u0301 \U0001F995 na\u00efve\r\nzero\u200bwidth\x07 tab\there " * 3  # é as e + accent, a sauropod emoji
    data = prepare_text(text, 16)
    assert "Café" in data.text and "é" in data.vocab and "\u0301" not in data.vocab  # NFC: one character
    assert "\U0001F995" in data.vocab
    assert "\r" not in data.text and "zerowidth" in data.text and "\x07" not in data.vocab and "\t" not in data.vocab
    assert data.notes == ()


def test_a_huge_vocabulary_keeps_the_most_frequent_characters_and_maps_the_rest_to_a_placeholder():
    rare = "".join(chr(0x4E00 + i) for i in range(400))  # 400 CJK characters, once each
    data = prepare_text("the common part " * 50 + rare, 32)
    assert data.vocab_size == MAX_VOCAB and PLACEHOLDER in data.vocab
    assert "t" in data.vocab and "400" not in data.notes[0] and "rarest" in data.notes[0]
    assert data.encode("\u9fa5") == [data.vocab.index(PLACEHOLDER)]  # an unseen character reads as the placeholder


# -- the config ----------------------------------------------------------------------------------------------------
def test_config_checks_read_like_advice():
    with pytest.raises(ConfigError, match="bptt"):
        CharLMConfig(seq_length=16, bptt=32)
    with pytest.raises(ConfigError, match="empty"):
        CharLMConfig(corpus="custom", text="")
    with pytest.raises(ConfigError, match="needs 33"):
        CharLMConfig(corpus="custom", text="too short")
    config = CharLMConfig(corpus="custom", text="Some pasted text, é and all! " * 3, cell="gru", clip=0.0)
    assert CharLMConfig.from_query(config.to_query()) == config
    assert CharLMConfig.from_json(config.to_json()) == config


# -- truncated BPTT ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_truncated_bptt_cuts_the_gradient_between_chunks(cell):
    torch.manual_seed(0)
    model = SequenceModel(6, cell, hidden=8)
    x = F.one_hot(torch.randint(6, (2, 8), generator=torch.Generator().manual_seed(1)), 6).float().requires_grad_()
    chunks = list(bptt_chunks(model, x, bptt=4))
    assert [start for start, _, _ in chunks] == [0, 4]
    chunks[1][1].sum().backward()  # a loss on chunk 2 only
    assert (x.grad[:, :4] == 0).all()  # nothing reaches chunk 1's inputs
    assert (x.grad[:, 4:].abs().sum((0, 2)) > 0).all()
    x.grad = None
    (_, logits, _), = bptt_chunks(model, x, bptt=8)  # full BPTT: the same loss does reach back
    logits[:, 4:].sum().backward()
    assert (x.grad[:, :4].abs().sum((0, 2)) > 0).all()


# -- training --------------------------------------------------------------------------------------------------------
def test_a_short_seeded_run_lowers_the_loss_and_reports_its_metrics():
    trainer = CharLMTrainer(CharLMConfig(**SMALL, cell="gru"))
    history = [trainer.step() for _ in range(25)]
    assert set(history[0]) == {"loss", "perplexity", "grad_norm", "clipped"}
    assert history[0]["loss"] == pytest.approx(math.log(53), abs=0.2)  # 53 characters: a uniform guess at first
    assert np.mean([h["loss"] for h in history[-3:]]) < history[0]["loss"] - 0.8
    assert history[-1]["perplexity"] == pytest.approx(math.exp(history[-1]["loss"]))
    assert trainer.updates == 25 * 2 and trainer.characters == 25 * 2 * 16 * 16


def test_the_same_seed_trains_the_same_model():
    a, b = (CharLMTrainer(CharLMConfig(**{**SMALL, "bptt": 4}, cell="rnn")) for _ in range(2))
    assert [a.step()["loss"] for _ in range(3)] == [b.step()["loss"] for _ in range(3)]
    assert a.updates == 3 * 2 * 4  # 16 characters in chunks of 4: four updates per window


def test_snapshot_samples_names_and_weights_that_restore_the_model():
    config = CharLMConfig(**SMALL)
    trainer = CharLMTrainer(config)
    trainer.step()
    payload = trainer.snapshot()
    assert len(payload["samples"]) == 6 and all("\n" not in s for s in payload["samples"])
    assert all(set(s) <= set(payload["vocabulary"]) for s in payload["samples"])
    assert payload["samples_temperature"] == 0.8 and payload["uniform_perplexity"] == 53.0
    model = restore(config, payload["weights"])
    ids = torch.as_tensor(trainer.data.ids[:20]).unsqueeze(0)
    with torch.no_grad():
        torch.testing.assert_close(model(ids)[0], trainer.model(ids)[0])
    assert trainer.snapshot()["samples"] == payload["samples"]  # not regenerated within SAMPLE_EVERY_S


def test_hot_changes_reach_the_optimizer_and_the_clip():
    config = CharLMConfig(**SMALL)
    trainer = CharLMTrainer(config)
    new = config.replace(learning_rate=0.01, clip=0.5)
    assert config.changed_fields(new) <= CharLMConfig.HOT
    trainer.apply(new, config.changed_fields(new))
    metrics = trainer.step()
    assert trainer.optimizer.param_groups[0]["lr"] == 0.01
    assert metrics["clipped"] == (1.0 if metrics["grad_norm"] > 0.5 else metrics["clipped"])


# -- sampling --------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained():
    torch.set_num_threads(1)
    trainer = CharLMTrainer(CharLMConfig(**SMALL))
    for _ in range(20):
        trainer.step()
    return trainer.model, trainer.data.vocab


def test_sampling_is_reproducible_and_top_k_of_one_is_greedy(trained):
    model, vocab = trained
    assert sample(model, vocab, 30, 1.0, seed=3) == sample(model, vocab, 30, 1.0, seed=3)
    greedy = sample(model, vocab, 30, greedy=True, prefix="Ty")
    assert greedy.startswith("Ty") and len(greedy) == 32
    assert sample(model, vocab, 30, 1.0, top_k=1, prefix="Ty", seed=5) == greedy


def test_a_names_sample_stops_at_the_newline(trained):
    model, vocab = trained
    names = [sample(model, vocab, 60, 0.8, seed=i, stop_at_newline=True) for i in range(5)]
    assert all("\n" not in n and len(n) <= 60 for n in names)
    assert any(len(n) < 60 for n in names)


def test_a_prefix_with_unseen_characters_is_refused(trained):
    model, vocab = trained
    with pytest.raises(CorpusError, match="never saw"):
        sample(model, vocab, 10, prefix="T-rex!")


@pytest.mark.parametrize("temperature", [1.0, 0.5, 2.0])
def test_sampling_frequencies_follow_the_softmax_of_logits_over_temperature(temperature):
    """A model whose logits are always [2, 1, 0.1] (zero read-out weights, that bias): at temperature 1 the curriculum's
    softmax [0.659, 0.242, 0.099]; in general softmax(z / T)."""
    model = SequenceModel(3, "rnn", hidden=4)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.copy_(torch.tensor([2.0, 1.0, 0.1]))
    text = sample(model, ("a", "b", "c"), 4000, temperature, seed=0)
    observed = np.array([text.count(c) for c in "abc"]) / 4000
    expected = torch.softmax(torch.tensor([2.0, 1.0, 0.1]) / temperature, 0).numpy()
    np.testing.assert_allclose(observed, expected, atol=0.03)
    if temperature == 1.0:
        np.testing.assert_allclose(expected, [0.659, 0.242, 0.099], atol=1e-3)


# -- divergence ------------------------------------------------------------------------------------------------------
def test_an_infinite_gradient_skips_the_update_and_is_reported():
    trainer = CharLMTrainer(CharLMConfig(**SMALL))
    before = [p.detach().clone() for p in trainer.model.parameters()]
    loss = sum((p * 1e30).sum() * 1e30 for p in trainer.model.parameters())  # overflows in the backward pass
    assert trainer.update(loss) == math.inf
    assert all(torch.equal(a, b) for a, b in zip(before, trainer.model.parameters(), strict=True))


def test_a_nan_loss_stops_the_job_with_the_hint_about_exploding_gradients():
    config = CharLMConfig(**SMALL, cell="rnn", clip=0.0, w_h_scale=8.0)
    job = Job("nan", JobSpec(CharLMTrainer, config), torch.device("cpu"))
    with torch.no_grad():
        job.trainer.model.head.bias[0] = float("nan")
    job.set_state(JobState.RUNNING)
    job.run_slice(1.0)
    assert job.state is JobState.FAILED
    assert "loss became NaN" in job.reason and "exploded" in job.reason and "clipping" in job.reason
