"""The experiment-config pattern every page shares: one frozen dataclass per kind of experiment.

A config holds names, not objects (`activation: str = "tanh"`), validates itself on creation
(a `ConfigError` whose message a page can show as it is), round-trips losslessly through JSON
and through URL query parameters, and declares as data which fields are *hot* (applied to a
running job, e.g. `learning_rate`) — every other field is *structural* (a change rebuilds the
model). Subclasses set `HOT` and override `check()`; field types are limited to what a URL can
carry: bool, int, float, str and tuples of those.
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Self


class ConfigError(ValueError):
    """A config value is out of range or malformed; the message is meant for the learner."""


@dataclasses.dataclass(frozen=True)
class Config:
    HOT: ClassVar[frozenset[str]] = frozenset()

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(f"{f.name} must be a finite number, not {value}.")
        self.check()

    def check(self) -> None:
        """Raise ConfigError for an out-of-range value. Subclasses override."""

    # -- hot and structural fields ------------------------------------------------------------
    @classmethod
    def structural_fields(cls) -> frozenset[str]:
        return frozenset(f.name for f in dataclasses.fields(cls)) - cls.HOT

    def changed_fields(self, other: Config) -> frozenset[str]:
        return frozenset(f.name for f in dataclasses.fields(self) if getattr(self, f.name) != getattr(other, f.name))

    def needs_rebuild(self, other: Config) -> bool:
        """True when going from self to other changes a structural field."""
        return bool(self.changed_fields(other) - self.HOT)

    def replace(self, **changes: Any) -> Self:
        """A validated copy with some fields changed (values are coerced to the field types)."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}.")
        hints = _hints(type(self))
        return dataclasses.replace(self, **{k: _coerce(k, v, hints[k]) for k, v in changes.items()})

    # -- JSON ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        if not isinstance(data, Mapping):
            raise ConfigError("a config must be a JSON object of setting names and values.")
        hints = _hints(cls)
        unknown = set(data) - set(hints)
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}.")
        return cls(**{k: _coerce(k, v, hints[k]) for k, v in data.items()})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"this is not valid JSON ({exc}).") from None
        return cls.from_dict(data)

    # -- URL query parameters -----------------------------------------------------------------
    def to_query(self) -> dict[str, str]:
        """Every field as a string; tuples comma-joined, floats in their shortest exact form."""
        return {f.name: _to_text(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_query(cls, params: Mapping[str, str], base: Config | None = None) -> Self:
        """Fields named in params override base (default: the class defaults); others are ignored."""
        hints = _hints(cls)
        values = (base or cls()).to_dict()
        for name, text in params.items():
            if name in hints:
                values[name] = _from_text(name, text, hints[name])
        return cls.from_dict(values)


# -- helpers for subclasses' check() ------------------------------------------------------------
def check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, not {value:g}.")


def check_choice(name: str, value: str, choices: Iterable[str]) -> None:
    choices = tuple(choices)
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}.")


# -- coercion between JSON/URL text and typed fields -------------------------------------------
def _hints(cls: type) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in typing.get_type_hints(cls).items() if k in names}


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _coerce(name: str, value: Any, hint: Any) -> Any:
    """Bring a JSON value to the field's declared type, or raise a ConfigError saying why."""
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise ConfigError(f"{name} must be a list, not {value!r}.")
        return tuple(_coerce(name, v, item) for v in value)
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{name} must be true or false, not {value!r}.")
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            raise ConfigError(f"{name} must be a whole number, not {value!r}.")
        return int(value)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{name} must be a number, not {value!r}.")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{name} must be text, not {value!r}.")
        return value
    raise TypeError(f"unsupported config field type {hint!r} for {name}")


def _to_text(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(_to_text(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _from_text(name: str, text: str, hint: Any) -> Any:
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        return tuple(_from_text(name, part, item) for part in text.split(",")) if text else ()
    if hint is bool:
        if text.lower() in ("true", "1"):
            return True
        if text.lower() in ("false", "0"):
            return False
        raise ConfigError(f"{name} must be true or false, not {text!r}.")
    if hint in (int, float):
        try:
            number = float(text)
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {text!r}.") from None
        if not math.isfinite(number):
            raise ConfigError(f"{name} must be a finite number, not {text!r}.")
        return int(number) if hint is int and number == int(number) else number
    return text
