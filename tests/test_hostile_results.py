"""Hostile input, families "results files", "output folders" and "interruption".

A results.json is validated once at load: each mutation of a real run's file below must be
refused by ``report`` (and ``compare``) with one line naming the field and the file.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest

from slimbench.cli import main
from slimbench.impls import registered
from slimbench.impls.cython_typed import CythonTyped
from slimbench.sessions import run as runner_module

from hostile import assert_refused, cli

RUN = ["--dataset", "synthetic-tiny", "--budget", "1", "--rounds", "3", "--no-annotate"]


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    """A real run's results.json (floor and cython-typed on synthetic-tiny)."""
    out = tmp_path_factory.mktemp("run")
    assert main(["run", *RUN, "--tiers", "floor,cython-typed", "--out", str(out)]) == 0
    return json.loads((out / "results.json").read_text())


def _set(path: str, value: object):
    """A mutation setting the dotted ``path`` (list items by number) to ``value``."""

    def mutate(doc: dict) -> None:
        *parents, last = path.split(".")
        node = doc
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        if value is DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return mutate


DELETE = object()
NAN = float("nan")

# (mutation of the document, or raw text of the file; pattern of the error line)
RESULTS_FILES = [
    ("not json {", r"is not valid JSON \(line 1"),
    ("", r"is not valid JSON"),
    (b"\xff\xfe\x00binary", r"is not a text JSON file|not valid JSON"),
    ("[1, 2]", r"is not a slimbench results file \(schema 'list'"),
    ('{"benchmarks": []}', r"not a slimbench results file .* pytest-benchmark"),
    (_set("schema", "other"), r"schema 'other', expected 'slimbench.output.results'"),
    (_set("schema_version", 3), r"results schema version 3"),
    (_set("status", DELETE), r"status is missing"),
    (_set("status", "done"), r"status must be one of running, complete"),
    (_set("created", None), r"created must be a non-empty string"),
    (_set("dataset", DELETE), r"dataset is missing"),
    (_set("dataset.name", 123), r"dataset.name must be a non-empty string, got 123"),
    (_set("dataset.train_nnz", "many"), r"dataset.train_nnz must be an integer"),
    (_set("options.epochs", "10"), r"options.epochs must be an integer >= 0, got '10'"),
    (_set("machine", []), r"machine must be an object"),
    (_set("caveats", [1]), r"caveats\[0\] must be a non-empty string"),
    (_set("tiers", {}), r"tiers must be a list"),
    (_set("tiers.0", "floor"), r"tiers\[0\] must be an object"),
    (_set("tiers.0.name", None), r"tiers\[0\].name must be a non-empty string, got None"),
    (_set("tiers.0.name", ""), r"tiers\[0\].name must be a non-empty string"),
    (_set("tiers.1.name", "floor"), r"lists tier\(s\) floor more than once"),
    (_set("tiers.0.exactness", DELETE), r"tiers\[0\].exactness is missing"),
    (_set("tiers.0.status", "great"), r"tiers\[0\].status must be one of"),
    (_set("tiers.0.rounds", None), r"tiers\[0\].rounds must be a list"),
    (_set("tiers.0.rounds.0.steps", -1), r"tiers\[0\].rounds\[0\].steps must be an integer >= 0"),
    (_set("tiers.0.rounds.0.steps", 1.5), r"rounds\[0\].steps must be an integer >= 0, got 1.5"),
    (_set("tiers.0.rounds.0.seconds", "x"), r"rounds\[0\].seconds must be a finite number"),
    (_set("tiers.0.rounds.0.seconds", -1.0), r"rounds\[0\].seconds must be >= 0"),
    (_set("tiers.0.rounds.0.loss", NAN), r"rounds\[0\].loss must be a finite number, got nan"),
    (_set("tiers.0.samples_per_second", 5), r"samples_per_second must be an object"),
    (_set("tiers.0.samples_per_second.median", "fast"), r"median must be a finite number"),
    (_set("tiers.0.samples_per_second.median", NAN), r"median must be a finite number, got nan"),
    (_set("tiers.0.samples_per_second.median", float("inf")), r"median must be a finite number"),
    (_set("tiers.0.samples_per_second.median", 0), r"median must be > 0, got 0"),
    (_set("tiers.0.samples_per_second.median", -5.0), r"median must be > 0, got -5.0"),
    (_set("tiers.0.samples_per_second.ci_low", -1.0), r"ci_low must be > 0"),
    (_set("tiers.0.samples_per_second.ci_high", None), r"ci_high must be a finite number"),
    (_set("tiers.0.samples_per_second.minimum", True), r"minimum must be a finite number"),
    (_set("tiers.0.training_time.seconds", -1.0), r"training_time.seconds must be > 0"),
    (_set("tiers.0.training_time.human", None), r"training_time.human must be a non-empty"),
    (_set("tiers.0.speedup", [1]), r"tiers\[0\].speedup must be an object"),
]


def _write_results(folder, case, saved_run):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "results.json"
    if callable(case):
        doc = copy.deepcopy(saved_run)
        case(doc)
        path.write_text(json.dumps(doc))  # NaN and inf written as JSON's NaN/Infinity
    else:
        path.write_bytes(case.encode() if isinstance(case, str) else case)
    return path


@pytest.mark.parametrize("case,pattern", RESULTS_FILES)
def test_report_refuses_bad_results_files(case, pattern, saved_run, tmp_path, capsys):
    path = _write_results(tmp_path / "bad", case, saved_run)
    outcome = cli(["report", str(path)], capsys)
    assert_refused(outcome, pattern)
    assert "results.json" in outcome.err  # the file is named
    assert not (tmp_path / "bad" / "report.html").exists()


COMPARE_CASES = [case for case in RESULTS_FILES if "median" in case[1] or "ci_" in case[1]]


@pytest.mark.parametrize("case,pattern", COMPARE_CASES)
def test_compare_gives_no_verdict_from_bad_figures(case, pattern, saved_run, tmp_path, capsys):
    good = _write_results(tmp_path / "good", _set("status", "complete"), saved_run)
    bad = _write_results(tmp_path / "bad", case, saved_run)
    for argv in (["compare", str(good), str(bad)], ["compare", str(bad), str(good)]):
        outcome = cli(argv, capsys)
        assert_refused(outcome, pattern)
        assert "faster" not in outcome.out and "slower" not in outcome.out


@pytest.mark.parametrize("target", ["file", "folder-of-a-file", "proc"])
def test_unwritable_output_folders_are_refused_first(target, tmp_path, capsys):
    (tmp_path / "a-file").write_text("x")
    out = {
        "file": tmp_path / "a-file",
        "folder-of-a-file": tmp_path / "a-file" / "sub",
        "proc": "/proc/slimbench-cannot-write-here",
    }[target]
    assert_refused(cli(["run", *RUN, "--out", str(out)], capsys), r"cannot write to the output")


def test_a_finished_run_is_not_overwritten_without_force(saved_run, tmp_path, capsys):
    path = _write_results(tmp_path, _set("status", "complete"), saved_run)
    before = path.read_bytes()
    outcome = cli(["run", *RUN, "--tiers", "floor", "--out", str(tmp_path)], capsys)
    assert_refused(outcome, r"already holds a run's results.json; pass --force")
    assert path.read_bytes() == before
    assert not (tmp_path / ".slimbench.lock").exists()


def test_a_folder_in_use_by_a_live_run_is_refused(tmp_path, capsys):
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / ".slimbench.lock").write_text(f"{owner.pid}\n")
        outcome = cli(["run", *RUN, "--tiers", "floor", "--out", str(tmp_path)], capsys)
        assert_refused(outcome, rf"in use by another slimbench run \(pid {owner.pid}\)")
    finally:
        owner.kill()
        owner.wait()


def test_report_refuses_a_folder_a_live_run_is_writing(saved_run, tmp_path, capsys):
    path = _write_results(tmp_path, _set("status", "running"), saved_run)
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / ".slimbench.lock").write_text(f"{owner.pid}\n")
        outcome = cli(["report", str(path)], capsys)
        assert_refused(outcome, rf"in use by another slimbench run \(pid {owner.pid}\)")
        assert not (tmp_path / "report.html").exists()
        assert (tmp_path / ".slimbench.lock").read_text() == f"{owner.pid}\n"  # still theirs
    finally:
        owner.kill()
        owner.wait()
    outcome = cli(["report", str(path)], capsys)  # the owner is gone: the lock is stale
    assert outcome.code == 0, outcome.err
    assert (tmp_path / "report.html").exists() and not (tmp_path / ".slimbench.lock").exists()


def test_a_stale_lock_is_taken_over_and_force_rewrites_with_readable_modes(tmp_path, capsys):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (tmp_path / ".slimbench.lock").write_text(f"{gone.pid}\n")
    (tmp_path / "results.json").write_text("{}")
    outcome = cli(["run", *RUN, "--tiers", "floor", "--out", str(tmp_path), "--force"], capsys)
    assert outcome.code == 0, outcome.err
    assert json.loads((tmp_path / "results.json").read_text())["status"] == "complete"
    assert not (tmp_path / ".slimbench.lock").exists()
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir() if p.is_file()}
    png = {m for n, m in modes.items() if n.endswith(".png")}
    assert len(png) == 1 and modes["results.json"] in png and modes["report.html"] in png
    assert modes["results.csv"] in png


def test_markup_in_an_output_path_is_printed_as_written(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outcome = cli(["run", *RUN, "--tiers", "floor", "--out", "x[/]y[red]z"], capsys)
    assert outcome.code == 0 and "Traceback" not in outcome.out + outcome.err
    assert "x[/]y[red]z" in outcome.out


def test_an_error_while_writing_leaves_a_failed_state_on_disk(tmp_path, capsys, monkeypatch):
    real = runner_module.write_results
    calls = []

    def failing(results, out_dir):
        calls.append(1)
        if len(calls) == 3:  # after the start and the check: mid-measurement
            raise OSError(28, "No space left on device")
        return real(results, out_dir)

    monkeypatch.setattr(runner_module, "write_results", failing)
    outcome = cli(["run", *RUN, "--tiers", "floor", "--out", str(tmp_path)], capsys)
    assert_refused(outcome, r"the run failed \(OSError: .*No space left on device\)")
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["status"] == "failed" and "No space left" in doc["error"]
    assert not (tmp_path / ".slimbench.lock").exists()
    assert cli(["report", str(tmp_path / "results.json")], capsys).code == 0


class _OverflowsInItsRun(CythonTyped):
    """A tier whose run raises what a tier's arithmetic can raise (in its worker)."""

    name = "overflows-in-run"

    def _run(self, n_steps):
        raise OverflowError("int too large to convert to C long")


class _OverflowsInItsSetup(CythonTyped):
    name = "overflows-in-setup"

    def _setup(self):
        raise OverflowError("Python int too large to convert to C long")


def test_a_crashing_tier_costs_only_itself(tmp_path, capsys):
    with registered(_OverflowsInItsRun):
        outcome = cli(
            ["run", *RUN, "--tiers", "floor,overflows-in-run", "--out", str(tmp_path)], capsys
        )
    assert outcome.code == 1 and "Traceback" not in outcome.out + outcome.err
    doc = json.loads((tmp_path / "results.json").read_text())
    tiers = {t["name"]: t for t in doc["tiers"]}
    assert doc["status"] == "complete"
    assert tiers["overflows-in-run"]["status"] in ("error", "failed-check")
    assert "OverflowError" in tiers["overflows-in-run"]["error"]
    assert tiers["floor"]["status"] == "measured" and tiers["floor"]["samples_per_second"]


def test_ctrl_c_leaves_an_interrupted_state(tmp_path, capsys, monkeypatch):
    def interrupt(clock):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner_module.TierClock, "next_round", interrupt)
    outcome = cli(["run", *RUN, "--tiers", "floor", "--out", str(tmp_path)], capsys)
    assert outcome.code == 130 and "Traceback" not in outcome.out + outcome.err
    assert json.loads((tmp_path / "results.json").read_text())["status"] == "interrupted"


def test_a_run_killed_by_sigkill_still_reports_its_rounds(tmp_path, capsys):
    out = tmp_path / "killed"
    args = [*RUN, "--budget", "60", "--rounds", "50", "--tiers", "cython-typed", "--out", str(out)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "slimbench.cli", "run", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                doc = json.loads((out / "results.json").read_text())
                if len(doc["tiers"][0]["rounds"]) >= 2:
                    break
            except (OSError, ValueError, KeyError, IndexError):
                pass
            time.sleep(0.2)
        else:
            pytest.fail("the run wrote no rounds within 90 s")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert json.loads((out / "results.json").read_text())["status"] == "running"
    outcome = cli(["report", str(out / "results.json")], capsys)
    assert outcome.code == 0, outcome.err
    assert "gone; its tiers show as interrupted" in outcome.out
    row = next(line for line in outcome.out.splitlines() if "cython-typed" in line)
    assert "interrupted" in row and "samples" not in row and any(c.isdigit() for c in row)


def test_a_tier_failing_its_setup_costs_only_itself(tmp_path, capsys):
    with registered(_OverflowsInItsSetup):
        outcome = cli(
            ["run", *RUN, "--tiers", "floor,overflows-in-setup", "--out", str(tmp_path)], capsys
        )
    assert outcome.code == 1 and "Traceback" not in outcome.out + outcome.err
    tiers = {t["name"]: t for t in json.loads((tmp_path / "results.json").read_text())["tiers"]}
    assert tiers["overflows-in-setup"]["status"] in ("error", "failed-check")
    assert "OverflowError" in tiers["overflows-in-setup"]["error"]
    assert tiers["floor"]["status"] == "measured"


def test_a_non_finite_figure_is_stored_as_null_with_a_caveat(saved_run, tmp_path, capsys):
    from slimbench.output.results import write_results

    doc = copy.deepcopy(saved_run)
    doc["tiers"][0]["setup_seconds"] = float("inf")
    doc["tiers"][1]["percent_of_floor"] = float("nan")
    write_results(doc, tmp_path)
    text = (tmp_path / "results.json").read_text()
    assert "Infinity" not in text and "NaN" not in text
    stored = json.loads(text)
    assert stored["tiers"][0]["setup_seconds"] is None
    assert "not finite, stored as null: tiers[0].setup_seconds" in stored["caveats"][-1]
    assert cli(["report", str(tmp_path / "results.json")], capsys).code == 0


def test_scale_does_not_overwrite_a_finished_sweep_or_share_a_folder(tmp_path, capsys):
    (tmp_path / "scale.json").write_text("{}")
    outcome = cli(["scale", "--out", str(tmp_path)], capsys)
    assert_refused(outcome, r"already holds a run's scale.json; pass --force")
    assert (tmp_path / "scale.json").read_text() == "{}"
