"""Paired speedups: ratios taken within each round-robin pass, then summarised.

On a shared machine whole passes slow down together (another job, a noisy neighbour, a
frequency step): every tier's round of that pass is slower. The ratio of two tiers'
medians mixes rounds from different moments and moves with that drift; the ratio of the
two rounds of the *same* pass cancels it. So every ratio in the table is the median of the
per-pass ratios, with the same distribution-free order-statistics interval as a median of
rounds (slimbench.figures.summary), and the ratio of medians is kept beside it for comparison.

Pass k of a round-robin run is the k-th round of every tier. Where tiers were timed one
after another (sequential scheduling) there are no passes to pair: the ratio of medians is
then the estimate, and the entry says so.
"""

from __future__ import annotations

from collections.abc import Sequence

from .summary import summarize


def pass_speeds(entry: dict) -> list[float]:
    """Samples/s of each round of a tier entry, by pass (round index)."""
    return [r["steps"] / r["seconds"] for r in entry.get("rounds", []) if r["seconds"] > 0]


def paired_ratio(
    tier: Sequence[float], baseline: Sequence[float], *, scale: float = 1.0
) -> dict | None:
    """Median of the per-pass ratios ``scale * tier[k] / baseline[k]`` and its interval.

    Returns None where no pass holds a round of both. ``scale`` turns a ratio into a
    percentage (100) where that is what is reported.
    """
    ratios = [scale * a / b for a, b in zip(tier, baseline, strict=False) if b > 0]
    if not ratios:
        return None
    s = summarize(ratios)
    return {
        "median": s.median,
        "ci_low": s.ci_low,
        "ci_high": s.ci_high,
        "confidence": s.confidence,
        "passes": s.n,
    }
