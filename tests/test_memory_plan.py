"""The memory plan (slimbench.measure.memory_plan): tiers that do not fit together run apart."""

from __future__ import annotations

from slimbench.measure import memory_plan as memory_plan_module


def test_tiers_run_one_at_a_time_when_they_do_not_fit_together(tmp_path, monkeypatch):
    from slimbench.data.datasets import load_dataset
    from slimbench.impls import prepare_urm

    data = prepare_urm(load_dataset("synthetic-tiny").urm)
    one = memory_plan_module.tier_memory_bytes("cython-rand", data)
    names = ["cython-rand", "cython-typed"]
    assert memory_plan_module.memory_plan(names, data, int(3 * one)) == "round-robin"
    assert memory_plan_module.memory_plan(names, data, int(1.5 * one)) == "sequential"
