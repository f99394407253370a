"""--repeat: the spread of each tier's figures across repeats of the whole protocol."""

from __future__ import annotations

import json

import pytest

from slimbench.cli import main
from slimbench.figures.stability import spread, stability


def _run(speeds: dict[str, float]) -> dict:
    tiers = []
    for name, s in speeds.items():
        tiers.append(
            {
                "name": name,
                "samples_per_second": {"median": s},
                "speedup": {"python-naive": s / speeds["python-naive"]},
                "percent_of_floor": None,
            }
        )
    return {"tiers": tiers}


def test_spread_is_max_over_min_minus_one():
    assert spread([100.0, 110.0, 105.0]) == pytest.approx(0.10)
    assert spread([5.0]) is None


def test_stability_rows_per_tier():
    runs = [
        _run({"python-naive": 2000.0, "cython-rand": 40000.0}),
        _run({"python-naive": 2500.0, "cython-rand": 45000.0}),
    ]
    rows = {r["tier"]: r for r in stability(runs)}
    rand = rows["cython-rand"]
    assert rand["samples_per_second"] == [40000.0, 45000.0]
    assert rand["samples_per_second_spread"] == pytest.approx(0.125)
    assert rand["vs python-naive"] == [20.0, 18.0]
    assert rand["vs python-naive spread"] == pytest.approx(20.0 / 18.0 - 1)
    assert "vs python-naive" not in rows["python-naive"]


def test_run_repeat_writes_each_repeat_and_the_stability(tmp_path):
    out = tmp_path / "rep"
    argv = ["run", "--dataset", "synthetic-tiny", "--tiers", "python-naive,cython-rand"]
    argv += ["--budget", "0.3", "--rounds", "2", "--repeat", "2", "--no-annotate"]
    assert main([*argv, "--out", str(out)]) == 0
    assert (out / "repeat-1" / "results.json").exists()
    assert (out / "repeat-2" / "report.html").exists()
    doc = json.loads((out / "stability.json").read_text())
    assert doc["repeats"] == 2
    rand = next(r for r in doc["tiers"] if r["tier"] == "cython-rand")
    assert len(rand["vs python-naive"]) == 2 and rand["vs python-naive spread"] >= 0
