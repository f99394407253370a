"""Two saved pytest-benchmark sessions compare equal work, so its verdicts mean something."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).parent / "benchmarks"


def _session(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(BENCHMARKS),
        "--benchmark-only",
        "-q",
        "-p",
        "no:cacheprovider",
        "--bench-dataset",
        "synthetic-tiny",
        "-k",
        "cython_rand or cython_typed or floor or cython_bucketed or cython_interleaved_f32",
        f"--benchmark-storage=file://{tmp_path / 'storage'}",
        *extra,
    ]
    # a session of its own even when this suite runs under xdist: pytest-benchmark takes
    # an inherited PYTEST_XDIST_WORKER for an xdist run and refuses --benchmark-only
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST_")}
    return subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=env)


def test_two_saved_sessions_time_the_same_work_and_compare(tmp_path):
    first = _session(tmp_path, "--benchmark-save=one")
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    # the second session compares itself with the first; a generous threshold, since this
    # shared machine's noise is not what is tested: that like is compared with like is
    second = _session(
        tmp_path,
        "--benchmark-save=two",
        "--benchmark-compare=0001",
        "--benchmark-compare-fail=median:400%",
    )
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    saved = sorted((tmp_path / "storage").rglob("*.json"))
    assert len(saved) == 2
    sessions = [json.loads(p.read_text())["benchmarks"] for p in saved]
    work = [{b["name"]: (b["group"], b["extra_info"]["steps"]) for b in s} for s in sessions]
    assert work[0] == work[1]  # the same steps per round for every benchmark, both sessions
    groups = {}
    for group, steps in work[0].values():
        groups.setdefault(group, set()).add(steps)
    assert all(len(steps) == 1 for steps in groups.values())  # equal work within a group
    assert {g.split(",")[0] for g in groups} == {"seed tiers", "fast tiers"}
    # within a group, pytest-benchmark's ranking by time is the ranking by samples/s
    for s in sessions:
        for group in groups:
            members = [b for b in s if b["group"] == group]
            by_time = sorted(members, key=lambda b: b["stats"]["median"])
            by_speed = sorted(members, key=lambda b: -b["extra_info"]["samples_per_second"])
            assert [b["name"] for b in by_time] == [b["name"] for b in by_speed]
    # `slimbench report --pytest-benchmark` reads each tier against its own layout's floor
    _assert_own_floors(saved[0])


def _assert_own_floors(saved: Path) -> None:
    from slimbench.output.pytest_benchmark_import import results_from_pytest_benchmark
    from slimbench.output.summary_table import summary_rows

    results = results_from_pytest_benchmark(saved)
    found = _floors(results)
    assert {k: found[k] for k in OWN_FLOORS} == OWN_FLOORS
    cells = {r["tier"]: r["% floor (layout)"] for r in summary_rows(results)}
    assert cells["cython-interleaved-f32"].endswith("(compact)")
    assert cells["cython-bucketed"].endswith("(12 B)")
    assert cells["floor-compact"] == ""


def _floors(results: dict) -> dict[str, tuple]:
    return {
        t["name"]: (t["profile_layout"], t["floor"], t["percent_of_floor"] is not None)
        for t in results["tiers"]
    }


#: each tier against the floor reading its own layout; the floors against none
OWN_FLOORS = {
    "cython-bucketed": ("12 B", "floor", True),
    "cython-interleaved-f32": ("compact", "floor-compact", True),
    "floor": ("12 B", None, False),
    "floor-f32": ("8 B", None, False),
    "floor-compact": ("compact", None, False),
}


def test_a_session_saved_before_layouts_were_recorded_takes_them_from_the_registry(tmp_path):
    from slimbench.output.pytest_benchmark_import import results_from_pytest_benchmark

    def bench(tier: str, exactness: str, seconds: float) -> dict:
        info = {"tier": tier, "exactness": exactness, "steps": 1000, "train_nnz": 10_000}
        return {"group": "g", "extra_info": {**info, "epochs": 10}, "stats": {"median": seconds}}

    doc = {
        "benchmarks": [
            bench("cython-interleaved-f32", "close", 0.001),
            bench("cython-parallel-f32", "close", 0.002),
            # sessions of that time also named the floors' class by its old name
            bench("floor-f32", "baseline", 0.0005),
            bench("floor-compact", "baseline", 0.0004),
        ]
    }
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc))
    results = results_from_pytest_benchmark(path)
    assert {t["name"]: t["exactness"] for t in results["tiers"]}["floor-f32"] == "floor"
    assert all(t["check"]["exactness"] == t["exactness"] for t in results["tiers"])
    found = _floors(results)
    assert found["cython-interleaved-f32"] == ("compact", "floor-compact", True)
    assert found["cython-parallel-f32"] == ("8 B", "floor-f32", True)
    assert found["floor-f32"] == ("8 B", None, False)
