"""Exceptions raised at the tiers' Python boundary.

Each message says what was wrong, where, and what to do: the kernels behind the
boundary trust their inputs, so nothing bad may reach them.
"""

from __future__ import annotations


class SlimBenchError(Exception):
    """Base of every error this project raises on purpose."""


class InvalidInputError(SlimBenchError, ValueError):
    """An argument or a matrix handed to a tier is not usable."""


class TierClassError(InvalidInputError):
    """A class (or the ``module:Class`` spec or entry point naming it) that is no usable Tier."""


class UnknownTierError(SlimBenchError, KeyError):
    """No tier is registered under the name asked for."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


class TierUnavailableError(SlimBenchError, RuntimeError):
    """The tier exists but cannot run here (extension not built, optional package missing)."""


class TrainingDiverged(SlimBenchError, ArithmeticError):
    """The summed squared error became non-finite; the run stopped before that step's update.

    ``step`` is the 1-based index, counted over the tier's whole life, of the step whose
    error made the loss non-finite. Steps before it were applied; it and later ones were not.
    """

    #: the loss a user's ``train_steps`` returned last, where the harness's worker knew it
    last_returned_loss: float | None = None

    def __init__(self, tier: str, step: int) -> None:
        self.tier = tier
        self.step = step
        super().__init__(
            f"tier {tier!r} diverged at step {step:,}: the squared error became non-finite. "
            "Lower the learning rate (a stable one satisfies lr * sum of a profile's squared "
            "ratings < 2 for the longest profiles)."
        )
