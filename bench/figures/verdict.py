"""Regression verdicts between two runs of a tier, from their per-round samples/s.

The test is Mann-Whitney U (two-sided) on the two sets of rounds: it assumes no
distribution (round times on a shared machine are skewed and often bimodal), works for the
few rounds a run has (5 against 5 rounds can reach p = 0.008), and asks the question a
regression gate needs: do the new rounds tend to be slower than the old? A bootstrap
interval of the ratio would need more rounds than a run usually has to be stable. The size
of a change is the ratio of the medians, new/old; a change is called only where the test
finds it (p < ALPHA), otherwise "no detectable change".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from scipy.stats import mannwhitneyu

ALPHA = 0.05


@dataclass(frozen=True)
class Verdict:
    """How a tier's speed changed between two runs."""

    ratio: float  # median new / median old
    p_value: float
    verdict: str  # "faster", "slower" or "no detectable change"
    old_rounds: int
    new_rounds: int

    def to_dict(self) -> dict:
        return asdict(self)

    def slower_by_more_than(self, percent: float) -> bool:
        """A significant slowdown of more than ``percent`` % (for --fail-slower)."""
        return self.verdict == "slower" and self.ratio < 1.0 - percent / 100.0


def _median(values: Sequence[float]) -> float:
    x = sorted(values)
    mid = len(x) // 2
    return x[mid] if len(x) % 2 else 0.5 * (x[mid - 1] + x[mid])


def compare_rounds(old: Sequence[float], new: Sequence[float], alpha: float = ALPHA) -> Verdict:
    """The verdict on two runs' per-round samples/s (each at least one positive value)."""
    ratio = _median(new) / _median(old)
    if len(old) < 2 or len(new) < 2:
        p = 1.0  # one round on a side: nothing to test
    else:
        p = float(mannwhitneyu(new, old, alternative="two-sided").pvalue)
    if p < alpha:
        verdict = "faster" if ratio > 1.0 else "slower"
    else:
        verdict = "no detectable change"
    return Verdict(ratio, p, verdict, len(old), len(new))
