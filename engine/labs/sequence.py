"""Labs on sequence models: how far back a plain RNN, a GRU and an LSTM remember, and whether gradient clipping
prevents NaNs in an RNN with a large W_h (see engine/labs/base.py for what a lab is).

The first runs the Sequence page's delayed-recall experiment (`engine.sequence.recall.RecallTrainer`, its own
default budget) for the three recurrent cells, over one or more seeds. The second trains the page's tanh RNN with
W_h scaled up (`gradients.exploding_config`) without and with clipping, one update per piece of work, and records
what happens: the same measurements as the page's exploding demo.
"""

from __future__ import annotations

import numpy as np

from engine.labs.base import Evidence, Knob, Lab, Measured, Series, Verdict, standard_error
from engine.sequence.gradients import ExplodingRun, exploding_config
from engine.sequence.recall import RecallConfig, RecallTrainer

# -- 12. memory range on delayed recall ----------------------------------------------------------------------
CELLS = ("rnn", "gru", "lstm")
NAMES = {"rnn": "plain RNN", "gru": "GRU", "lstm": "LSTM"}


def _reach(accuracy: np.ndarray, lengths: tuple[int, ...], threshold: float) -> int:
    """The longest lag before the first one whose accuracy is below threshold (0: fails at the first lag)."""
    below = np.flatnonzero(accuracy < threshold)
    return lengths[-1] if below.size == 0 else (0 if below[0] == 0 else lengths[below[0] - 1])


def _recall_run(p):
    lengths = tuple(int(v) for v in p["lags"].split(","))
    runs = []
    for s in range(p["seeds"]):
        trainer = RecallTrainer(RecallConfig(lengths=lengths, models=CELLS, updates=p["updates"], seed=p["seed"] + s))
        while not trainer.done:
            model, lag = trainer.pairs[trainer.index]
            yield (s + trainer.progress) / p["seeds"], f"seed {s + 1} of {p['seeds']}: training the {NAMES[model]} at lag {lag}"
            trainer.step()
        runs.append(trainer.accuracy)  # (cells, lengths)
    accuracy = np.array(runs)  # (seeds, cells, lengths)
    mean = accuracy.mean(axis=0)
    se = [[standard_error(accuracy[:, i, j].tolist()) for j in range(len(lengths))] for i in range(len(CELLS))]
    chance = 1 / RecallConfig().alphabet
    threshold = (1 + chance) / 2  # halfway from chance to perfect
    figures = {f"reach_{cell}": float(_reach(mean[i], lengths, threshold)) for i, cell in enumerate(CELLS)}
    figures.update(longest=float(lengths[-1]), threshold=threshold)
    rows = tuple({"lag L": lag, **{f"{NAMES[c]} accuracy": float(mean[i, j]) for i, c in enumerate(CELLS)}}
                 for j, lag in enumerate(lengths))
    evidence = Evidence("line", "lag L (distractors between symbol and query)", "test accuracy", tuple(
        Series(NAMES[c], lengths, tuple(float(v) for v in mean[i]), tuple(se[i]) if p["seeds"] > 1 else ()) for i, c in enumerate(CELLS)),
        log_x=True, note=f"Chance is {chance:.3f}; the rule's threshold, halfway from chance to perfect, is {threshold:.3f}.")
    return Measured(figures, rows, evidence)


def _recall_judge(figures, params) -> Verdict:
    rnn, gru, lstm, longest = (figures[k] for k in ("reach_rnn", "reach_gru", "reach_lstm", "longest"))
    text = (f"longest lag held above {figures['threshold']:.3f} accuracy: RNN {rnn:.0f}, GRU {gru:.0f}, LSTM {lstm:.0f} "
            f"(0: not even the first; lags tested up to {longest:.0f})")
    if min(rnn, gru, lstm) == longest:
        return Verdict("mixed", f"{text}: no model falls within the tested lags, so nothing falls first.")
    if max(rnn, gru, lstm) == 0:
        return Verdict("mixed", f"{text}: no model holds even the first lag (too few updates?), so nothing falls first.")
    if rnn < gru and rnn < lstm:
        return Verdict("supported", f"{text}: the RNN falls at a shorter lag than both gated cells.")
    if rnn >= gru and rnn >= lstm:
        return Verdict("not supported", f"{text}: the RNN holds at least as long as both gated cells.")
    return Verdict("mixed", f"{text}: the RNN falls before one gated cell but not before the other.")


RECALL = Lab(
    key="recall_lag", topic="sequence", title="How far back can each cell remember?",
    claim="On a delayed-recall task accuracy falls with the lag first for the plain RNN, later for the GRU and the LSTM.",
    setup="Delayed recall: a letter (8 possible), L distractor digits, then “?”; the answer is the letter. For each lag L a "
          "fresh tanh RNN, GRU and LSTM (hidden 32) trains for the same budget of Adam updates (batch 64, lr 3e-3, clipping at 1) "
          "and is tested on 512 new sequences. Accuracy is the mean over seeds.",
    rule="A model holds up to the longest lag before its first lag with mean accuracy below halfway from chance to perfect. "
         "Supported if the RNN's is shorter than both the GRU's and the LSTM's; not supported if it is at least as long as both; "
         "mixed otherwise, or when no model falls within the tested lags, or none holds even the first.",
    knobs=(Knob("lags", "lags L", "5,10,20", choices=("5,10,20", "5,10,20,40", "5,10,20,40,80")),
           Knob("updates", "Adam updates per model and lag", 300, 10, 2000), Knob("seeds", "seeds", 2, 1, 5),
           Knob("seed", "base seed", 0, 0, 10**6)),
    run=_recall_run, judge=_recall_judge, small={"updates": 20, "seeds": 1},
)

# -- 13. gradient clipping and NaNs --------------------------------------------------------------------------


def _updates(clip: float, p, seed: int):
    """Train the large-W_h RNN (gradients.ExplodingRun); yields once per update and returns its record with
    "stopped_at", the update at which it became non-finite (0: never; clipping cannot rescale an infinite norm)."""
    run = ExplodingRun(exploding_config(clip, w_h_scale=p["w_h_scale"], seed=seed))
    for _ in range(p["updates"]):
        yield
        run.update()
        if run.stopped:
            break
    return {**run.record, "stopped_at": len(run.record["loss"]) if run.stopped else 0}


def _clipping_run(p):
    records, total = {}, 2 * p["seeds"] * p["updates"]
    for s in range(p["seeds"]):
        for clip in (0.0, 1.0):
            work, done = _updates(clip, p, p["seed"] + s), len(records) * p["updates"]
            while True:
                try:
                    next(work)
                except StopIteration as stop:
                    records[(clip, s)] = stop.value
                    break
                yield done / total, f"seed {s + 1} of {p['seeds']}, {'clipped at 1' if clip else 'unclipped'}"
                done += 1
    label = {0.0: "unclipped", 1.0: "clipped at 1"}
    rows = tuple({"seed": p["seed"] + s, "run": label[clip], "non-finite at update (0: never)": r["stopped_at"],
                  "final loss": r["loss"][-1], "largest gradient norm": max(r["grad_norm"]), "final max |weight|": r["max_weight"][-1]}
                 for (clip, s), r in records.items())
    figures = {}
    for clip, kind in ((0.0, "unclipped"), (1.0, "clipped")):
        runs = [r for (c, _), r in records.items() if c == clip]
        figures[f"nan_{kind}"] = float(np.mean([r["stopped_at"] > 0 for r in runs]))  # the share of runs that became non-finite
        figures[f"weight_{kind}"] = float(max(r["max_weight"][-1] for r in runs))
    evidence = Evidence("line", "update", "largest |weight|", tuple(
        Series(f"{label[clip]}, seed {p['seed'] + s}", tuple(range(1, len(r["max_weight"]) + 1)), tuple(r["max_weight"]))
        for (clip, s), r in records.items()), log_y=True,
        note="A run that ends early became non-finite (its loss or gradient norm overflowed).")
    return Measured(figures, rows, evidence)


def _clipping_judge(figures, params) -> Verdict:
    nu, nc, wu, wc = (figures[k] for k in ("nan_unclipped", "nan_clipped", "weight_unclipped", "weight_clipped"))
    text = (f"non-finite runs: unclipped {nu:.0%}, clipped {nc:.0%}; largest final |weight|: unclipped {wu:.3g}, clipped {wc:.3g}")
    if nc > 0:
        return Verdict("not supported", f"{text}: a clipped run became non-finite too.")
    if nu == 1:
        return Verdict("supported", f"{text}: every unclipped run became non-finite, no clipped one did.")
    return Verdict("mixed", f"{text}: no clipped run became non-finite, but not every unclipped run did"
                   + (" (clipping kept the weights small; without it they blew up but stayed finite)." if wu >= 1000 * wc else "."))


CLIPPING = Lab(
    key="clipping", topic="sequence", title="Does clipping prevent NaNs?",
    claim="Gradient clipping prevents NaNs when training an RNN with a large recurrent matrix W_h.",
    setup="A tanh RNN (hidden 64) on the bundled dinosaur names with W_h multiplied by a scale at initialisation; plain SGD "
          "(lr 1) with full back-propagation through windows of 128 characters; trained without clipping and with the gradient "
          "norm clipped at 1, the same seeds and windows. A run stops at the first non-finite loss or gradient norm.",
    rule="Supported if every unclipped run becomes non-finite and no clipped run does; not supported if any clipped run becomes "
         "non-finite; mixed otherwise.",
    knobs=(Knob("w_h_scale", "W_h scale", 4.0, 0.5, 20.0, log=True), Knob("updates", "updates", 20, 2, 200),
           Knob("seeds", "seeds", 2, 1, 5), Knob("seed", "base seed", 0, 0, 10**6)),
    run=_clipping_run, judge=_clipping_judge, small={"updates": 3, "seeds": 1},
    link=lambda p: ("sequence", exploding_config(1.0, w_h_scale=p["w_h_scale"], seed=p["seed"])),
)

LABS: tuple[Lab, ...] = (RECALL, CLIPPING)
