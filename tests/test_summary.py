"""Summaries of a tier's rounds (slimbench.figures.summary): the median's interval."""

from __future__ import annotations

import pytest

from slimbench.figures.summary import median_ci_indices, summarize


@pytest.mark.parametrize(
    "n,lo,hi,coverage",
    [(5, 0, 4, 0.9375), (6, 0, 5, 0.96875), (7, 0, 6, 0.984375), (9, 1, 7, 0.9609375)],
)
def test_median_ci_uses_order_statistics_and_reports_coverage(n, lo, hi, coverage):
    assert median_ci_indices(n) == (lo, hi, pytest.approx(coverage))


def test_summary_of_rounds():
    s = summarize([10.0, 12.0, 11.0, 50.0, 9.0, 10.5, 11.5])
    assert s.median == 11.0 and s.minimum == 9.0 and s.maximum == 50.0
    assert (s.ci_low, s.ci_high) == (9.0, 50.0) and s.confidence > 0.95
    assert s.q1 <= s.median <= s.q3
