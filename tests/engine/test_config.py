"""The config pattern: validation with readable messages, lossless JSON and URL round-trips,
and hot vs structural fields declared as data."""

from __future__ import annotations

import pytest

from engine.config import ConfigError
from engine.curve_fit import CurveFitConfig

ODD = CurveFitConfig(target="step", n_points=300, noise=0.1, hidden=(7, 3, 64), activation="leaky_relu",
                     optimizer="sgd", learning_rate=0.0003, batch_size=1, seed=12345)


@pytest.mark.parametrize("config", [CurveFitConfig(), ODD, CurveFitConfig(hidden=())])
def test_round_trips_through_json_and_url(config):
    assert CurveFitConfig.from_json(config.to_json()) == config
    query = config.to_query()
    assert all(isinstance(v, str) for v in query.values())
    assert CurveFitConfig.from_query(query) == config


def test_url_keeps_floats_exact():
    config = CurveFitConfig(learning_rate=0.1 + 0.2)  # 0.30000000000000004
    assert CurveFitConfig.from_query(config.to_query()).learning_rate == config.learning_rate


@pytest.mark.parametrize(("changes", "message"), [
    ({"learning_rate": 0.0}, "learning_rate must be between"),
    ({"learning_rate": float("nan")}, "finite"),
    ({"activation": "softplus"}, "activation must be one of"),
    ({"batch_size": 500}, "batch_size must be between 1 and 128"),
    ({"hidden": (8,) * 7}, "at most 6 hidden layers"),
])
def test_out_of_range_values_get_a_clear_message(changes, message):
    with pytest.raises(ConfigError, match=message):
        CurveFitConfig().replace(**changes)


@pytest.mark.parametrize(("query", "message"), [
    ({"learning_rate": "fast"}, "learning_rate must be a number"),
    ({"batch_size": "2.5"}, "whole number"),
    ({"hidden": "4,x"}, "must be a number"),
    ({"learning_rate": "inf"}, "finite"),
])
def test_bad_url_values_get_a_clear_message(query, message):
    with pytest.raises(ConfigError, match=message):
        CurveFitConfig.from_query(query)


def test_url_ignores_foreign_parameters_and_keeps_defaults():
    config = CurveFitConfig.from_query({"run": "abc", "learning_rate": "0.5"})
    assert config == CurveFitConfig(learning_rate=0.5)


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"learning_rat": 0.1}', '{"hidden": "16"}', b"\xff\xfe"])
def test_malformed_json_is_refused_with_a_message(text):
    with pytest.raises(ConfigError):
        CurveFitConfig.from_json(text)


def test_hot_and_structural_fields():
    base = CurveFitConfig()
    assert {"learning_rate", "batch_size"} == base.HOT
    assert "hidden" in CurveFitConfig.structural_fields()
    assert not base.needs_rebuild(base.replace(learning_rate=0.5, batch_size=8))
    assert base.needs_rebuild(base.replace(hidden=(4,)))
    assert base.changed_fields(base.replace(learning_rate=0.5)) == {"learning_rate"}
