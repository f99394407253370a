"""compare: a machine that drifts between two runs is not a regression; a slowed tier is.

Test doubles of two round-robin runs: every pass has its own machine speed, shared by all
tiers of that pass, and each tier a little noise of its own; the second run is 12 %
slower everywhere (the machine drifted), and in one variant one tier is 10 % slower still.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from rich.console import Console

from slimbench.figures.controlled import choose_control, holm
from slimbench.impls.registry import kernel_code
from slimbench.output.compare import compare_results, print_comparison, slower_tiers
from slimbench.output.results import summarize_entry

SPEEDS = {
    "python-naive": (8e3, 1),
    "cython-rand": (137e3, 1),
    "cython-transposed": (494e3, 1),
    "cython-bucketed": (742e3, 1),
    "cython-parallel": (1.47e6, 2),
    "cython-interleaved": (2.92e6, 2),
    "floor": (4.45e6, 2),
    "floor-compact": (7.75e6, 2),
}


def run_doc(seed: int, *, drift: float = 1.0, slowed: dict | None = None, **extra) -> dict:
    rng = np.random.default_rng(seed)
    machine = rng.uniform(0.9, 1.1, size=9)  # each pass's speed of the whole machine
    tiers = []
    for name, (speed, threads) in SPEEDS.items():
        own = (slowed or {}).get(name, 1.0)
        rounds = []
        for m in machine:
            sps = speed * drift * own * m * rng.normal(1.0, 0.01)
            rounds.append({"steps": 100_000, "seconds": 100_000 / sps, "loss": 1.0})
        entry = {"name": name, "exactness": "bitwise", "status": "measured", "threads": threads}
        entry.update(rounds=rounds, setup_seconds=0.0)
        summarize_entry(entry, 1_000_000, 10)
        tiers.append(entry)
    doc = {
        "created": f"run {seed}",
        "dataset": {"name": "synthetic-ml10m"},
        "machine": {"cpu_model": "AMD EPYC", "usable_cores": 2},
        "options": {"scheduling": "round-robin"},
        "tiers": tiers,
    }
    doc.update(extra)
    return doc


def verdicts(rows: list[dict]) -> dict[str, tuple[str, str | None]]:
    return {
        r["tier"]: (r["verdict"], r["controlled"] and r["controlled"].verdict) for r in rows
    }


def test_a_drifting_machine_is_no_change_once_controlled():
    old, new = run_doc(1), run_doc(2, drift=0.88)
    rows = compare_results(old, new)
    found = verdicts(rows)
    assert all(raw == "slower" for raw, _ in found.values())  # what compare said before
    assert all(c == "no detectable change" for _, c in found.values()), found
    assert slower_tiers(rows, 5) == ([], [])


def test_a_tier_slowed_by_ten_percent_is_still_caught():
    old, new = run_doc(1), run_doc(2, drift=0.88, slowed={"cython-bucketed": 0.9})
    rows = compare_results(old, new)
    found = verdicts(rows)
    assert found["cython-bucketed"][1] == "slower"
    failed, spared = slower_tiers(rows, 5)
    assert "cython-bucketed" in failed and spared == []


def test_a_slowed_control_fails_the_gate_even_where_it_hides_the_change():
    old = run_doc(1)
    new = run_doc(2, drift=0.88, slowed={"cython-transposed": 0.85})
    rows = compare_results(old, new, control="cython-transposed")
    failed, _ = slower_tiers(rows, 5)
    assert "cython-transposed" in failed  # slowed beyond the machine's drift


def test_the_control_shares_no_kernel_code():
    # floor-compact runs cython-interleaved's kernel; cython-parallel uses cython-bucketed's
    assert kernel_code("floor-compact") & kernel_code("cython-interleaved")
    assert kernel_code("cython-parallel") & kernel_code("cython-bucketed")
    assert not kernel_code("cython-rand") & kernel_code("cython-interleaved")
    old, new = run_doc(1), run_doc(2)
    measured = {t["name"]: t for t in old["tiers"]}
    again = {t["name"]: t for t in new["tiers"]}
    for name in SPEEDS:
        control = choose_control(name, measured, again)
        assert control is not None and not kernel_code(control) & kernel_code(name), name
    # every floor and the bucketed family share code: they are controlled from outside it
    outside = {"python-naive", "cython-rand", "cython-transposed"}
    for name in ("floor-compact", "floor", "cython-interleaved", "cython-bucketed"):
        assert choose_control(name, measured, again) in outside, name


def test_holm_adjusts_step_down():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5]) == [0.5]


def test_no_paired_passes_leave_the_raw_verdict_and_say_so():
    old = run_doc(1, options={"scheduling": "sequential"})
    new = run_doc(2, drift=0.88)
    rows = compare_results(old, new)
    assert all(r["controlled"] is None for r in rows)
    assert slower_tiers(rows, 5)[0]  # the raw verdict stands
    buffer = io.StringIO()
    print_comparison(old, new, Console(file=buffer, width=200))
    text = " ".join(buffer.getvalue().split())  # piped: wrapped at 100 columns
    assert "no paired passes" in text and "raw verdicts only" in text


def test_a_noisy_side_is_named_and_spares_the_gate_unless_strict():
    noisy = {"other_cpu_share": 0.85, "noisy_tiers": {}, "warnings": []}
    old = run_doc(1)
    new = run_doc(2, drift=0.88, slowed={"cython-bucketed": 0.9}, noise=noisy)
    rows = compare_results(old, new)
    assert all("new: others used 85% of the machine" in r["noise"] for r in rows)
    failed, spared = slower_tiers(rows, 5)
    assert failed == [] and "cython-bucketed" in spared
    assert "cython-bucketed" in slower_tiers(rows, 5, strict=True)[0]
    buffer = io.StringIO()
    print_comparison(old, new, Console(file=buffer, width=250))
    assert "(noisy: others used 85% of the machine)" in buffer.getvalue()
    stolen = run_doc(2, noise={**noisy, "steal_share": 0.4})  # the host's share named apart
    assert all("others used 85% of the machine (40% taken by the host)" in r["noise"]
               for r in compare_results(old, stolen))


def test_run_wide_noise_is_named_once_and_each_tier_marks_only_its_own():
    """A busy machine is one sentence, not one footnote per tier repeating it; a tier's
    mark points at its own noisy rounds."""
    busy = {"other_cpu_share": 0.85, "noisy_tiers": {"cython-bucketed": 0.3}, "warnings": []}
    old, new = run_doc(1), run_doc(2, noise=busy)
    buffer = io.StringIO()
    print_comparison(old, new, Console(file=buffer, width=250))
    text = buffer.getvalue()
    assert text.count("others used 85% of the machine") == 1  # the header line only
    assert "* noisy rounds: new: IQR 30%" in text and "**" not in text
    assert "new ran on a busy machine (above)" in text
    marked = [line for line in text.splitlines() if line.rstrip(" │").endswith("*")]
    assert len(marked) == 1 and "cython-bucketed" in marked[0]
