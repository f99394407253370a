"""Paired speedups: per-pass ratios cancel drift that hits a whole round-robin pass."""

from __future__ import annotations

from slimbench.figures.paired import paired_ratio
from slimbench.output.results import derive_ratios


def _entry(name: str, speeds: list[float]) -> dict:
    rounds = [{"steps": s, "seconds": 1.0, "loss": 0.0} for s in speeds]
    return {
        "name": name,
        "rounds": rounds,
        "samples_per_second": {"median": sorted(speeds)[len(speeds) // 2]},
    }


def test_paired_estimate_stays_put_where_the_ratio_of_medians_moves():
    # The true speedup is 20x. Whole passes slow to half speed for every tier; the slow
    # tier fitted only 5 rounds in its budget, the fast one 7 (as python-naive does).
    # Two runs of the same code that differ only in when the slow passes came:
    estimates = []
    for drift in ([1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0]):
        tiers = [
            _entry("python-naive", [1000.0 * d for d in drift[:5]]),
            _entry("cython-rand", [20000.0 * d for d in drift]),
        ]
        derive_ratios(tiers)
        estimates.append(tiers[1])
    by_medians = [e["speedup_ratio_of_medians"]["python-naive"] for e in estimates]
    paired = [e["speedup"]["python-naive"] for e in estimates]
    assert by_medians == [10.0, 20.0]  # the ratio of medians moves with the drift
    assert paired == [20.0, 20.0]  # the paired estimate does not
    for e in estimates:
        interval = e["speedup_interval"]["python-naive"]
        assert interval["ci_low"] == interval["ci_high"] == 20.0 and interval["passes"] == 5


def test_drift_common_to_a_pass_cancels_exactly():
    drift = [1.0, 0.6, 1.3, 0.8, 1.1, 0.7, 0.9]
    base = [1000.0 * d for d in drift]
    tier = [15000.0 * d for d in drift]
    result = paired_ratio(tier, base)
    assert result["median"] == result["ci_low"] == result["ci_high"] == 15.0
    # while the medians' ratio inherits whichever rounds happen to be the middle ones
    shifted = [1000.0 * d for d in drift[1:] + drift[:1]]  # baseline measured a pass later
    assert paired_ratio(tier, shifted)["ci_high"] > paired_ratio(tier, shifted)["ci_low"]


def test_unpaired_runs_keep_the_ratio_of_medians():
    tiers = [_entry("python-naive", [1000.0, 1000.0]), _entry("floor", [5000.0, 3000.0])]
    tiers.append(_entry("cython-rand", [2000.0, 2000.0]))
    derive_ratios(tiers, paired=False)
    rand = tiers[2]
    assert rand["speedup"] == rand["speedup_ratio_of_medians"] == {
        "python-naive": 2.0,
        "cython-rand": 1.0,
    }
    assert rand["speedup_interval"] == {"python-naive": None, "cython-rand": None}
    assert rand["percent_of_floor"] == 100.0 * 2000.0 / 5000.0
