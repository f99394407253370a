"""argparse types shared by the commands and the notebook magics: numbers with a range,
lists of tier names. A leaf: the magics parse their lines with these without importing a
command.

Every number type is built from a bound of slimbench.impls.limits, the one the Python API
checks, so ``--seed -1`` and ``seed=-1`` are refused with the same message (argparse puts
"argument --seed:" before it).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from .impls.errors import InvalidInputError
from .impls.limits import (
    BUDGET,
    CALL_STEPS,
    CALL_TIMEOUT,
    CUTOFF,
    EASE_LAMBDA,
    EPOCHS,
    EVAL_EVERY,
    KNN_K,
    KNN_SHRINK,
    L2,
    LEARNING_RATE,
    NON_NEGATIVE_INT,
    NON_NEGATIVE_NUMBER,
    POSITIVE_INT,
    POSITIVE_NUMBER,
    ROUNDS,
    SAVE_TOP_K,
    SEED,
    TRAIN_SHARE,
    WARMUP,
    Bound,
    thread_bound,
)


def tier_list(text: str) -> list[str]:
    """``A,B,C`` -> ["A", "B", "C"]; an empty list or a name given twice is refused."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of tier names")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise argparse.ArgumentTypeError(f"tier(s) listed more than once: {', '.join(twice)}")
    return names


def bounded(bound: Bound | Callable[[], Bound]) -> Callable[[str], float]:
    """An argparse type that reads one number and refuses it as ``bound.check`` would.

    ``bound`` may be a function that makes the bound when an option is parsed (threads:
    the usable cores are known only at run time).
    """

    def parse(text: str) -> float:
        current = bound() if callable(bound) else bound
        try:
            return current.parse(text)
        except InvalidInputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


positive_int = bounded(POSITIVE_INT)
non_negative_int = bounded(NON_NEGATIVE_INT)
positive_float = bounded(POSITIVE_NUMBER)
non_negative_float = bounded(NON_NEGATIVE_NUMBER)
seed_value = bounded(SEED)
epoch_count = bounded(EPOCHS)
round_count = bounded(ROUNDS)
thread_count = bounded(thread_bound)
share = bounded(TRAIN_SHARE)  # the holdout needs both parts
budget_value = bounded(BUDGET)
warmup_value = bounded(WARMUP)
call_timeout_value = bounded(CALL_TIMEOUT)
learning_rate_value = bounded(LEARNING_RATE)
l2_value = bounded(L2)
call_steps_value = bounded(CALL_STEPS)
cutoff_value = bounded(CUTOFF)
eval_every_value = bounded(EVAL_EVERY)
save_top_k_value = bounded(SAVE_TOP_K)
knn_k_value = bounded(KNN_K)
knn_shrink_value = bounded(KNN_SHRINK)
ease_lambda_value = bounded(EASE_LAMBDA)


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
