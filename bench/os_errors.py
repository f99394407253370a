"""An operating-system error as the one line a user reads: what failed, on which path, what to do.

Leaf module: the CLI's single guard (slimbench.cli) turns every ``OSError`` a command lets
through (a full disk, a name too long, a read-only or forbidden folder, a folder where a
file belongs, a standard output that cannot be written) into this line and exit code 2.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

#: errno -> what the user can do about it
ADVICE = {
    errno.ENOSPC: "free some space or choose another folder (--out)",
    errno.EDQUOT: "free some space or choose another folder (--out)",
    errno.ENAMETOOLONG: "use a shorter path (each name at most 255 bytes)",
    errno.EROFS: "the file system is read-only; choose a writable folder (--out)",
    errno.EACCES: "check its permissions or choose another path",
    errno.EPERM: "check its permissions or choose another path",
    errno.EISDIR: "it is a folder; give a file",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.ENOENT: "check the path",
    errno.ELOOP: "the path has a symbolic-link loop",
    errno.EMFILE: "too many open files; raise `ulimit -n`",
}


def _name(code: int | None) -> str:
    return errno.errorcode.get(code, "") if code is not None else ""


def describe(exc: OSError, fallback_path: str | None = None) -> str:
    """``exc`` as one line naming its path (or ``fallback_path``) and what to do."""
    why = exc.strerror or str(exc) or type(exc).__name__
    code = _name(exc.errno)
    paths = [p for p in (exc.filename, exc.filename2) if p is not None]
    where = " -> ".join(repr(os.fsdecode(p)) for p in paths) if paths else None
    if where is None and fallback_path:
        where = f"under {fallback_path!r}"
    head = f"{why}{f' ({code})' if code else ''}"
    advice = ADVICE.get(exc.errno, "check the path and try again")
    return f"{head}: {where}; {advice}." if where else f"{head}; {advice}."


class WatchedStdout:
    """Standard output that remembers its first write error (``> /dev/full``).

    A full disk's write error carries no path; only the stream that failed knows it was
    standard output. A reader that left (a closed pipe: ``| head``) is not remembered: it
    is not an error.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.error: OSError | None = None

    def _watch(self, action, *args):
        try:
            return action(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            self.error = self.error or exc
            raise

    def write(self, text: str) -> int:
        return self._watch(self.stream.write, text)

    def flush(self) -> None:
        self._watch(self.stream.flush)

    def __getattr__(self, name: str):  # isatty, fileno, encoding...: the stream's own
        return getattr(self.stream, name)


@contextmanager
def watched_stdout() -> Iterator[WatchedStdout]:
    """``sys.stdout`` watched for write errors within the block (see :class:`WatchedStdout`)."""
    watch = WatchedStdout(sys.stdout)
    sys.stdout = watch
    try:
        yield watch
    finally:
        if sys.stdout is watch:
            sys.stdout = watch.stream


def flush_failed(watch: WatchedStdout) -> bool:
    """Flush what is pending; True where standard output could not take it (now or before).

    After a failure the stream is pointed at the null device, so that the interpreter's
    own flush at exit does not fail a second time with a traceback.
    """
    try:
        watch.flush()
    except BrokenPipeError:
        silence_stdout()
        return False
    except (OSError, ValueError):
        pass
    if watch.error is not None:
        silence_stdout()
        return True
    return False


def silence_stdout() -> None:
    """Point file descriptor 1 at the null device (what was pending there is dropped)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
