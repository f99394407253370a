"""An unreachable --dask-scheduler is refused before the dataset is loaded."""

from __future__ import annotations

import socket

from slimbench.cli import main


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def test_an_unreachable_scheduler_fails_before_the_data_loads(tmp_path, capsys):
    address = f"tcp://127.0.0.1:{_closed_port()}"
    argv = ["run", "--dataset", "synthetic-tiny", "--tiers", "dask-bucketed"]
    code = main([*argv, "--dask-scheduler", address, "--out", str(tmp_path / "r")])
    out = capsys.readouterr()
    text = out.out + out.err
    assert code == 2
    assert f"nothing answers at the Dask scheduler {address!r}" in text
    assert "loaded in" not in text and "Traceback" not in text  # no dataset was read


def test_a_scheduler_given_without_a_dask_tier_is_not_probed(tmp_path):
    address = f"tcp://127.0.0.1:{_closed_port()}"
    argv = ["run", "--dataset", "synthetic-tiny", "--tiers", "cython-rand", "--budget", "0.2"]
    assert main([*argv, "--dask-scheduler", address, "--out", str(tmp_path / "r")]) == 0
