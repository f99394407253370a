"""`slimbench scale` (slimbench.sessions.scale): each tier on each dataset of a sweep."""

from __future__ import annotations

import json

import pytest

from slimbench.cli import main


def test_scale_measures_each_tier_on_each_dataset_and_plots(tmp_path):
    from slimbench.sessions.scale import run_scale

    sweeps = {
        "size": ["synthetic-tiny", "synthetic-tiny:seed=1"],
        "profile": [
            "synthetic:n_users=200,n_items=100,mean=10,median_len=6,min_len=2,loc=1",
            "synthetic:n_users=200,n_items=100,mean=40,median_len=25,min_len=2,loc=1",
        ],
    }
    points = run_scale(["cython-bucketed", "floor"], sweeps, tmp_path, budget_seconds=0.3, rounds=2)
    assert len(points) == 8 and all(p.status == "measured" for p in points)
    for p in points:
        assert p.samples_per_second > 0
        assert p.ns_per_entry == pytest.approx(
            1e9 / (p.samples_per_second * p.expected_profile_length)
        )
    longer = [p for p in points if p.sweep == "profile" and p.tier == "floor"]
    assert longer[0].expected_profile_length < longer[1].expected_profile_length
    assert (tmp_path / "scale_size.png").exists() and (tmp_path / "scale_profile.png").exists()
    assert json.loads((tmp_path / "scale.json").read_text())["schema"] == "slimbench.measure.scale"


def test_scale_cli_refuses_bad_lists(capsys):
    with pytest.raises(SystemExit):
        main(["scale", "--scales", "0.1,-1"])
    assert "expected positive numbers" in capsys.readouterr().err
