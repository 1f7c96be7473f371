"""Labs on losses: does focal loss raise the recall of a rare class compared with cross-entropy?

Focal loss FL(p_t) = −α_t (1 − p_t)^γ log p_t (Lin et al., 2017) shrinks the loss of points the network already
gets right, so the rare class's hard points weigh more; α_t weights class 1 by α and class 0 by 1 − α. The lab
trains the same network with each loss on the same imbalanced data, seed by seed, and compares the recall of the
minority class on the test points, with standard errors of the paired differences.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping

from engine.labs.base import Evidence, Knob, Lab, Measured, Params, Progress, Series, Verdict
from engine.labs.playground_runs import Meter, layers, mean_se, seeded
from engine.losses import probabilities
from engine.metrics import predict, report
from engine.playground.config import PlaygroundConfig
from engine.playground.trainer import PlaygroundTrainer

LOSSES = {"bce": "cross-entropy", "focal": "focal"}
MINORITY = 1  # data2d gives class c a share ∝ imbalance^(−c/(K−1)): class 1 is the rare one
MARGIN = 2.0  # standard errors


def _config(params: Params) -> PlaygroundConfig:
    return PlaygroundConfig(dataset="gaussian", n_points=params["n_points"], noise=params["noise"], imbalance=params["imbalance"],
                            **layers(1, 8, "relu"), init="he", optimizer="adam", learning_rate=0.01, focal_gamma=params["gamma"],
                            focal_alpha=params["alpha"], focal_balance=True)


def minority_report(trainer: PlaygroundTrainer) -> tuple[float, float]:
    """(recall, precision) of the minority class on the test points, at threshold ½."""
    z, _ = trainer.net.forward(trainer.x_test)
    scores = probabilities(trainer.loss_spec, z, 2)
    r = report(trainer.test.y, predict(scores), 2)
    return float(r.recall[MINORITY]), float(r.precision[MINORITY])


def _run(params: Params) -> Generator[Progress, None, Measured]:
    seeds, epochs = params["seeds"], params["epochs"]
    meter = Meter(len(LOSSES) * seeds * epochs)
    found: dict[str, list[tuple[float, float]]] = {loss: [] for loss in LOSSES}  # (recall, precision) per seed
    for seed in range(seeds):
        for loss, label in LOSSES.items():
            config = seeded(_config(params), seed).replace(loss=loss)
            trainer, _ = yield from meter.train(config, epochs, f"{label}, seed {seed + 1} of {seeds}")
            found[loss].append(minority_report(trainer))
    recall = {loss: [r for r, _ in found[loss]] for loss in LOSSES}
    gain, gain_se = mean_se([f - c for f, c in zip(recall["focal"], recall["bce"], strict=True)])
    figures = {"recall_ce": mean_se(recall["bce"])[0], "recall_focal": mean_se(recall["focal"])[0],
               "recall_gain": gain, "recall_gain_se": gain_se}
    rows = []
    for loss, label in LOSSES.items():
        r, r_se = mean_se(recall[loss])
        p, p_se = mean_se([p for _, p in found[loss]])
        rows.append({"loss": label, "minority recall": r, "recall ± s.e.": r_se, "minority precision": p, "precision ± s.e.": p_se})
    stats = {loss: mean_se(recall[loss]) for loss in LOSSES}
    evidence = Evidence("bar", "loss", "minority-class recall (test)",
                        (Series("minority recall", tuple(LOSSES.values()), tuple(m for m, _ in stats.values()),
                                tuple(s for _, s in stats.values())),),
                        note="Mean over seeds, ± one standard error. Each seed trains both losses on the same data.")
    return Measured(figures, tuple(rows), evidence)


def _judge(figures: Mapping[str, float], params: Params) -> Verdict:
    gain, se = figures["recall_gain"], figures["recall_gain_se"]
    raised = gain > MARGIN * se and gain > 0
    compared = f"{abs(gain):.1%} {'higher' if gain > 0 else 'lower'} than" if gain else "the same as"
    return Verdict("supported" if raised else "not supported",
                   f"focal's minority recall {figures['recall_focal']:.1%} is {compared} cross-entropy's "
                   f"{figures['recall_ce']:.1%}; {MARGIN:g} standard errors of the paired difference are {MARGIN * se:.1%}, so the "
                   f"gain is {'more' if raised else 'not more'} than that.")


FOCAL = Lab(
    key="focal_recall",
    topic="losses",
    title="Focal loss and the rare class",
    claim="On data with a 1:20 class imbalance, focal loss raises the recall of the minority class compared with cross-entropy.",
    setup="Two overlapping Gaussian blobs, the second (class 1) rarer by the imbalance ratio; half the points for testing. "
          "One hidden layer of 8 ReLU units (He init), Adam at learning rate 0.01, batch 10. On every seed (new data and new "
          "weights) the same network is trained with binary cross-entropy and with focal loss FL = −α_t (1 − p_t)^γ log p_t, "
          "α_t = α for the rare class 1 and 1 − α for class 0 (the course's defaults α = 0.25, γ = 2 give the rare class the "
          "smaller weight). Recall of class 1 on the test points at threshold ½.",
    rule=f"Supported if focal's mean minority recall exceeds cross-entropy's by more than {MARGIN:g} standard errors of the "
         "per-seed difference; not supported otherwise.",
    knobs=(
        Knob("imbalance", "imbalance ratio (majority : minority)", 20.0, 2.0, 50.0, log=True),
        Knob("gamma", "focal γ", 2.0, 0.0, 5.0),
        Knob("alpha", "focal α (weight of the rare class)", 0.25, 0.05, 0.95),
        Knob("noise", "noise (class overlap)", 1.0, 0.0, 1.0),
        Knob("n_points", "points", 630, 100, 2000),
        Knob("epochs", "epochs", 100, 10, 1000, log=True),
        Knob("seeds", "seeds", 8, 2, 20),
    ),
    run=_run,
    judge=_judge,
    small={"n_points": 200, "epochs": 10, "seeds": 2},
    link=lambda params: ("playground", _config(params).replace(loss="focal")),
)

LABS: tuple[Lab, ...] = (FOCAL,)
