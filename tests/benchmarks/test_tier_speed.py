"""pytest-benchmark benchmarks of every tier, parametrized from the registry.

    pytest tests/benchmarks --benchmark-only --benchmark-group-by=param:dataset \
        --benchmark-json bench.json
    slimbench report --pytest-benchmark bench.json

Each round times one ``run`` of a fixed number of steps on a freshly prepared tier
(``benchmark.pedantic`` with a setup function, so S and the stream start afresh and setup
is not timed), after a warm-up round. The steps per round are calibrated per tier so a
round takes about ``ROUND_SECONDS``. Before timing, the tier must pass the cross-check in
the same session; samples/s and the extrapolated training time go into ``extra_info``.
Under ``make test`` (``--benchmark-disable``) each runs once, quickly, on a tiny dataset.
"""

from __future__ import annotations

import time

import pytest

from slimbench import __version__
from slimbench.check import check_tiers
from slimbench.datasets import holdout_split, load_dataset
from slimbench.extrapolate import extrapolate_training_time
from slimbench.impls import create, get_tier, prepare_urm, tier_names

ROUND_SECONDS = 0.5
EPOCHS = 10
SEED = 0
LEARNING_RATE = 1e-6


def _available(name: str) -> bool:
    return get_tier(name).unavailable_reason() is None


def pytest_generate_tests(metafunc):
    # The dataset is the only pytest parameter: tiers are separate test functions, so
    # `--benchmark-group-by=param` puts every tier of one dataset in one table.
    if "dataset" in metafunc.fixturenames:
        config = metafunc.config
        spec = config.getoption("--bench-dataset") or (
            "synthetic-tiny"
            if config.getoption("benchmark_disable", False)
            else "synthetic-ml10m:scale=0.1"
        )
        metafunc.parametrize("dataset", [spec], scope="session")


@pytest.fixture(scope="session")
def bench_data(dataset):
    train, _ = holdout_split(load_dataset(dataset).urm, train_share=0.8, seed=SEED)
    return dataset, prepare_urm(train)


@pytest.fixture(scope="session")
def verdicts():
    """The cross-check of every available tier, once per session."""
    return {r.tier: r for r in check_tiers([n for n in tier_names() if _available(n)], seed=SEED)}


def _benchmark_tier(benchmark, bench_data, verdicts, tier):
    if not _available(tier):
        pytest.skip(get_tier(tier).unavailable_reason())
    spec, data = bench_data
    verdict = verdicts[tier]
    assert verdict.passed, f"{tier} failed its cross-check: {verdict.detail}"

    start = time.perf_counter()
    probe = create(tier, data, seed=SEED, learning_rate=LEARNING_RATE)
    setup_seconds = time.perf_counter() - start
    steps, elapsed = 64, 0.0
    while elapsed < 0.1 and not benchmark.disabled:  # calibrate the round size
        steps *= 2
        t0 = time.perf_counter()
        probe.run(steps)
        elapsed = time.perf_counter() - t0
    if not benchmark.disabled:
        steps = max(64, int(steps * ROUND_SECONDS / max(elapsed, 1e-9)))
    del probe

    def fresh():
        return (create(tier, data, seed=SEED, learning_rate=LEARNING_RATE), steps), {}

    result = benchmark.pedantic(
        lambda t, n: t.run(n), setup=fresh, rounds=5, warmup_rounds=1, iterations=1
    )
    assert result.steps == steps
    info = benchmark.extra_info
    info.update(
        tier=tier,
        exactness=get_tier(tier).exactness,
        description=get_tier(tier).description,
        check=verdict.verdict,
        steps=steps,
        dataset=spec,
        train_nnz=data.nnz,
        epochs=EPOCHS,
        seed=SEED,
        learning_rate=LEARNING_RATE,
        setup_seconds=setup_seconds,
        slimbench_version=__version__,
    )
    if benchmark.stats is not None:
        median = benchmark.stats.stats.median
        info["samples_per_second"] = steps / median
        info["training_time_seconds"] = extrapolate_training_time(
            steps / median, data.nnz, EPOCHS, setup_seconds=setup_seconds
        ).seconds


def _make_test(tier: str):
    def test(benchmark, bench_data, verdicts):
        _benchmark_tier(benchmark, bench_data, verdicts, tier)

    test.__name__ = f"test_{tier.replace('-', '_')}"
    test.__doc__ = f"Speed of tier {tier!r}."
    return test


for _tier in tier_names():
    globals()[f"test_{_tier.replace('-', '_')}"] = _make_test(_tier)
