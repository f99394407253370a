"""Which learning rates overshoot, and the rate ``--learning-rate auto`` picks.

One SGD step on user u changes the error of that same (u, i) by the factor
``1 - lr * q_u``, where ``q_u = sum_p r_p^2`` over u's profile: the update adds
``lr * err * r_p`` to each S[j_p, i], and the prediction sums ``r_p`` times each of them.
The step overshoots (the error changes sign and grows) when ``lr * q_u > 2``; a dataset
with heavy users then diverges, however small the rate looks.

``auto`` picks ``1 / max_u q_u``: every user's factor lies in [0, 1), so no step
overshoots, and the heaviest user's step lands exactly on its target. Where every rating
is zero (q_u = 0 for all), no step changes S at any rate: there is no bound and no auto
rate (both None).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from slimbench.impls import TrainingData, prepare_urm

AUTO_RULE = "1 / max_u sum_p r_p^2 (no step overshoots: lr * sum_p r_p^2 <= 1 for every user)"
#: the seed's two rates: its speed runs and its 10-epoch training (In [41])
SEED_RATES = (1e-6, 1e-4)


def profile_square_sums(data: object) -> np.ndarray:
    """q_u = sum of the squared ratings in u's profile, per user (float64)."""
    d = prepare_urm(data) if not isinstance(data, TrainingData) else data
    return np.bincount(d.rows, weights=d.ratings * d.ratings, minlength=d.n_users)


@dataclass(frozen=True)
class StepBound:
    """Where a dataset's steps start to overshoot."""

    max_square_sum: float  # max_u q_u
    overshoot_above: float | None  # 2 / max_u q_u: a rate above it overshoots some step
    auto_rate: float | None  # 1 / max_u q_u; None where every rating is zero

    def to_dict(self) -> dict:
        return asdict(self)


def step_bound(data: object) -> StepBound:
    """The largest q_u and the rates derived from it."""
    q_max = float(profile_square_sums(data).max())
    if q_max == 0:  # all ratings zero: every error is zero, no rate overshoots
        return StepBound(max_square_sum=0.0, overshoot_above=None, auto_rate=None)
    return StepBound(max_square_sum=q_max, overshoot_above=2.0 / q_max, auto_rate=1.0 / q_max)


def overshoot_share(data: object, learning_rate: float) -> float:
    """Share of the training steps that overshoot at ``learning_rate``.

    A step draws an interaction uniformly, so a user's steps are its share of the
    interactions: the result is sum of |profile(u)| over users with lr * q_u > 2, over nnz.
    """
    d = prepare_urm(data) if not isinstance(data, TrainingData) else data
    q = profile_square_sums(d)
    lengths = np.diff(d.indptr)
    return float(lengths[learning_rate * q > 2.0].sum() / d.nnz)
