"""What a lab is: a claim, the experiment that tests it, the figures it measures and the rule that turns
those figures into a verdict.

A `Lab` is static data plus two functions. `run(params)` is a generator: it yields `(progress, stage)` pairs
between short pieces of work (so the runtime can time-slice it fairly) and returns a `Measured` (the named
figures, a table and the evidence to plot). `judge(figures, params)` applies the rule shown on the card to the
figures and returns a `Verdict`; `finish` joins both into a `LabResult`. Nothing here writes a verdict in
advance: the only way to one is through `judge` on measured numbers. `LabConfig` names a lab and its knob
values so a run is a runtime job (labs/trainer.py) and a link.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Generator, Mapping
from typing import Any

from engine.config import Config, ConfigError

OUTCOMES = ("supported", "not supported", "mixed")
Params = Mapping[str, Any]
Progress = tuple[float, str]  # (fraction done 0 → 1, what it is doing now)


@dataclasses.dataclass(frozen=True)
class Knob:
    """One setting of a lab that the learner may change and rerun: a number in [low, high] or a choice."""

    name: str
    label: str
    default: float | int | str | bool
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    log: bool = False  # a slider on a log scale (learning rates, ratios)
    help: str = ""

    @property
    def kind(self) -> str:
        if self.choices:
            return "choice"
        return {bool: "bool", int: "int"}.get(type(self.default), "float")

    def check(self, value: Any) -> Any:
        """value coerced to this knob's type, or ConfigError with a message for the learner."""
        if self.kind == "choice":
            if value not in self.choices:
                raise ConfigError(f"{self.label} must be one of {', '.join(self.choices)}, not {value!r}.")
            return value
        if self.kind == "bool":
            return bool(value)
        try:
            number = int(value) if self.kind == "int" else float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{self.label} must be a number, not {value!r}.") from None
        if self.kind == "int" and number != float(value):
            raise ConfigError(f"{self.label} must be a whole number, not {value!r}.")
        if not math.isfinite(number):
            raise ConfigError(f"{self.label} must be a finite number, not {value}.")
        if self.low is not None and number < self.low:
            raise ConfigError(f"{self.label} must be at least {self.low:g}, not {value}.")
        if self.high is not None and number > self.high:
            raise ConfigError(f"{self.label} must be at most {self.high:g}, not {value}.")
        return number


@dataclasses.dataclass(frozen=True)
class Series:
    """One line (or one group of bars) of a lab's evidence plot; err is ± one standard error, or empty."""

    name: str
    x: tuple
    y: tuple[float, ...]
    err: tuple[float, ...] = ()


@dataclasses.dataclass(frozen=True)
class Evidence:
    kind: str  # "line" or "bar"
    x_label: str
    y_label: str
    series: tuple[Series, ...]
    log_x: bool = False
    log_y: bool = False
    note: str = ""  # one sentence under the plot: how to read it


@dataclasses.dataclass(frozen=True)
class Measured:
    """What a run measured: named figures (the rule reads only these), a table of rows, and the evidence."""

    figures: Mapping[str, float]
    table: tuple[Mapping[str, Any], ...]
    evidence: Evidence


@dataclasses.dataclass(frozen=True)
class Verdict:
    outcome: str  # one of OUTCOMES
    because: str  # the rule applied to these figures, with the numbers

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"verdict must be one of {OUTCOMES}, not {self.outcome!r}")


@dataclasses.dataclass(frozen=True)
class LabResult:
    lab: str
    params: Mapping[str, Any]
    measured: Measured
    verdict: Verdict

    def to_payload(self) -> dict:
        """Plain dicts, lists and numbers: what a runtime snapshot carries and a CSV export reads."""
        return dataclasses.asdict(self)

    @staticmethod
    def from_payload(payload: Mapping[str, Any]) -> LabResult:
        m = payload["measured"]
        ev = dict(m["evidence"])
        ev["series"] = tuple(Series(s["name"], tuple(s["x"]), tuple(s["y"]), tuple(s["err"])) for s in ev["series"])
        measured = Measured(dict(m["figures"]), tuple(dict(r) for r in m["table"]), Evidence(**ev))
        return LabResult(payload["lab"], dict(payload["params"]), measured, Verdict(**payload["verdict"]))


Run = Callable[[Params], Generator[Progress, None, Measured]]
Judge = Callable[[Mapping[str, float], Params], Verdict]


@dataclasses.dataclass(frozen=True)
class Lab:
    key: str  # one word, used in the link and in bench figures labs.<key>_s
    topic: str  # one of TOPICS in labs/registry.py
    title: str
    claim: str  # the claim in one sentence, as courses state it
    setup: str  # data, model, what is varied, how many seeds
    rule: str  # the verdict rule in words, shown on the card before the run
    knobs: tuple[Knob, ...]
    run: Run
    judge: Judge
    small: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # knob values for a quick test run
    link: Callable[[Params], tuple[str, Config]] | None = None  # (page key, that page's config) to open this setup there

    def params(self, values: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Every knob's value: the defaults overridden by `values`, each checked (ConfigError otherwise)."""
        values = dict(values or {})
        unknown = set(values) - {k.name for k in self.knobs}
        if unknown:
            raise ConfigError(f"{self.title} has no setting {', '.join(sorted(unknown))}.")
        return {k.name: k.check(values.get(k.name, k.default)) for k in self.knobs}


def finish(lab: Lab, params: Params, measured: Measured) -> LabResult:
    """The result of a run: the verdict is computed here, from the measured figures, by the lab's rule."""
    return LabResult(lab.key, dict(params), measured, lab.judge(measured.figures, params))


def run_to_end(lab: Lab, values: Mapping[str, Any] | None = None,
               on_progress: Callable[[float, str], None] | None = None) -> LabResult:
    """Run a lab in this process (tests, bench, notebooks): drive its generator to the end."""
    params = lab.params(values)
    work = lab.run(params)
    while True:
        try:
            fraction, stage = next(work)
        except StopIteration as stop:
            return finish(lab, params, stop.value)
        if on_progress:
            on_progress(fraction, stage)


@dataclasses.dataclass(frozen=True)
class LabConfig(Config):
    """A lab run as a runtime job: the lab's key and its knob values as JSON text (so it fits in a link)."""

    lab: str = "zero_init"
    values: str = "{}"

    def check(self) -> None:
        from engine.labs.registry import LABS  # the registry imports every lab, which import this module

        if self.lab not in LABS:
            raise ConfigError(f"there is no lab called {self.lab!r}.")
        try:
            values = json.loads(self.values)
        except json.JSONDecodeError:
            raise ConfigError("the lab's settings are not valid JSON.") from None
        if not isinstance(values, dict):
            raise ConfigError("the lab's settings must be a JSON object.")
        LABS[self.lab].params(values)

    @property
    def params(self) -> dict[str, Any]:
        from engine.labs.registry import LABS

        return LABS[self.lab].params(json.loads(self.values))


def standard_error(values) -> float:
    """Standard error of the mean (sample standard deviation / √n); 0 for fewer than two values."""
    n = len(values)
    if n < 2:
        return 0.0
    mean = sum(values) / n
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n)
