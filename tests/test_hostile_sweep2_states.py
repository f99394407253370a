"""Hostile input, second sweep: statuses on disk (a full disk, SIGTERM, SIGHUP, Ctrl-C in
train) and nothing overwritten without --force (train's folder, --write-dat, --write-split).

A full disk is a small tmpfs mounted for the case (root only; skipped with the reason
otherwise, unmounted in teardown) and filled at a chosen moment: before the run, in the
middle of its measurement, while its report's plots are written, during a training.
Signals go to a real ``slimbench`` process. Each case asserts the exit code, one line and
no traceback, and the files left: the status in results.json / train.json, no lock, no
reserve, the model kept.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest

from slimbench.output import outdir
from slimbench.output import report as report_module
from slimbench.sessions import run as runner_module
from slimbench.sessions import train as train_module

from hostile import assert_refused, cli

RUN = ["--dataset", "synthetic-tiny", "--budget", "1", "--rounds", "3", "--no-annotate"]
RUN += ["--no-bandwidth"]
TRAIN = ["--dataset", "synthetic-tiny", "--tier", "cython-typed", "--epochs", "2"]
TRAIN += ["--predict-budget", "0.2", "--baselines", "none"]
LEFTOVERS = (outdir.LOCK_NAME, outdir.RESERVE_NAME, outdir.PROBE_NAME)


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MiB tmpfs of its own; ``fill()`` takes every free byte of it."""
    if os.geteuid() != 0:
        pytest.skip("a full disk is made by mounting a small tmpfs, which needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(disk) -> None:
    """Take every free byte of ``disk`` (a file of zeros written until ENOSPC)."""
    with open(disk / "filler", "ab") as fh:
        block = bytes(1 << 16)
        try:
            while True:
                fh.write(block)
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    try:  # the last partial page too
        with open(disk / "filler-tail", "ab") as fh:
            while True:
                fh.write(b"\0" * 512)
                fh.flush()
    except OSError:
        pass


def _left(folder) -> list[str]:
    return [name for name in LEFTOVERS if (folder / name).exists()]


def _doc(path) -> dict:
    return json.loads(path.read_text())


# -- a full disk ----------------------------------------------------------------------


def test_a_disk_full_before_the_run_refuses_it(small_disk, capsys):
    fill(small_disk)
    outcome = cli(["run", *RUN, "--tiers", "floor", "--out", str(small_disk / "out")], capsys)
    assert_refused(outcome, r"No space left on device|no room for the 4,194,304 bytes")
    assert not (small_disk / "out").exists() or _left(small_disk / "out") == []


@pytest.mark.parametrize("at_write", [2, 3], ids=["after-check", "mid-measurement"])
def test_a_disk_filling_mid_run_leaves_failed_not_running(
    at_write, small_disk, capsys, monkeypatch
):
    real, calls = runner_module.write_results, []

    def filling(results, out_dir):
        calls.append(1)
        if len(calls) == at_write:
            fill(small_disk)
        return real(results, out_dir)

    monkeypatch.setattr(runner_module, "write_results", filling)
    out = small_disk / "out"
    outcome = cli(["run", *RUN, "--tiers", "floor", "--out", str(out)], capsys)
    assert_refused(outcome, r"the run failed \(OSError: .*No space left on device")
    doc = _doc(out / "results.json")
    assert doc["status"] == "failed" and "No space left on device" in doc["error"]
    assert _left(out) == []


def test_a_disk_filling_while_the_plots_are_written_leaves_failed(small_disk, capsys, monkeypatch):
    real = report_module.write_plots

    def filling(results, out_dir):
        fill(small_disk)
        return real(results, out_dir)

    monkeypatch.setattr(report_module, "write_plots", filling)
    out = small_disk / "out"
    outcome = cli(["run", *RUN, "--tiers", "floor", "--out", str(out)], capsys)
    assert_refused(outcome, r"the report could not be written \(OSError.*No space left")
    doc = _doc(out / "results.json")
    assert doc["status"] == "failed" and "report could not be written" in doc["error"]
    assert doc["tiers"][0]["status"] == "measured"  # the figures are kept
    assert not (out / "report.html").exists() and _left(out) == []


def test_a_disk_filling_during_training_leaves_failed(small_disk, capsys, monkeypatch):
    real, calls = train_module.write_train_results, []

    def filling(doc, out_dir):
        calls.append(1)
        if len(calls) == 3:  # after the start and the setup: during the epochs
            fill(small_disk)
        return real(doc, out_dir)

    monkeypatch.setattr(train_module, "write_train_results", filling)
    out = small_disk / "train"
    outcome = cli(["train", *TRAIN, "--out", str(out)], capsys)
    assert_refused(outcome, r"No space left on device \(ENOSPC\): '.*train.json'")
    doc = _doc(out / "train.json")
    assert doc["status"] == "failed" and "No space left" in doc["error"]
    assert _left(out) == []


def test_a_read_only_file_system_is_one_line(small_disk, capsys):
    (small_disk / "ro").mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        for argv, pattern in [
            (["run", *RUN, "--out", str(small_disk / "ro" / "x")], r"Read-only file system"),
            (["stats", "synthetic-tiny", "--write-dat", str(small_disk / "r.dat")], r"\(EROFS\)"),
            (["scale", "--out", str(small_disk / "s")], r"Read-only file system"),
        ]:
            assert_refused(cli(argv, capsys), pattern)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)


# -- SIGTERM, SIGHUP, Ctrl-C -------------------------------------------------------------


def _wait_for(predicate, what: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (OSError, ValueError, KeyError, IndexError):
            pass
        if proc.poll() is not None:
            pytest.fail(f"the process ended ({proc.returncode}) before {what}")
        time.sleep(0.2)
    pytest.fail(f"no {what} within {seconds} s")


def _default_stop_signals() -> None:
    """In the child: SIGTERM and SIGHUP at their default action. A suite started under
    ``nohup`` (or a CI runner that ignores SIGHUP) passes SIG_IGN down, and the harness
    rightly leaves an ignored signal ignored: the child would then never stop."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _slimbench(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "slimbench.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_stop_signals,
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM], ids=["SIGTERM"])  # SIGHUP: see train
def test_a_stop_signal_leaves_a_run_interrupted(sig, tmp_path):
    out = tmp_path / "run"
    proc = _slimbench(
        "run",
        *RUN,
        "--budget",
        "60",
        "--rounds",
        "50",
        "--tiers",
        "cython-typed",
        "--out",
        str(out),
    )
    try:
        _wait_for(
            lambda: len(_doc(out / "results.json")["tiers"][0]["rounds"]) >= 1, "a round", proc
        )
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err and err.strip().endswith("slimbench run: interrupted"), err
    doc = _doc(out / "results.json")
    assert doc["status"] == "interrupted"
    assert doc["tiers"][0]["status"] == "interrupted" and doc["tiers"][0]["rounds"]
    assert _left(out) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_stop_signal_keeps_the_model_trained_so_far(sig, tmp_path):
    out = tmp_path / "train"
    args = [*TRAIN, "--epochs", "100000", "--save-top-k", "5", "--out", str(out)]
    proc = _slimbench("train", *args)
    try:
        _wait_for(lambda: len(_doc(out / "train.json")["epochs"]) >= 2, "two epochs", proc)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err, err
    doc = _doc(out / "train.json")
    assert doc["status"] == "interrupted" and len(doc["epochs"]) >= 2
    model = _doc(out / "model.json")
    assert model["steps"] == sum(e["steps"] for e in doc["epochs"]) > 0
    assert (out / "model_top5.npz").exists() and _left(out) == []


def test_ctrl_c_inside_an_epoch_saves_the_partial_epoch(
    tmp_path, capsys, monkeypatch, interactive_sigint
):
    real_epoch, real_deferred = train_module.run_epoch, train_module.stops_deferred
    requests, epoch_calls, landed = [], {}, []

    @contextmanager
    def watched_deferred():  # the training's own deferred handler, kept to see it set
        with real_deferred() as stop:
            requests.append(stop)
            yield stop

    def interrupted_epoch(tier, epoch, calls, on_call=None, **kwargs):
        seen = []
        epoch_calls[epoch] = list(calls)

        def after_call(steps):
            seen.append(steps)
            if epoch == 2 and len(seen) == 3:
                # Ctrl-C between two calls, raised in the main thread (a kill to the process
                # may run its handler in another thread's time, after the epoch): the
                # deferred handler has run when raise_signal returns
                signal.raise_signal(signal.SIGINT)
                landed.append(requests[-1].requested)
            if on_call:
                on_call(steps)

        return real_epoch(tier, epoch, calls, after_call, **kwargs)

    monkeypatch.setattr(train_module, "stops_deferred", watched_deferred)
    monkeypatch.setattr(train_module, "run_epoch", interrupted_epoch)
    out = tmp_path / "train"
    argv = ["train", *TRAIN, "--epochs", "3", "--max-call-steps", "500", "--out", str(out)]
    outcome = cli(argv, capsys)
    assert len(epoch_calls[2]) > 3 and landed == [True]  # it came with calls still to run
    assert outcome.code == 130 and "Traceback" not in outcome.out + outcome.err
    doc = _doc(out / "train.json")
    assert doc["status"] == "interrupted"
    assert [e["partial"] for e in doc["epochs"]] == [False, True]
    first, partial = doc["epochs"][0]["steps"], doc["epochs"][1]["steps"]
    assert first == sum(epoch_calls[1]) and partial == sum(epoch_calls[2][:3])  # three calls
    assert max(epoch_calls[2]) <= 500 and partial < first
    assert f"1 finished epoch and {partial:,} of {first:,} steps of epoch 2" in outcome.out
    model = _doc(out / "model.json")
    assert model["steps"] == first + partial and model["partial_epoch"] and model["epochs"] == 1
    assert _left(out) == []


# -- nothing overwritten without --force ----------------------------------------------


def test_a_second_train_into_a_finished_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "t"
    assert cli(["train", *TRAIN, "--out", str(out)], capsys).code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    outcome = cli(["train", *TRAIN, "--epochs", "1", "--out", str(out)], capsys)
    assert_refused(outcome, r"already holds a run's train.json; pass --force")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    outcome = cli(["train", *TRAIN, "--epochs", "1", "--out", str(out), "--force"], capsys)
    assert outcome.code == 0, outcome.err
    assert len(_doc(out / "train.json")["epochs"]) == 1 and _left(out) == []


def test_a_train_into_a_folder_a_live_train_holds_is_refused(tmp_path, capsys):
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / outdir.LOCK_NAME).write_text(f"{owner.pid}\n")
        outcome = cli(["train", *TRAIN, "--out", str(tmp_path)], capsys)
        assert_refused(outcome, rf"in use by another slimbench run \(pid {owner.pid}\)")
        assert not (tmp_path / "train.json").exists()
    finally:
        owner.kill()
        owner.wait()


def _ratings(folder, name="mine.dat"):
    """A user's ratings.dat-style file with their own ids and timestamps."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        f"{u}::{i}::{(u + i) % 5 + 1}::{1000 + u}\n" for u in range(1, 40) for i in range(7, 30)
    ]
    (folder / name).write_text("".join(rows))
    return folder / name


def _csv(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"{u},{i},{(u * i) % 5 + 1}\n" for u in range(60) for i in range(0, 200, 9))
    path.write_text("user,item,rating\n" + rows)
    return path


def _existing_dat(d):
    return ["stats", "synthetic-tiny", "--write-dat", str(_ratings(d, "x.dat"))]


def _own_input(d, *extra):
    return ["stats", f"movielens:{_ratings(d)}", "--write-dat", *extra]


def _own_folder(d):
    folder = _ratings(d, "ratings.dat").parent
    return ["stats", f"movielens:{folder}", "--write-dat", str(d / "ratings.dat"), "--force"]


def _own_input_by_link(d):
    (d / "ln.dat").symlink_to(_ratings(d))
    return _own_input(d, str(d / "ln.dat"), "--force")


def _split_exists(d):
    _ratings(d / "s", "train.csv")
    return ["train", *TRAIN, "--out", str(d / "t"), "--write-split", str(d / "s")]


def _split_over_training_file(d):
    spec = f"csv:{_csv(d / 's' / 'train.csv')}"
    return [
        "train",
        "--dataset",
        spec,
        "--out",
        str(d / "t"),
        "--write-split",
        str(d / "s"),
        "--force",
    ]


def _split_over_test_file(d):
    spec = f"csv:{_csv(d / 's' / 'test.csv')}"
    return [
        "train",
        *TRAIN,
        "--test-dataset",
        spec,
        "--out",
        str(d / "t"),
        "--write-split",
        str(d / "s"),
        "--force",
    ]


# (argv from the folder, pattern of the error line, the file that must stay as it was)
OVERWRITES = [
    (_existing_dat, r"--write-dat '.*x.dat' already exists; pass --force", "x.dat"),
    (lambda d: _own_input(d, str(d / "mine.dat")), r"is the dataset being read", "mine.dat"),
    (lambda d: _own_input(d, str(d / "mine.dat"), "--force"), r"being read", "mine.dat"),
    (lambda d: _own_input(d, f"{d}/./sub/../mine.dat", "--force"), r"being read", "mine.dat"),
    (_own_folder, r"--write-dat '.*ratings.dat' is the dataset being read", "ratings.dat"),
    (_own_input_by_link, r"--write-dat '.*ln.dat' is the dataset being read", "mine.dat"),
    (_split_exists, r"--write-split '.*train.csv' already exists; pass --force", "s/train.csv"),
    (_split_over_training_file, r"'.*train.csv' is the dataset being read", "s/train.csv"),
    (_split_over_test_file, r"'.*test.csv' is the dataset being read", "s/test.csv"),
]


@pytest.mark.parametrize(
    "build,pattern,kept", OVERWRITES, ids=[f"{i}-{row[2]}" for i, row in enumerate(OVERWRITES)]
)
def test_nothing_is_overwritten_without_force_nor_an_input_ever(
    build, pattern, kept, tmp_path, capsys
):
    argv = build(tmp_path)
    before = (tmp_path / kept).read_bytes()
    assert_refused(cli(argv, capsys), pattern)
    assert (tmp_path / kept).read_bytes() == before
    assert not (tmp_path / "t" / "train.json").exists()


def test_write_dat_with_force_replaces_another_file(tmp_path, capsys):
    target = _ratings(tmp_path, "old.dat")
    outcome = cli(["stats", "synthetic-tiny", "--write-dat", str(target), "--force"], capsys)
    assert outcome.code == 0, outcome.err
    assert target.read_text().startswith("1::") and target.stat().st_size > 50_000


def test_the_stop_handlers_restore_the_old_ones_and_keep_nohup(interactive_sigint):
    from slimbench.interrupts import Terminated, stops_deferred, terminations_as_interrupt

    before = signal.getsignal(signal.SIGTERM)
    hup = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as nohup starts a process
    try:
        with terminations_as_interrupt():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            with pytest.raises(Terminated) as stopped:
                signal.raise_signal(signal.SIGTERM)  # handled before it returns
            assert stopped.value.signum == signal.SIGTERM
            with stops_deferred() as stop:
                signal.raise_signal(signal.SIGINT)
                assert stop.requested
                with pytest.raises(KeyboardInterrupt):
                    stop.stop_here()
        assert signal.getsignal(signal.SIGTERM) is before
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, hup)
