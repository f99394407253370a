"""argparse types shared by the commands and the notebook magics: numbers with a range,
lists of tier names. A leaf: the magics parse their lines with these without importing a
command."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from .impls.base import MAX_SEED

#: upper bounds of the counts the commands take: beyond them a run would outlive its user
MAX_EPOCHS = 10**6
MAX_ROUNDS = 10_000


def tier_list(text: str) -> list[str]:
    """``A,B,C`` -> ["A", "B", "C"]; an empty list or a name given twice is refused."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of tier names")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise argparse.ArgumentTypeError(f"tier(s) listed more than once: {', '.join(twice)}")
    return names


def number(
    convert: Callable[[str], float], accept: Callable[[float], bool], expected: str
) -> Callable[[str], float]:
    """An argparse type: ``convert`` the text, and refuse what ``accept`` rejects."""

    def parse(text: str) -> float:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
        return value

    return parse


positive_int = number(int, lambda v: v > 0, "a positive integer")
non_negative_int = number(int, lambda v: v >= 0, "an integer >= 0")
positive_float = number(float, lambda v: 0 < v < float("inf"), "a positive finite number")
seed_value = number(int, lambda v: 0 <= v <= MAX_SEED, f"an integer in [0, {MAX_SEED}]")
epoch_count = number(int, lambda v: 0 < v <= MAX_EPOCHS, f"an integer in [1, {MAX_EPOCHS:,}]")
round_count = number(int, lambda v: 0 < v <= MAX_ROUNDS, f"an integer in [1, {MAX_ROUNDS:,}]")


def thread_count(text: str) -> int:
    """A thread count in [1, the most the parallel tiers accept on this machine]."""
    from .impls.cython_parallel import max_threads  # the cores are known only at run time

    limit = max_threads()
    return int(
        number(int, lambda v: 0 < v <= limit, f"an integer in [1, {limit}] (8 per usable core)")(
            text
        )
    )


share = number(float, lambda v: 0 < v < 1, "a number in (0, 1)")  # holdout needs both parts


def float_list(text: str) -> list[float]:
    """``0.1,0.5`` -> [0.1, 0.5]; every value must be positive."""
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None
    if not values or any(not v > 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive numbers, got {text!r}")
    return values
