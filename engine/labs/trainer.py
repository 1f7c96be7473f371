"""A lab run as a runtime job: each `step()` advances the lab's generator by one piece of work, so the
runtime's slices and fairness apply; when the generator returns, the verdict is computed (base.finish) and the
result goes into the payload as plain data."""

from __future__ import annotations

import time

import torch

from engine.labs.base import LabConfig, LabResult, finish
from engine.labs.registry import LABS


class LabTrainer:
    """Payload: "lab", "progress" (0 → 1), "stage" (text), "seconds" and, once done, "result" (LabResult.to_payload)."""

    unit = "step"

    def __init__(self, config: LabConfig, device: torch.device | str | None = None) -> None:
        self.config = config
        self.lab = LABS[config.lab]
        self.params = config.params
        self.work = self.lab.run(self.params)
        self.fraction, self.stage = 0.0, "starting…"
        self.result: LabResult | None = None
        self.started = time.perf_counter()
        self.seconds = 0.0
        self.done_reason = ""

    def step(self) -> dict[str, float]:
        if self.result is None:
            try:
                self.fraction, self.stage = next(self.work)
            except StopIteration as stop:
                self.result = finish(self.lab, self.params, stop.value)
                self.fraction, self.stage = 1.0, "done"
                self.seconds = time.perf_counter() - self.started
                self.done_reason = f"finished in {self.seconds:.1f} s: {self.result.verdict.outcome}."
        return {"progress": float(self.fraction)}

    @property
    def done(self) -> bool:
        return self.result is not None

    def snapshot(self) -> dict:
        return {"lab": self.lab.key, "progress": float(self.fraction), "stage": self.stage,
                "seconds": self.seconds or time.perf_counter() - self.started,
                "result": self.result.to_payload() if self.result else None}

    def apply(self, config: LabConfig, changed: frozenset[str]) -> None:
        self.config = config  # nothing is hot: new settings start a new run
