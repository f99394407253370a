"""Two saved pytest-benchmark sessions compare equal work, so its verdicts mean something."""

from __future__ import annotations

import json
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
        "cython_rand or cython_typed or floor or cython_bucketed",
        f"--benchmark-storage=file://{tmp_path / 'storage'}",
        *extra,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)


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
