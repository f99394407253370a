"""Cython annotation (slimbench.measure.annotate): the step loop and its yellow lines."""

from __future__ import annotations

from pathlib import Path

from slimbench.measure.annotate import annotate_tiers, step_loop_lines


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
