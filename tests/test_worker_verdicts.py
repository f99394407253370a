"""A tier's loop cannot take the judge down: each verdict of a worker's death, by a real file.

Every case runs the CLI in a subprocess: the harness must come back from a segfault, an
``os._exit(0)``, a ``sys.exit`` at import or inside the loop, a KeyboardInterrupt the
harness did not send and a loop that spins without the GIL, with the tier's verdict, exit
code 1 (never 0), a final status on disk and the output folder's lock released.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import CONTRACT, reference_loop

SLIMBENCH = [sys.executable, "-m", "slimbench.cli"]

GOOD = reference_loop("good-py")

FILES = {
    "segv.py": f"""
import ctypes
NAME = "segv"
def train_steps({CONTRACT}):
    if len(samples) > 50:
        ctypes.string_at(0)  # reads address 0: SIGSEGV
    return 0.0
""",
    "exit0.py": f"""
import os
NAME = "exit0"
def train_steps({CONTRACT}):
    os._exit(0)
""",
    "sysexit.py": f"""
import sys
NAME = "sysexit"
def train_steps({CONTRACT}):
    sys.exit(0)
""",
    "ctrlc.py": f"""
NAME = "ctrlc"
def train_steps({CONTRACT}):
    raise KeyboardInterrupt
""",
    "spin.pyx": f"""
NAME = "spin"
def train_steps({CONTRACT}):
    cdef long long k = 0
    with nogil:
        while True:  # never returns, and holds no GIL that an alarm could use
            k += 1
    return 0.0
""",
    "good.py": GOOD,
}


@pytest.fixture(scope="module")
def env(build_cache_env) -> dict:
    """The CLI's environment: the session's build cache (spin.pyx compiles once)."""
    return build_cache_env


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("loops")
    out = {}
    for name, text in FILES.items():
        out[name] = folder / name
        out[name].write_text(textwrap.dedent(text))
    return out


def _cli(args: list[str], env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*SLIMBENCH, *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def test_run_survives_crash_exit_and_hang(files, env, tmp_path):
    out = tmp_path / "run"
    args = ["run", "--tiers", "python-naive", "--dataset", "synthetic-tiny", "--budget", "1"]
    args += ["--rounds", "2", "--call-timeout", "3", "--no-annotate", "--no-bandwidth"]
    args += ["--out", str(out)]
    for name in ("segv.py", "exit0.py", "spin.pyx", "good.py"):
        args += ["--tier-file", str(files[name])]
    proc = _cli(args, env)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["status"] == "complete"
    tiers = {t["name"]: t for t in results["tiers"]}
    assert tiers["good-py"]["status"] == "measured" and tiers["good-py"]["samples_per_second"]
    assert tiers["python-naive"]["status"] == "measured"
    assert tiers["segv"]["status"] == "crashed"
    assert "crashed (SIGSEGV) in train_steps" in tiers["segv"]["error"]
    assert tiers["exit0"]["status"] == "exited"
    assert "exited with status 0 in train_steps" in tiers["exit0"]["error"]
    assert tiers["spin"]["status"] == "timed-out"
    assert "did not return within 3 s" in tiers["spin"]["error"]
    for name in ("segv", "exit0", "spin"):
        assert not tiers[name]["samples_per_second"]
    assert not (out / ".slimbench.lock").exists()


def test_check_names_sys_exit_and_a_foreign_keyboard_interrupt(files, env):
    proc = _cli(
        ["check", "--tier-file", str(files["sysexit.py"]), "--tier-file", str(files["ctrlc.py"])],
        env,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = {line.split()[0]: line for line in proc.stdout.splitlines() if line.strip()}
    assert (
        "EXITED" in lines["sysexit"] and "exited with status 0 in train_steps" in lines["sysexit"]
    )
    assert "EXITED" in lines["ctrlc"] and "KeyboardInterrupt" in lines["ctrlc"]


def test_sys_exit_at_import_is_one_line_and_exit_code_1_or_2(tmp_path, env):
    path = tmp_path / "exits_on_import.py"
    path.write_text("import sys\nsys.exit(0)\n")
    proc = _cli(["check", "--tier-file", str(path)], env)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "exited with status 0 while loading" in proc.stdout + proc.stderr


# the same loop, with each profile's length kept in a byte: right while profiles stay short
SHORT255 = (
    GOOD.replace('"good-py"', '"short255"')
    .replace(
        "start, end = indptr[u], indptr[u + 1]",
        "start = indptr[u]\n        end = start + int(np.uint8(indptr[u + 1] - start))",
    )
    .replace("NAME =", "import numpy as np\nNAME =", 1)
)


def test_a_loop_right_on_the_check_but_wrong_on_long_profiles_fails_the_audit(tmp_path, env):
    """The check dataset's profiles stay under 200 entries; the timed data's do not."""
    path = tmp_path / "short255.py"
    path.write_text(textwrap.dedent(SHORT255))
    out = tmp_path / "run"
    proc = _cli(
        [
            "run",
            "--tier-file",
            str(path),
            "--tiers",
            "cython-interleaved",
            "--dataset",
            "synthetic:n_users=150,n_items=700,mean=320,median_len=300",
            "--budget",
            "1.5",
            "--rounds",
            "2",
            "--no-annotate",
            "--no-bandwidth",
            "--out",
            str(out),
        ],
        env,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    results = json.loads((out / "results.json").read_text())
    tiers = {t["name"]: t for t in results["tiers"]}
    assert tiers["short255"]["check"]["verdict"] == "pass"  # the check cannot see it
    assert tiers["short255"]["status"] == "failed-audit"
    assert tiers["short255"]["samples_per_second"] is None
    assert "first differs at step" in tiers["short255"]["error"]
    assert tiers["cython-interleaved"]["audit"]["verdict"] == "pass"
    assert tiers["cython-interleaved"]["samples_per_second"]
    assert results["audit"]["seconds"] > 0
