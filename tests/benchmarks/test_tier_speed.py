"""pytest-benchmark benchmarks of every tier, parametrized from the registry.

    pytest tests/benchmarks --benchmark-only --benchmark-json bench.json
    slimbench report --pytest-benchmark bench.json

Two groups, each with a fixed, documented amount of work per round, the same for every
tier of the group and from session to session: pytest-benchmark's own times, rankings and
``--benchmark-compare`` / ``--benchmark-compare-fail`` then compare equal work.

* "seed tiers": the seed's loops and their Numba peer, SEED_STEPS steps per round;
* "fast tiers": every other tier (built-in or plugin), FAST_STEPS steps per round.

Each round times one ``run`` of those steps on a freshly prepared tier
(``benchmark.pedantic`` with a setup function, so S and the stream start afresh and setup
is not timed), after a warm-up round. The tier must pass the cross-check in the same
session; its verdict, samples/s, the round losses, memory, threads, its profile layout and
floor, the split and the dataset's statistics go into ``extra_info`` for
``slimbench report --pytest-benchmark``.
Under ``make test`` (``--benchmark-disable``) each runs once, on synthetic-tiny, with
DISABLED_STEPS steps.
"""

from __future__ import annotations

import time

import pytest

from slimbench.data.datasets import holdout_split, load_dataset
from slimbench.data.stats import dataset_stats
from slimbench.figures.extrapolate import extrapolate_training_time
from slimbench.impls import create, get_tier, prepare_urm, tier_names
from slimbench.impls.registry import floor_by_layout
from slimbench.impls.slim import SlimOptions
from slimbench.measure.audit import audit_items
from slimbench.measure.check import check_tiers
from slimbench.measure.memory_plan import tier_memory_bytes
from slimbench.measure.timed_audit import AuditSubject, audit_subjects, subject_for
from slimbench.version import __version__

#: the seed's loops (and the same loop under Numba): about 2-130k samples/s
SEED_TIERS = (
    "python-naive",
    "python-indptr",
    "cython-untyped",
    "cython-typed",
    "cython-rand",
    "numba",
)
SEED_STEPS = 2_000
#: everything else: 0.15-3M samples/s on synthetic-ml10m
FAST_STEPS = 500_000
DISABLED_STEPS = 200
EPOCHS = 10
SEED = 0
LEARNING_RATE = 1e-6
TRAIN_SHARE = 0.8


def _available(name: str) -> bool:
    return get_tier(name).unavailable_reason() is None


def group_of(tier: str) -> tuple[str, int]:
    """The benchmark group of ``tier`` and its steps per round."""
    if tier in SEED_TIERS:
        return f"seed tiers, {SEED_STEPS:,} steps per round", SEED_STEPS
    return f"fast tiers, {FAST_STEPS:,} steps per round", FAST_STEPS


def pytest_generate_tests(metafunc):
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
    loaded = load_dataset(dataset)
    urm = loaded.urm
    train, test = holdout_split(urm, train_share=TRAIN_SHARE, seed=SEED)
    return dataset, prepare_urm(train), int(test.nnz), dataset_stats(urm), loaded.generator


@pytest.fixture(scope="session")
def verdicts(request):
    """The cross-check of every available tier this session times, once per session.

    A session given ``-k`` checks only the tiers it selected: the others' verdicts would
    be computed, seconds each, and never read.
    """
    selected = {getattr(item.function, "tier", None) for item in request.session.items}
    names = [n for n in tier_names() if n in selected and _available(n)]
    return {r.tier: r for r in check_tiers(names, seed=SEED)}


def _benchmark_tier(benchmark, bench_data, verdicts, tier):
    if not _available(tier):
        pytest.skip(get_tier(tier).unavailable_reason())
    spec, data, test_nnz, stats, generator = bench_data
    verdict = verdicts[tier]
    assert verdict.passed, f"{tier} failed its cross-check: {verdict.detail}"
    group, steps = group_of(tier)
    if benchmark.disabled:
        steps = DISABLED_STEPS
    benchmark.group = group

    start = time.perf_counter()
    probe = create(tier, data, seed=SEED, learning_rate=LEARNING_RATE)
    setup_seconds = time.perf_counter() - start
    threads = int(probe.threads)  # declared by the Tier contract, default 1
    # the layout this tier chose on this data (a compact tier may fall back), as a run does
    bytes_per_entry = probe.bytes_per_entry
    probe.close()
    del probe
    losses: list[float] = []

    def fresh():
        return (create(tier, data, seed=SEED, learning_rate=LEARNING_RATE), steps), {}

    live: list = []

    def one_round(t, n):
        live[:] = [t]
        result = t.run(n)
        losses.append(result.loss)
        return result

    audited: list[AuditSubject] = []

    def close_round(t, n):  # untimed: the last round's work is audited before it is closed
        audited[:] = [subject_for(tier, get_tier(tier), t, [n], audit_items(data, SEED))]
        live.clear()
        t.close()

    result = benchmark.pedantic(
        one_round, setup=fresh, teardown=close_round, rounds=5, warmup_rounds=1, iterations=1
    )
    assert result.steps == steps
    if live:  # --benchmark-disable runs the target once and calls no teardown
        close_round(live[0], steps)
    audit, audit_seconds = audit_subjects(
        audited,
        data,
        seed=SEED,
        learning_rate=LEARNING_RATE,
        slim=SlimOptions(),
        items=audit_items(data, SEED),
        bisect=False,
    )
    assert audit[tier].verdict == "pass", f"{tier} failed the audit of its timed work: {audit}"
    info = benchmark.extra_info
    info.update(
        tier=tier,
        exactness=get_tier(tier).exactness,
        description=get_tier(tier).description,
        check=verdict.to_dict(),
        steps=steps,
        dataset=spec,
        generator=generator,
        train_nnz=data.nnz,
        test_nnz=test_nnz,
        train_share=TRAIN_SHARE,
        dataset_stats=stats,
        epochs=EPOCHS,
        seed=SEED,
        learning_rate=LEARNING_RATE,
        setup_seconds=setup_seconds,
        threads=threads,
        profile_layout=get_tier(tier).profile_layout_name,
        floor=floor_by_layout(tier),
        bytes_per_entry=bytes_per_entry,
        memory_bytes=tier_memory_bytes(tier, data),
        round_losses=losses[1:],  # the warm-up round is not a round
        audit={**audit[tier].to_dict(), "seconds": audit_seconds},
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
    test.tier = tier  # read by the verdicts fixture
    test.__doc__ = f"Speed of tier {tier!r}."
    return test


for _tier in tier_names():
    globals()[f"test_{_tier.replace('-', '_')}"] = _make_test(_tier)
