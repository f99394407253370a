"""The bounds-checked build of a user's ``.pyx``, and reading what it printed.

The seed teaches ``boundscheck(False)``; a loop that then writes one past the end corrupts
memory silently or crashes later. The checked build turns ``boundscheck`` and
``initializedcheck`` on and ``wraparound`` off (wraparound on would let a negative index read
from the end instead of failing). A file's own ``# cython:`` header, its
``@cython.boundscheck(False)`` decorators and ``with cython.boundscheck(False):`` blocks
override directives given to cythonize, so they are rewritten, value in place, in a copy of
the source (and of the ``.pxi`` files it includes from its folder) that keeps every line
number. It is cached apart from the normal build (its key says "checked").

An IndexError inside a ``noexcept`` or ``nogil`` function cannot propagate: Cython prints
"Exception ignored in: ..." on stderr and goes on. The checked build makes that printout
name the ``.pyx`` line, and :func:`find_checked_error` reads it back in terms of the user's
own file: ``oob.pyx:19: IndexError: Out of bounds on buffer access (axis 0)``. An access
through a raw pointer is checked by none of this.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from . import build_settings
from .user_build import BuildVariant, LoadedSource, checked_path, load_pyx

#: the directives of the checked build, whatever the file says
CHECKED_DIRECTIVES = {"boundscheck": True, "initializedcheck": True, "wraparound": False}
#: bumped whenever the rewrite changes (it is part of the cache key)
CHECKED_VARIANT = "checked-1"

_HEADER = re.compile(r"^\s*#\s*cython\s*:", re.IGNORECASE)
_NAMES = "|".join(CHECKED_DIRECTIVES)
# "boundscheck=False" in a header comment
_ASSIGNED = re.compile(rf"\b({_NAMES})(\s*=\s*)(\w+)")
# "cython.boundscheck(False)" in a decorator or a with statement (or "boundscheck(0)")
_CALLED = re.compile(rf"\b({_NAMES})(\s*\(\s*)(True|False|0|1)(\s*\))")


def checked_text(text: str) -> str:
    """``text`` with every boundscheck/initializedcheck/wraparound setting forced to the
    checked build's value, each on its own line (line numbers are kept)."""
    lines = text.splitlines(keepends=True)
    out = []
    for line in lines:
        if _HEADER.match(line):
            line = _ASSIGNED.sub(lambda m: f"{m[1]}{m[2]}{CHECKED_DIRECTIVES[m[1]]}", line)
        else:
            line = _CALLED.sub(lambda m: f"{m[1]}{m[2]}{CHECKED_DIRECTIVES[m[1]]}{m[4]}", line)
        out.append(line)
    return "".join(out)


CHECKED = BuildVariant(
    name=CHECKED_VARIANT,
    module_prefix="slimbench_checked",
    directives={**build_settings.CYTHON_DIRECTIVES, **CHECKED_DIRECTIVES},
    rewrite=checked_text,
    rewrites_includes=True,
    trace_unraisable=True,
)


def load_checked(path: str | os.PathLike) -> LoadedSource:
    """Build (or take from the cache) and import the checked variant of a user's ``.pyx``."""
    p = checked_path(path)
    if p.suffix != ".pyx":
        raise ValueError(f"a checked build needs a .pyx, got {p.name}")
    return load_pyx(p, CHECKED)


@dataclass(frozen=True)
class CheckedError:
    """Where the checked build failed: the user's file and line, and Cython's message."""

    path: Path
    line: int
    message: str  # e.g. "IndexError: Out of bounds on buffer access (axis 0)"
    function: str

    def __str__(self) -> str:
        return f"{self.path.name}:{self.line}: {self.message}"


_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<function>.+)$')
_EXCEPTION = re.compile(r"^(?P<type>[A-Za-z_][\w.]*(Error|Exception)): ?(?P<text>.*)$")


def find_checked_error(stderr: str, loaded: LoadedSource) -> CheckedError | None:
    """The first error the checked build printed inside the user's own files, if any.

    ``stderr`` is what a process running the checked build wrote (an "Exception ignored
    in" printout, or an ordinary traceback); ``loaded`` what :func:`load_checked` returned.
    Frames name the build's copy of the file; they are mapped back to the user's paths.
    """
    files = _user_files(loaded)
    frame: tuple[Path, int, str] | None = None
    for line in stderr.splitlines():
        m = _FRAME.match(line)
        if m:
            where = files.get(os.path.basename(m["file"])) or files.get(m["file"])
            if where is not None:
                frame = (where, int(m["line"]), m["function"].strip())
            continue
        e = _EXCEPTION.match(line)
        if e and frame is not None:
            message = f"{e['type'].rsplit('.', 1)[-1]}: {e['text']}".rstrip(": ")
            return CheckedError(frame[0], frame[1], message, frame[2])
        if line.startswith("Traceback (most recent call last)"):
            frame = None  # a new traceback: only its own frames count
    return None


def _user_files(loaded: LoadedSource) -> dict[str, Path]:
    """The names a traceback gives the user's files -> the user's paths."""
    names = {f"{loaded.module.__name__}.pyx": loaded.path}
    for f in loaded.files[1:]:
        if f.path.is_relative_to(loaded.path.parent):
            names[str(f.path.relative_to(loaded.path.parent))] = f.path
            names.setdefault(f.path.name, f.path)
    return names
