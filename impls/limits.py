"""Every bound on a scalar the harness takes, defined once, and the one check that enforces it.

A :class:`Bound` names what it bounds, the range, and what to do about a value outside it;
:meth:`Bound.check` refuses a value from Python (the tiers, ``RunOptions``, ``TimingPlan``,
``slimbench.run``) and :meth:`Bound.parse` the same value typed on the command line
(bench/arg_types.py builds the argparse types from it), both with the one message
``<what> must be <range>, got <value>; <what to do>.`` (argparse adds its own
"argument --x:" before it). In the spirit of scikit-learn's ``check_scalar``.

This module lives in impls because the tiers need the bounds and impls imports nothing of
the harness; it imports nothing but the standard library and impls/errors.py.
"""

from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass, replace

from .errors import InvalidInputError

#: the most steps one ``run`` takes: fits the kernels' 64-bit counters, and at a million
#: steps a second is still eleven days
MAX_STEPS = 10**12
#: seeds must fit libc's ``srand(unsigned int)`` so that no two seeds give cython-rand
#: the same stream; the numpy stream takes the same range
MAX_SEED = 2**32 - 1
#: the extrapolation's horizon and the most epochs a training runs: beyond it a run would
#: outlive its user and the figure means nothing
MAX_EPOCHS = 10**6
#: timed rounds per tier
MAX_ROUNDS = 10_000
#: a week: the most seconds any time limit takes (budget, warm-up, call timeout);
#: anything longer is a typo
MAX_SECONDS = 7 * 24 * 3600
#: workers of a remote Dask cluster (and threads per worker) above this are a typo, not a
#: cluster; a LocalCluster's workers are bounded as threads are (max_threads)
MAX_WORKERS = 4096
#: OpenMP threads of the audit's reference columns: more is a mistake, not a machine
MAX_AUDIT_THREADS = 1024
#: threads per usable core above which a count is refused: libgomp dies or the stack
#: space of thousands of threads runs out long before, and nothing is gained past a few
THREADS_PER_CORE_LIMIT = 8


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def max_threads() -> int:
    """The largest thread count accepted here."""
    return THREADS_PER_CORE_LIMIT * available_cores()


def _end_text(end: float) -> str:
    """An end of a range: 4,294,967,295, 604,800, 0, 0.5."""
    return f"{end:,}" if isinstance(end, int) else f"{end:g}"


def _value_text(value: object, integer: bool) -> str:
    """The value given, the same from Python and from the command line: an integer bound
    shows integers with separators, a real bound shows the float (0 and "0" give 0.0)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if integer and isinstance(value, numbers.Integral):
            return f"{int(value):,}"
        try:
            return repr(float(value))
        except OverflowError:  # an int too large for a float
            return f"{int(value):,}"
    return repr(value)


@dataclass(frozen=True)
class Bound:
    """The range one scalar may take, and the message that refuses any other value."""

    #: what the value is, as the message's subject: "seed", "the time budget per tier"
    what: str
    #: an integer (True) or a real number (False); reals must be finite
    integer: bool = True
    low: float | None = None  # None: no lower bound
    high: float | None = None  # None: no upper bound
    low_open: bool = False  # True: ``low`` itself is refused
    high_open: bool = False
    #: the unit the range reads in: "seconds" gives "a number of seconds in (0, 604,800]"
    unit: str = ""
    #: said after the range, in parentheses: "a week", "8 per usable core"
    note: str = ""
    #: what to do, after the value given: "use fewer rounds"
    advice: str = ""

    def expected(self) -> str:
        """The allowed values in words: 'an integer in [1, 10,000]', 'a positive finite number'."""
        lo, hi = self.low, self.high
        if self.integer:
            kind = "an integer"
        else:  # a closed range says the number is finite; an open end must
            kind = "a finite number" if lo is None or hi is None else "a number"
        if self.unit:
            kind += f" of {self.unit}"
        if lo is not None and hi is not None:
            text = (
                f"{kind} in {'(' if self.low_open else '['}{_end_text(lo)}, "
                f"{_end_text(hi)}{')' if self.high_open else ']'}"
            )
        elif lo == 0 and self.low_open and not self.integer:
            text = f"a positive finite number{' of ' + self.unit if self.unit else ''}"
        elif lo is not None:
            text = f"{kind} {'>' if self.low_open else '>='} {_end_text(lo)}"
        elif hi is not None:
            text = f"{kind} {'<' if self.high_open else '<='} {_end_text(hi)}"
        else:
            text = kind
        return f"{text} ({self.note})" if self.note else text

    def message(self, value: object, shown: str | None = None) -> str:
        """The one line that refuses ``value``: what, the range, the value given, what to do.

        ``shown``: the value as typed, where it is not of the bound's kind ("1.5" for an
        integer); by default the value in the form :func:`_value_text` gives.
        """
        shown = _value_text(value, self.integer) if shown is None else shown
        advice = f"; {self.advice}" if self.advice else ""
        return f"{self.what} must be {self.expected()}, got {shown}{advice}."

    def accepts(self, value: object) -> bool:
        """True where ``value`` is of the bound's kind and within its range."""
        if isinstance(value, bool):
            return False
        if self.integer:
            if not isinstance(value, numbers.Integral):
                return False
        elif not isinstance(value, numbers.Real):
            return False
        try:
            if not self.integer and not math.isfinite(float(value)):
                return False
        except OverflowError:  # an int too large for a float
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        if self.high is not None and (
            value >= self.high if self.high_open else value > self.high
        ):
            return False
        return True

    def check(self, value: object) -> int | float:
        """``value`` as an int (or float), or :class:`InvalidInputError` with :meth:`message`."""
        if not self.accepts(value):
            raise InvalidInputError(self.message(value))
        return int(value) if self.integer else float(value)

    def parse(self, text: str) -> int | float:
        """A value typed on the command line, refused with the message :meth:`check` gives."""
        text = text.strip()
        try:
            value: object = int(text) if self.integer else float(text)
        except ValueError:
            try:  # "1.5" for an integer reads as Python's 1.5 does; "ten" stays quoted
                shown = repr(float(text)) if self.integer else repr(text)
            except ValueError:
                shown = repr(text)
            raise InvalidInputError(self.message(text, shown)) from None
        return self.check(value)

    def but(self, **changes: object) -> Bound:
        """This bound with some fields changed (another subject, another upper end)."""
        return replace(self, **changes)


def check_count(value: object, what: str, upper: int | None = None) -> int:
    """Return ``value`` as an int, or raise if it is not an integer in [0, ``upper``]."""
    return int(Bound(what, low=0, high=upper).check(value))


# -- the bounds the harness takes, from the command line and from Python alike ----------

SEED = Bound("seed", low=0, high=MAX_SEED, advice="seeds fit libc's srand (unsigned int)")
STEPS = Bound("n_steps", low=0, high=MAX_STEPS)
CALL_STEPS = Bound("steps per call", low=1, high=MAX_STEPS)
EPOCHS = Bound("epochs", low=1, high=MAX_EPOCHS, advice="beyond a million the figures mean nothing")
ROUNDS = Bound("rounds", low=1, high=MAX_ROUNDS, advice="the budget bounds the time they take")


def _seconds(what: str, advice: str, *, zero_allowed: bool = False) -> Bound:
    """A duration the harness waits for: seconds up to a week, zero refused unless allowed."""
    return Bound(
        what,
        integer=False,
        low=0,
        low_open=not zero_allowed,
        high=MAX_SECONDS,
        unit="seconds",
        note="a week",
        advice=advice,
    )


BUDGET = _seconds("the time budget per tier", "it bounds each tier's warm-up and rounds")
WARMUP = _seconds("the warm-up", "leave it out for 10% of the budget", zero_allowed=True)
CALL_TIMEOUT = _seconds("the call timeout", "a worker is killed after a call longer than this")
LEARNING_RATE = Bound(
    "the learning rate", integer=False, low=0, low_open=True, advice="1e-6 is the seed's value"
)
L2 = Bound("l2", integer=False, low=0, advice="0 is the seed's plain MSE step")
TRAIN_SHARE = Bound(
    "the training share",
    integer=False,
    low=0,
    high=1,
    low_open=True,
    high_open=True,
    advice="the holdout needs both a training and a test part",
)
AUDIT_THREADS = Bound("threads", low=1, high=MAX_AUDIT_THREADS)
#: the training's evaluation: N of the top-N metrics, every K epochs, K entries per column
CUTOFF = Bound("the cutoff", low=1, advice="it is the N of the top-N metrics")
EVAL_EVERY = Bound(
    "epochs between evaluations", low=0, advice="0 evaluates after the last epoch only"
)
SAVE_TOP_K = Bound("entries saved per column of S", low=0, advice="0 saves no top-k entries")
#: the quality baselines' parameters (train's --knn-k, --knn-shrink, --ease-lambda)
KNN_K = Bound("item-KNN's k", low=1, advice="it is the neighbours kept per item")
KNN_SHRINK = Bound(
    "item-KNN's shrink", integer=False, low=0, advice="0 is the plain cosine similarity"
)
EASE_LAMBDA = Bound(
    "EASE's lambda",
    integer=False,
    low=0,
    low_open=True,
    advice="X^T X + lambda I must be invertible; the default is 2000",
)
#: the generic bounds of the commands' other options (argparse names the option)
POSITIVE_INT = Bound("the value", low=1)
NON_NEGATIVE_INT = Bound("the value", low=0)
POSITIVE_NUMBER = Bound("the value", integer=False, low=0, low_open=True)
NON_NEGATIVE_NUMBER = Bound("the value", integer=False, low=0)


def thread_bound() -> Bound:
    """threads in [1, max_threads()]: known only at run time, from the usable cores."""
    return Bound(
        "threads",
        low=1,
        high=max_threads(),
        note=f"{THREADS_PER_CORE_LIMIT} per usable core, {available_cores()} here",
        advice="leave it out to use every usable core",
    )


def worker_bound(what: str = "workers", remote: bool = False) -> Bound:
    """Dask workers (or threads per worker): MAX_WORKERS on a remote cluster, else as threads."""
    if remote:
        return Bound(what, low=1, high=MAX_WORKERS)
    return thread_bound().but(what=what, advice="")
