"""Where a tier's worker died: the first crashing step, and in a user's .pyx the line.

1. The first step whose run crashes the worker is found as the diagnosis finds the first
   differing one: a fresh worker runs n steps in one call, n bisected over [1, steps].
2. A corrupted heap often crashes later than the write that corrupted it, so for a user's
   ``.pyx`` the same calls are then run in a bounds-checked build of the same file
   (impls.user_build: boundscheck and initializedcheck on, wraparound off, the file's own
   directives rewritten in a copy that keeps every line number), again bisected: the
   verdict names the step where that build first fails and the file and line of the
   out-of-bounds access with Cython's message. An IndexError inside a ``noexcept`` or
   nogil function is only printed ("Exception ignored in ..."), so the worker's captured
   output is read too. An access through a raw pointer is caught by none of this; the
   verdict says so when the checked build runs clean.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..impls import SlimBenchError, TrainingData, make_rng
from .diagnose import bisect_least
from .tier_process import RemoteError, WorkerFailure

#: Cython's bounds-check message, as raised or as printed by "Exception ignored"
_OOB = re.compile(r"IndexError: (Out of bounds on buffer access \(axis \d+\)|[^\n]+)")
_PYX_LINE = re.compile(
    r'File "(?P<file>[^"]+\.pyx)", line (?P<line>\d+)'
    r"|(?P<file2>[\w./-]+\.pyx)[:,] line (?P<line2>\d+)"
)


def _step_words(data: TrainingData, seed: int, n: int) -> str:
    k = int(make_rng(seed).integers(0, data.nnz, size=n)[n - 1])
    user, item, rating = int(data.rows[k]), int(data.indices[k]), float(data.ratings[k])
    return f"step {n:,} (interaction {k:,}: user {user}, item {item}, rating {rating:g})"


def _out_of_bounds(text: str, source_name: str) -> str | None:
    """``oob.pyx:19: IndexError: Out of bounds on buffer access (axis 0)`` from a message."""
    oob = _OOB.search(text)
    if oob is None:
        return None
    line = None
    for m in _PYX_LINE.finditer(text):
        line = m["line"] or m["line2"]
    where = f"{source_name}:{line}" if line else source_name
    return f"{where}: IndexError: {oob.group(1)}"


def _failure_probe(
    start: Callable[..., object], create_options: dict
) -> Callable[[int, dict | None], BaseException | None]:
    """``failure(n, origin=None)``: run n steps in a fresh worker; what went wrong, or None."""

    def failure(n: int, origin: dict | None = None) -> BaseException | None:
        tier = None
        try:
            tier = start(create_options, origin)
            tier.run(n)
        except (WorkerFailure, RemoteError, SlimBenchError) as exc:
            return exc
        finally:
            if tier is not None:
                tier.close()
        return None

    return failure


def locate_crash(
    name: str,
    cls: type,
    data: TrainingData,
    create_options: dict,
    *,
    steps: int,
    start: Callable[..., object],
) -> dict | None:
    """The first crashing step of tier ``name`` within ``steps`` (and the .pyx line).

    ``start(options, origin=None)`` prepares a fresh tier in a new worker; ``origin`` with
    ``checked`` asks for the bounds-checked build. Returns {"sentence", "first_difference"}
    or None where the crash cannot be reproduced in one call.
    """
    seed = int(create_options.get("seed", 0))
    failure = _failure_probe(start, create_options)
    first = failure(steps)
    if not isinstance(first, WorkerFailure) or first.status == "timed-out":
        return None  # a hang is not bisected: each probe would wait out the time limit
    crash_step = bisect_least(lambda n: isinstance(failure(n), WorkerFailure), steps)
    verb = {"crashed": "crashes", "exited": "exits", "timed-out": "hangs"}[first.status]
    sentence = f"the shortest call that {verb} ends at {_step_words(data, seed, crash_step)}"
    found = {"crash_step": crash_step}
    checked = _checked_build_failure(cls, data, seed, crash_step, failure)
    if checked is not None:
        words, n, what = checked
        sentence += words
        if n is not None:
            found["checked_step"] = n
            found["checked_message"] = what
    return {"sentence": sentence, "first_difference": found}


def _checked_build_failure(
    cls: type,
    data: TrainingData,
    seed: int,
    steps: int,
    failure: Callable[[int, dict | None], BaseException | None],
    *,
    say_clean: bool = True,
) -> tuple[str, int | None, str | None] | None:
    """Run a user's .pyx bounds-checked for ``steps``; (words, first failing step, message).

    None for a tier that is not a user's .pyx, or (with ``say_clean`` false) where the
    checked build runs clean. ``failure(n, origin)`` runs n steps in a fresh worker.
    """
    origin = dict(cls.origin)
    path = origin.get("path") or ""
    if origin.get("kind") != "file" or not path.endswith(".pyx"):
        return None
    checked = {**origin, "checked": True}
    source_name = path.rsplit("/", 1)[-1]

    seen: dict[int, str | None] = {}  # each probe is a fresh worker: never run one twice

    def checked_fails(n: int) -> str | None:
        if n not in seen:
            exc = failure(n, checked)
            text = "" if exc is None else str(exc) + "\n" + getattr(exc, "log", "")
            seen[n] = (
                None
                if exc is None
                else _out_of_bounds(text, source_name)
                or (str(exc) if isinstance(exc, WorkerFailure) else None)
            )
        return seen[n]

    if checked_fails(steps) is None:
        if not say_clean:
            return None
        return (
            f"; the bounds-checked build of {source_name} runs those steps clean: the "
            "bad access goes through a raw pointer (or outside a typed memoryview), "
            "which bounds checks cannot see",
            None,
            None,
        )
    n = bisect_least(lambda k: checked_fails(k) is not None, steps)
    what = checked_fails(n)
    words = (
        f"; the bounds-checked build of {source_name} first fails at "
        f"{_step_words(data, seed, n)}: {what}"
    )
    return words, n, what


def locate_out_of_bounds(
    cls: type,
    data: TrainingData,
    create_options: dict,
    *,
    steps: int,
    start: Callable[..., object],
) -> dict | None:
    """For a user's .pyx that went wrong within ``steps``: a bounds-checked run.

    A read past a buffer's end (boundscheck off, as the seed teaches) gives a wrong S
    (or a non-finite loss) rather than a crash, so the check's diagnosis is followed,
    for a user's .pyx, by the same steps in the bounds-checked build. Returns
    {"sentence", "checked_step", "checked_message"} where that build fails, else None
    (a plain logic error: the diagnosis already said where).
    """
    seed = int(create_options.get("seed", 0))
    failure = _failure_probe(start, create_options)
    checked = _checked_build_failure(cls, data, seed, steps, failure, say_clean=False)
    if checked is None:
        return None
    words, n, what = checked
    return {"sentence": words, "checked_step": n, "checked_message": what}
