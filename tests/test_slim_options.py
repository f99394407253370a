"""SLIM's options (--no-diagonal, --l2): the reference implements them, every tier beyond
the seed gives its S bitwise (f32: within tolerance) under each option, on data with long
and short profiles and repeated items over several epochs; the seed tiers refuse them."""

from __future__ import annotations

import numpy as np
import pytest

from slimbench.impls import InvalidInputError, create, get_tier
from slimbench.impls.slim import SlimOptions, l2_updated
from slimbench.measure.check import check_dataset, check_tiers

BEYOND_SEED = [
    "numba",
    "cython-transposed",
    "cython-bucketed",
    "cython-parallel",
    "cython-parallel@1",
    "cython-parallel-f32",
    "cython-interleaved",
    "cython-interleaved@1",
    "cython-interleaved-f32",
    "cython-interleaved-simd",
    "cython-interleaved-simd@1",
    "cython-interleaved-simd-f32",
    "cython-interleaved-simd-f32@1",
]
SEED_TIERS = [
    "python-indptr", "cython-untyped", "cython-typed", "cython-rand", "floor", "floor-compact"
]
OPTIONS = [{"no_diagonal": True}, {"l2": 0.3}, {"no_diagonal": True, "l2": 0.3}]


@pytest.mark.parametrize("slim", OPTIONS, ids=lambda o: SlimOptions(**o).describe())
def test_every_tier_beyond_the_seed_matches_the_reference_under_the_option(slim):
    results = check_tiers(BEYOND_SEED, data=check_dataset(seed=3), epochs=3, slim=slim)
    for result in results:
        if result.verdict == "unavailable":
            continue
        assert result.passed, result.line()
        if get_tier(result.tier.partition("@")[0]).exactness == "bitwise":
            assert result.max_abs_diff == 0.0, result.line()


@pytest.mark.parametrize("slim", OPTIONS, ids=lambda o: SlimOptions(**o).describe())
def test_the_option_changes_the_reference(slim):
    data = check_dataset(seed=3)
    plain = create("python-naive", data, seed=0, learning_rate=5e-5)
    option = create("python-naive", data, seed=0, learning_rate=5e-5, **slim)
    for tier in (plain, option):
        tier.run(data.nnz)
    assert not np.array_equal(plain.similarity(), option.similarity())
    if slim.get("no_diagonal"):
        assert np.count_nonzero(np.diag(option.similarity())) == 0
        assert np.count_nonzero(np.diag(plain.similarity())) > 0


def test_l2_formula_has_one_evaluation_order():
    s, lr, err, r, lam = 0.3, 1e-2, 0.7, 4.5, 0.25
    expected = s + lr * ((err * r) - (lam * s))
    assert l2_updated(s, lr, err, r, lam) == expected
    arrays = l2_updated(np.array([s, s]), lr, err, np.array([r, r]), lam)
    assert np.array_equal(arrays, [expected, expected])


@pytest.mark.parametrize("name", SEED_TIERS)
@pytest.mark.parametrize("slim", [{"no_diagonal": True}, {"l2": 0.1}])
def test_seed_tiers_refuse_the_options_with_one_line(name, slim):
    if get_tier(name).unavailable_reason():
        pytest.skip("tier unavailable here")
    with pytest.raises(InvalidInputError, match="does not support the SLIM options") as info:
        create(name, check_dataset(n_users=20, n_items=10), **slim)
    assert "\n" not in str(info.value)


def test_seed_tiers_take_the_default_options():
    tier = create("cython-typed", check_dataset(n_users=20, n_items=10), no_diagonal=False, l2=0)
    assert tier.run(10).steps == 10


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "0.1", True])
def test_bad_l2_is_refused(bad):
    with pytest.raises(InvalidInputError, match="l2 must be"):
        create("python-naive", check_dataset(n_users=20, n_items=10), l2=bad)


def test_check_command_under_the_options(capsys):
    from slimbench.cli import main

    assert main(["check", "--no-diagonal", "--l2", "0.2", "--epochs", "1", "--tiers",
                 "cython-transposed,cython-bucketed"]) == 0
    assert "no diagonal, l2=0.2" in capsys.readouterr().out
    assert main(["check", "--no-diagonal", "--epochs", "1", "--tiers", "cython-typed"]) == 1
    assert "does not support the SLIM options" in capsys.readouterr().out


def test_the_docs_and_the_refusal_list_the_registrys_slim_capable_tiers():
    import re
    from pathlib import Path

    from slimbench.impls.base import unsupported_slim_message
    from slimbench.impls.registry import slim_capable_tiers

    capable = slim_capable_tiers()
    assert "cython-interleaved-f32" in capable and "dask-bucketed" not in capable
    message = unsupported_slim_message("cython-rand", SlimOptions(no_diagonal=True))
    assert message.endswith(f"Use {', '.join(capable)}.")
    doc = (Path(__file__).resolve().parents[1] / "docs" / "exactness.md").read_text()
    sentence = re.search(r"\*\*SLIM options\*\*.*?implemented by(.*?)\(the tiers", doc, re.S)
    listed = re.findall(r"[a-z][\w-]+", sentence.group(1).replace(" and ", ", "))
    assert listed == capable
