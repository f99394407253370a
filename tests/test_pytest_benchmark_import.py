"""A pytest-benchmark JSON file as a report (slimbench.output.pytest_benchmark_import)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from slimbench.cli import main
from slimbench.output.results import load_results


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
