"""A user's own step loop as a tier: the function contract.

A user's file defines::

    def train_steps(samples, coo_row, coo_col, coo_data, indptr, indices, data, S, learning_rate):
        '''One SGD step per entry of `samples`, in order; return the summed squared error.'''

- ``samples``: int64, the interaction indices of the contract's stream (PCG64), in order;
- ``coo_row``, ``coo_col`` (int32), ``coo_data`` (float64): user, item and rating of
  interaction k, in canonical CSR order (the seed's ``URM_train_coo_*``);
- ``indptr``, ``indices`` (int32), ``data`` (float64): the canonical CSR training URM;
- ``S``: float64, C-contiguous, (n_items, n_items), ``S[j, i]`` as in the seed, in place;
- ``learning_rate``: float. It returns the summed squared error as a float.

Every array is passed writable (a plain ``int[:]``/``double[:]`` memoryview takes it) and
is the tier's own copy, so a loop that writes into its inputs cannot corrupt another tier;
the cross-check compares the copies with the originals and names any array that changed.
Optional module-level names: ``NAME``, ``DESCRIPTION``, ``EXACTNESS`` ("bitwise", the
default, or "close" with ``TOLERANCE``).
"""

from __future__ import annotations

import inspect
import math
import numbers
import re
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import numpy as np

from .base import StreamBlockTier, touched_zeros
from .errors import SlimBenchError
from .registry import get_tier, register, replace_session_tier, tier_names, unregister
from .user_build import LoadedSource, TierFileError, load_source, user_frame
from .wording import plural

CONTRACT_ARGUMENTS: tuple[str, ...] = (
    "samples",
    "coo_row",
    "coo_col",
    "coo_data",
    "indptr",
    "indices",
    "data",
    "S",
    "learning_rate",
)
#: the arrays passed besides samples and S, with the dtype each must keep
INPUT_ARRAYS: tuple[tuple[str, type], ...] = (
    ("coo_row", np.int32),
    ("coo_col", np.int32),
    ("coo_data", np.float64),
    ("indptr", np.int32),
    ("indices", np.int32),
    ("data", np.float64),
)
USER_EXACTNESS = ("bitwise", "close")


class UserCodeError(SlimBenchError, RuntimeError):
    """The user's ``train_steps`` raised, or broke the contract (S reshaped, bad return)."""


class FunctionTier(StreamBlockTier):
    """A tier whose step loop is a user's ``train_steps`` (see the module docstring).

    Concrete classes are made by :func:`load_tier_file`, one per file.
    """

    exactness = "bitwise"
    #: the user's function
    train_steps: ClassVar[Callable[..., object]]
    #: the user's file (for messages and annotation)
    source_path: ClassVar[Path]
    def _setup(self) -> None:
        d = self.data
        canonical = (d.rows, d.indices, d.ratings, d.indptr, d.indices, d.ratings)
        # own, writable copies: coo_col and indices are one array in canonical form, and a
        # loop that writes into one of them must neither corrupt the shared URM nor hide
        self._inputs = {
            name: np.array(array, dtype=dtype, copy=True, order="C")
            for (name, dtype), array in zip(INPUT_ARRAYS, canonical, strict=True)
        }
        self._originals = dict(zip((n for n, _ in INPUT_ARRAYS), canonical, strict=True))
        self.S = touched_zeros((d.n_items, d.n_items))
        self.watch_samples = False  # the cross-check turns it on (a copy per call)
        self.samples_modified = False
        self._setup_stream()

    def _steps(self, draws: np.ndarray) -> tuple[float, int]:
        saved = draws.copy() if self.watch_samples else None
        fn = type(self).train_steps
        try:
            value = fn(draws, *self._inputs.values(), self.S, self.learning_rate)
        except Exception as exc:  # the user's code: one line with their file and line
            where = user_frame(exc, self.source_path)
            raise UserCodeError(
                f"train_steps of {self.source_path.name} raised {type(exc).__name__}: {exc}"
                + (f" ({where})" if where else "")
            ) from None
        if saved is not None and not np.array_equal(saved, draws):
            self.samples_modified = True
        self._check_similarity()
        loss = self._as_loss(value)
        self.last_returned_loss = loss
        # A non-finite loss: the contract returns one sum per call, so divergence is known
        # only per call; it is reported at the call's first step.
        return (loss, draws.shape[0]) if math.isfinite(loss) else (loss, 0)

    def _check_similarity(self) -> None:
        n = self.data.n_items
        S = self.S
        if S.shape != (n, n) or S.dtype != np.float64 or not S.flags.c_contiguous:
            raise UserCodeError(
                f"train_steps of {self.source_path.name} changed S: it is now {S.dtype} with "
                f"shape {S.shape}, expected float64 C-contiguous ({n}, {n}); update S in place "
                "without reshaping or re-typing it."
            )

    def _as_loss(self, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise UserCodeError(
                f"train_steps of {self.source_path.name} returned {value!r} "
                f"({type(value).__name__}); it must return the summed squared error as a float."
            )
        return float(value)

    @property
    def notes(self) -> list[str]:
        """What the report says about where the tier came from and how it was built."""
        kind = "compiled .pyx" if self.source_path.suffix == ".pyx" else "Python file"
        notes = [f"user tier: {kind} {self.source_path} (sha256 {self.origin['sha256'][:12]})"]
        if self.source_path.suffix == ".pyx":
            notes.append(
                "build cache hit"
                if self.build_cache_hit
                else f"compiled in {self.compile_seconds:.1f} s"
            )
            if len(self.origin["files"]) > 1:
                notes.append(f"built from {len(self.origin['files'])} files (includes, cimports)")
        return notes + list(self.build_notes)

    def modified_inputs(self) -> list[str]:
        """The input arrays (and ``samples``) that the user's loop wrote into."""
        changed = [
            name
            for name, array in self._inputs.items()
            if not np.array_equal(array, self._originals[name])
        ]
        return changed + (["samples"] if self.samples_modified else [])

    def similarity(self) -> np.ndarray:
        return self.S


def _module_attr(module: object, name: str, kind: type, default: object, path: Path) -> object:
    value = getattr(module, name, default)
    if not isinstance(value, kind):
        raise TierFileError(f"{path.name}: {name} must be a {kind.__name__}, got {value!r}.")
    return value


def _check_signature(fn: Callable[..., object], path: Path) -> None:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # some compiled callables hide their signature
        return
    positional = [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    varargs = any(p.kind is p.VAR_POSITIONAL for p in params)
    if len(positional) != len(CONTRACT_ARGUMENTS) and not varargs:
        raise TierFileError(
            f"{path.name}: train_steps takes {plural(len(positional), 'argument')} "
            f"({', '.join(p.name for p in positional) or 'none'}); the contract passes "
            f"{len(CONTRACT_ARGUMENTS)}: train_steps({', '.join(CONTRACT_ARGUMENTS)})."
        )


def _tier_name(module: object, path: Path) -> str:
    default = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "user-tier"
    name = _module_attr(module, "NAME", str, default, path).strip()
    if not name or any(c in name for c in ",@:") or name != name.split()[0]:
        raise TierFileError(f"{path.name}: NAME {name!r} must be one word without ',', '@' or ':'.")
    return name


def tier_class_from_source(loaded: LoadedSource) -> type[FunctionTier]:
    """A :class:`FunctionTier` subclass around the ``train_steps`` of a loaded module."""
    module, path = loaded.module, loaded.path
    fn = getattr(module, "train_steps", None)
    if fn is None or not callable(fn):
        raise TierFileError(
            f"{path.name} defines no function train_steps({', '.join(CONTRACT_ARGUMENTS)}); "
            "`slimbench new-tier NAME` writes a file in that form."
        )
    _check_signature(fn, path)
    exactness = _module_attr(module, "EXACTNESS", str, "bitwise", path)
    if exactness not in USER_EXACTNESS:
        raise TierFileError(
            f"{path.name}: EXACTNESS must be one of {', '.join(USER_EXACTNESS)}, got {exactness!r}."
        )
    tolerance = 0.0
    if exactness == "close":
        tolerance = _module_attr(module, "TOLERANCE", numbers.Real, None, path)
        if isinstance(tolerance, bool) or not (0 < float(tolerance) < 1):
            raise TierFileError(
                f"{path.name}: EXACTNESS 'close' needs TOLERANCE in (0, 1), got {tolerance!r}."
            )
    name = _tier_name(module, path)
    description = _module_attr(module, "DESCRIPTION", str, f"user tier from {path.name}", path)
    attrs = {
        "name": name,
        "exactness": exactness,
        "tolerance": float(tolerance),
        "description": description,
        "train_steps": staticmethod(fn),
        "source_path": path,
        "origin": {
            "kind": "file",
            "path": str(path),
            "sha256": loaded.sha256,  # over every file below: the source and its includes
            "files": [f.to_dict() for f in loaded.files],
            "build_key": loaded.build_key,
            "language": "cython" if path.suffix == ".pyx" else "python",
        },
        "build_notes": tuple(loaded.notes),
        "compile_seconds": loaded.compile_seconds if path.suffix == ".pyx" else None,
        "build_cache_hit": loaded.cache_hit,
        "__module__": __name__,
        "__doc__": f"User tier {name!r} from {path}.",
    }
    if path.suffix == ".pyx":
        attrs["cython_source_path"] = path
    return type("FunctionTier_" + re.sub(r"\W", "_", name), (FunctionTier,), attrs)


def load_tier_file(path: str | Path, *, replace: bool = False) -> str:
    """Load, check and register the tier in ``path``; return its registry name.

    The same file loaded twice is registered once; loaded again after it (or a file it
    includes) changed, its new build replaces the old one. A name already taken by another
    tier (a built-in, or another file) is refused; with ``replace`` (a notebook cell run
    again) a tier defined in the session (a file, a cell, a pickled object) is replaced, a
    built-in one still refused.
    """
    loaded = load_source(path)
    cls = tier_class_from_source(loaded)
    if replace:
        try:
            replace_session_tier(cls)
        except SlimBenchError as exc:
            raise TierFileError(f"{loaded.path.name}: {exc}") from None
        return cls.name
    return _register_file_tier(cls, loaded)


def load_checked_tier_file(path: str | Path) -> str:
    """Register the bounds-checked build of a user's ``.pyx`` (to locate an out-of-bounds
    access; :mod:`.checked_build`) under the file's tier name; return that name.

    Its origin says ``"checked": True``; in a process that registered the normal build of
    the same file, it replaces that one.
    """
    from .checked_build import load_checked

    loaded = load_checked(path)
    cls = tier_class_from_source(loaded)
    cls.origin = {**cls.origin, "checked": True}
    return _register_file_tier(cls, loaded)


def _register_file_tier(cls: type[FunctionTier], loaded: LoadedSource) -> str:
    if cls.name in tier_names():
        existing = getattr(get_tier(cls.name), "origin", {})
        same_build = existing.get("checked") == cls.origin.get("checked")
        if existing.get("sha256") == loaded.sha256 and same_build:
            return cls.name
        if existing.get("path") == str(loaded.path):
            unregister(cls.name)  # the same file, edited: a live process gets the new module
            register(cls)
            return cls.name
        where = existing.get("path") or existing.get("kind", "built-in")
        raise TierFileError(
            f"{loaded.path.name}: the tier name {cls.name!r} is taken ({where}); set "
            "NAME = '...' in the file to another name."
        )
    register(cls)
    return cls.name
