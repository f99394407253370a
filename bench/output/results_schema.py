"""The fields of a results.json that the report, the console and ``compare`` read, checked once.

A spec is a dict (an object with these keys), a :class:`ListOf`, an :class:`Optional`, or a
function that returns what is wrong with a value (None where it is fine). Loading walks the
document against :data:`RESULTS` and reports the first bad field by its path, so that no
later step meets a string where a number belongs, a NaN speed or a nameless tier.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

Check = Callable[[object], "str | None"]

RUN_STATUSES = ("running", "complete", "interrupted", "failed")
TIER_STATUSES = (
    "pending",
    "measuring",
    "measured",
    "failed-check",
    "diverged",
    "error",
    "unavailable",
    "interrupted",
    # the tier's worker process died or hung (slimbench.measure.tier_process)
    "crashed",
    "exited",
    "timed-out",
    # the audit of the timed work found S off the reference (slimbench.measure.timed_audit)
    "failed-audit",
    # a replay tier whose stream the audit cannot regenerate: timed, but no figure
    "not-audited",
)


@dataclass(frozen=True)
class ListOf:
    """A list whose every item matches ``item``."""

    item: object


@dataclass(frozen=True)
class Optional:
    """``spec``, or null."""

    spec: object


def _real(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number(value: object) -> str | None:
    """A finite number."""
    if not _real(value) or not math.isfinite(value):
        return f"must be a finite number, got {value!r}"
    return None


def positive(value: object) -> str | None:
    """A finite number > 0 (a speed, a duration of a round)."""
    return number(value) or (None if value > 0 else f"must be > 0, got {value!r}")


def non_negative(value: object) -> str | None:
    """A finite number >= 0."""
    return number(value) or (None if value >= 0 else f"must be >= 0, got {value!r}")


def count(value: object) -> str | None:
    """An integer >= 0."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return f"must be an integer >= 0, got {value!r}"
    return None


def text(value: object) -> str | None:
    """A non-empty string."""
    return (
        None if isinstance(value, str) and value else f"must be a non-empty string, got {value!r}"
    )


def one_of(*choices: str) -> Check:
    """One of ``choices``."""

    def check(value: object) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}, got {value!r}"

    return check


def mapping(value: object) -> str | None:
    """Any JSON object."""
    return None if isinstance(value, dict) else f"must be an object, got {type(value).__name__}"


# loss is null where the source did not record it (pytest-benchmark imports)
ROUND = {"steps": count, "seconds": non_negative, "loss": Optional(number)}
SPEED = {
    "median": positive,
    "ci_low": positive,
    "ci_high": positive,
    "minimum": positive,
    "maximum": positive,
}
TIER = {
    "name": text,
    "exactness": text,
    "status": one_of(*TIER_STATUSES),
    "rounds": ListOf(ROUND),
    "samples_per_second": Optional(SPEED),
    "training_time": Optional({"seconds": positive, "human": text}),
    "speedup": Optional(mapping),
    "check": Optional(mapping),
}
RESULTS = {
    "status": one_of(*RUN_STATUSES),
    "created": text,
    "dataset": {"name": text, "train_nnz": count},
    "options": {"epochs": count},
    "machine": mapping,
    "tiers": ListOf(TIER),
    "caveats": ListOf(text),
}


def first_problem(value: object, spec: object, path: str = "") -> str | None:
    """``path: what is wrong`` for the first field of ``value`` that breaks ``spec``."""
    if isinstance(spec, Optional):
        return None if value is None else first_problem(value, spec.spec, path)
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return f"{path or 'document'} must be a list, got {type(value).__name__}"
        for i, item in enumerate(value):
            problem = first_problem(item, spec.item, f"{path}[{i}]")
            if problem:
                return problem
        return None
    if isinstance(spec, dict):
        if not isinstance(value, dict):
            return f"{path or 'document'} must be an object, got {type(value).__name__}"
        for key, sub in spec.items():
            where = f"{path}.{key}" if path else key
            if key not in value:
                return f"{where} is missing"
            problem = first_problem(value[key], sub, where)
            if problem:
                return problem
        return None
    problem = spec(value)
    return f"{path} {problem}" if problem else None
