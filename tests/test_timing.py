"""The timing protocol (slimbench.measure.timing): warm-up, rounds calibrated to the budget."""

from __future__ import annotations

import pytest

from slimbench.impls import InvalidInputError, create
from slimbench.measure.timing import TierClock, TimingPlan


class FakeClock:
    """A clock that advances by a fixed cost per step of the tier it watches."""

    def __init__(self, tier, seconds_per_step):
        self.now, self.tier, self.cost = 0.0, tier, seconds_per_step
        self._last = 0
        original = tier.run

        def run(n):
            self.now += n * self.cost
            return original(n)

        tier.run = run

    def __call__(self):
        return self.now


def test_clock_calibrates_rounds_to_the_budget(small_urm):
    tier = create("cython-rand", small_urm)
    clock = TierClock(
        tier,
        TimingPlan(budget_seconds=10.0, rounds=5, warmup_seconds=1.0),
        clock=FakeClock(tier, 1e-4),
    )
    while clock.next_round() is not None:
        pass
    assert len(clock.rounds) == 5
    assert sum(r.seconds for r in clock.warmup) >= 1.0
    assert clock.spent_seconds == pytest.approx(10.0, rel=0.1)
    for r in clock.rounds:
        assert r.samples_per_second == pytest.approx(1e4)
        assert r.seconds == pytest.approx(9.0 / 5, rel=0.25)


@pytest.mark.parametrize("rewarm", [True, False])
def test_rounds_after_the_first_are_rewarmed_untimed(small_urm, rewarm):
    tier = create("cython-rand", small_urm)
    plan = TimingPlan(budget_seconds=10.0, rounds=4, warmup_seconds=1.0, rewarm=rewarm)
    clock = TierClock(tier, plan, clock=FakeClock(tier, 1e-4))
    while clock.next_round() is not None:
        pass
    first, *later = clock.rounds
    assert first.rewarm_steps == 0
    for r in later:
        assert r.rewarm_steps == (max(1, int(0.05 * r.steps)) if rewarm else 0)
    counted = sum(r.steps for r in clock.warmup) + sum(
        r.steps + r.rewarm_steps for r in clock.rounds
    )
    assert tier.steps_done == counted  # re-warm steps ran, outside the timed rounds
    assert clock.spent_seconds == pytest.approx(10.0, rel=0.1)  # and inside the budget


def test_slow_tier_gets_fewer_steps_not_more_time(small_urm):
    tier = create("python-naive", small_urm)
    clock = TierClock(
        tier, TimingPlan(budget_seconds=2.0, rounds=7), clock=FakeClock(tier, 0.4)
    )  # 0.4 s per step: a pathological tier
    while clock.next_round() is not None:
        pass
    assert clock.spent_seconds <= 2.0 * 1.5
    assert clock.notes and "only" in clock.notes[0]


@pytest.mark.parametrize(
    "kwargs", [{"budget_seconds": 0}, {"budget_seconds": -1}, {"rounds": 0}, {"rounds": 2.5}]
)
def test_plan_refuses_non_positive_budget_or_rounds(kwargs):
    with pytest.raises(InvalidInputError):
        TimingPlan(**kwargs)
