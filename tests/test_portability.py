"""Imports that work everywhere: the course's students are on Windows, where ``resource``
and ``fcntl`` do not exist. The POSIX-only and optional modules are imported where used,
behind their availability check; importing the tiers and listing them needs none of them."""

from __future__ import annotations

import subprocess
import sys
import textwrap

#: modules absent on Windows; None in sys.modules makes ``import x`` raise ImportError
POSIX_ONLY = ("resource", "fcntl", "termios")

DRIVER = textwrap.dedent(
    """
    import sys
    for name in {posix_only!r}:
        sys.modules[name] = None
    import slimbench.impls
    from slimbench.cli import main
    try:
        code = main(["tiers"])
    except SystemExit as exc:
        code = exc.code
    sys.stdout.flush()
    print("EXIT", code)
    for name in {posix_only!r}:
        assert sys.modules[name] is None, name  # nobody reloaded it
    """
)


def test_the_tiers_import_and_list_without_posix_modules():
    proc = subprocess.run(
        [sys.executable, "-c", DRIVER.format(posix_only=POSIX_ONLY)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stdout.rstrip().endswith("EXIT 0"), proc.stdout + proc.stderr
    for name in ("python-naive", "cython-rand", "dask-bucketed", "floor"):
        assert name in proc.stdout, proc.stdout


def test_the_output_lock_needs_no_posix_module(tmp_path):
    """The lock is an O_EXCL file holding the pid: it takes no fcntl, so it works here too."""
    code = textwrap.dedent(
        f"""
        import sys
        for name in {POSIX_ONLY!r}:
            sys.modules[name] = None
        from pathlib import Path
        from slimbench.output.outdir import OutputLock, lock_owner
        folder = Path({str(tmp_path)!r})
        lock = OutputLock(folder, reserve_bytes=1024)
        assert (folder / ".slimbench.lock").read_text().strip().isdigit()
        lock.release()
        assert lock_owner(folder) is None
        print("OK")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and proc.stdout.strip() == "OK", proc.stdout + proc.stderr


def test_a_worker_is_killed_where_the_os_has_no_process_groups(monkeypatch):
    """Windows has neither os.killpg nor SIGKILL: kill the worker itself, no AttributeError."""
    import os
    import signal

    from slimbench.measure.tier_process import kill_process_tree

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    monkeypatch.delattr(os, "killpg")
    killed = []
    monkeypatch.setattr(proc, "kill", lambda: killed.append(proc.terminate()))
    monkeypatch.delattr(signal, "SIGKILL")  # the group kill's signal is not looked up
    kill_process_tree(proc)
    assert killed and proc.wait(timeout=30) != 0


def test_a_worker_asks_for_the_parents_death_signal_on_linux_only(monkeypatch):
    """ctypes.CDLL(None) is the C library on POSIX only; elsewhere nothing is loaded."""
    import ctypes

    from slimbench.measure import tier_worker

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(ctypes, "CDLL", lambda *a: (_ for _ in ()).throw(TypeError("no")))
    tier_worker._die_with_parent()  # no TypeError
