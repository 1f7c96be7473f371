"""The hand-written recurrent cells against torch.nn's, the stacked model, and gradients through time."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.sequence.cells import GRUCell, LSTMCell, RNNCell, SequenceModel
from engine.sequence.gradients import (
    ExplodingConfig,
    ExplodingTrainer,
    compare_at_init,
    exploding_config,
    exploding_run,
    gradient_through_time,
)

B, I, H = 5, 7, 6


pytestmark = pytest.mark.usefixtures("one_thread")


def inputs(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, I, generator=g), torch.randn(B, H, generator=g), torch.randn(B, H, generator=g)


# -- each cell against its torch.nn twin ---------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1])
def test_rnn_cell_matches_torch_rnn_cell(seed):
    torch.manual_seed(seed)
    theirs = torch.nn.RNNCell(I, H)
    ours = RNNCell(I, H).load_torch(theirs)
    x, h, _ = inputs(seed)
    for _ in range(3):  # a few steps, feeding each cell its own output
        mine, _, gates = ours(x, h)
        torch.testing.assert_close(mine, theirs(x, h), rtol=1e-5, atol=1e-6)
        h = mine
    assert gates == {}


@pytest.mark.parametrize("seed", [0, 1])
def test_gru_cell_with_reset_after_matches_torch_gru_cell(seed):
    torch.manual_seed(seed)
    theirs = torch.nn.GRUCell(I, H)
    ours = GRUCell(I, H, reset_after=True).load_torch(theirs)
    x, h, _ = inputs(seed)
    for _ in range(3):
        mine, _, gates = ours(x, h)
        torch.testing.assert_close(mine, theirs(x, h), rtol=1e-5, atol=1e-6)
        h = mine
    assert set(gates) == {"z", "r", "h_tilde"}


@pytest.mark.parametrize("seed", [0, 1])
def test_lstm_cell_matches_torch_lstm_cell(seed):
    torch.manual_seed(seed)
    theirs = torch.nn.LSTMCell(I, H)
    ours = LSTMCell(I, H).load_torch(theirs)
    x, h, c = inputs(seed)
    for _ in range(3):
        mine_h, (_, mine_c), gates = ours(x, (h, c))
        ref_h, ref_c = theirs(x, (h, c))
        torch.testing.assert_close(mine_h, ref_h, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(mine_c, ref_c, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(gates["c"], ref_c)
        h, c = mine_h, mine_c
    assert set(gates) == {"f", "i", "o", "c_tilde", "c"}


def test_the_curriculum_gru_applies_the_reset_gate_before_the_recurrent_product():
    """reset_after=False is h̃ = tanh(W[r ⊙ h, x]) with W = [W_hn | W_in] acting on the concatenation; oracle written
    with concatenated matrices, as the curriculum writes it."""
    torch.manual_seed(3)
    cell = GRUCell(I, H)
    x, h, _ = inputs(3)
    Wi, Wh, bi, bh = cell.weight_ih.detach(), cell.weight_hh.detach(), cell.bias_ih.detach(), cell.bias_hh.detach()
    W = torch.cat([Wh, Wi], dim=1)  # (3H, H + I): acts on [h, x]
    b = bi + bh
    r = torch.sigmoid(torch.cat([h, x], 1) @ W[:H].T + b[:H])
    z = torch.sigmoid(torch.cat([h, x], 1) @ W[H:2 * H].T + b[H:2 * H])
    h_tilde = torch.tanh(torch.cat([r * h, x], 1) @ W[2 * H:].T + b[2 * H:])
    expected = (1 - z) * h + z * h_tilde
    mine, _, gates = cell(x, h)
    torch.testing.assert_close(mine, expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(gates["z"], z)
    torch.testing.assert_close(gates["h_tilde"], h_tilde, rtol=1e-5, atol=1e-6)
    cell.reset_after = True  # torch's variant is a different function of the same weights
    assert (cell(x, h)[0] - mine).abs().max() > 1e-3


def test_gru_with_z_forced_to_zero_keeps_the_state_and_with_one_takes_the_candidate():
    torch.manual_seed(0)
    cell = GRUCell(I, H)
    x, h, _ = inputs(4)
    kept, _, gates = cell(x * 10, h, force_z=0.0)  # however loud the input
    assert torch.equal(kept, h)
    replaced, _, gates = cell(x, h, force_z=1.0)
    torch.testing.assert_close(replaced, gates["h_tilde"])


def test_init_scale_multiplies_only_the_recurrent_weights():
    torch.manual_seed(0)
    a = RNNCell(I, H)
    torch.manual_seed(0)
    b = RNNCell(I, H, init_scale=5.0)
    torch.testing.assert_close(b.weight_hh, 5 * a.weight_hh)
    torch.testing.assert_close(b.weight_ih, a.weight_ih)


# -- the stacked model -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_sequence_model_carries_its_state_and_accepts_one_hot_input(cell):
    torch.manual_seed(0)
    model = SequenceModel(11, cell, hidden=8, layers=2)
    ids = torch.randint(11, (3, 10), generator=torch.Generator().manual_seed(1))
    logits, _ = model(ids)
    assert logits.shape == (3, 10, 11)
    first, state = model(ids[:, :4])
    second, _ = model(ids[:, 4:], state)  # the same sequence in two calls, the state handed over
    torch.testing.assert_close(torch.cat([first, second], 1), logits, rtol=1e-5, atol=1e-6)
    one_hot, _ = model(F.one_hot(ids, 11).float())
    torch.testing.assert_close(one_hot, logits, rtol=1e-5, atol=1e-6)


def test_trace_returns_hidden_states_and_gates_over_time():
    torch.manual_seed(0)
    model = SequenceModel(9, "lstm", hidden=5, layers=2)
    ids = [1, 4, 2, 8, 0, 3]
    view = model.trace(ids)
    assert view["hidden"].shape == (6, 2, 5)
    assert set(view["gates"]) == {"f", "i", "o", "c_tilde", "c"} and view["gates"]["f"].shape == (6, 2, 5)
    for name in ("f", "i", "o"):
        assert ((view["gates"][name] > 0) & (view["gates"][name] < 1)).all()
    np.testing.assert_allclose(view["hidden"], view["gates"]["o"] * np.tanh(view["gates"]["c"]), rtol=1e-5, atol=1e-6)
    logits, _ = model(torch.tensor([ids]))
    np.testing.assert_allclose(view["probs"], torch.softmax(logits[0], -1).detach().numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(view["probs"].sum(1), 1.0, rtol=1e-5)


# -- gradients through time ---------------------------------------------------------------------------------------
def test_the_gradient_at_the_last_step_is_the_read_out_formula():
    """∂L/∂h_T = W_yᵀ (softmax(z_T) − onehot(y_T)) for a single-layer model: a closed form."""
    torch.manual_seed(0)
    model = SequenceModel(7, "gru", hidden=6)
    ids = torch.tensor([1, 3, 5, 2, 6, 0])
    norms = gradient_through_time(model, ids)
    with torch.no_grad():
        logits, _ = model(ids[:-1].unsqueeze(0))
    p = torch.softmax(logits[0, -1].double(), -1)
    expected = model.head.weight.detach().double().T @ (p - F.one_hot(ids[-1], 7).double())
    assert norms.shape == (5,)
    assert norms[-1] == pytest.approx(float(expected.norm()), rel=1e-5)


def test_steps_after_the_target_get_no_gradient():
    torch.manual_seed(0)
    norms = gradient_through_time(SequenceModel(7, "rnn", hidden=6), [1, 2, 3, 4, 5, 6, 0, 1], target_position=3)
    assert (norms[4:] == 0).all() and (norms[:4] > 0).all()


def test_a_plain_tanh_rnn_at_init_has_vanishing_gradients_on_a_long_sequence():
    ids = torch.randint(20, (151,), generator=torch.Generator().manual_seed(0))
    norms = compare_at_init(ids, 20, hidden=32, cells=("rnn",))["rnn"]
    assert norms.shape == (150,)
    assert norms[0] < 1e-10 * norms[-1]  # 150 steps back, practically nothing arrives
    slope = np.polyfit(np.arange(150), np.log(norms), 1)[0]
    assert slope > 0.05  # exponential decay going back in time, not just a dip
    assert np.mean(np.diff(np.log(norms)) > 0) > 0.8  # and it decays step after step


def test_clipping_keeps_a_large_w_h_rnn_bounded_where_the_unclipped_one_blows_up():
    """What actually happens (engine/sequence/gradients.py): with W_h × 4 the gradient norm at initialisation is ~1e8. Unclipped,
    the first SGD update throws the weights to ~1e7 and the loss jumps; tanh saturates, so the loss stays finite (no NaN).
    Clipped at 1, the weights stay O(1) and the loss starts to fall."""
    unclipped = exploding_run(exploding_config(0.0), updates=12)
    clipped = exploding_run(exploding_config(1.0), updates=12)
    assert unclipped["grad_norm"][0] > 1e5 and clipped["grad_norm"][0] > 1e5  # the same exploding start
    assert unclipped["max_weight"][-1] > 1e5
    assert clipped["max_weight"][-1] < 5
    assert clipped["stopped"] == "" and np.isfinite(clipped["loss"]).all()
    assert clipped["loss"][-3:].mean() < unclipped["loss"][-3:].mean()


def test_the_exploding_demo_as_a_job_records_both_runs_and_stops_when_both_overflow():
    """ExplodingTrainer steps both runs one update at a time (the page's job); W_h × 8 overflows float32 at the first update in
    both runs, and since clipping cannot rescale an infinite norm, both stop with a reason and the job is done."""
    job = ExplodingTrainer(ExplodingConfig(updates=3))
    while not job.done:
        assert math.isfinite(job.step()["progress"])
    runs = job.snapshot()["runs"]
    assert len(runs["unclipped"]["loss"]) == len(runs["clipped"]["loss"]) == 3 and job.progress == 1.0
    assert runs["clipped"]["max_weight"][-1] < runs["unclipped"]["max_weight"][-1]
    overflow = ExplodingTrainer(ExplodingConfig(w_h_scale=8.0, updates=5))
    overflow.step()
    assert overflow.done, "both runs stopped at update 1"
    assert all(run["stopped"] == "the gradient norm became infinite at update 1." for run in overflow.snapshot()["runs"].values())
