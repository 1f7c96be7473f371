"""Device choice: CUDA, then MPS, then CPU; PLAYGROUND_DEVICE forces one or fails clearly."""

from __future__ import annotations

import pytest
import torch

from engine.device import DeviceError, available_kinds, device_info, pick_device, pick_kind


def test_automatic_choice_is_the_best_present():
    kinds = available_kinds()
    assert kinds[-1] == "cpu"
    assert pick_kind({}) == (kinds[0], False)
    assert pick_kind({"PLAYGROUND_DEVICE": "auto"}) == (kinds[0], False)
    assert pick_device({}).type == kinds[0]


def test_forcing_the_cpu_always_works():
    assert pick_kind({"PLAYGROUND_DEVICE": "CPU "}) == ("cpu", True)
    info = device_info({"PLAYGROUND_DEVICE": "cpu"})
    assert info.kind == "cpu" and info.forced and info.torch_version == torch.__version__


@pytest.mark.parametrize("kind", ["cuda", "mps"])
def test_forcing_an_absent_device_is_a_clear_error(kind):
    if kind in available_kinds():
        assert pick_kind({"PLAYGROUND_DEVICE": kind}) == (kind, True)
        return
    with pytest.raises(DeviceError, match=f"no {kind.upper()} device is available"):
        pick_kind({"PLAYGROUND_DEVICE": kind})


def test_unknown_device_names_are_refused():
    with pytest.raises(DeviceError, match="not a device"):
        pick_kind({"PLAYGROUND_DEVICE": "tpu"})
