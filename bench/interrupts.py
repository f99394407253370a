"""SIGTERM and SIGHUP handled as Ctrl-C, so that every way of stopping a run keeps its state.

Leaf module. ``kill PID``, a CI job's cancellation, a closed terminal or a batch system's
time limit send SIGTERM or SIGHUP; by default they end Python at once, leaving a results
file "running" and a lock behind. Inside :func:`terminations_as_interrupt` they raise
``KeyboardInterrupt`` in the main thread instead, the path Ctrl-C already takes (status
"interrupted", lock released, what was finished kept).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: the signals that mean "stop, please" (SIGHUP does not exist on Windows)
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Terminated(KeyboardInterrupt):
    """A stop signal arrived; ``signum`` says which. A KeyboardInterrupt, so Ctrl-C's path runs."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def _raise(signum: int, frame: object) -> None:
    for sig in STOP_SIGNALS:  # a second signal must not cut short the writing of the state
        signal.signal(sig, signal.SIG_IGN)
    raise Terminated(signum)


@contextmanager
def terminations_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Terminated`; the old handlers return.

    A signal the process was started to ignore (``nohup`` ignores SIGHUP) stays ignored.
    Outside the main thread (where Python allows no handlers) the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {
        sig: signal.signal(sig, _raise)
        for sig in STOP_SIGNALS
        if signal.getsignal(sig) is not signal.SIG_IGN
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class StopRequest:
    """Set by a stop signal inside :func:`stops_deferred`; the code checks it where stopping
    leaves a consistent state (between two ``run`` calls of a training)."""

    def __init__(self) -> None:
        self.signum: int | None = None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def stop_here(self) -> None:
        """Raise the interrupt that was asked for, if one was."""
        if self.signum is not None:
            raise KeyboardInterrupt if self.signum == signal.SIGINT else Terminated(self.signum)


@contextmanager
def stops_deferred() -> Iterator[StopRequest]:
    """Within the block, SIGINT, SIGTERM and SIGHUP only set the yielded request; a second
    signal stops at once. The old handlers return at the end of the block.

    A training uses it so that Ctrl-C lands between two steps' calls, with the model and
    its step count consistent, instead of in the middle of a call whose steps are lost.
    """
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return

    def handler(signum: int, frame: object) -> None:
        if request.requested:  # asked twice: stop now
            request.stop_here()
        request.signum = signum

    signals = (signal.SIGINT, *STOP_SIGNALS)
    previous = {
        sig: signal.signal(sig, handler)
        for sig in signals
        if signal.getsignal(sig) is not signal.SIG_IGN  # nohup's SIGHUP stays ignored
    }
    try:
        yield request
    finally:
        for sig, handler_before in previous.items():
            signal.signal(sig, handler_before)
