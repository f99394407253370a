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
    doc = json.loads((tmp_path / "scale.json").read_text())
    assert doc["schema"] == "slimbench.measure.scale" and doc["status"] == "complete"
    assert len(doc["points"]) == 8


def test_an_interrupted_sweep_keeps_its_points_and_says_interrupted(tmp_path, monkeypatch):
    """Ctrl-C (SIGTERM and SIGHUP take its path) half-way: the file must not look finished."""
    from slimbench.measure import tier_process
    from slimbench.sessions import scale

    measured = []
    real = scale._measure_point

    def measure_then_stop(point, shared, options, plan, call_timeout):
        assert call_timeout == scale.DEFAULT_CALL_TIMEOUT  # run_scale's, handed down
        if measured:
            raise KeyboardInterrupt
        real(point, shared, options, plan, call_timeout)
        measured.append(point)

    shared_roots = []
    monkeypatch.setattr(scale, "_measure_point", measure_then_stop)
    monkeypatch.setattr(
        scale,
        "SharedData",
        lambda data: shared_roots.append(tier_process.SharedData(data)) or shared_roots[-1],
    )
    with pytest.raises(KeyboardInterrupt):
        scale.run_scale(
            ["floor", "floor-compact"], {"size": ["synthetic-tiny"]}, tmp_path, budget_seconds=0.2,
            rounds=1,
        )  # fmt: skip
    doc = json.loads((tmp_path / "scale.json").read_text())
    assert doc["status"] == "interrupted"
    assert [p["tier"] for p in doc["points"]] == ["floor"]
    assert not shared_roots[0].folder.exists()  # the training arrays' shared copy is gone


def test_scale_cli_refuses_bad_lists(capsys):
    with pytest.raises(SystemExit):
        main(["scale", "--scales", "0.1,-1"])
    assert "expected positive numbers" in capsys.readouterr().err


def test_a_scale_too_small_for_the_presets_lengths_is_refused_before_anything_runs(
    tmp_path, monkeypatch, capsys
):
    """699 users cannot reach synthetic-ml10m's expected profile length: the sweep used to
    find out after the check and the larger points; now it says so first, with what to do."""
    from slimbench.sessions import scale

    monkeypatch.setattr(scale, "check_tiers", lambda *a, **k: pytest.fail("the check ran"))
    code = main(["scale", "--sweep", "size", "--scales", "0.1,0.01", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "'synthetic-ml10m:scale=0.01' (699 users) cannot be generated" in err
    assert "use larger --scales" in err and "Traceback" not in err
