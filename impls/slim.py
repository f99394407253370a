"""SLIM's two options beyond the seed's plain MSE step, written once for every tier.

* ``no_diagonal``: S[i, i] is held at 0, SLIM's own constraint (without it S = I fits
  the training data perfectly). A step on (u, i) always has i in u's profile, so the
  tiers apply the step's update to the whole profile and then set S[i, i] back to 0:
  for every other entry that is the update the constraint asks for, and S[i, i] stays
  exactly 0, so its term in the next prediction adds exactly +0.0 (the same as skipping
  it in the prediction).
* ``l2`` (lambda): every updated element also decays,
  ``S[j, i] = S[j, i] + lr * ((err * r_j) - (lambda * S[j, i]))``, evaluated in exactly
  that order: err * r_j, lambda * S[j, i], their difference, times lr, added to S[j, i].
  With lambda = 0 the tiers keep the seed's update ``S[j, i] += (lr * err) * r_j``
  (a different rounding), so the default stays bitwise the seed's.

:func:`l2_updated` is that formula for numpy arrays (python-naive) and Numba (numba);
the Cython tiers have its C twin in ``_slim_update.pxi``. Both are compiled or evaluated
without fused multiply-adds, so each operation rounds once, as numpy does.
"""

from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass

from .errors import InvalidInputError
from .limits import L2

#: the keyword arguments of a tier that carry SLIM options
SLIM_OPTION_NAMES: tuple[str, ...] = ("no_diagonal", "l2")


@dataclass(frozen=True)
class SlimOptions:
    """SLIM's options: the zero-diagonal constraint and the L2 decay lambda."""

    no_diagonal: bool = False
    l2: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.no_diagonal, (bool, numbers.Integral)):
            raise InvalidInputError(f"no_diagonal must be True or False, got {self.no_diagonal!r}.")
        object.__setattr__(self, "no_diagonal", bool(self.no_diagonal))
        object.__setattr__(self, "l2", float(L2.check(self.l2)))

    @property
    def is_default(self) -> bool:
        """True for the seed's plain step (no constraint, no decay)."""
        return not self.no_diagonal and self.l2 == 0.0

    def describe(self) -> str:
        """'plain MSE', 'no diagonal', 'l2=0.1' or 'no diagonal, l2=0.1'."""
        parts = (["no diagonal"] if self.no_diagonal else []) + (
            [f"l2={self.l2:g}"] if self.l2 else []
        )
        return ", ".join(parts) or "plain MSE"

    def to_dict(self) -> dict:
        return asdict(self)


def l2_updated(s, learning_rate, err, rating, l2):
    """``s + lr * ((err * rating) - (l2 * s))``: the L2 step, in its one evaluation order.

    Works on floats and elementwise on numpy arrays (python-naive's fancy-index update),
    and compiles under Numba (numba's kernel).
    """
    return s + learning_rate * (err * rating - l2 * s)
