"""The Sequence page's character model as the other sections see it: the newest weights of the training
job in this tab (restored from its snapshot), or, before any training, a freshly initialised model of the
settings on the page. Every section that looks inside a model (the cell's gates, gradients through time,
decoding) takes it from here, so they all read the same model and say how trained it is.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st

from engine.runtime import UnknownRunError, get_runtime
from engine.sequence.cells import SequenceModel
from engine.sequence.charlm import CharLMConfig, CharLMTrainer, build_model, prepare, restore
from engine.sequence.corpus import CORPORA, CorpusError, Prepared
from ui import state

PAGE = "sequence"


@dataclasses.dataclass(frozen=True)
class Model:
    model: SequenceModel
    vocab: tuple[str, ...]
    config: CharLMConfig  # the settings it was built with
    updates: int  # optimizer updates it has had (0: untrained)
    names: bool  # a names corpus: a newline ends a name

    @property
    def trained(self) -> bool:
        return self.updates > 0

    def describe(self) -> str:
        c = self.config
        what = f"{c.cell.upper()}, hidden {c.hidden}" + (f", {c.layers} layers" if c.layers > 1 else "")
        if self.trained:
            return f"The model trained in the first tab ({what}) as of update {self.updates:,}."
        return (f"An untrained {what} (random weights): train it in the first tab and come back, and its values will "
                "mean something.")


@st.cache_data(show_spinner=False, max_entries=8)
def prepared(config: CharLMConfig) -> Prepared:
    """The config's text, cleaned and encoded (cached: the page redraws often; the text changes rarely)."""
    return prepare(config)


def corpus_label(config: CharLMConfig) -> str:
    return "your text" if config.corpus == "custom" else CORPORA[config.corpus].label.lower()


def current(config: CharLMConfig | None) -> Model | None:
    """The training job's newest model, or an untrained one for `config` (None if that cannot be built either)."""
    run_id = state.run_id(PAGE)
    if run_id is not None:
        try:
            runtime = get_runtime()
            spec, snap = runtime.spec(run_id), runtime.snapshot(run_id)
        except UnknownRunError:
            spec = snap = None
        if spec is not None and spec.trainer is CharLMTrainer and snap.payload and _finite(snap.payload.get("weights")):
            p = snap.payload
            try:
                model = restore(spec.config, p["weights"])
            except (RuntimeError, KeyError):  # rebuilt for new settings between the two reads
                model = None
            if model is not None:
                return Model(model, tuple(p["vocabulary"]), spec.config, int(p["updates"]), bool(p["names"]))
    if config is None:
        return None
    try:
        data = prepared(config)
    except CorpusError:
        return None
    return Model(build_model(config, data.vocab_size).eval(), data.vocab, config, 0, data.names)


def _finite(weights: dict | None) -> bool:
    """Weights to restore: present and all finite (a blown-up run's are not worth sampling from)."""
    return bool(weights) and all(np.isfinite(v).all() for v in weights.values())
