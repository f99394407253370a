"""The machine's bandwidth, and each tier's modelled share of it."""

from __future__ import annotations

import json

import pytest

from slimbench.measure.bandwidth import best_rate, last_level_cache_bytes, stream, tier_traffic


def test_stream_measures_copy_and_triad():
    result = stream(4 << 20, 1, repeats=2)
    assert result["copy"] > 1e8 and result["triad"] > 1e8  # more than 100 MB/s anywhere
    assert result["array_bytes"] == 4 << 20 and result["threads"] == 1
    assert last_level_cache_bytes() >= 1 << 20


def test_tier_traffic_is_speed_times_profile_times_bytes():
    bandwidth = {
        "profile": {"1": {"copy": 40e9, "triad": 30e9}, "2": {"copy": 60e9, "triad": 70e9}}
    }
    entry = {"samples_per_second": {"median": 1e6}, "bytes_per_entry": 12, "threads": 2}
    tier_traffic(entry, 500.0, bandwidth)
    assert entry["bytes_per_second"] == 6e9
    assert entry["percent_of_bandwidth"] == pytest.approx(100 * 6e9 / 70e9)
    single = {"samples_per_second": {"median": 1e6}, "bytes_per_entry": 12, "threads": 1}
    tier_traffic(single, 500.0, bandwidth)
    assert single["percent_of_bandwidth"] == pytest.approx(
        100 * 6e9 / best_rate({"copy": 40e9, "triad": 30e9})
    )
    python = {"samples_per_second": {"median": 2e3}, "bytes_per_entry": None}
    tier_traffic(python, 500.0, bandwidth)
    assert python["bytes_per_second"] is None  # interpreter-bound: not modelled


def test_run_records_the_bandwidth_and_each_tiers_share(tmp_path):
    from slimbench.cli import main

    out = tmp_path / "run"
    argv = ["run", "--dataset", "synthetic-tiny", "--tiers", "cython-rand,floor", "--budget", "0.4"]
    assert main([*argv, "--rounds", "2", "--no-annotate", "--out", str(out)]) == 0
    doc = json.loads((out / "results.json").read_text())
    assert set(doc["bandwidth"]["memory"]) == set(doc["bandwidth"]["profile"])
    floor = next(t for t in doc["tiers"] if t["name"] == "floor")
    assert floor["bytes_per_entry"] == 12 and floor["percent_of_bandwidth"] > 0
    assert "The machine's bandwidth" in (out / "report.html").read_text()
