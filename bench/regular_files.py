"""Opening only regular files, so that no path a user gives can block a reader or never end.

Leaf module: every reader of a user's path (datasets, results files, history) enters
here. A FIFO would block forever at open and a device (``/dev/urandom``, also behind a
symbolic link) never ends: both are refused by name before anything is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from .impls import InvalidInputError

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def kind_of(mode: int) -> str:
    """What a file that is not regular is, in words."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def refuse_special(path: str | os.PathLike, mode: int) -> None:
    """Raise InvalidInputError naming ``path`` where ``mode`` is not a regular file's."""
    if not stat.S_ISREG(mode):
        raise InvalidInputError(
            f"{os.fspath(path)} is {kind_of(mode)}, not a regular file; give a file saved on disk."
        )


def check_regular(path: str | os.PathLike) -> None:
    """Refuse ``path`` unless it is a regular file (links followed), before a library opens it."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        why = exc.strerror or exc
        raise InvalidInputError(f"{os.fspath(path)}: cannot read ({why}).") from None
    refuse_special(path, mode)


def open_regular(path: str | os.PathLike) -> tuple[BinaryIO, int]:
    """``path`` opened for reading in binary, and its size; anything but a regular file refused.

    The file is opened without blocking (a FIFO must not wait for a writer) and then
    checked on the open descriptor, so that no swap between check and open slips through.
    OSError (missing, forbidden) is left to the caller.
    """
    fd = os.open(Path(path), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        refuse_special(path, info.st_mode)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return open(fd, "rb"), info.st_size
