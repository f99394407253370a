"""Noise diagnostics: what else the machine did, and which tiers' rounds scatter."""

from __future__ import annotations

import json

from slimbench.measure import noise


def _tier(name: str, median: float, iqr: float, n: int = 7) -> dict:
    return {"name": name, "samples_per_second": {"median": median, "iqr": iqr, "n": n}}


def test_noisy_tiers_are_those_whose_iqr_exceeds_a_tenth_of_the_median():
    tiers = [_tier("steady", 1000.0, 50.0), _tier("noisy", 1000.0, 250.0), _tier("few", 1.0, 9, 3)]
    assert noise.noisy_tiers(tiers) == {"noisy": 0.25}


def test_diagnose_reports_other_processes_load_and_frequency_settings():
    before = {"time": 0.0, "machine_busy_seconds": 10.0, "own_cpu_seconds": 5.0}
    before["load_average"] = [0.1] * 3
    after = {
        "time": 100.0,
        # 160 busy seconds in 100 s, 100 of them this run's: 60 s of others, 30% of 2 cores
        "machine_busy_seconds": 170.0,
        "own_cpu_seconds": 105.0,
        "load_average": [2.5, 2.0, 1.0],
        "governors": ["powersave"],
        "turbo": True,
    }
    record = noise.diagnose(before, after, [_tier("noisy", 100.0, 30.0)], cores=2)
    text = " | ".join(record["warnings"])
    assert record["other_cpu_share"] == 0.3
    assert "other processes used 60 CPU seconds" in text and "30%" in text
    assert "load average was 2.50 on 2 cores" in text
    assert "governor powersave" in text and "turbo boost is on" in text
    assert "noisy: its rounds' IQR is 30% of the median" in text
    quiet = {**after, "machine_busy_seconds": 110.0, "load_average": [0.5] * 3}
    quiet.update(governors=None, turbo=None)
    assert noise.diagnose(before, quiet, [_tier("steady", 100.0, 5.0)], cores=2)["warnings"] == []
    assert record["steal_seconds"] is None  # not recorded: no figure, no sentence


def test_steal_time_is_told_apart_from_this_machines_processes():
    """A VM's host that gives its cores to other machines shows as steal time, counted in
    the busy time (so in "other") but named apart, with its share."""
    before = {"time": 0.0, "machine_busy_seconds": 10.0, "own_cpu_seconds": 5.0,
              "steal_seconds": 1.0}
    after = {"time": 100.0, "machine_busy_seconds": 170.0, "own_cpu_seconds": 105.0,
             "steal_seconds": 41.0, "load_average": [1.0] * 3}
    record = noise.diagnose(before, after, [], cores=2)
    assert record["steal_seconds"] == 40.0 and record["steal_share"] == 0.2
    assert record["other_cpu_share"] == 0.3
    assert ("other processes used 60 CPU seconds (40 of them stolen by the hypervisor for "
            "other virtual machines, 20%)") in record["warnings"][0]
    calm = noise.diagnose(before, {**after, "machine_busy_seconds": 110.0, "steal_seconds": 1.0},
                          [], cores=2)
    assert calm["warnings"] == [] and calm["steal_share"] == 0.0


def test_snapshot_reads_this_machine():
    snap = noise.snapshot()
    assert snap["machine_busy_seconds"] >= snap["own_cpu_seconds"] > 0 and snap["time"] > 0
    assert set(snap) >= {"load_average", "governors", "turbo", "steal_seconds"}
    assert snap["steal_seconds"] is None or snap["steal_seconds"] >= 0


def test_noisy_tiers_are_one_warning_and_the_console_names_the_worst():
    from slimbench.figures.noise_record import grouped_warnings

    record = {
        "noisy_tiers": {"a": 0.2, "b": 0.5, "c": 0.15, "d": 0.3},
        "warnings": [
            "other processes used 90 CPU seconds ...",
            *(f"{n}: its rounds' IQR is high" for n in "abcd"),
        ],
    }
    full = grouped_warnings(record)
    assert full[0].startswith("other processes") and len(full) == 2
    assert "4 tiers' rounds" in full[1] and "a 20%, b 50%, c 15%, d 30%" in full[1]
    short = grouped_warnings(record, most=2)[1]
    assert "the most b 50%, d 30% (all in the report)" in short and "c 15%" not in short


def test_run_records_noise_diagnostics(tiny_run):
    doc = json.loads((tiny_run[1] / "results.json").read_text())
    record = doc["noise"]
    assert record["before"]["time"] < record["after"]["time"]
    assert isinstance(record["warnings"], list) and "other_cpu_share" in record
