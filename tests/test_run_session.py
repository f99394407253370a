"""A whole `slimbench run` (slimbench.sessions.run): its outputs, failures and refusals."""

from __future__ import annotations

import numpy as np
import pytest

from slimbench.cli import main
from slimbench.impls import registered
from slimbench.output.results import load_results
from slimbench.sessions import run as runner_module

from helpers import TINY_RUN_TIERS, DropsLastItem


def test_run_writes_every_output(tiny_run):
    code, out = tiny_run
    assert code == 0
    for name in (
        "results.json",
        "results.csv",
        "report.html",
        "speed.png",
        "training_time.png",
        "rounds.png",
        "mse.png",
    ):
        assert (out / name).stat().st_size > 0, name
    assert not list(out.glob(".*.tmp"))  # atomic writes leave no temporary behind


def test_results_hold_verified_figures_and_metadata(tiny_run):
    _, out = tiny_run
    doc = load_results(out / "results.json")
    assert doc["status"] == "complete" and doc["dataset"]["name"] == "synthetic-tiny"
    assert {"cpu_model", "python", "packages", "compiler"} <= set(doc["machine"])
    by_name = {t["name"]: t for t in doc["tiers"]}
    assert list(by_name) == TINY_RUN_TIERS.split(",")
    for t in by_name.values():
        assert t["check"]["verdict"] == "pass" and t["status"] == "measured"
        assert len(t["rounds"]) >= 1 and t["samples_per_second"]["median"] > 0
        assert t["setup_seconds"] >= 0 and t["training_time"]["seconds"] > 0
        sps = [r["steps"] / r["seconds"] for r in t["rounds"]]
        assert t["samples_per_second"]["median"] == pytest.approx(np.median(sps))
    rand = by_name["cython-rand"]
    assert rand["speedup"]["cython-rand"] == pytest.approx(1.0)
    assert by_name["cython-typed"]["yellow_lines"] > 0


def test_a_failing_tier_gets_no_speed_and_the_run_exits_non_zero(tmp_path):
    with registered(DropsLastItem):
        code = main(
            [
                "run",
                "--dataset",
                "synthetic-tiny",
                "--tiers",
                "cython-rand,faulty-drops-last-item",
                "--budget",
                "0.3",
                "--rounds",
                "2",
                "--out",
                str(tmp_path),
                "--no-annotate",
            ]
        )
    assert code == 1
    doc = load_results(tmp_path / "results.json")
    bad = next(t for t in doc["tiers"] if t["name"] == "faulty-drops-last-item")
    assert bad["status"] == "failed-check" and bad["samples_per_second"] is None
    assert bad["rounds"] == [] and "entries of S differ" in bad["error"]
    assert next(t for t in doc["tiers"] if t["name"] == "cython-rand")["status"] == "measured"


def test_interrupted_run_keeps_what_was_measured(tmp_path, monkeypatch):
    original = runner_module.RunSession._round
    interrupted = []

    def interrupt_once_each_tier_has_a_round(self, name, clock):
        # not after a fixed count of rounds: a loaded machine may spend a tier's budget in
        # one round, and the run would end before that count
        going = original(self, name, clock)
        if not interrupted and all(e["rounds"] for e in self.entries.values()):
            interrupted.append(name)
            raise KeyboardInterrupt
        return going

    monkeypatch.setattr(runner_module.RunSession, "_round", interrupt_once_each_tier_has_a_round)
    code = main(
        [
            "run",
            "--dataset",
            "synthetic-tiny",
            "--tiers",
            "cython-typed,cython-rand",
            "--budget",
            "0.5",
            "--rounds",
            "5",
            "--out",
            str(tmp_path),
            "--no-annotate",
        ]
    )
    assert interrupted and code == 130
    doc = load_results(tmp_path / "results.json")
    assert doc["status"] == "interrupted"
    assert all(len(t["rounds"]) >= 1 for t in doc["tiers"])
    assert "interrupted" in (tmp_path / "report.html").read_text()


def test_unwritable_output_fails_before_measuring(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code = main(["run", "--dataset", "synthetic-tiny", "--out", str(blocker / "sub")])
    assert code == 2
    assert "cannot write to the output directory" in capsys.readouterr().err


def test_unknown_tier_fails_before_measuring(tmp_path, capsys):
    assert main(["run", "--tiers", "cython-fast", "--out", str(tmp_path / "o")]) == 2
    assert "unknown tier 'cython-fast'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "flag,value",
    [
        ("--budget", "0"),
        ("--budget", "-3"),
        ("--rounds", "0"),
        ("--rounds", "x"),
        ("--epochs", "0"),
        ("--threads", "0"),
    ],
)
def test_non_positive_options_are_refused(flag, value, capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", flag, value])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert " must be " in err and ", got " in err  # the bound's one message (impls/limits.py)


def test_dataset_too_large_for_memory_is_refused_before_allocating(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner_module, "available_memory", lambda: 100_000)
    argv = ["run", "--dataset", "synthetic-tiny", "--tiers", "cython-rand"]
    code = main([*argv, "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "needs a dense S of 200^2 x 8 bytes" in err and "available" in err


def test_a_run_failing_before_measuring_leaves_no_empty_folder(tmp_path):
    made = tmp_path / "new-run"
    assert main(["run", "--dataset", "nosuch:x", "--out", str(made)]) == 2
    assert not made.exists()
    kept = tmp_path / "mine"
    kept.mkdir()  # a folder the user made is never taken away
    assert main(["run", "--dataset", "nosuch:x", "--out", str(kept)]) == 2
    assert kept.is_dir() and list(kept.iterdir()) == []
