"""Attention maths against PyTorch's own scaled_dot_product_attention, and the claims of the
Attention page: rows sum to 1, the causal mask hides the future, permutation equivariance without
position, softmax saturation without √d_k, non-linearity, head ablation, RoPE's offset-only
scores, ALiBi's bias, and the tiny transformer's shapes and learned-table limit."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from engine.attention.core import POSITIONAL, MultiHeadAttention, attention, causal_mask
from engine.attention.model import build
from engine.attention.positional import alibi_slopes


def qkv(*shape: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return tuple(torch.randn(*shape, generator=g, dtype=torch.float64) for _ in range(3))


def mha(positional: str = "none", causal: bool = False, d_model: int = 16, heads: int = 2, seed: int = 0, **kw) -> MultiHeadAttention:
    torch.manual_seed(seed)
    return MultiHeadAttention(d_model, heads, causal=causal, positional=positional, **kw).double()


def test_attention_matches_torch_scaled_dot_product_attention():
    q, k, v = qkv(2, 3, 7, 8)  # (B, heads, n, d)
    out, _ = attention(q, k, v)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v), atol=1e-6, rtol=0)
    out, _ = attention(q, k, v, mask=causal_mask(7))
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True), atol=1e-6, rtol=0)
    bias = torch.randn(3, 7, 7, dtype=torch.float64)
    out, _ = attention(q, k, v, bias=bias)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=bias), atol=1e-6, rtol=0)
    out, _ = attention(q, k, v, bias=bias, mask=causal_mask(7))  # torch's bool mask means "may attend": the opposite of ours
    expected = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.masked_fill(causal_mask(7), -torch.inf))
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=0)
    out, _ = attention(q, k, v, temperature=2.0)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, scale=0.5 / 8**0.5), atol=1e-6, rtol=0)


def test_rows_sum_to_one_and_a_fully_blocked_row_attends_to_nothing():
    q, k, v = qkv(4, 6, 5)
    mask = causal_mask(6)
    mask[2] = True  # query 2 may see nothing
    out, weights = attention(q, k, v, mask=mask, bias=torch.randn(6, 6, dtype=torch.float64))
    assert not torch.isnan(out).any() and not torch.isnan(weights).any()
    sums = weights.sum(-1)
    torch.testing.assert_close(sums[:, [0, 1, 3, 4, 5]], torch.ones(4, 5, dtype=torch.float64))
    assert (weights[:, 2] == 0).all() and (out[:, 2] == 0).all()
    assert (weights.masked_select(mask.expand(4, 6, 6)) == 0).all(), "no weight on a blocked key"
    with pytest.raises(ValueError, match="temperature"):
        attention(q, k, v, temperature=0.0)


def test_causal_outputs_up_to_t_ignore_later_tokens():
    layer = mha(causal=True)
    x = torch.randn(2, 9, 16, dtype=torch.float64)
    changed = x.clone()
    changed[:, 5:] = torch.randn(2, 4, 16, dtype=torch.float64)
    (a, wa), (b, _) = layer(x), layer(changed)
    torch.testing.assert_close(a[:, :5], b[:, :5], atol=0, rtol=0)
    assert not torch.allclose(a[:, 5:], b[:, 5:])
    assert (torch.triu(wa, 1) == 0).all()
    model = build(seed=0, vocab=7, d_model=16, heads=2, positional="rope", causal=True).double()
    tokens = torch.randint(7, (3, 10), generator=torch.Generator().manual_seed(0))
    later = tokens.clone()
    later[:, 6:] = (later[:, 6:] + 1) % 7
    torch.testing.assert_close(model(tokens)[0][:, :6], model(later)[0][:, :6], atol=0, rtol=0)


def test_without_position_a_permutation_of_tokens_permutes_the_outputs_exactly():
    layer = mha()
    x = torch.randn(1, 8, 16, dtype=torch.float64)
    perm = torch.randperm(8, generator=torch.Generator().manual_seed(3))
    out, _ = layer(x)
    permuted, _ = layer(x[:, perm])
    torch.testing.assert_close(permuted, out[:, perm], atol=1e-12, rtol=0)
    rope, _ = mha("rope")(x[:, perm])
    assert (rope - mha("rope")(x)[0][:, perm]).abs().max() > 1e-3, "RoPE breaks the symmetry"


def test_without_scaling_the_softmax_saturates_as_d_k_grows():
    def mean_max_weight(d_k: int, scale: bool) -> float:
        q, k, v = qkv(64, 16, d_k, seed=d_k)
        return float(attention(q, k, v, scale=scale)[1].max(-1).values.mean())

    unscaled = [mean_max_weight(d, False) for d in (4, 16, 64, 256)]
    scaled = [mean_max_weight(d, True) for d in (4, 16, 64, 256)]
    assert all(a < b for a, b in zip(unscaled, unscaled[1:], strict=False)), unscaled
    assert unscaled[-1] > 0.9, "nearly one-hot at d_k = 256"
    assert max(scaled) - min(scaled) < 0.1 and max(scaled) < 0.6, scaled


def test_self_attention_is_not_linear():
    layer = mha(bias=False)  # no bias terms: any non-linearity is attention's own
    x = torch.randn(2, 6, 16, dtype=torch.float64)
    once, twice = layer(x)[0], layer(2 * x)[0]
    assert (twice - 2 * once).abs().max() > 1e-2 * once.abs().max()


def test_heads_must_divide_d_model():
    with pytest.raises(ValueError, match=r"d_model \(10\) must be divisible by the number of heads \(3\)"):
        MultiHeadAttention(10, 3)
    with pytest.raises(ValueError, match="even"):
        MultiHeadAttention(12, 4, positional="rope")  # head width 3 cannot be rotated in pairs
    with pytest.raises(ValueError, match="positional"):
        MultiHeadAttention(16, 2, positional="relative")


def test_head_mask_removes_exactly_one_heads_contribution():
    layer = mha()
    x = torch.randn(3, 5, 16, dtype=torch.float64)
    out = {m: layer(x, head_mask=torch.tensor(m, dtype=torch.float64))[0] for m in ((1, 1), (1, 0), (0, 1), (0, 0))}
    torch.testing.assert_close(out[(0, 0)], layer.W_O.bias.expand(3, 5, 16))
    torch.testing.assert_close(out[(1, 0)] + out[(0, 1)] - out[(0, 0)], out[(1, 1)])  # W_O is linear in the heads
    torch.testing.assert_close(layer(x)[0], out[(1, 1)])
    assert not torch.allclose(out[(1, 0)], out[(1, 1)])
    torch.testing.assert_close(layer(x, head_mask=torch.tensor([0.0, 1.0]))[1], layer(x)[1])  # the weights are still shown


def test_rope_scores_depend_only_on_the_offset():
    layer = mha("rope", d_model=8, heads=1)
    x = torch.randn(8, dtype=torch.float64).expand(1, 10, 8)  # the same token at every position
    weights = layer(x)[1][0, 0]  # (n, n); log w[i, j] = score(i, j) − a constant per row
    log_w = weights.log()
    relative = log_w - log_w.diagonal()[:, None]  # score(i, j) − score(i, i)
    for offset in range(-3, 4):
        values = torch.diagonal(relative, offset)
        torch.testing.assert_close(values, values[:1].expand_as(values), atol=1e-10, rtol=0)
    assert relative[0].std() > 1e-3, "and the scores do depend on the offset"


@pytest.mark.parametrize("causal", [True, False])
def test_alibi_adds_minus_slope_times_distance(causal):
    layer = mha("alibi", causal=causal, d_model=8, heads=4)
    with torch.no_grad():
        layer.W_Q.weight.zero_()
        layer.W_Q.bias.zero_()  # every content score is 0: only the bias is left
    weights = layer(torch.randn(1, 6, 8, dtype=torch.float64))[1][0]  # (heads, n, n)
    i, j = torch.arange(6)[:, None], torch.arange(6)[None, :]
    scores = -torch.as_tensor(alibi_slopes(4))[:, None, None] * (i - j).abs()
    if causal:
        scores = scores.masked_fill(j > i, -torch.inf)
    torch.testing.assert_close(weights, scores.softmax(-1))


@pytest.mark.parametrize("positional", POSITIONAL)
def test_tiny_transformer_shapes(positional):
    model = build(seed=1, vocab=11, d_model=16, heads=4, layers=2, positional=positional, max_len=12)
    logits, attentions = model(torch.randint(11, (3, 12), generator=torch.Generator().manual_seed(0)))
    assert logits.shape == (3, 12, 11)
    assert len(attentions) == 2 and all(a.shape == (3, 4, 12, 12) for a in attentions)
    torch.testing.assert_close(attentions[1].sum(-1), torch.ones(3, 4, 12))
    assert torch.isfinite(logits).all()


def test_a_learned_table_has_no_entries_past_max_len():
    model = build(seed=0, vocab=5, d_model=16, heads=2, positional="learned", max_len=8)
    model(torch.zeros(1, 8, dtype=torch.long))
    with pytest.raises(ValueError, match="this model's learned position table has only 8 entries"):
        model(torch.zeros(1, 9, dtype=torch.long))
    longer = build(seed=0, vocab=5, d_model=16, heads=2, positional="sinusoidal", max_len=8)
    assert longer(torch.zeros(1, 40, dtype=torch.long))[0].shape == (1, 40, 5), "sinusoidal has a code for every position"


def test_build_is_seeded_and_leaves_the_global_generator_alone():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a, b = build(seed=4, vocab=5, positional="alibi"), build(seed=4, vocab=5, positional="alibi")
    assert torch.equal(torch.random.get_rng_state(), before)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    c = build(seed=5, vocab=5, positional="alibi")
    assert not torch.equal(a.embed.weight, c.embed.weight)
