"""Snapshots are immutable and picklable; histories stay bounded and end at the newest point."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from engine.runtime import Event, History, JobState, Snapshot


def test_history_is_bounded_evenly_and_keeps_the_newest_point():
    history = History(capacity=100)
    for step in range(1, 10_001):
        history.record(step, {"loss": 1.0 / step})
    steps, values = history.arrays()["loss"]
    assert len(steps) <= 101
    assert steps[0] == 1 and steps[-1] == 10_000 and values[-1] == pytest.approx(1e-4)
    gaps = np.diff(steps[:-1])
    assert gaps.min() == gaps.max(), "points are evenly spaced over the whole run"


def test_snapshot_is_read_only_and_survives_pickling():
    snap = Snapshot("r1", JobState.RUNNING, 3, {"loss": np.array([[1, 2, 3], [0.3, 0.2, 0.1]])},
                    {"grid": np.zeros((2, 2)), "nested": {"a": [1, 2]}, "records": [{"index": 4}, {"index": 7}]},
                    (Event(2, "learning_rate", 0.1, 0.3),))
    with pytest.raises(ValueError):
        snap.payload["grid"][0, 0] = 1.0
    with pytest.raises(TypeError):
        snap.payload["new"] = 1
    with pytest.raises(AttributeError):
        snap.step = 4
    copy = pickle.loads(pickle.dumps(snap))
    assert copy.step == 3 and copy.events[0].label == "learning_rate: 0.1 → 0.3"
    assert copy.latest("loss") == pytest.approx(0.1) and copy.payload["nested"]["a"] == (1, 2)
    assert not copy.payload["grid"].flags.writeable
    assert [r["index"] for r in copy.payload["records"]] == [4, 7]  # dicts inside a list pickle too
