"""A tier class or a ``train_steps`` function sent by value: written with cloudpickle, loaded here.

A class or function defined in a notebook cell lives in ``__main__``, which no other process
can import. :func:`write_pickled_tier` writes it by value (cloudpickle pickles ``__main__``
objects with their code and the globals they use) into a file; :func:`load_pickled_tier`
reads that file in any process (the session itself, or a tier's worker) and registers the
tier with the origin ``{"kind": "pickle", "path": ..., "sha256": ...}``.

A function must follow the contract of :mod:`.user_tier` (``train_steps(samples, coo_row,
coo_col, coo_data, indptr, indices, data, S, learning_rate)``); its tier name is the
function's name with ``_`` as ``-`` unless the function has a ``NAME`` attribute, and
``EXACTNESS``, ``TOLERANCE``, ``DESCRIPTION`` attributes work as the module-level names of a
tier file do.
"""

from __future__ import annotations

import hashlib
import inspect
import numbers
import pickle
import re
from collections.abc import Callable
from pathlib import Path

from .base import Tier
from .errors import SlimBenchError
from .registry import replace_session_tier
from .user_tier import USER_EXACTNESS, FunctionTier, _check_signature

#: what the file holds, so that a foreign pickle is refused with a sentence, not run blindly
PAYLOAD_FORMAT = "slimbench-pickled-tier/1"


class PickledTierError(SlimBenchError, ValueError):
    """A tier object cannot be pickled, or a file is not a pickled tier."""


def tier_name_of(obj: object) -> str:
    """The registry name of a tier class (its ``name``) or a function (``NAME`` or its name)."""
    if isinstance(obj, type):
        return str(getattr(obj, "name", obj.__name__))
    default = re.sub(r"[^a-z0-9]+", "-", getattr(obj, "__name__", "").lower()).strip("-")
    return str(getattr(obj, "NAME", default or "user-function"))


def write_pickled_tier(obj: type[Tier] | Callable[..., object], path: Path) -> Path:
    """Write a Tier subclass or a ``train_steps`` function by value into ``path``.

    Raises :class:`PickledTierError` naming what cloudpickle could not pickle.
    """
    try:
        import cloudpickle
    except ImportError:
        raise PickledTierError(
            "sending a tier defined in a notebook needs cloudpickle: "
            "pip install 'slim-mse-bench[notebook]'."
        ) from None
    kind = "class" if isinstance(obj, type) else "function"
    payload = {"format": PAYLOAD_FORMAT, "kind": kind, "object": obj}
    try:
        data = cloudpickle.dumps(payload)
    except Exception as exc:  # whatever the object holds (a lock, an open file) says why
        raise PickledTierError(
            f"{kind} {tier_name_of(obj)!r} cannot be pickled by value "
            f"({type(exc).__name__}: {exc})"
        ) from None
    path.write_bytes(data)
    return path


def load_pickled_tier(path: str | Path) -> str:
    """Load a file written by :func:`write_pickled_tier`, register its tier, return its name.

    A tier of the same name defined earlier in the session is replaced; a built-in one is
    refused.
    """
    p = Path(path)
    data = p.read_bytes()
    try:
        payload = pickle.loads(data)  # noqa: S301 - a file this session wrote for itself
    except Exception as exc:
        raise PickledTierError(
            f"{p.name} cannot be unpickled ({type(exc).__name__}: {exc})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != PAYLOAD_FORMAT:
        raise PickledTierError(f"{p.name} is not a pickled slimbench tier.")
    origin = {
        "kind": "pickle",
        "path": str(p),
        "sha256": hashlib.sha256(data).hexdigest(),
        "object": payload["kind"],
    }
    obj = payload["object"]
    if payload["kind"] == "class":
        from .plugins import check_tier_class

        cls = check_tier_class(obj, f"class {tier_name_of(obj)!r}")
        cls.origin = origin
    else:
        cls = function_tier_class(obj, origin)
    replace_session_tier(cls)
    return cls.name


class PickledFunctionTier(FunctionTier):
    """A :class:`FunctionTier` whose ``train_steps`` came by value, not from a file."""

    @property
    def notes(self) -> list[str]:
        return [
            f"user tier: function {self.train_steps.__name__} sent by value (cloudpickle) "
            f"through {Path(self.origin['path']).name} (sha256 {self.origin['sha256'][:12]})"
        ]


def function_tier_class(fn: Callable[..., object], origin: dict) -> type[FunctionTier]:
    """A tier class around a ``train_steps`` function, as :mod:`.user_tier` makes for a file."""
    where = f"function {getattr(fn, '__name__', fn)!r}"
    if not callable(fn):
        raise PickledTierError(f"{where} is not callable.")
    name = tier_name_of(fn)
    try:  # a notebook cell's function names the cell's file, where tracebacks point
        source = Path(inspect.getsourcefile(fn) or fn.__name__)
    except TypeError:  # a compiled function has no source file
        source = Path(getattr(fn, "__name__", "function"))
    if not name or any(c in name for c in ",@:") or name != name.split()[0]:
        raise PickledTierError(f"{where}: NAME {name!r} must be one word without ',', '@' or ':'.")
    _check_signature(fn, Path(where))
    exactness = getattr(fn, "EXACTNESS", "bitwise")
    if exactness not in USER_EXACTNESS:
        raise PickledTierError(
            f"{where}: EXACTNESS must be one of {', '.join(USER_EXACTNESS)}, got {exactness!r}."
        )
    tolerance = getattr(fn, "TOLERANCE", 0.0) if exactness == "close" else 0.0
    if exactness == "close" and (
        isinstance(tolerance, bool)
        or not isinstance(tolerance, numbers.Real)
        or not 0 < float(tolerance) < 1
    ):
        raise PickledTierError(
            f"{where}: EXACTNESS 'close' needs TOLERANCE in (0, 1), got {tolerance!r}."
        )
    attrs = {
        "name": name,
        "exactness": exactness,
        "tolerance": float(tolerance),
        "description": str(getattr(fn, "DESCRIPTION", f"user function {fn.__name__}")),
        "train_steps": staticmethod(fn),
        "source_path": source,
        "origin": origin,
        "compile_seconds": None,
        "build_cache_hit": False,
        "__module__": __name__,
        "__doc__": f"User tier {name!r} from the function {fn.__name__}.",
    }
    return type("PickledFunctionTier_" + re.sub(r"\W", "_", name), (PickledFunctionTier,), attrs)
