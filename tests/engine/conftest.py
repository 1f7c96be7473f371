"""Engine-tier fixtures."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module")
def one_thread():
    """Run a module's tests on one torch thread, as a runtime worker does (one worker per core, one thread each):
    small convolutions and recurrent steps are bound by per-op overhead, and a second thread only adds contention."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
