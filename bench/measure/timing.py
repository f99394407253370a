"""The timing protocol, in one place.

For each tier:

1. setup (conversions, allocation and first touch of S) is timed apart by the caller;
2. a warm-up runs chunks of doubling size until ``warmup_seconds`` are spent (and at
   least three chunks ran); it is not counted, and its last chunk calibrates the steps
   per round;
3. rounds: each runs ``steps`` continuing the same stream and S, sized so that all
   ``rounds`` fit the remaining budget; the speed is re-estimated after every round;
4. the per-tier budget bounds warm-up plus rounds, so pure Python is measured on fewer
   steps rather than for hours; fewer rounds than asked are reported, never hidden.

The caller interleaves tiers round by round (round-robin) so that drift of a shared
machine hits every tier alike. Samples/s of a round = steps / wall seconds of the
``run`` call (``time.perf_counter``); the figures are summarised by slimbench.figures.summary.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from ..formatting import plural
from ..impls import InvalidInputError, Tier
from ..impls.limits import BUDGET, CALL_STEPS, MAX_STEPS, ROUNDS, WARMUP

PROTOCOL_TEXT = (
    "Each tier is set up once (timed apart), warmed up in growing chunks that are not "
    "counted, then run for up to {rounds} calibrated rounds within a budget of {budget:g} s, "
    "tiers interleaved round by round ({scheduling}); samples/s is the median over rounds "
    "with an order-statistics confidence interval, from the same seed for every tier.{rewarm}"
)
REWARM_TEXT = (
    " Before each round after the first, an untimed chunk of 5% of the round's steps "
    "re-warms the tier's caches, which the tier before it in the pass has evicted."
)

MIN_ROUNDS_WANTED = 5
MIN_ROUND_SHARE = 0.1  # a round shorter than this share of the planned one is not worth it
MIN_WARMUP_CHUNKS = 3  # one slow first call (lazy imports, page faults) must not calibrate
REWARM_SHARE = 0.05  # of a round's steps, run untimed before it (TimingPlan.rewarm)


@dataclass(frozen=True)
class TimingPlan:
    """How long and how often each tier is measured."""

    budget_seconds: float = 20.0
    rounds: int = 7
    warmup_seconds: float | None = None  # default: 10 % of the budget, within [0.2, 3] s
    #: fixed steps per ``run`` call (warm-up and rounds), e.g. the call size a training
    #: uses; None sizes the calls from the budget. Bucketed tiers run faster in larger calls.
    call_steps: int | None = None
    #: an untimed chunk of REWARM_SHARE of a round's steps before every round but the
    #: first: in round-robin the tier before has just evicted this one's data from cache
    rewarm: bool = True

    def __post_init__(self) -> None:
        budget = BUDGET.check(self.budget_seconds)
        ROUNDS.check(self.rounds)
        warmup = self.warmup_seconds
        if warmup is not None:
            warmup = WARMUP.check(warmup)
            if warmup >= budget:
                raise InvalidInputError(
                    f"the warm-up ({warmup:g} s) must be shorter than the budget per tier "
                    f"({budget:g} s), which it is part of; raise --budget or lower --warmup."
                )
        if self.call_steps is not None:
            CALL_STEPS.check(self.call_steps)

    @property
    def warmup(self) -> float:
        if self.warmup_seconds is not None:
            return float(self.warmup_seconds)
        return min(max(0.1 * self.budget_seconds, 0.2), 3.0)


@dataclass
class Record:
    """One timed ``run`` call."""

    steps: int
    seconds: float
    loss: float
    rewarm_steps: int = 0  # untimed steps run just before this round

    @property
    def samples_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else float("inf")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TierClock:
    """Measures one prepared tier under a :class:`TimingPlan`, one round at a time."""

    tier: Tier
    plan: TimingPlan
    clock: Callable[[], float] = time.perf_counter
    warmup: list[Record] = field(default_factory=list)
    rounds: list[Record] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _rate: float = 0.0
    _spent: float = 0.0
    _stopped: bool = False

    def _timed(self, steps: int) -> Record:
        start = self.clock()
        result = self.tier.run(steps)
        seconds = self.clock() - start
        if result.seconds is not None:  # read in the tier's worker, around its own call
            seconds = result.seconds
        self._spent += seconds
        return Record(steps=result.steps, seconds=seconds, loss=result.loss)

    def warm_up(self) -> list[Record]:
        """Run doubling chunks until the warm-up time is spent; calibrate the rate.

        With a fixed call size, every chunk is one call of that size (at least one).
        """
        target = self.plan.warmup
        fixed = self.plan.call_steps
        steps = fixed or 1
        while True:
            record = self._timed(steps)
            self.warmup.append(record)
            if record.seconds > 0:
                self._rate = record.samples_per_second
            enough = 1 if fixed else MIN_WARMUP_CHUNKS
            if self._spent >= target and len(self.warmup) >= enough:
                break
            if not fixed and record.seconds < target / 4:
                steps *= 2
        return self.warmup

    @property
    def done(self) -> bool:
        return self._stopped or len(self.rounds) >= self.plan.rounds

    def _round_target(self) -> float:
        left_rounds = self.plan.rounds - len(self.rounds)
        left_time = self.plan.budget_seconds - self._spent
        return left_time / max(left_rounds, 1)

    def next_round(self) -> Record | None:
        """Run one round sized to the remaining budget; None once the tier is done."""
        if self.done:
            return None
        if not self.warmup:
            self.warm_up()
        target = self._round_target()
        nominal = max(self.plan.budget_seconds - self.plan.warmup, 0.0) / self.plan.rounds
        if self.rounds and target < MIN_ROUND_SHARE * nominal:  # budget spent by slow rounds
            self._stop()
            return None
        # a warm-up that overran the budget still leaves one (short) round to report
        target = max(target, MIN_ROUND_SHARE * nominal)
        # within what one run call takes, whatever a coarse clock made of the rate
        steps = self.plan.call_steps or min(max(1, int(self._rate * target)), MAX_STEPS)
        rewarm = 0
        if self.plan.rewarm and self.rounds:  # bring this tier's data back into cache
            rewarm = self._timed(max(1, int(REWARM_SHARE * steps))).steps
        record = self._timed(steps)
        record.rewarm_steps = rewarm
        self.rounds.append(record)
        if record.seconds > 0:
            self._rate = record.samples_per_second
        if len(self.rounds) >= self.plan.rounds:
            self._stopped = True
        return record

    def _stop(self) -> None:
        self._stopped = True
        n = len(self.rounds)
        if n < min(MIN_ROUNDS_WANTED, self.plan.rounds):
            self.notes.append(
                f"only {plural(n, 'round')} fitted the {self.plan.budget_seconds:g} s budget "
                f"(asked for {self.plan.rounds}); raise --budget for a tighter interval"
            )

    def call_size_note(self) -> str | None:
        """How many steps the rounds' ``run`` calls took: speed can depend on it."""
        steps = sorted(r.steps for r in self.rounds)
        if not steps:
            return None
        median = steps[len(steps) // 2]
        span = f"{steps[0]:,}" if steps[0] == steps[-1] else f"{steps[0]:,} to {steps[-1]:,}"
        return f"rounds were run calls of {span} steps (median {median:,})"

    @property
    def spent_seconds(self) -> float:
        return self._spent
