"""The training time extrapolated from a speed (slimbench.figures.extrapolate), as printed."""

from __future__ import annotations

import pytest

from slimbench.figures.extrapolate import extrapolate_training_time
from slimbench.formatting import human_duration


def test_extrapolation_matches_the_seed():
    # seed In [39]: 8e6 interactions, 10 epochs, 101,150 samples/s -> 790.9 s = 13.2 minutes
    t = extrapolate_training_time(101_150.0, 8_000_000, 10, interval=(100_000.0, 102_000.0))
    assert t.seconds == pytest.approx(790.9, abs=0.1)
    assert t.seconds_low < t.seconds < t.seconds_high
    assert human_duration(t.seconds) == "13 minutes"
    assert human_duration(34_120) == "9.5 hours" and human_duration(41.2) == "41 s"
