"""The cross-check catches real bugs, and `slimbench check` reports them by name."""

from __future__ import annotations

import pytest
from helpers import DropsLastItem, ReversedSum

from slimbench.cli import main
from slimbench.impls import registered
from slimbench.measure.check import check_tiers


@pytest.mark.parametrize("fault", [DropsLastItem, ReversedSum])
def test_check_catches_an_injected_fault(fault, check_urm):
    with registered(fault):
        results = {r.tier: r for r in check_tiers(["python-indptr", fault.name], data=check_urm)}
    assert results["python-indptr"].passed
    assert results[fault.name].verdict == "fail"
    assert results[fault.name].failed
    assert "entries of S differ" in results[fault.name].detail


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


def test_check_cli_fails_naming_the_faulty_tier(capsys):
    with registered(DropsLastItem):
        code = main(["check", "--tiers", "python-naive,faulty-drops-last-item,cython-rand"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED: faulty-drops-last-item" in out
    assert "cython-rand" in out and "FAILED: faulty-drops-last-item\n" in out


def test_check_cli_unknown_tier_suggests_the_closest(capsys):
    assert main(["check", "--tiers", "cython-rnd"]) == 2
    err = capsys.readouterr().err
    assert "unknown tier 'cython-rnd'" in err and "Did you mean 'cython-rand'?" in err
