"""The files a notebook session writes so that its tiers go the way every tier file goes.

A ``%%slimbench_tier`` cell becomes a ``.pyx`` (or ``.py``) file, and a class or function
defined in a cell a cloudpickle file, in one folder per session (a temporary folder, removed
when the kernel exits). A tier's worker process reads the same file the session loaded.
"""

from __future__ import annotations

import atexit
import hashlib
import re
import shutil
import tempfile
from pathlib import Path

_FOLDER: Path | None = None


def session_folder() -> Path:
    """This process's folder of cell files, made on first use and removed at exit."""
    global _FOLDER
    if _FOLDER is None or not _FOLDER.is_dir():
        _FOLDER = Path(tempfile.mkdtemp(prefix="slimbench-session-"))
        atexit.register(shutil.rmtree, _FOLDER, True)
    return _FOLDER


def file_stem(name: str) -> str:
    """A file name for tier ``name``: an identifier (Cython names the module after it).

    Names that differ only in characters an identifier cannot hold ("my-loop", "my_loop")
    get different files: a short hash of the name is added where characters were replaced.
    """
    stem = re.sub(r"\W", "_", name)
    if stem == name:
        return stem
    return f"{stem}_{hashlib.sha1(name.encode()).hexdigest()[:6]}"


def write_cell_file(
    name: str, source: str, *, python: bool = False, tolerance: float | None = None
) -> Path:
    """Write a cell's loop as a tier file named ``name``; return its path.

    NAME (and EXACTNESS "close" with TOLERANCE) are appended after the cell's own lines, so
    that a compile error's line number is the cell's line number.
    """
    settings = [f"NAME = {name!r}"]
    if tolerance is not None:
        settings += ['EXACTNESS = "close"', f"TOLERANCE = {tolerance!r}"]
    text = source.rstrip() + "\n\n\n# set by %%slimbench_tier\n" + "\n".join(settings) + "\n"
    path = session_folder() / f"{file_stem(name)}{'.py' if python else '.pyx'}"
    other = path.with_suffix(".pyx" if python else ".py")
    other.unlink(missing_ok=True)  # a cell switched between --py and Cython keeps one file
    path.write_text(text, encoding="utf-8")
    return path


def pickle_path(name: str) -> Path:
    """Where the pickled class or function of tier ``name`` is written."""
    return session_folder() / f"{file_stem(name)}.pkl"
