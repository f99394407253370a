"""Whole epochs with one tier (the seed's In [41]), and the prediction of their time.

An epoch is nnz(train) steps, run as a few equal ``run`` calls (so a progress bar can move
inside the epoch); the loss per step is the seed's ``loss / (sample_num + 1)`` at the end
of the epoch, i.e. the epoch's summed squared error over its steps. The prediction runs
the timing protocol (slimbench.measure.timing) on a throwaway copy of the tier at the very call
size training uses, because the bucketed tiers run faster in larger calls.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from ..figures.summary import summarize
from ..impls import Tier
from ..interrupts import StopRequest
from ..measure.timing import TierClock, TimingPlan

#: the most steps per ``run`` call of an epoch: large enough for the bucketed tiers to
#: reach their speed, small enough that the progress bar moves every few seconds
MAX_CALL_STEPS = 1 << 21
#: a call of a slow tier lasts about this long (seconds), so the bar moves; long enough
#: that a fast tier slowed by a busy machine still reaches MAX_CALL_STEPS
CALL_SECONDS = 3.0


def epoch_calls(nnz: int, max_call: int = MAX_CALL_STEPS) -> list[int]:
    """An epoch of ``nnz`` steps as equal calls of at most ``max_call`` (sizes differ by 1)."""
    n_calls = max(1, math.ceil(nnz / max_call))
    base, extra = divmod(nnz, n_calls)
    return [base + 1] * extra + [base] * (n_calls - extra)


@dataclass
class EpochRecord:
    """One finished epoch."""

    epoch: int
    steps: int
    seconds: float  # wall time of the epoch's run calls (evaluation not included)
    loss: float  # summed squared error of the epoch's steps
    metrics: dict | None = None  # held-out metrics after this epoch, where evaluated
    partial: bool = False  # stopped inside the epoch (Ctrl-C): ``steps`` of it were run

    @property
    def loss_per_step(self) -> float:
        return self.loss / self.steps

    @property
    def samples_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else float("inf")

    def to_dict(self) -> dict:
        out = asdict(self)
        out["loss_per_step"] = self.loss_per_step
        out["samples_per_second"] = self.samples_per_second
        return out


def run_epoch(
    tier: Tier,
    epoch: int,
    calls: list[int],
    on_call: Callable[[int], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
    stop: StopRequest | None = None,
) -> EpochRecord:
    """Run one epoch as ``calls``; ``on_call(steps)`` after each call (progress bars).

    Raises TrainingDiverged as the tier does. Where ``stop`` is requested (a deferred
    Ctrl-C) the epoch ends after the current call, as a record marked ``partial``.
    """
    seconds = loss = 0.0
    steps = 0
    for k, n in enumerate(calls):
        if stop is not None and stop.requested and k:
            return EpochRecord(epoch, steps, seconds, loss, partial=True)
        start = clock()
        result = tier.run(n)
        elapsed = clock() - start
        # read in the tier's worker around its own call, where it runs in one
        seconds += result.seconds if result.seconds is not None else elapsed
        loss += result.loss
        steps += result.steps
        if on_call is not None:
            on_call(result.steps)
    return EpochRecord(epoch=epoch, steps=steps, seconds=seconds, loss=loss)


@dataclass
class Prediction:
    """The training time predicted from a short measurement at the training's call size."""

    call_steps: int
    rounds: list[dict]
    samples_per_second: dict  # slimbench.figures.summary figures over the rounds
    epochs: int
    steps_per_epoch: int
    predicted_seconds: float  # epochs * steps_per_epoch / median samples/s
    measured_seconds: float | None = None
    error_percent: float | None = None  # (predicted - measured) / measured * 100

    def settle(self, measured_seconds: float) -> None:
        """Record the measured training time and the prediction's error."""
        self.measured_seconds = measured_seconds
        self.error_percent = (self.predicted_seconds - measured_seconds) / measured_seconds * 100

    def to_dict(self) -> dict:
        return asdict(self)


def calibrate_call_steps(
    tier: Tier,
    max_call: int = MAX_CALL_STEPS,
    target_seconds: float = CALL_SECONDS,
    clock: Callable[[], float] = time.perf_counter,
) -> int:
    """Doubling calls until one takes ``target_seconds`` or reaches ``max_call`` steps.

    Fast tiers end at ``max_call`` (where the bucketed ones reach their speed); slow ones at
    about 3 seconds of steps, so that the bar moves and the prediction does not wait for
    minutes on a single call. The calls train the (throwaway) tier.
    """
    steps = 1
    while steps < max_call:
        start = clock()
        tier.run(steps)
        if clock() - start >= target_seconds:
            break
        steps *= 2
    return min(steps, max_call)


def predict(
    make_tier: Callable[[], Tier],
    steps_per_epoch: int,
    epochs: int,
    budget_seconds: float,
    max_call: int = MAX_CALL_STEPS,
    rounds: int = 5,
) -> tuple[Prediction, list[int]]:
    """Predict the epochs' time on a fresh tier; return it and the epoch's calls.

    The call size is calibrated first (:func:`calibrate_call_steps`), the epoch is cut into
    equal calls of at most that size, and ``rounds`` calls of exactly the epoch's call size
    are timed within ``budget_seconds`` (the run protocol, slimbench.measure.timing). The tier is
    dropped afterwards: the training itself starts from a fresh S.
    """
    tier = make_tier()
    # no call is longer than an epoch: calibrating beyond it would only waste time
    calls = epoch_calls(steps_per_epoch, calibrate_call_steps(tier, min(max_call, steps_per_epoch)))
    plan = TimingPlan(budget_seconds, rounds, warmup_seconds=0.0, call_steps=calls[0])
    clock = TierClock(tier, plan)
    del tier
    clock.warm_up()
    while clock.next_round() is not None:
        pass
    del clock.tier
    speeds = [r.samples_per_second for r in clock.rounds]
    summary = summarize(speeds).to_dict()
    prediction = Prediction(
        call_steps=calls[0],
        rounds=[r.to_dict() for r in clock.rounds],
        samples_per_second=summary,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        predicted_seconds=epochs * steps_per_epoch / summary["median"],
    )
    return prediction, calls
