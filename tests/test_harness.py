"""The harness: timing protocol, statistics, extrapolation, results files, run, report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from slimbench.cli import main
from slimbench.figures.extrapolate import extrapolate_training_time
from slimbench.figures.summary import median_ci_indices, summarize
from slimbench.formatting import human_duration
from slimbench.impls import InvalidInputError, create
from slimbench.measure import memory_plan as memory_plan_module
from slimbench.measure.annotate import annotate_tiers, step_loop_lines
from slimbench.measure.timing import TierClock, TimingPlan
from slimbench.output.compare import compare_results, slower_tiers
from slimbench.output.results import ResultsFileError, load_results
from slimbench.sessions import run as runner_module

TINY = "synthetic-tiny"
FAST = "python-indptr,cython-typed,cython-rand"


# -- statistics and extrapolation ---------------------------------------------------------


@pytest.mark.parametrize(
    "n,lo,hi,coverage",
    [(5, 0, 4, 0.9375), (6, 0, 5, 0.96875), (7, 0, 6, 0.984375), (9, 1, 7, 0.9609375)],
)
def test_median_ci_uses_order_statistics_and_reports_coverage(n, lo, hi, coverage):
    assert median_ci_indices(n) == (lo, hi, pytest.approx(coverage))


def test_summary_of_rounds():
    s = summarize([10.0, 12.0, 11.0, 50.0, 9.0, 10.5, 11.5])
    assert s.median == 11.0 and s.minimum == 9.0 and s.maximum == 50.0
    assert (s.ci_low, s.ci_high) == (9.0, 50.0) and s.confidence > 0.95
    assert s.q1 <= s.median <= s.q3


def test_extrapolation_matches_the_seed():
    # seed In [39]: 8e6 interactions, 10 epochs, 101,150 samples/s -> 790.9 s = 13.2 minutes
    t = extrapolate_training_time(101_150.0, 8_000_000, 10, interval=(100_000.0, 102_000.0))
    assert t.seconds == pytest.approx(790.9, abs=0.1)
    assert t.seconds_low < t.seconds < t.seconds_high
    assert human_duration(t.seconds) == "13 minutes"
    assert human_duration(34_120) == "9.5 hours" and human_duration(41.2) == "41 s"


# -- timing protocol ----------------------------------------------------------------------


class FakeClock:
    """A clock that advances by a fixed cost per step of the tier it watches."""

    def __init__(self, tier, seconds_per_step):
        self.now, self.tier, self.cost = 0.0, tier, seconds_per_step
        self._last = 0
        original = tier.run

        def run(n):
            self.now += n * self.cost
            return original(n)

        tier.run = run

    def __call__(self):
        return self.now


def test_clock_calibrates_rounds_to_the_budget(small_urm):
    tier = create("cython-rand", small_urm)
    clock = TierClock(
        tier,
        TimingPlan(budget_seconds=10.0, rounds=5, warmup_seconds=1.0),
        clock=FakeClock(tier, 1e-4),
    )
    while clock.next_round() is not None:
        pass
    assert len(clock.rounds) == 5
    assert sum(r.seconds for r in clock.warmup) >= 1.0
    assert clock.spent_seconds == pytest.approx(10.0, rel=0.1)
    for r in clock.rounds:
        assert r.samples_per_second == pytest.approx(1e4)
        assert r.seconds == pytest.approx(9.0 / 5, rel=0.25)


@pytest.mark.parametrize("rewarm", [True, False])
def test_rounds_after_the_first_are_rewarmed_untimed(small_urm, rewarm):
    tier = create("cython-rand", small_urm)
    plan = TimingPlan(budget_seconds=10.0, rounds=4, warmup_seconds=1.0, rewarm=rewarm)
    clock = TierClock(tier, plan, clock=FakeClock(tier, 1e-4))
    while clock.next_round() is not None:
        pass
    first, *later = clock.rounds
    assert first.rewarm_steps == 0
    for r in later:
        assert r.rewarm_steps == (max(1, int(0.05 * r.steps)) if rewarm else 0)
    counted = sum(r.steps for r in clock.warmup) + sum(
        r.steps + r.rewarm_steps for r in clock.rounds
    )
    assert tier.steps_done == counted  # re-warm steps ran, outside the timed rounds
    assert clock.spent_seconds == pytest.approx(10.0, rel=0.1)  # and inside the budget


def test_slow_tier_gets_fewer_steps_not_more_time(small_urm):
    tier = create("python-naive", small_urm)
    clock = TierClock(
        tier, TimingPlan(budget_seconds=2.0, rounds=7), clock=FakeClock(tier, 0.4)
    )  # 0.4 s per step: a pathological tier
    while clock.next_round() is not None:
        pass
    assert clock.spent_seconds <= 2.0 * 1.5
    assert clock.notes and "only" in clock.notes[0]


@pytest.mark.parametrize(
    "kwargs", [{"budget_seconds": 0}, {"budget_seconds": -1}, {"rounds": 0}, {"rounds": 2.5}]
)
def test_plan_refuses_non_positive_budget_or_rounds(kwargs):
    with pytest.raises(InvalidInputError):
        TimingPlan(**kwargs)


# -- a whole run --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    code = main(
        [
            "run",
            "--dataset",
            TINY,
            "--tiers",
            FAST,
            "--budget",
            "0.6",
            "--rounds",
            "5",
            "--out",
            str(out),
        ]
    )
    return code, out


def test_run_records_noise_diagnostics(tiny_run):
    doc = json.loads((tiny_run[1] / "results.json").read_text())
    record = doc["noise"]
    assert record["before"]["time"] < record["after"]["time"]
    assert isinstance(record["warnings"], list) and "other_cpu_share" in record


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
    assert doc["status"] == "complete" and doc["dataset"]["name"] == TINY
    assert {"cpu_model", "python", "packages", "compiler"} <= set(doc["machine"])
    by_name = {t["name"]: t for t in doc["tiers"]}
    assert list(by_name) == FAST.split(",")
    for t in by_name.values():
        assert t["check"]["verdict"] == "pass" and t["status"] == "measured"
        assert len(t["rounds"]) >= 1 and t["samples_per_second"]["median"] > 0
        assert t["setup_seconds"] >= 0 and t["training_time"]["seconds"] > 0
        sps = [r["steps"] / r["seconds"] for r in t["rounds"]]
        assert t["samples_per_second"]["median"] == pytest.approx(np.median(sps))
    rand = by_name["cython-rand"]
    assert rand["speedup"]["cython-rand"] == pytest.approx(1.0)
    assert by_name["cython-typed"]["yellow_lines"] > 0


def test_report_is_self_contained(tiny_run):
    _, out = tiny_run
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 4
    assert "http://" not in html and "https://" not in html
    for needle in ("Cross-check", "Timing protocol", "Caveats", "RAND_MAX", "cython-typed"):
        assert needle in html


def test_report_and_compare_from_saved_results(tiny_run, tmp_path, capsys):
    _, out = tiny_run
    assert main(["report", str(out / "results.json"), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "report.html").exists()
    doc = load_results(out / "results.json")
    assert main(["compare", str(out / "results.json"), str(out / "results.json")]) == 0
    rows = compare_results(doc, doc)
    assert all(r["ratio"] == pytest.approx(1.0) for r in rows)
    assert all(r["verdict"] == "no detectable change" for r in rows)


def _scaled(doc: dict, factors: dict[str, float]) -> dict:
    """A copy of a run whose tiers' rounds ran ``factor`` times as fast (a test double)."""
    other = json.loads(json.dumps(doc))
    for t in other["tiers"]:
        f = factors.get(t["name"], 1.0)
        for r in t["rounds"]:
            r["seconds"] /= f
        for key in ("median", "ci_low", "ci_high"):
            t["samples_per_second"][key] *= f
    return other


def test_compare_gives_verdicts_from_the_rounds(tiny_run):
    doc = load_results(tiny_run[1] / "results.json")
    rows = compare_results(doc, _scaled(doc, {t["name"]: 10.0 for t in doc["tiers"]}))
    assert all(r["verdict"] == "faster" and r["ratio"] == pytest.approx(10) for r in rows)
    assert all(r["p_value"] < 0.05 for r in rows)


def _doc_with_rounds(speeds: dict[str, list[float]]) -> dict:
    """A minimal results document whose tiers ran rounds of the given samples/s."""
    tiers = []
    for name, values in speeds.items():
        rounds = [{"steps": int(v * 1000), "seconds": 1000.0, "loss": 0.0} for v in values]
        tiers.append(
            {"name": name, "rounds": rounds, "samples_per_second": summarize(values).to_dict()}
        )
    return {"schema": "slimbench.output.results", "schema_version": 1, "tiers": tiers}


def test_compare_fail_slower_gates_a_slowed_tier(tiny_run, tmp_path, capsys):
    steady = [100.0, 101.0, 99.0, 100.5, 99.5, 100.2, 99.8]
    old = _doc_with_rounds({"cython-rand": steady, "floor": steady})
    slowed = _doc_with_rounds({"cython-rand": [0.9 * v for v in steady], "floor": steady})
    rows = {r["tier"]: r for r in compare_results(old, slowed)}
    assert rows["cython-rand"]["verdict"] == "slower" and rows["cython-rand"]["p_value"] < 0.01
    assert rows["floor"]["verdict"] == "no detectable change"
    # documents without passes (no scheduling recorded): the raw verdict decides
    assert slower_tiers(list(rows.values()), 5) == (["cython-rand"], [])
    assert slower_tiers(list(rows.values()), 20) == ([], [])  # 10% slower: no 20% failure
    # noise as large as the change, in both directions: not called a change
    noisy = _doc_with_rounds(
        {"cython-rand": [v * (1.1 if k % 2 else 0.9) for k, v in enumerate(steady)]}
    )
    assert compare_results(old, noisy)[0]["verdict"] == "no detectable change"
    # and through the CLI, on real results files whose cython-rand rounds are controlled
    real = load_results(tiny_run[1] / "results.json")
    for name, factor in (("old", 1.0), ("new", 0.9)):
        doc = json.loads(json.dumps(real))
        doc.pop("noise", None)  # this machine's load during the fixture's run is not tested
        rand = next(t for t in doc["tiers"] if t["name"] == "cython-rand")
        rand["rounds"] = [
            {"steps": int(v * factor * 1000), "seconds": 1.0, "loss": 0.0} for v in steady
        ]
        rand["samples_per_second"] = summarize([factor * v * 1000 for v in steady]).to_dict()
        (tmp_path / f"{name}.json").write_text(json.dumps(doc))
    files = [str(tmp_path / "old.json"), str(tmp_path / "new.json")]
    assert main(["compare", *files, "--fail-slower", "5"]) == 1
    assert "slower by more than 5%: cython-rand" in capsys.readouterr().out
    assert main(["compare", *files, "--fail-slower", "20"]) == 0


def test_a_failing_tier_gets_no_speed_and_the_run_exits_non_zero(tmp_path):
    from helpers import DropsLastItem

    from slimbench.impls import registered

    with registered(DropsLastItem):
        code = main(
            [
                "run",
                "--dataset",
                TINY,
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
    calls = {"n": 0}
    original = runner_module.Runner._round

    def interrupt_on_fourth(self, name, clock):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return original(self, name, clock)

    monkeypatch.setattr(runner_module.Runner, "_round", interrupt_on_fourth)
    code = main(
        [
            "run",
            "--dataset",
            TINY,
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
    assert code == 130
    doc = load_results(tmp_path / "results.json")
    assert doc["status"] == "interrupted"
    assert all(len(t["rounds"]) >= 1 for t in doc["tiers"])
    assert "interrupted" in (tmp_path / "report.html").read_text()


# -- bad input ----------------------------------------------------------------------------


def test_unwritable_output_fails_before_measuring(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code = main(["run", "--dataset", TINY, "--out", str(blocker / "sub")])
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
    assert "expected a positive" in err or "expected an integer in [1, " in err


def test_results_file_errors(tmp_path):
    with pytest.raises(ResultsFileError, match="does not exist"):
        load_results(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ResultsFileError, match="not valid JSON .line 1"):
        load_results(bad)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"schema": "slimbench.output.results", "schema_version": 99}))
    with pytest.raises(ResultsFileError, match="schema version 99; this slimbench reads"):
        load_results(other)
    pb = tmp_path / "pb.json"
    pb.write_text(json.dumps({"benchmarks": []}))
    with pytest.raises(ResultsFileError, match="--pytest-benchmark"):
        load_results(pb)


def test_dataset_too_large_for_memory_is_refused_before_allocating(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner_module, "available_memory", lambda: 100_000)
    code = main(["run", "--dataset", TINY, "--tiers", "cython-rand", "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "needs a dense S of 200^2 x 8 bytes" in err and "available" in err


def test_tiers_run_one_at_a_time_when_they_do_not_fit_together(tmp_path, monkeypatch):
    from slimbench.data.datasets import load_dataset
    from slimbench.impls import prepare_urm

    data = prepare_urm(load_dataset(TINY).urm)
    one = memory_plan_module.tier_memory_bytes("cython-rand", data)
    names = ["cython-rand", "cython-typed"]
    assert memory_plan_module.memory_plan(names, data, int(3 * one)) == "round-robin"
    assert memory_plan_module.memory_plan(names, data, int(1.5 * one)) == "sequential"


# -- annotate -----------------------------------------------------------------------------


def test_step_loop_is_found_by_marker_or_seed_loop():
    src = (
        "def f():\n    x = 1\n    for sample_num in range(3):\n        a = 1\n\n"
        "        # c\n        b = 2\n    return x\n"
    )
    assert step_loop_lines(src) == [3, 4, 7]
    marked = "cdef f():\n    # step loop\n    for k in range(3):\n        a = 1\n    y = 2\n"
    assert step_loop_lines(marked) == [3, 4]


def test_annotate_counts_yellow_lines(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a relative output folder, as `slimbench run` gives by default
    counts = annotate_tiers(["python-naive", "cython-untyped", "cython-rand"], Path("out"))
    assert set(counts) == {"cython-untyped", "cython-rand"}  # python-naive is not Cython
    untyped, rand = counts["cython-untyped"], counts["cython-rand"]
    assert Path(untyped["html"]).exists()
    # compiling Python unchanged leaves almost every loop line calling into the interpreter
    assert untyped["yellow_lines"] >= 0.7 * untyped["loop_lines"]
    assert untyped["yellow_score"] > 3 * rand["yellow_score"]


# -- scale ------------------------------------------------------------------------------


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


def test_pytest_benchmark_json_becomes_a_report(tmp_path):
    def bench(tier, seconds):
        info = {
            "tier": tier,
            "exactness": "bitwise",
            "check": "pass",
            "steps": 1000,
            "train_nnz": 8000,
            "epochs": 10,
            "dataset": "synthetic-tiny",
        }
        return {"extra_info": info, "stats": {"data": seconds, "median": float(np.median(seconds))}}

    path = tmp_path / "bench.json"
    path.write_text(
        json.dumps(
            {
                "benchmarks": [
                    bench("python-naive", [0.5, 0.4, 0.6]),
                    bench("cython-rand", [0.01, 0.02, 0.01]),
                ]
            }
        )
    )
    assert main(["report", "--pytest-benchmark", str(path), "--out", str(tmp_path / "r")]) == 0
    doc = load_results(tmp_path / "r" / "results.json")
    naive, rand = doc["tiers"]
    assert naive["samples_per_second"]["median"] == pytest.approx(2000.0)
    assert rand["samples_per_second"]["median"] == pytest.approx(100_000.0)
    assert rand["speedup"] == {"python-naive": pytest.approx(50.0), "cython-rand": 1.0}
    assert rand["training_time"]["seconds"] == pytest.approx(10 * 8000 / 100_000)
    assert (tmp_path / "r" / "report.html").exists()
    assert not (tmp_path / "r" / ".slimbench.lock").exists()  # released
    # a second import into the folder never replaces its results.json unless asked to
    before = (tmp_path / "r" / "results.json").read_bytes()
    assert main(["report", "--pytest-benchmark", str(path), "--out", str(tmp_path / "r")]) == 2
    assert (tmp_path / "r" / "results.json").read_bytes() == before
    argv = ["report", "--pytest-benchmark", str(path), "--out", str(tmp_path / "r"), "--force"]
    assert main(argv) == 0


def test_a_run_failing_before_measuring_leaves_no_empty_folder(tmp_path):
    made = tmp_path / "new-run"
    assert main(["run", "--dataset", "nosuch:x", "--out", str(made)]) == 2
    assert not made.exists()
    kept = tmp_path / "mine"
    kept.mkdir()  # a folder the user made is never taken away
    assert main(["run", "--dataset", "nosuch:x", "--out", str(kept)]) == 2
    assert kept.is_dir() and list(kept.iterdir()) == []
