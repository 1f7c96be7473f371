"""Every lab, by topic. Each topic module defines `LABS`, a tuple of `Lab`; this module only collects them,
in the order the Labs page shows the topics."""

from __future__ import annotations

from engine.labs import attention, cnn, depth, initialisation, losses, normalisation, optimisation, positional, regularisation, sequence
from engine.labs.base import Lab

TOPICS: dict[str, str] = {  # key → title, in page order
    "initialisation": "Initialisation",
    "depth": "Activations and depth",
    "losses": "Losses and imbalance",
    "regularisation": "Regularisation",
    "optimisation": "Optimisation",
    "normalisation": "Normalisation",
    "attention": "Attention",
    "positional": "Positional encodings",
    "cnn": "CNNs",
    "sequence": "Sequence models",
}
_MODULES = (initialisation, depth, losses, regularisation, optimisation, normalisation, attention, positional, cnn, sequence)

LABS: dict[str, Lab] = {lab.key: lab for module in _MODULES for lab in module.LABS}


def by_topic() -> dict[str, list[Lab]]:
    """Topic key → its labs, topics in page order; topics with no lab are left out."""
    groups: dict[str, list[Lab]] = {t: [] for t in TOPICS}
    for lab in LABS.values():
        groups[lab.topic].append(lab)
    return {t: labs for t, labs in groups.items() if labs}
