"""The cross-check catches real bugs, and `slimbench check` reports them by name."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from slimbench.cli import main
from slimbench.commands.check import pass_line
from slimbench.impls import registered
from slimbench.measure.check import check_tiers

from helpers import DropsLastItem, ReversedSum


@pytest.fixture(scope="module")
def fault_results(check_urm) -> dict:
    """One check of python-indptr and of both faulty copies of it, by tier name."""
    with registered(DropsLastItem), registered(ReversedSum):
        names = ["python-indptr", DropsLastItem.name, ReversedSum.name]
        return {r.tier: r for r in check_tiers(names, data=check_urm)}


@pytest.mark.parametrize("fault", [DropsLastItem, ReversedSum])
def test_check_catches_an_injected_fault(fault, fault_results):
    assert fault_results["python-indptr"].passed
    assert fault_results[fault.name].verdict == "fail"
    assert fault_results[fault.name].failed
    assert "entries of S differ" in fault_results[fault.name].detail


def test_check_cli_passes_for_the_seed_tiers(capsys):
    assert main(["check", "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    for name, klass in [
        ("python-naive", "bitwise"),
        ("python-indptr", "bitwise"),
        ("cython-untyped", "bitwise"),
        ("cython-typed", "bitwise"),
        ("cython-rand", "replay"),
    ]:
        line = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert klass in line and "PASS" in line
    # the closing line counts tiers, not the thread counts some are checked at
    lines = [line.split() for line in out.splitlines()]
    passed = [words[0] for words in lines if len(words) > 2 and words[2] == "PASS"]
    tiers = {name.partition("@")[0] for name in passed}
    closing = out.splitlines()[-1]
    assert closing.startswith(f"all {len(tiers)} available tiers pass"), closing
    if len(passed) > len(tiers):
        assert f"({len(passed)} checks, counting each thread or worker count apart)" in closing


def test_the_closing_line_names_tiers_once_and_checks_apart():
    def passed(name):
        return SimpleNamespace(tier=name, passed=True)

    widths = ["python-naive", "cython-parallel@1", "cython-parallel@2", "dask-bucketed@2"]
    assert pass_line([passed(n) for n in widths]) == (
        "all 3 available tiers pass (4 checks, counting each thread or worker count apart)"
    )
    assert pass_line([passed("my-loop")]) == "my-loop passes"  # not "all 1 ... tiers"
    assert pass_line([passed("cython-parallel@1"), passed("cython-parallel@2")]) == (
        "cython-parallel passes (2 checks, counting each thread or worker count apart)"
    )


def test_check_cli_fails_naming_the_faulty_tier(capsys):
    with registered(DropsLastItem):
        tiers = "python-naive,faulty-drops-last-item,cython-rand"
        code = main(["check", "--tiers", tiers, "--epochs", "1"])  # one epoch shows the fault
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED: faulty-drops-last-item" in out
    assert ", 1 epoch, seed" in out  # not "1 epochs"
    assert "cython-rand" in out and "FAILED: faulty-drops-last-item\n" in out


def test_check_cli_unknown_tier_suggests_the_closest(capsys):
    assert main(["check", "--tiers", "cython-rnd"]) == 2
    err = capsys.readouterr().err
    assert "unknown tier 'cython-rnd'" in err and "Did you mean 'cython-rand'?" in err


def test_verdict_lines_line_up_past_the_longest_name():
    """cython-interleaved-simd-f32 (27 characters) pushed its class out of the column."""
    from slimbench.measure.check import CheckResult, name_width

    results = [
        CheckResult(tier="cython-rand", exactness="replay", verdict="pass"),
        CheckResult(tier="cython-interleaved-simd-f32", exactness="close", verdict="pass"),
    ]
    lines = [r.line(name_width(results)) for r in results]
    columns = {line.index(r.exactness) for line, r in zip(lines, results, strict=True)}
    assert len(columns) == 1, lines
    assert name_width(results[:1]) == 22  # short names keep the old layout
