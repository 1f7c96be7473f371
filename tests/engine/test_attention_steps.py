"""The step-by-step attention of the Attention page against engine.attention.core and PyTorch's own
scaled_dot_product_attention, its tokenizer on emoji, Chinese and Arabic text and bad input, its
settings' messages, the hover dot products, and the √d_k saturation experiment."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.attention.core import MultiHeadAttention, attention
from engine.attention.steps import MAX_TOKENS, StepConfig, attention_steps, saturation, score_terms, softmax, token_embedding, tokenize
from engine.config import ConfigError

SENTENCE = ["the", "cat", "sat", "on", "the", "mat", "."]


def steps(**settings):
    return attention_steps(SENTENCE, StepConfig(**{"d_model": 12, "heads": 3, **settings}))


# -- softmax ---------------------------------------------------------------------------------------
def test_softmax_of_the_worked_example():
    assert math.isclose(float(np.exp([2, 1, 0.1]).sum()), 11.21, abs_tol=0.005)  # not 12.21
    np.testing.assert_allclose(softmax([2.0, 1.0, 0.1]), [0.659, 0.242, 0.099], atol=5e-4)


def test_softmax_is_stable_and_gives_zeros_for_a_fully_blocked_row():
    np.testing.assert_allclose(softmax([1000.0, 1000.0]), [0.5, 0.5])
    np.testing.assert_allclose(softmax([[-np.inf, -np.inf], [0.0, -np.inf]]), [[0, 0], [1, 0]])
    np.testing.assert_allclose(softmax([2.0, 0.0], temperature=2.0), softmax([1.0, 0.0]))
    with pytest.raises(ValueError, match="positive"):
        softmax([1.0], temperature=0)


# -- the stages against the oracles ----------------------------------------------------------------
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("scale, temperature", [(True, 1.0), (False, 1.0), (True, 0.5)])
def test_heads_equal_core_attention_and_torch_sdpa(causal, scale, temperature):
    s = steps(causal=causal, scale=scale, temperature=temperature)
    q, k, v = (torch.from_numpy(np.array(a)) for a in (s.Q, s.K, s.V))  # (h, n, d_k) float64
    mask = torch.from_numpy(np.array(s.mask))
    out, weights = attention(q, k, v, mask=mask, scale=scale, temperature=temperature)
    np.testing.assert_allclose(s.head_outputs, out.numpy(), atol=1e-9, rtol=0)
    np.testing.assert_allclose(s.weights, weights.numpy(), atol=1e-9, rtol=0)
    factor = (1 / math.sqrt(s.config.d_k) if scale else 1.0) / temperature
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=causal, scale=factor)
    np.testing.assert_allclose(s.head_outputs, expected.numpy(), atol=1e-9, rtol=0)


@pytest.mark.parametrize("causal, positional", [(False, True), (True, False)])
def test_output_equals_multi_head_attention_with_the_same_weights(causal, positional):
    s = steps(causal=causal, positional=positional)
    mha = MultiHeadAttention(12, 3, causal=causal, bias=False).double()
    with torch.no_grad():  # nn.Linear computes x Wᵀ: its weight is the transpose of the heads side by side
        for name, w in (("W_Q", s.W_Q), ("W_K", s.W_K), ("W_V", s.W_V)):
            getattr(mha, name).weight.copy_(torch.from_numpy(np.concatenate(list(w), axis=1).T))
        mha.W_O.weight.copy_(torch.from_numpy(np.array(s.W_O).T))
        out, weights = mha(torch.from_numpy(np.array(s.X))[None])
    np.testing.assert_allclose(s.output, out[0].numpy(), atol=1e-9, rtol=0)
    np.testing.assert_allclose(s.weights, weights[0].numpy(), atol=1e-9, rtol=0)


def test_shapes_stages_and_rows_summing_to_one():
    s = steps(causal=True, temperature=2.0)
    n = len(SENTENCE)
    assert s.n == n and s.config.d_k == 4
    assert s.W_Q.shape == (3, 12, 4) and s.Q.shape == (3, n, 4) and s.scores.shape == (3, n, n)
    assert s.concat.shape == (n, 12) and s.W_O.shape == (12, 12) and s.output.shape == (n, 12)
    np.testing.assert_allclose(s.scaled, s.scores / 2.0)  # ÷ √d_k = √4
    np.testing.assert_allclose(s.tempered, s.scaled / 2.0)
    np.testing.assert_array_equal(s.mask, np.triu(np.ones((n, n), bool), 1))
    assert np.all(np.isneginf(s.masked[:, s.mask])) and np.all(s.weights[:, s.mask] == 0)
    np.testing.assert_allclose(s.weights.sum(axis=-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(s.concat[:, 4:8], s.head_outputs[1])  # head 1's columns
    with pytest.raises(ValueError):
        s.weights[0, 0, 0] = 1.0  # a published snapshot is read-only


def test_an_extra_mask_and_given_embeddings():
    n = len(SENTENCE)
    blocked = np.ones((n, n), bool)
    blocked[:, 0] = False  # everyone may look at the first token only
    s = attention_steps(SENTENCE, StepConfig(d_model=4, positional=False), embeddings=np.eye(n, 4), mask=blocked)
    np.testing.assert_array_equal(s.X, np.eye(n, 4))
    np.testing.assert_allclose(s.weights[0, :, 0], 1.0)
    with pytest.raises(ValueError, match="shape"):
        attention_steps(SENTENCE, StepConfig(d_model=4), embeddings=np.zeros((2, 4)))


def test_same_token_same_embedding_and_positions_tell_them_apart():
    s = steps(positional=False)
    np.testing.assert_array_equal(s.X[0], s.X[4])  # "the" twice
    assert not np.allclose(s.X[0], s.X[1])
    np.testing.assert_array_equal(token_embedding("the", 12), attention_steps(["the"], StepConfig(d_model=12)).embeddings[0])
    with_positions = steps(positional=True)
    assert not np.allclose(with_positions.X[0], with_positions.X[4])
    assert attention_steps(["a", "b"], StepConfig(d_model=5)).X.shape == (2, 5)  # odd d_model: the table is cut


def test_score_terms_sum_to_the_score_cell():
    s = steps()
    terms = score_terms(s, 2, 5, 1)
    np.testing.assert_array_equal(terms.q, s.Q[2, 5])
    np.testing.assert_allclose(terms.products, s.Q[2, 5] * s.K[2, 1])
    assert math.isclose(terms.total, s.scores[2, 5, 1], abs_tol=1e-12)
    q, k, products, total = terms  # a plain tuple too
    assert total == pytest.approx(float(q @ k))


# -- tokens ----------------------------------------------------------------------------------------
def test_tokenizer_keeps_emoji_whole():
    assert tokenize("I ❤️ 🍕") == (["I", "❤️", "🍕"], False)
    assert tokenize("I ❤️ 🍕", "char") == (["I", " ", "❤️", " ", "🍕"], False)
    chars, _ = tokenize("👩‍💻 🇫🇷🇩🇪 👍🏽", "char")
    assert chars == ["👩\u200d💻", " ", "🇫🇷", "🇩🇪", " ", "👍🏽"]


def test_tokenizer_on_chinese_arabic_and_accents():
    assert tokenize("我爱披萨。", "char")[0] == ["我", "爱", "披", "萨", "。"]
    assert tokenize("我爱披萨。")[0] == ["我爱披萨", "。"]  # no spaces: one word per run
    assert tokenize("مرحبا، بالعالم!")[0] == ["مرحبا", "،", "بالعالم", "!"]
    assert tokenize("cafe\u0301", "char")[0] == ["c", "a", "f", "é"]  # NFC: one code point
    assert tokenize("(cat). don't")[0] == ["(", "cat", ")", ".", "don't"]


def test_tokenizer_rejects_empty_text_and_cuts_long_text():
    for text in ("", "   \n\t"):
        with pytest.raises(ValueError, match="empty"):
            tokenize(text)
    tokens, truncated = tokenize("word " * 10_000, max_tokens=32)
    assert tokens == ["word"] * 32 and truncated
    assert tokenize("a b c", max_tokens=3) == (["a", "b", "c"], False)
    assert tokenize("abcdef", "char", max_tokens=4) == (["a", "b", "c", "d"], True)
    with pytest.raises(ValueError, match="level"):
        tokenize("a", "sentence")
    with pytest.raises(ValueError, match="max_tokens"):
        tokenize("a", max_tokens=MAX_TOKENS + 1)


# -- settings --------------------------------------------------------------------------------------
def test_settings_give_clear_messages_and_round_trip():
    with pytest.raises(ConfigError, match=r"d_model \(10\) must be divisible by the number of heads \(3\)"):
        StepConfig(d_model=10, heads=3)
    with pytest.raises(ConfigError, match="temperature"):
        StepConfig(temperature=0.0)
    with pytest.raises(ConfigError, match="heads"):
        StepConfig(d_model=16, heads=9)
    config = StepConfig(d_model=16, heads=4, causal=True, temperature=0.5)
    assert config.d_k == 4
    assert StepConfig.from_query(config.to_query()) == config


# -- saturation ------------------------------------------------------------------------------------
def test_without_scaling_the_softmax_saturates_as_d_grows():
    r = saturation((1, 4, 16, 64, 256), samples=1000, seed=0)
    np.testing.assert_allclose(r["std_unscaled"], np.sqrt(r["d"]), rtol=0.1)  # std of q·k is √d
    np.testing.assert_allclose(r["std_scaled"], 1.0, rtol=0.1)
    assert np.all(np.diff(r["max_weight_unscaled"]) > 0) and r["max_weight_unscaled"][-1] > 0.85
    assert np.all(np.diff(r["entropy_unscaled"]) < 0) and r["entropy_unscaled"][-1] < 0.3 * r["max_entropy"]
    assert np.ptp(r["max_weight_scaled"]) < 0.06 and np.ptp(r["entropy_scaled"]) < 0.15  # roughly flat
    assert r["gradient_unscaled"][-1] < 0.5 * r["gradient_scaled"][-1]
    assert r["scores_unscaled"].shape == (5, 1000)
